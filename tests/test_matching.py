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
from cjm.rules import compile_patterns

SAMPLE = Path(__file__).resolve().parents[1] / "interviews"


def both(lang: str, phrases: dict[str, list[str]]) -> tuple[Matcher, PatternMatcher]:
    nlp = pipeline(lang)
    theirs, ours = Matcher(nlp.vocab), PatternMatcher(nlp.vocab)
    for key, items in phrases.items():
        patterns = [v for p in items for v in compile_patterns(p, lang)]
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
    """Differential test: every family (group) of the default codebook's one compiled matcher, on
    every sentence of the sample series, gives the same matches as a spaCy Matcher of that family."""
    made: dict[str, Matcher] = {}
    compiled: list[PatternMatcher] = []

    class Twin(PatternMatcher):
        def __init__(self, vocab, validate: bool = False):
            super().__init__(vocab)
            compiled.append(self)

        def add(self, key, patterns, group=""):
            patterns = list(patterns)
            made.setdefault(group, Matcher(self.vocab)).add(key, patterns)
            super().add(key, patterns, group=group)

    monkeypatch.setattr(rules, "Matcher", Twin)
    rules.compile_rules(load_codebook(None), lang, pipeline(lang))
    transcripts, _ = read_folder(SAMPLE)
    texts = [u.text for t in transcripts if t.language == lang for u in t.utterances]
    assert texts and len(compiled) == 1 and len(made) > 5
    ours = compiled[0]
    compared = 0
    for doc in pipeline(lang).pipe(texts):
        for sent in doc.sents:
            for group, theirs in made.items():
                assert sorted(ours.group(group)(sent)) == sorted(theirs(sent)), (group, sent.text)
                compared += 1
            assert sorted(ours(sent)) == sorted({m for theirs in made.values() for m in theirs(sent)})
    assert compared > 1000


def test_a_sentence_is_walked_once_for_every_group(monkeypatch):
    """The families share one walk per sentence: asking a second group reads the first's scan."""
    nlp = pipeline("en")
    matcher = PatternMatcher(nlp.vocab)
    matcher.add("quote", [[{"LEMMA": {"IN": ["quote"]}}]], group="labels")
    matcher.add("negation", [[{"LEMMA": {"IN": ["not"]}}]], group="cues")
    walks = []
    real_walk = matcher._walk
    monkeypatch.setattr(matcher, "_walk", lambda tokens: walks.append(1) or real_walk(tokens))
    doc = nlp("They did not send a quote. Fine.")
    first, second = list(doc.sents)
    labels, cues = matcher.group("labels"), matcher.group("cues")
    assert [(s, e) for _, s, e in labels(first)] == [(5, 6)]
    assert [(s, e) for _, s, e in cues(first)] == [(2, 3)]
    assert len(walks) == 1
    assert cues(second) == [] and len(walks) == 2  # another sentence is another walk
    assert [(s, e) for _, s, e in labels(doc)] == [(5, 6)] and len(walks) == 3  # so is the whole doc
    assert len(labels) == 1 and len(matcher.group("events")) == 0 and not matcher.group("events")
