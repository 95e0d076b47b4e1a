"""spaCy pipelines for Russian and English, built offline from blank languages.

Russian lemmas and parts of speech come from pymorphy3 through a text-keyed cache: spaCy's own
`pymorphy3` lemmatizer mode keeps the word form whenever pymorphy3 offers several normal forms
("часов" stays "часов"; measured on 38 ambiguous forms: right on 5, ours on 35) and runs at 1/50
to 1/85 of the tokenizer's speed on a blank pipeline; our cached lemmatizer is 3-4x faster cold
and 16-21x warm (benchmarks/bench.py).
English lemmas come from spaCy's lookup tables (spacy-lookups-data). Nothing is downloaded.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Token

# Rules match a pattern word against a token's lemma or its form: both are kept in the token's
# NORM as "lemma form" (see rules.compile_token). NORM is a native attribute, so the Matcher reads it
# at C speed; a custom `_` attribute was 6x slower over the whole pipeline. Blank pipelines have
# no vectors or models that read NORM.
# A verb in the past tense (the narrative of what happened, as opposed to greetings and advice) is
# kept in the doc's `WordSummary.past_at`.
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
def russian_analysis(word: str) -> tuple[str, str, bool, bool]:
    """(lemma, UPOS, is a past-tense verb, is a person's name) of a Russian word form: pymorphy3's
    best parse, cached. (pymorphy3 parses the lower-case form whatever the case: "Ирина" and
    "ирина" get the same tags, checked on the 17,123 forms of the corpus.)"""
    lower = word.lower()
    if not any("а" <= ch <= "я" or ch == "ё" for ch in lower):
        return lower, "X", False, False
    parse = morph_analyzer().parse(lower)[0]
    return (parse.normal_form.replace("ё", "е"), OPENCORPORA_TO_UPOS.get(str(parse.tag.POS), "X"),
            parse.tag.tense == "past", any(tag in parse.tag for tag in NAME_TAGS))


NAME_TAGS = ("Name", "Patr", "Surn")  # pymorphy3's first name, patronymic, surname


def russian_lemma(word: str) -> tuple[str, str]:
    """(lemma, UPOS) of a Russian word form."""
    return russian_analysis(word)[:2]


# What the lemmatizers give a token depends on its text alone (pymorphy3's best parse, the lookup
# table, lexeme flags), so it is worked out once per distinct text and kept: speech repeats its
# words, and setting attributes from a tuple is half the cost of recomputing them per token.
# The same pass gathers what later stages read of every token (content words, names, the past
# tense, the story cues' keys) into one `WordSummary` per doc: nothing iterates the tokens again.
TOKEN_MEMO_SIZE = 200_000
SUMMARY_KEY = "cjm_words"


class TokenInfo(NamedTuple):
    """Everything cjm reads of a token that its text (and lexeme) decides."""

    lemma: str  # lower case (Russian ё -> е); punctuation keeps its text
    pos: str
    past: bool  # a verb in the past tense
    norm: str  # "lemma form": what the rules match (see rules.compile_token)
    lower: str
    content: bool  # carries meaning: alphabetic, no stop word, longer than two letters
    name: bool  # a person's name (`is_name`)
    keys: tuple[str, ...]  # the word's form and lemma as the story cues look them up (story_features)
    match_key: tuple[str, str, str]  # (lemma, lower, norm): what the pattern matcher reads (matching.token_keys)


@dataclass(frozen=True)
class WordSummary:
    """What the stages after the parse read of one doc, gathered while it is parsed."""

    content: tuple[str, ...]  # lemmas of the words that carry meaning, in order, once each
    past_at: tuple[int, ...]  # indices of the past-tense verbs
    names: frozenset[str]  # lemmas of the words that are persons' names
    name_at: tuple[int, ...]  # indices of those words
    words: frozenset[str]  # every token's lower-case form and lemma
    keys: tuple[tuple[str, ...], ...]  # per token: its story-cue keys (`TokenInfo.keys`)
    match_keys: tuple[tuple[str, str, str], ...]  # per token: `TokenInfo.match_key`

    @property
    def past(self) -> bool:
        return bool(self.past_at)


_TOKEN_MEMO: dict[str, dict[str, TokenInfo]] = {"ru": {}, "en": {}}


def _remember(memo: dict, text: str, info: TokenInfo) -> TokenInfo:
    if len(memo) >= TOKEN_MEMO_SIZE:
        memo.clear()  # a long run stays bounded
    memo[text] = info
    return info


def norm_word(word: str) -> str:
    return word.lower().replace("ё", "е")


def token_info(token: Token, lemma: str, pos: str, past: bool, norm: str, lang: str) -> TokenInfo:
    """The lemmatizer's answer for a token with the lexeme facts read beside it."""
    text, lower = token.text, token.lower_
    keys: tuple[str, ...] = ()
    if token.is_alpha or "-" in text:
        form, base = norm_word(text), norm_word(lemma or text)
        keys = (form,) if base == form else (form, base)
    return TokenInfo(lemma, pos, past, norm, lower, token.is_alpha and not token.is_stop and len(text) > 2,
                     is_name(token, lang), keys, (lemma, lower, norm))


def russian_token(token: Token) -> TokenInfo:
    """What a Russian token is, from its text."""
    text = token.text
    if token.is_punct or token.is_space:
        return token_info(token, text, "PUNCT" if token.is_punct else "SPACE", False, text, "ru")
    lemma, pos, past, _ = russian_analysis(text)
    return token_info(token, lemma, pos, past, f"{lemma} {token.lower_.replace('ё', 'е')}", "ru")


def english_token(token: Token) -> TokenInfo:
    """What an English token is after the lookup lemmatizer, from its text."""
    lower = token.lower_
    # "I'd gone" is a past perfect, not "would": keep the clitic itself as the lemma
    lemma = lower if lower in ("'d", "’d") else (token.lemma_ or token.text).lower()
    past = lower in ENGLISH_IRREGULAR_PAST or (len(lower) > 4 and lower.endswith("ed") and lemma != lower)
    return token_info(token, lemma, token.pos_, past, f"{lemma} {lower}", "en")


TOKEN_ANALYSERS = {"ru": russian_token, "en": english_token}


def summarise(infos: list[TokenInfo]) -> WordSummary:
    content: dict[str, None] = {}
    names, words = set(), set()
    for info in infos:
        words.add(info.lower)
        words.add(info.lemma)
        if info.content:
            content.setdefault(info.lemma, None)
        if info.name:
            names.add(info.lemma)
    return WordSummary(tuple(content), tuple(i for i, info in enumerate(infos) if info.past), frozenset(names),
                       tuple(i for i, info in enumerate(infos) if info.name), frozenset(words),
                       tuple(info.keys for info in infos), tuple(info.match_key for info in infos))


def analyse_tokens(doc: Doc, lang: str, set_pos: bool) -> Doc:
    """Set every token's `lemma_`, `norm_` (and `pos_`) from the memo and keep the doc's summary."""
    memo, analyse = _TOKEN_MEMO[lang], TOKEN_ANALYSERS[lang]
    infos = []
    for token in doc:
        info = memo.get(token.text) or _remember(memo, token.text, analyse(token))
        token.lemma_, token.norm_ = info.lemma, info.norm
        if set_pos:
            token.pos_ = info.pos
        infos.append(info)
    doc.user_data[SUMMARY_KEY] = summarise(infos)
    return doc


def word_summary(doc: Doc) -> WordSummary:
    """The summary the pipeline kept with the doc (made now, without the memo, for a doc that did
    not come through `pipeline`: a test's hand-made doc; not kept on it, since its tokens' own
    lemmas and norms are not what the summary would say and the matcher reads them there)."""
    found = doc.user_data.get(SUMMARY_KEY)
    if found is None:
        analyse = TOKEN_ANALYSERS.get(doc.lang_, english_token)
        return summarise([analyse(token) for token in doc])
    return found


@lru_cache(maxsize=4096)
def word_count(text: str) -> int:
    """The words of a text split at white space (remembered: an utterance's stage row reads it
    twice, and a question's length once for every turn of its answer)."""
    return len(text.split())


def past_between(doc: Doc, start: int, end: int) -> bool:
    """A past-tense verb among the doc's tokens start..end-1."""
    past_at = word_summary(doc).past_at
    at = bisect_left(past_at, start)
    return at < len(past_at) and past_at[at] < end


@Language.component("cjm_ru_lemmatizer")
def ru_lemmatizer(doc: Doc) -> Doc:
    """Set `lemma_` (lower case, ё -> е), `pos_`, the norm "lemma form" of every token from the
    cached analyser (punctuation and spaces keep their text), and keep the doc's summary."""
    return analyse_tokens(doc, "ru", set_pos=True)


@Language.component("cjm_lowercase_lemmas")
def lowercase_lemmas(doc: Doc) -> Doc:
    """English lookup lemmas keep the case of proper words; rules match lower case."""
    return analyse_tokens(doc, "en", set_pos=False)


NAME_MEMO_SIZE = 200_000
_NAMES: dict[tuple[str, str], bool] = {}


def is_name(token: Token, lang: str) -> bool:
    """A capitalised word that is a person's name: pymorphy3's Name/Patr/Surn tags for Russian,
    a title-case word that is no stopword (not "CEO", not "The") for English. Everything it reads
    is the token's text or its lexeme's flags, so the answer is remembered per text."""
    key = (token.text, lang)
    found = _NAMES.get(key)
    if found is None:
        if len(_NAMES) >= NAME_MEMO_SIZE:
            _NAMES.clear()
        found = _NAMES[key] = _is_name(token, lang)
    return found


def _is_name(token: Token, lang: str) -> bool:
    if not token.is_alpha or len(token.text) < 2:
        return False
    if lang == "ru":
        return token.text[:1].isupper() and is_russian_name(token.text)
    return token.text.istitle() and not token.is_stop and token.lower_ not in ENGLISH_CAPITALISED


def has_capitals(text: str) -> bool:
    """Some upper-case letter in the text (speech recognition writes none)."""
    return any(map(str.isupper, text))


def is_russian_name(word: str) -> bool:
    """pymorphy3's best parse of the word is a first name, patronymic or surname."""
    return russian_analysis(word)[3]


ENGLISH_CAPITALISED = {"i", "i'm", "i've", "i'd", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                       "sunday", "january", "february", "march", "april", "may", "june", "july", "august",
                       "september", "october", "november", "december", "google", "linkedin", "excel", "covid"}


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
