"""spaCy pipelines for Russian and English, built offline from blank languages.

Russian lemmas and parts of speech come from pymorphy3 through a text-keyed cache: spaCy's own
`pymorphy3` lemmatizer mode keeps the word form whenever pymorphy3 offers several normal forms
("часов" stays "часов") and runs at about 1/20 of the tokenizer's speed on a blank pipeline.
English lemmas come from spaCy's lookup tables (spacy-lookups-data). Nothing is downloaded.
"""

from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

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
def russian_lemma(word: str) -> tuple[str, str]:
    """(lemma, UPOS) of a Russian word form: pymorphy3's most probable parse, cached."""
    lower = word.lower()
    if not any("а" <= ch <= "я" or ch == "ё" for ch in lower):
        return lower, "X"
    parse = morph_analyzer().parse(lower)[0]
    return parse.normal_form.replace("ё", "е"), OPENCORPORA_TO_UPOS.get(str(parse.tag.POS), "X")


@Language.component("cjm_ru_lemmatizer")
def ru_lemmatizer(doc: Doc) -> Doc:
    """Set `lemma_` (lower case, ё -> е) and `pos_` for every token from the cached analyser."""
    for token in doc:
        if token.is_punct or token.is_space:
            token.lemma_ = token.text
            token.pos_ = "PUNCT" if token.is_punct else "SPACE"
            continue
        token.lemma_, token.pos_ = russian_lemma(token.text)
    return doc


@Language.component("cjm_lowercase_lemmas")
def lowercase_lemmas(doc: Doc) -> Doc:
    """English lookup lemmas keep the case of proper words; rules match lower case."""
    for token in doc:
        # "I'd gone" is a past perfect, not "would": keep the clitic itself as the lemma
        token.lemma_ = token.lower_ if token.lower_ in ("'d", "’d") else (token.lemma_ or token.text).lower()
    return doc


@lru_cache(maxsize=None)
def pipeline(language: str) -> Language:
    """A blank spaCy pipeline with a sentencizer and lemmas, built once per language."""
    if language == "ru":
        nlp = spacy.blank("ru")
        nlp.add_pipe("sentencizer")
        nlp.add_pipe("cjm_ru_lemmatizer")
    elif language == "en":
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.add_pipe("cjm_lowercase_lemmas")
        nlp.initialize()
    else:
        raise ValueError(f"unsupported language {language!r}")
    return nlp
