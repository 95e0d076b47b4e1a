"""The indexed matcher answers exactly as spaCy's `Matcher` does, on the codebook's patterns."""

from __future__ import annotations

from pathlib import Path

import pytest
from spacy.matcher import Matcher

from cjm import rules
from cjm.codebook import load_codebook
from cjm.ingest import read_folder
from cjm.matching import PatternMatcher, parse_spec
from cjm.nlp import pipeline
from cjm.rules import compile_pattern

SAMPLE = Path(__file__).resolve().parents[1] / "interviews"


def both(lang: str, phrases: dict[str, list[str]]) -> tuple[Matcher, PatternMatcher]:
    nlp = pipeline(lang)
    theirs, ours = Matcher(nlp.vocab), PatternMatcher(nlp.vocab)
    for key, items in phrases.items():
        patterns = [compile_pattern(p, lang) for p in items]
        theirs.add(key, patterns)
        ours.add(key, patterns)
    return theirs, ours


def spans(matcher, doc) -> list[tuple[str, int, int]]:
    return sorted((doc.vocab.strings[k], s, e) for k, s, e in matcher(doc))


@pytest.mark.parametrize("lang, phrases, text, expected", [
    ("en", {"k": ["sign ... contract"]}, "we signed the new contract", [("k", 1, 5)]),
    ("en", {"k": ["sign ... contract"]}, "we signed one two three four contract", []),  # gap of 4 > 3
    ("en", {"k": ["send ?a quote"]}, "they sent a quote and sent quote", [("k", 1, 4), ("k", 5, 7)]),
    ("en", {"k": ["price*"]}, "the pricing was fine", [("k", 1, 2)]),
    ("en", {"k": ["=signed"]}, "we sign, we signed", [("k", 4, 5)]),
    ("ru", {"k": ["подписать ... договор"]}, "Мы подписали с ними договор", [("k", 1, 5)]),
    ("ru", {"k": ["коммерческий предложение"]}, "Прислали коммерческое предложение", [("k", 1, 3)]),
    ("ru", {"k": ["=будет"]}, "Это было, это будет", [("k", 4, 5)]),
    ("ru", {"k": ["выстав*"]}, "на выставке", [("k", 1, 2)]),
])
def test_matches_as_spacy_does(lang, phrases, text, expected):
    theirs, ours = both(lang, phrases)
    doc = pipeline(lang)(text)
    assert spans(ours, doc) == expected
    assert spans(theirs, doc) == expected


def test_every_match_of_a_gap_and_an_optional_word_is_returned():
    theirs, ours = both("en", {"k": ["sign ?the ... deal"]})
    doc = pipeline("en")("sign the deal deal")
    assert spans(ours, doc) == spans(theirs, doc) == [("k", 0, 3), ("k", 0, 4)]


def test_a_span_answers_in_its_own_offsets():
    _, ours = both("en", {"k": ["quote"]})
    doc = pipeline("en")("Hello there. They sent a quote.")
    second = list(doc.sents)[1]
    assert [(s, e) for _, s, e in ours(second)] == [(3, 4)]


def test_unsupported_tokens_are_refused():
    with pytest.raises(ValueError):
        parse_spec({"POS": "VERB"})
    with pytest.raises(ValueError):
        parse_spec({"OP": "+"})
    with pytest.raises(ValueError):
        PatternMatcher(pipeline("en").vocab).add("k", [[{"OP": "?", "LEMMA": {"IN": ["a"]}}]])


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_the_default_codebook_matches_as_with_spacy_on_the_sample(lang, monkeypatch):
    """Differential test: every compiled matcher of the default codebook, on every sentence of the
    sample series, gives the same matches through both implementations."""
    made: list[tuple[Matcher, PatternMatcher]] = []

    class Twin:
        def __init__(self, vocab, validate: bool = False):
            self.theirs, self.ours = Matcher(vocab), PatternMatcher(vocab)
            made.append((self.theirs, self.ours))

        def add(self, key, patterns):
            self.theirs.add(key, patterns)
            self.ours.add(key, patterns)

    monkeypatch.setattr(rules, "Matcher", Twin)
    rules.compile_rules(load_codebook(None), lang, pipeline(lang))
    transcripts, _ = read_folder(SAMPLE)
    texts = [u.text for t in transcripts if t.language == lang for u in t.utterances]
    assert texts and len(made) > 5
    compared = 0
    for doc in pipeline(lang).pipe(texts):
        for sent in doc.sents:
            for theirs, ours in made:
                assert sorted(ours(sent)) == sorted(theirs(sent)), sent.text
                compared += 1
    assert compared > 1000
