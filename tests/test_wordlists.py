"""The shipped word lists, read by libyaml: the same data as PyYAML's pure-Python safe loader."""

from importlib import resources

import yaml

from cjm.wordlists import sentiment_lexicon


def test_the_sentiment_lists_equal_the_pure_python_loader_s():
    text = (resources.files("cjm") / "data" / "sentiment.yaml").read_text(encoding="utf-8")
    assert sentiment_lexicon() == yaml.safe_load(text)
    assert sentiment_lexicon()["tone"]["positive"]  # the file is there and has its lists


def test_the_word_lists_load_without_spacy():
    import subprocess
    import sys

    code = "import sys; import cjm.wordlists as w; w.sentiment_lexicon(); print('spacy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
