"""spaCy pipelines for Russian and English, built offline from blank languages.

Russian lemmas and parts of speech come from pymorphy3 through a text-keyed cache: spaCy's own
`pymorphy3` lemmatizer mode keeps the word form whenever pymorphy3 offers several normal forms
("часов" stays "часов"; measured on 38 ambiguous forms: right on 5, ours on 35) and runs at 1/50
to 1/85 of the tokenizer's speed on a blank pipeline; our cached lemmatizer is 3-4x faster cold
and 16-21x warm (benchmarks/bench.py).
English lemmas come from spaCy's lookup tables (spacy-lookups-data). Nothing is downloaded.
"""

from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Token

# Rules match a pattern word against a token's lemma or its form: both are kept in the token's
# NORM as "lemma form" (see rules.compile_token). NORM is a native attribute, so the Matcher reads it
# at C speed; a custom `_` attribute was 6x slower over the whole pipeline. Blank pipelines have
# no vectors or models that read NORM.
# A verb in the past tense: the narrative of what happened, as opposed to greetings and advice.
Token.set_extension("cjm_past", default=False, force=True)
ENGLISH_IRREGULAR_PAST = frozenset(
    "was were had did went came got took made said told sent gave found thought ran saw brought bought paid put "
    "set left kept met rang spoke wrote chose began knew heard felt held led lost sold spent stood won".split())

# pymorphy3 (OpenCorpora) part-of-speech tags -> Universal POS, enough for clause and negation rules.
OPENCORPORA_TO_UPOS = {
    "NOUN": "NOUN", "ADJF": "ADJ", "ADJS": "ADJ", "COMP": "ADJ", "VERB": "VERB", "INFN": "VERB",
    "PRTF": "VERB", "PRTS": "VERB", "GRND": "VERB", "NUMR": "NUM", "ADVB": "ADV", "NPRO": "PRON",
    "PRED": "ADV", "PREP": "ADP", "CONJ": "CCONJ", "PRCL": "PART", "INTJ": "INTJ",
}


@lru_cache(maxsize=1)
def morph_analyzer():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=200_000)
def russian_analysis(word: str) -> tuple[str, str, bool]:
    """(lemma, UPOS, is a past-tense verb) of a Russian word form: pymorphy3's best parse, cached."""
    lower = word.lower()
    if not any("а" <= ch <= "я" or ch == "ё" for ch in lower):
        return lower, "X", False
    parse = morph_analyzer().parse(lower)[0]
    return (parse.normal_form.replace("ё", "е"), OPENCORPORA_TO_UPOS.get(str(parse.tag.POS), "X"),
            parse.tag.tense == "past")


def russian_lemma(word: str) -> tuple[str, str]:
    """(lemma, UPOS) of a Russian word form."""
    return russian_analysis(word)[:2]


# What the lemmatizers give a token depends on its text alone (pymorphy3's best parse, the lookup
# table, lexeme flags), so it is worked out once per distinct text and kept: speech repeats its
# words, and setting four attributes from a tuple is half the cost of recomputing them per token.
TOKEN_MEMO_SIZE = 200_000
_TOKEN_MEMO: dict[str, dict[str, tuple[str, str, bool, str]]] = {"ru": {}, "en": {}}


def _remember(memo: dict, text: str, info: tuple[str, str, bool, str]) -> tuple[str, str, bool, str]:
    if len(memo) >= TOKEN_MEMO_SIZE:
        memo.clear()  # a long run stays bounded
    memo[text] = info
    return info


def russian_token(token: Token) -> tuple[str, str, bool, str]:
    """(lemma, pos, past, norm) of a Russian token, from its text."""
    text = token.text
    if token.is_punct or token.is_space:
        return text, "PUNCT" if token.is_punct else "SPACE", False, text
    lemma, pos, past = russian_analysis(text)
    return lemma, pos, past, f"{lemma} {token.lower_.replace('ё', 'е')}"


@Language.component("cjm_ru_lemmatizer")
def ru_lemmatizer(doc: Doc) -> Doc:
    """Set `lemma_` (lower case, ё -> е), `pos_`, the norm "lemma form" and the past tense of every
    token from the cached analyser (punctuation and spaces keep their text)."""
    memo = _TOKEN_MEMO["ru"]
    for token in doc:
        info = memo.get(token.text) or _remember(memo, token.text, russian_token(token))
        token.lemma_, token.pos_, past, token.norm_ = info
        if past:  # (False is the extension's default)
            token._.cjm_past = True
    return doc


def english_token(token: Token) -> tuple[str, str, bool, str]:
    """(lemma, pos, past, norm) of an English token after the lookup lemmatizer, from its text."""
    lower = token.lower_
    # "I'd gone" is a past perfect, not "would": keep the clitic itself as the lemma
    lemma = lower if lower in ("'d", "’d") else (token.lemma_ or token.text).lower()
    past = lower in ENGLISH_IRREGULAR_PAST or (len(lower) > 4 and lower.endswith("ed") and lemma != lower)
    return lemma, token.pos_, past, f"{lemma} {lower}"


@Language.component("cjm_lowercase_lemmas")
def lowercase_lemmas(doc: Doc) -> Doc:
    """English lookup lemmas keep the case of proper words; rules match lower case."""
    memo = _TOKEN_MEMO["en"]
    for token in doc:
        info = memo.get(token.text) or _remember(memo, token.text, english_token(token))
        token.lemma_, _, past, token.norm_ = info
        if past:
            token._.cjm_past = True
    return doc


# Speech-recognition output has no punctuation: one "sentence" would hold a whole answer, and a cue
# scoped to its sentence ("обычно", "if") would reach every word. Past this many tokens without a
# sentence end, a sentence ends before the next word that opens a new spoken clause.
LONG_SENTENCE = 25
SPOKEN_CLAUSE_OPENERS = {
    "ru": {"ну", "вот", "так", "и", "а", "но", "потом", "тогда", "короче", "значит", "кстати", "когда", "если"},
    "en": {"so", "and", "but", "then", "well", "because", "when", "if", "anyway", "now", "like"},
}


@Language.factory("cjm_spoken_sentences", default_config={"max_tokens": LONG_SENTENCE})
def make_spoken_sentences(nlp: Language, name: str, max_tokens: int):
    openers = SPOKEN_CLAUSE_OPENERS.get(nlp.lang, set())

    def split(doc: Doc) -> Doc:
        run = 0
        for token in doc:
            if token.is_sent_start:
                run = 0
            if run >= max_tokens and token.lower_ in openers and token.i + 1 < len(doc):
                token.is_sent_start = True
                run = 0
            run += 1
        return doc

    return split


@lru_cache(maxsize=None)
def pipeline(language: str) -> Language:
    """A blank spaCy pipeline with a sentencizer and lemmas, built once per language."""
    if language == "ru":
        nlp = spacy.blank("ru")
        nlp.add_pipe("sentencizer")
        nlp.add_pipe("cjm_spoken_sentences")
        nlp.add_pipe("cjm_ru_lemmatizer")
    elif language == "en":
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        nlp.add_pipe("cjm_spoken_sentences")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.add_pipe("cjm_lowercase_lemmas")
        nlp.initialize()
    else:
        raise ValueError(f"unsupported language {language!r}")
    return nlp
