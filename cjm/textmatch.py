"""Codebook phrases matched on plain text, for the journey stage (which never parses again).

The journey fields read a few word lists of `lexicons` (a purchase told as done, what a stated
duration measures) on sentences the tag stage already split. Running spaCy again on every
sentence would cost a third of the tagging time, so these phrases are matched on words and their
cached lemmas (pymorphy3 for Russian, spaCy's lookup table for English), with the codebook's
phrase syntax (see cjm/rules.py): `word`, `stem*`, `=form`, `a|b`, `?optional`, `...` (up to
three words of anything).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from .errors import CodebookError

WORD = re.compile(r"\d+[.,]\d+|\w+(?:[-'\u2019]\w+)*")
GAP = "..."
GAP_WORDS = 3


class Word(NamedTuple):
    """One word of a text (a named tuple: a text's words are made by the thousand, read often)."""

    form: str  # lower case, ё -> е
    lemma: str
    start: int
    end: int


@lru_cache(maxsize=50_000)
def english_lemma(word: str) -> str:
    """spaCy's lookup lemma of an English word (the one the tag stage gives it)."""
    from .rules import lemma_of

    return lemma_of(word, "en")


@lru_cache(maxsize=100_000)
def lemma(word: str, lang: str) -> str:
    if lang != "ru":
        return english_lemma(word)
    from .nlp import russian_lemma  # here: cjm.nlp loads spaCy, which a cached journey's unpickling does without

    return russian_lemma(word)[0].replace("ё", "е")


@lru_cache(maxsize=20_000)
def words(text: str, lang: str) -> list[Word]:
    """The words of a text with their lemmas and character offsets (cached: a sentence is read
    by several word lists)."""
    out = []
    for m in WORD.finditer(text):
        form = m.group(0).lower().replace("ё", "е").replace("\u2019", "'")
        out.append(Word(form, lemma(form, lang) if not form[0].isdigit() else form, m.start(), m.end()))
    return out


@dataclass(frozen=True)
class Slot:
    """One pattern token: the lemmas (or forms) it takes, the exact forms, the stems; none: a gap."""

    lemmas: frozenset[str] = frozenset()
    forms: frozenset[str] = frozenset()
    stems: tuple[str, ...] = ()
    optional: bool = False

    @property
    def is_gap(self) -> bool:
        return not (self.lemmas or self.forms or self.stems)

    def fits(self, word: Word) -> bool:
        if word.lemma in self.lemmas or word.form in self.lemmas or word.form in self.forms:
            return True
        return any(word.form.startswith(s) or word.lemma.startswith(s) for s in self.stems)


def compile_slot(item: str, lang: str) -> Slot:
    optional = item.startswith("?") and len(item) > 1
    item = item[1:] if optional else item
    lemmas, forms, stems = set(), set(), []
    for alt in item.lower().replace("ё", "е").split("|"):
        if not alt or alt in ("=", "*"):
            raise ValueError(f"empty alternative in {item!r}")
        if alt.endswith("*"):
            stems.append(alt[:-1])
        elif alt.startswith("="):
            forms.add(alt[1:])
        elif lang == "ru" or english_lemma(alt) == alt:
            lemmas.add(lemma(alt, lang))  # any form of it
        else:
            forms.add(alt)  # "signed": that form only, as in the rules
    return Slot(frozenset(lemmas), frozenset(forms), tuple(stems), optional)


def compile_phrase(phrase: str, lang: str) -> tuple[Slot, ...]:
    """One codebook phrase -> its slots; a phrase with no required word is an error."""
    slots = []
    for item in phrase.split():
        item = item.strip(",.;:!") if item != GAP else item
        if not item:
            continue
        slots.append(Slot() if item == GAP else compile_slot(item, lang))
    if not any(not s.is_gap and not s.optional for s in slots):
        raise ValueError(f"phrase {phrase!r} has no required word")
    return tuple(slots)


def match_at(slots: tuple[Slot, ...], ws: list[Word], i: int) -> int | None:
    """The end (exclusive word index) of a match of `slots` starting at word `i`, or None."""
    if not slots:
        return i
    slot, rest = slots[0], slots[1:]
    if slot.is_gap:  # a gap: zero to three words of anything
        for skip in range(GAP_WORDS + 1):
            if i + skip > len(ws):
                break
            if (end := match_at(rest, ws, i + skip)) is not None:
                return end
        return None
    if i < len(ws) and slot.fits(ws[i]) and (end := match_at(rest, ws, i + 1)) is not None:
        return end
    return match_at(rest, ws, i) if slot.optional else None


class Hit(NamedTuple):
    phrase: int  # index of the phrase in its section
    start: int  # character offsets
    end: int


class PhraseList:
    """The phrases of one lexicon section for one language, compiled once."""

    def __init__(self, phrases: list[str], lang: str, where: str = "lexicons") -> None:
        self.lang = lang
        self.phrases: list[tuple[Slot, ...]] = []
        errors = []
        for phrase in phrases:
            try:
                self.phrases.append(compile_phrase(str(phrase), lang))
            except ValueError as exc:
                errors.append(f"{where}: {exc}")
        if errors:
            raise CodebookError("; ".join(errors), hint="fix these phrases")

        # An index of the phrases by the words that can open them: a sentence is tried only
        # against the phrases one of its words opens.
        self.by_word: dict[str, set[int]] = {}
        self.by_stem: list[tuple[str, int]] = []
        self.anywhere: set[int] = set()  # phrases opening with a gap or an optional word
        self._openers: dict[tuple[str, str], frozenset[int]] = {}
        for index, slots in enumerate(self.phrases):
            head = slots[0]
            if head.is_gap or head.optional:
                self.anywhere.add(index)
                continue
            for w in head.lemmas | head.forms:
                self.by_word.setdefault(w, set()).add(index)
            self.by_stem += [(stem, index) for stem in head.stems]

    def __bool__(self) -> bool:
        return bool(self.phrases)

    def openers(self, word: Word) -> frozenset[int]:
        """The phrases this word can open (remembered per word form: speech repeats its words)."""
        key = (word.form, word.lemma)
        if key not in self._openers:
            found = self.by_word.get(word.lemma, set()) | self.by_word.get(word.form, set()) | self.anywhere
            self._openers[key] = frozenset(found | {i for stem, i in self.by_stem
                                                    if word.form.startswith(stem) or word.lemma.startswith(stem)})
        return self._openers[key]

    def find_in(self, ws: list[Word]) -> list[Hit]:
        hits: dict[int, Hit] = {}
        for i, word in enumerate(ws):
            opened = self.openers(word)
            if not opened:
                continue
            for index in sorted(opened - hits.keys()):
                end = match_at(self.phrases[index], ws, i)
                if end is not None and end > i:
                    hits[index] = Hit(index, ws[i].start, ws[end - 1].end)
        return [hits[i] for i in sorted(hits)]

    def find(self, text: str) -> list[Hit]:
        """Every phrase that occurs in the text (its first occurrence)."""
        return self.find_in(words(text, self.lang)) if self.phrases else []


_LISTS: dict[tuple[int, str, str], tuple[object, PhraseList]] = {}


def phrase_list(lexicons: dict, section: str, lang: str) -> PhraseList:
    """`lexicons[section][lang]` compiled, once per codebook (keyed by the lexicons' identity)."""
    key = (id(lexicons), section, lang)
    if key not in _LISTS or _LISTS[key][0] is not lexicons:
        phrases = ((lexicons.get(section) or {}).get(lang)) or []
        _LISTS[key] = (lexicons, PhraseList(list(phrases), lang, f"lexicons.{section} ({lang})"))
    return _LISTS[key][1]
