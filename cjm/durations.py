"""Durations and dates in interview speech, Russian and English, for the cycle length.

"месяца через три" -> 90, "недели две" -> 14, "два с половиной месяца" -> 75, "about six weeks" -> 42,
"в январе начали, в конце марта оплатили" -> dates (1, 15) and (3, 25). Word lists live in the
codebook (`lexicons.durations`); this module only knows how numbers and units combine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


DAYS_IN_MONTH = 30


@dataclass(frozen=True)
class Duration:
    days: float
    start: int  # character offsets in the text
    end: int
    text: str


@dataclass(frozen=True)
class MonthMention:
    month: int  # 1..12 (0: a day of a month not said)
    day: int  # position in the month the words imply
    start: int
    end: int
    text: str


WORD = re.compile(r"\d+[.,]\d+|[\w-]+")  # a decimal first: "2.5 months" is not "2", "5 months"


def words_with_offsets(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0).lower(), m.start(), m.end()) for m in WORD.finditer(text)]


def normal(word: str, lang: str) -> str:
    if lang != "ru":
        return word.lower()
    from .nlp import russian_lemma  # here: cjm.nlp loads spaCy, which a cached journey's unpickling does without

    return russian_lemma(word)[0]


def number_value(word: str, lexicon: dict) -> float | None:
    if re.fullmatch(r"\d+(?:[.,]\d+)?", word):
        return float(word.replace(",", "."))
    return lexicon["numbers"].get(word)


def find_durations(text: str, lang: str, lexicon: dict) -> list[Duration]:
    """Every '<number> <unit>' or '<unit> через <number>' phrase, in days."""
    lex = lexicon[lang]
    units: dict[str, float] = lex["units"]
    words = words_with_offsets(text)
    lemmas = [normal(w, lang) for w, _, _ in words]
    found: list[Duration] = []
    used: set[int] = set()
    for i, lemma in enumerate(lemmas):
        if lemma in lex.get("whole", {}):  # "полгода", "полтора месяца" as one word
            days = lex["whole"][lemma]
            found.append(Duration(days, words[i][1], words[i][2], text[words[i][1]:words[i][2]]))
            used.add(i)
            continue
        if lemma not in units or i in used or is_rate(lemmas, i, lex):
            continue  # "sixty-five thousand a year", "в месяц": how much per period, not how long
        unit = units[lemma]
        value, first, last = None, i, i
        # number before the unit: "два с половиной месяца", "six weeks", "a couple of months"
        j = i - 1
        if j >= 0 and lemmas[j] in lex.get("fillers", ()):  # "a couple of", "about"
            j -= 1
        half = False
        if j >= 1 and lemmas[j] in lex.get("half", ()):
            article = 1 if j >= 2 and lemmas[j - 1] in ("a", "an") else 0  # "nine and a half months"
            if lemmas[j - 1 - article] in lex.get("and", ()):
                half, j = True, j - 2 - article
        if j >= 0 and (v := number_value(lemmas[j], lex)) is not None:
            value, first = v + (0.5 if half else 0), j
        # number after the unit: "месяца через три", "недели две", "месяца два с половиной"
        if value is None:
            k = i + 1
            if k < len(lemmas) and lemmas[k] in lex.get("after_unit", ()):
                k += 1
            if k < len(lemmas) and (v := number_value(lemmas[k], lex)) is not None:
                value, last = v, k
                if k + 2 < len(lemmas) and lemmas[k + 1] in lex.get("and", ()) and lemmas[k + 2] in lex.get("half", ()):
                    value, last = v + 0.5, k + 2
        # "месяц с половиной", "a month and a half"
        if k2 := _half_after(lemmas, i, lex):
            value, last = (value or 1) + 0.5, k2
        if value is None:
            if words[i][0] in lex.get("singular_forms", ()):  # "через месяц", "a month later"
                value = 1
            else:
                continue
        if set(lemmas[max(0, first - 3):first]) & set(lex.get("frequency_words", ())):
            continue  # "twice in one year", "дважды за месяц": how often, not how long
        start, end = words[first][1], words[last][2]
        used.update(range(first, last + 1))
        found.append(Duration(value * unit, start, end, text[start:end]))
    return compounds_joined(found, text, lex)


def compounds_joined(found: list[Duration], text: str, lex: dict) -> list[Duration]:
    """One duration told in two units, the larger first and joined by "and" ("месяц и три недели",
    "two months and a week"), is one span of their sum: read apart, the cycle was its first unit alone."""
    joiners = set(lex.get("and", ()))
    out: list[Duration] = []
    for d in sorted(found, key=lambda d: d.start):
        if out and out[-1].days > d.days and text[out[-1].end:d.start].strip().lower() in joiners:
            previous = out.pop()
            d = Duration(previous.days + d.days, previous.start, d.end, text[previous.start:d.end])
        out.append(d)
    return out


def is_rate(lemmas: list[str], i: int, lex: dict) -> bool:
    """'per month', 'a year' after an amount, 'в месяц': how much per period, not how long."""
    before = lemmas[i - 1] if i > 0 else ""
    if before in lex.get("rate_words", ()):
        return True
    if before in ("a", "an") and i > 1:
        return lemmas[i - 2] in lex.get("amount_words", ()) or re.fullmatch(r"\d[\d.,]*", lemmas[i - 2]) is not None
    return False


def _half_after(lemmas: list[str], i: int, lex: dict) -> int | None:
    seq = lemmas[i + 1:i + 4]
    if len(seq) >= 2 and seq[0] in lex.get("and", ()) and seq[1] in lex.get("half", ()):
        return i + 2
    if len(seq) >= 3 and seq[0] in lex.get("and", ()) and seq[1] == "a" and seq[2] in lex.get("half", ()):
        return i + 3
    return None


def find_months(text: str, lang: str, lexicon: dict, ordinals: bool = False) -> list[MonthMention]:
    """Month names with where in the month they point ('в конце марта' -> (3, 25)); with `ordinals`,
    also a day told as an ordinal ("the ninth of December", "May sixth")."""
    lex = lexicon[lang]
    months: dict[str, int] = lex["months"]
    parts: dict[str, int] = lex.get("month_parts", {})
    words = split_hyphenated_months(words_with_offsets(text), months) if ordinals else words_with_offsets(text)
    lemmas = [normal(w, lang) for w, _, _ in words]
    found: list[MonthMention] = []
    for i, lemma in enumerate(lemmas):
        if lemma not in months:
            continue
        after = ordinal_at(lemmas, i + 1, lex) if ordinals else None
        if lemma in lex.get("ambiguous_months", ()) and not (
                i > 0 and lemmas[i - 1] in lex.get("month_markers", ())
                or i + 1 < len(lemmas) and re.fullmatch(r"\d{1,2}", lemmas[i + 1]) or after):
            continue  # "we may", "Jan" the name ("May sixth" is a date)
        day, first = 15, i
        for j in range(max(0, i - 3), i):
            if lemmas[j] in parts:
                day, first = parts[lemmas[j]], j
            elif re.fullmatch(r"\d{1,2}", lemmas[j]) and j == i - 1 and 1 <= int(lemmas[j]) <= 31:
                day, first = int(lemmas[j]), j
        if ordinals:  # "двадцать восьмого мая", "the ninth of December", "March twentieth"
            before = ordinal_ending(lemmas, i - 1, lex) or (
                ordinal_ending(lemmas, i - 2, lex) if i >= 2 and lemmas[i - 1] == "of" else None)
            if before:
                day, first = before[0], before[1]
            elif after:
                day = after[0]
        if i + 1 < len(lemmas) and re.fullmatch(r"\d{1,2}", lemmas[i + 1]) and lang == "en" and 1 <= int(lemmas[i + 1]) <= 31:
            day = int(lemmas[i + 1])
        found.append(MonthMention(months[lemma], day, words[first][1], words[i][2], text[words[first][1]:words[i][2]]))
    return found


def split_hyphenated_months(words: list[tuple[str, int, int]], months: dict) -> list[tuple[str, int, int]]:
    """'mid-August' -> 'mid', 'august' (with their offsets), so the part of the month counts."""
    out = []
    for word, start, end in words:
        head, _, tail = word.rpartition("-")
        if head and tail in months:
            out += [(head, start, start + len(head)), (tail, end - len(tail), end)]
        else:
            out.append((word, start, end))
    return out


def ordinal_at(lemmas: list[str], i: int, lex: dict) -> tuple[int, int] | None:
    """The day an ordinal starting at word i names ("twenty", "third" -> 23), and its last word."""
    if i >= len(lemmas):
        return None
    ordinals, tens = lex.get("ordinals") or {}, lex.get("ordinal_tens") or {}
    parts = lemmas[i].split("-")
    if len(parts) == 2 and parts[0] in tens and parts[1] in ordinals:  # "twenty-third"
        return int(tens[parts[0]] + ordinals[parts[1]]), i
    if lemmas[i] in tens and i + 1 < len(lemmas) and lemmas[i + 1] in ordinals and ordinals[lemmas[i + 1]] < 10:
        return int(tens[lemmas[i]] + ordinals[lemmas[i + 1]]), i + 1
    if lemmas[i] in ordinals:
        return int(ordinals[lemmas[i]]), i
    return None


def ordinal_ending(lemmas: list[str], i: int, lex: dict) -> tuple[int, int] | None:
    """The day an ordinal ending at word i names, and its first word ("двадцать восьмого" -> (28, i - 1))."""
    if i < 0:
        return None
    for first in (i - 1, i):
        if first >= 0 and (found := ordinal_at(lemmas, first, lex)) and found[1] == i:
            return found[0], first
    return None


def find_dates(text: str, lang: str, lexicon: dict) -> list[MonthMention]:
    """Points in time: months with their day ("May sixth", "девятого февраля"), and in Russian a day
    alone where nothing follows it but "числа" or the end of the sentence ("Оплатили девятого.")."""
    found = find_months(text, lang, lexicon, ordinals=True)
    lex = lexicon[lang]
    words = words_with_offsets(text)
    lemmas = [normal(w, lang) for w, _, _ in words]
    taken = {(m.start, m.end) for m in found}
    for i in range(len(lemmas)):
        day = ordinal_at(lemmas, i, lex)
        if not day or lang != "ru" or not words[day[1]][0].endswith(("ого", "его")):
            continue
        nxt = day[1] + 1
        if nxt < len(lemmas) and lemmas[nxt] not in lex.get("day_words", ()):
            continue  # "третьего этапа": an ordinal of something else
        start, end = words[i][1], words[day[1]][2]
        if not any(s <= start < e for s, e in taken):
            found.append(MonthMention(0, day[0], start, end, text[start:end]))  # month 0: not said
    return sorted(found, key=lambda m: m.start)


def days_between(a: MonthMention, b: MonthMention) -> int:
    """Days from a to b, with 30-day months, across a new year when b's month comes earlier."""
    months = b.month - a.month
    if months < 0 or (months == 0 and b.day < a.day):
        months += 12
    return months * DAYS_IN_MONTH + (b.day - a.day)
