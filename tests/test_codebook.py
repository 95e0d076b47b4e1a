"""Codebooks: the default matches the contract's ids; user codebooks extend or fail with a location."""

from pathlib import Path

import pytest
import yaml

from cjm.codebook import load_codebook
from cjm.errors import CodebookError
from cjm.rules import validate_patterns

DATA = Path(__file__).parent / "data" / "codebooks"
CONTRACT_LABELS = Path(__file__).resolve().parents[2] / "shared" / "contract" / "labels.yaml"


def test_default_ids_match_the_contract():
    if not CONTRACT_LABELS.exists():
        pytest.skip("shared/contract/labels.yaml is not beside the repository")
    contract = yaml.safe_load(CONTRACT_LABELS.read_text(encoding="utf-8"))
    book = load_codebook()
    assert book.ids("stage") == [s["id"] for s in contract["stages"]]
    assert book.ids("role") == [r["id"] for r in contract["roles"]]
    assert {c.id: c.group for c in book.channels} == {c["id"]: c["group"] for c in contract["channels"]}


def test_every_label_has_patterns_in_both_languages():
    book = load_codebook()
    for label in book.stages + book.roles + book.channels:
        assert label.patterns.get("ru") and label.patterns.get("en"), label.id
        assert label.name("ru") and label.name("en")
    validate_patterns(book)


def test_user_codebook_extends_the_default():
    book = load_codebook(DATA / "extend.yaml")
    assert "telegram_bot" in book.ids("channel")
    assert book.group_of("telegram_bot") == "cold_inbound"
    motivated = book.get("stage", "motivated")
    assert "тест-драйв*" in motivated.patterns["ru"]
    assert len(motivated.patterns["ru"]) > 1  # the default phrases are still there
    validate_patterns(book)


def test_yaml_error_names_file_and_line():
    with pytest.raises(CodebookError) as caught:
        load_codebook(DATA / "bad_yaml.yaml")
    assert caught.value.path.endswith("bad_yaml.yaml")
    assert caught.value.line is not None and 3 <= caught.value.line <= 4


def test_unknown_ids_are_all_reported():
    with pytest.raises(CodebookError) as caught:
        load_codebook(DATA / "unknown_group.yaml")
    message = str(caught.value)
    assert "no_such_label" in message
    assert "unknown_group.yaml" in message


def test_unknown_group_is_reported(tmp_path):
    path = tmp_path / "book.yaml"
    path.write_text("extends: default\nchannels:\n  - {id: billboard, group: outdoor}\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="unknown group 'outdoor'"):
        load_codebook(path)


def _phrases(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _phrases(value)
    elif isinstance(node, list):
        for value in node:
            if isinstance(value, str):
                yield value
            else:
                yield from _phrases(value)


def test_alternatives_are_per_token_in_the_shipped_codebook():
    """'a b|c d' means a, then b-or-c, then d: an alternative that repeats a word of its own token
    ("procurement|procurement officer") or of its neighbour was meant as a whole phrase and is wrong."""
    from cjm.codebook import default_codebook_path

    data = yaml.safe_load(default_codebook_path().read_text(encoding="utf-8"))
    suspicious = []
    for phrase in _phrases({k: data[k] for k in ("stages", "roles", "channels", "cues")} | {"lexicons": {
            k: v for k, v in data["lexicons"].items() if k != "durations"}}):
        tokens = [t for t in phrase.lstrip("~<").split() if t != "..."]
        for left, right in zip(tokens, tokens[1:]):
            if set(left.split("|")) & set(right.split("|")):
                suspicious.append(phrase)
    assert suspicious == []


@pytest.mark.parametrize("section", ["situation", "advice_questions", "cycle_cues", "cycle_questions"])
def test_a_bad_phrase_in_any_lexicon_section_is_reported(tmp_path, section):
    """Every section is compiled before errors are raised: none is skipped, none raises a traceback."""
    path = tmp_path / "book.yaml"
    path.write_text(f"extends: default\nlexicons:\n  {section}:\n    ru: ['...']\n", encoding="utf-8")
    with pytest.raises(CodebookError, match=section):
        validate_patterns(load_codebook(path))
