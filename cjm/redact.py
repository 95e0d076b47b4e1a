"""Privacy: person names, phone numbers and e-mail addresses out of transcripts, before anything
is tagged or written, so that a report can be shared beyond the consultant.

Placeholders are stable over a run: one person is "Person 3" / "Персона 3" in every interview,
label and field where they occur, whatever the inflection ("Игоря Петровича" is the same person as
the speaker "Игорь Петрович"). Names are collected first from every speaker label and front-matter
person field, then from the text (natasha's NER for Russian, rules for English), and only then
replaced, so a name found in one interview is removed from all of them. The source path stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable

import yaml

from .model import Transcript

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")
PHONE = re.compile(r"(?<![\w+])\+?[\d(][\d\s().\-]{5,}\d(?!\w)")
THOUSANDS = re.compile(r"^\d{1,3}(?: \d{3})+$")  # '15 000 000' is money, not a phone
LOCAL_PHONE = re.compile(r"^\d{3}-\d{2}-\d{2}$|^\d{3}-\d{4}$")
WORD = re.compile(r"[^\W\d_][\w'’-]*")
CAPITALISED = re.compile(r"^[A-ZА-ЯЁ]")
PAREN = re.compile(r"\s*[(\[].*?[)\]]")
INITIALS = re.compile(r"(?:\b[A-ZА-ЯЁ]\.\s*){1,2}$")  # 'И. П. ' before a surname
TRAILING_INITIALS = re.compile(r"\s(?:[A-ZА-ЯЁ]\.\s?){0,1}[A-ZА-ЯЁ]\.")  # ' О. В.' after one
NAME_TAGS = ("Name", "Surn", "Patr")
CASE_ENDINGS = ("ыми", "ому", "ого", "ой", "ым", "ом", "ую", "ей", "у", "а", "е", "ы", "ю")
CYRILLIC = re.compile(r"[а-яёА-ЯЁ]")
SENTENCE_CAPITAL = re.compile(r"\S\s+[«\"“(]?[А-ЯЁ][а-яё]")  # a capitalised word after the first


@dataclass(frozen=True)
class NameData:
    """names.yaml, loaded once."""

    person: dict[str, str]
    phone: str
    email: str
    person_fields: frozenset[str]
    titles: frozenset[str]  # lower-case, for lookups
    title_words: tuple[str, ...]  # as written, for the 'Dr Name' rule
    not_names: frozenset[str]
    first_names: frozenset[str]
    not_surnames: frozenset[str]


@lru_cache(maxsize=1)
def name_data() -> NameData:
    text = resources.files("cjm").joinpath("data/names.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    marks = raw["placeholders"]
    return NameData(
        person=dict(marks["person"]), phone=marks["phone"], email=marks["email"],
        person_fields=frozenset(str(k).lower() for k in raw["person_fields"]),
        titles=frozenset(str(t).lower() for t in raw["titles"]),
        title_words=tuple(str(t) for t in raw["titles"]),
        not_names=frozenset(str(w).lower() for w in raw["not_names"]),
        first_names=frozenset(str(n) for n in raw["first_names_en"]),
        not_surnames=frozenset(str(w).lower() for w in raw["not_surnames_en"]),
    )


def morph() -> Any:
    """The tagger's analyser: one pymorphy3 dictionary per process, not two."""
    from .nlp import morph_analyzer

    return morph_analyzer()


@lru_cache(maxsize=1)
def ner() -> Any:
    """natasha's NER tagger: loaded once per run (2 s), only when Russian text needs it."""
    from natasha import NewsEmbedding, NewsNERTagger

    return NewsNERTagger(NewsEmbedding())


@lru_cache(maxsize=65536)
def forms(token: str) -> frozenset[str]:
    """Every form a token can be looked up by: itself, and for Russian its normal forms."""
    word = token.lower().replace("ё", "е").rstrip("'’")
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    found = {word}
    if CYRILLIC.search(word):
        found.update(p.normal_form.replace("ё", "е") for p in morph().parse(word))
        if len(word) >= 5:
            # Surnames pymorphy3 reads as common words ('Рыбину' as 'рыбина'): the case ending off.
            found.update(word[:-len(e)] for e in CASE_ENDINGS if word.endswith(e))
    return frozenset(found)


@lru_cache(maxsize=65536)
def name_forms(token: str) -> frozenset[str]:
    """The forms under which a name token is registered: itself and its name readings' lemmas."""
    word = token.lower().replace("ё", "е")
    found = {word}
    if CYRILLIC.search(word):
        for parse in morph().parse(word):
            if any(tag in parse.tag for tag in NAME_TAGS) or not parse.is_known:
                found.add(parse.normal_form.replace("ё", "е"))
    return frozenset(found)


@dataclass
class Registry:
    """People of the run, numbered in order of first sight, found by the forms of their names.

    A name joins a known person when it shares two words with them ('Игорь Петрович Сидоров' and
    'Игорь Петрович'), or when either has a single word ('Mark' and 'Mark Davies'); 'Ольга
    Дмитриевна' and 'Ольга Кузнецова' stay two people, who may well be different.
    """

    by_form: dict[str, list[int]] = field(default_factory=dict)
    words: dict[int, int] = field(default_factory=dict)  # person -> how many name words are known

    def register(self, tokens: Iterable[str]) -> int | None:
        names = list(dict.fromkeys(t for t in tokens if len(t) > 1
                                   and t.lower().strip(".") not in name_data().titles))
        if not names:
            return None
        shared: dict[int, int] = {}
        for token in names:
            for person in {p for f in name_forms(token) for p in self.by_form.get(f, ())}:
                shared[person] = shared.get(person, 0) + 1
        number = next((p for p in sorted(shared)
                       if shared[p] >= 2 or len(names) == 1 or self.words[p] == 1), None)
        if number is None:
            number = len(self.words) + 1
            self.words[number] = 0
        for token in names:
            forms_ = name_forms(token)
            if not any(number in self.by_form.get(f, ()) for f in forms_):
                self.words[number] += 1
            for form in forms_:
                people = self.by_form.setdefault(form, [])
                if number not in people:
                    people.append(number)
        return number

    def people(self, token: str) -> list[int]:
        """Who a capitalised word in the text may name, first-seen first; [] for other words."""
        if not CAPITALISED.match(token):
            return []
        return sorted({p for f in forms(token) for p in self.by_form.get(f, ())})


def redact_transcripts(transcripts: list[Transcript]) -> list[Transcript]:
    """Copies of the transcripts with names, phones and e-mails replaced by stable placeholders."""
    redactor = Redactor()
    for transcript in transcripts:
        redactor.collect_labels(transcript)
    redactor.collect_text(transcripts)
    return [redactor.apply(t) for t in transcripts]


class Redactor:
    """Collects the people of a run, then rewrites each transcript with their placeholders."""

    def __init__(self) -> None:
        self.registry = Registry()
        self.data = name_data()

    # --- collecting -----------------------------------------------------------------------

    def collect_labels(self, transcript: Transcript) -> None:
        """Speaker labels and front-matter person fields name people for sure."""
        for speaker in dict.fromkeys(u.speaker for u in transcript.utterances):
            self.collect_label(speaker)
        if transcript.interviewer:
            self.collect_label(transcript.interviewer)
        for key, value in transcript.metadata.items():
            if str(key).lower() in self.data.person_fields:
                for name in person_values(value):
                    self.collect_label(name)

    def collect_label(self, label: str) -> None:
        bare = PAREN.sub("", label).strip()
        if self.is_person_label(bare):
            self.registry.register(WORD.findall(bare))

    def is_person_label(self, bare: str) -> bool:
        """'Игорь Петрович' or 'Mark Davies' yes; 'Интервьюер', 'Speaker 1', 'Head of Sales' no."""
        words = WORD.findall(bare)
        if not words or re.search(r"\d", bare):
            return False
        words = [w for w in words if w.lower().strip(".") not in self.data.titles] or words
        if all(w.lower() in self.data.not_names for w in words):
            return False
        if not all(CAPITALISED.match(w) for w in words):
            return False
        cyrillic = [w for w in words if CYRILLIC.search(w)]
        if cyrillic:
            # A Russian label is a name when a word reads as one, or is not a dictionary word.
            return any(is_russian_name(w) for w in cyrillic)
        return True

    def collect_text(self, transcripts: list[Transcript]) -> None:
        """Names mentioned in the utterances: rules for English, then one batched NER pass over
        the Russian sentences of the whole run."""
        sentences: list[str] = []
        for transcript in transcripts:
            for utterance in transcript.utterances:
                for tokens in self.english_names(utterance.text):
                    self.registry.register(tokens)
                sentences.extend(ner_sentences(utterance.text))
        for tokens in russian_persons(sentences):
            self.registry.register(tokens)

    def english_names(self, text: str) -> list[list[str]]:
        """'Dr Melissa Ko', 'Mr. Alvarez', and listed first names with the surname after them."""
        found: list[list[str]] = []
        titles = "|".join(re.escape(t) for t in sorted(self.data.title_words, key=len, reverse=True))
        for match in re.finditer(rf"\b(?:{titles})\.?\s+([A-Z][\w'-]+)(?=(\s+[A-Z][\w'-]+)?)", text):
            found.append(self.with_surname(match.group(1), match.group(2)))
        for match in re.finditer(r"\b([A-Z][a-z]+)\b(?=(\s+[A-Z][a-z'-]+)?)", text):
            if match.group(1) in self.data.first_names:
                found.append(self.with_surname(match.group(1), match.group(2)))
        return found

    def with_surname(self, name: str, following: str | None) -> list[str]:
        """'Linda' + ' Park' -> both; 'Anna' + ' The' -> just Anna ('The' would then go everywhere)."""
        surname = (following or "").strip()
        if len(surname) < 2 or surname.lower() in self.data.not_surnames or surname.lower() in self.data.not_names:
            return [name]
        return [name, surname]

    # --- applying ---------------------------------------------------------------------------

    def apply(self, transcript: Transcript) -> Transcript:
        lang = transcript.language if transcript.language in self.data.person else "en"
        labels: dict[str, str] = {}

        def label(speaker: str) -> str:
            if speaker not in labels:
                labels[speaker] = self.label(speaker, lang)
            return labels[speaker]

        utterances = [replace(u, speaker=label(u.speaker), text=self.text(u.text, lang))
                      for u in transcript.utterances]
        return replace(
            transcript, utterances=utterances,
            interviewer=label(transcript.interviewer) if transcript.interviewer else transcript.interviewer,
            metadata={self.text(str(k), lang) if isinstance(k, str) else k: self.value(k, v, lang)
                      for k, v in transcript.metadata.items()},
            notes=[self.text(note, lang) for note in transcript.notes],
        )

    def label(self, speaker: str, lang: str) -> str:
        """'Игорь Петрович (директор)' -> 'Персона 1 (директор)'; role labels stay."""
        if not speaker:
            return speaker
        paren = re.search(r"\s*[(\[].*$", speaker)
        bare, rest = (speaker[:paren.start()], paren.group(0)) if paren else (speaker, "")
        if self.is_person_label(bare.strip()):
            number = self.registry.register(WORD.findall(bare))
            if number is not None:
                bare = self.person_mark(number, lang)
        return self.text(bare, lang) + self.text(rest, lang)

    def value(self, key: Any, value: Any, lang: str, person: bool = False) -> Any:
        """Front-matter values: person fields become placeholders, other text is scrubbed."""
        person = person or str(key).lower() in self.data.person_fields
        if isinstance(value, str):
            if person:
                return ", ".join(self.label(name, lang) for name in person_values(value))
            return self.text(value, lang)
        if isinstance(value, list):
            return [self.value(key, item, lang, person) for item in value]
        if isinstance(value, dict):
            return {self.text(str(k), lang) if isinstance(k, str) else k: self.value(k, v, lang, person)
                    for k, v in value.items()}
        return value

    def text(self, text: str, lang: str) -> str:
        """E-mails, phones, then every capitalised word that is a known person's name."""
        if not text:
            return text
        text = EMAIL.sub(self.data.email, text)
        text = PHONE.sub(lambda m: self.data.phone if is_phone(m.group(0)) else m.group(0), text)
        return self.replace_names(text, lang)

    def replace_names(self, text: str, lang: str) -> str:
        """Adjacent name words of one person become one placeholder ('Игоря Петровича' -> one)."""
        spans: list[tuple[int, int, list[int]]] = []  # (start, end, people it may be)
        for match in WORD.finditer(text):
            people = self.registry.people(match.group(0))
            if not people:
                continue
            start = match.start()
            end = match.end() - 2 if match.group(0).endswith(("'s", "’s")) else match.end()  # Tom's
            if spans and not text[spans[-1][1]:start].strip():
                common = [p for p in spans[-1][2] if p in people]
                if common:
                    spans[-1] = (spans[-1][0], end, common)
                    continue
            initials = INITIALS.search(text[spans[-1][1] if spans else 0:start])
            spans.append((start - len(initials.group(0)) if initials else start, end, people))
        pieces: list[str] = []
        last = 0
        for start, end, people in spans:
            pieces.append(text[last:max(start, last)] + self.person_mark(people[0], lang))
            trailing = TRAILING_INITIALS.match(text, end)
            last = trailing.end() if trailing else end
        pieces.append(text[last:])
        return "".join(pieces)

    def person_mark(self, number: int, lang: str) -> str:
        return self.data.person.get(lang, self.data.person["en"]).format(n=number)


def person_values(value: Any) -> list[str]:
    """'Анна, Игорь Петрович' / ['Анна', 'Игорь'] -> the names one by one."""
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[,;]| и | and ", value) if part.strip()]
    if isinstance(value, list):
        return [name for item in value for name in person_values(item)]
    if isinstance(value, dict):
        return [name for item in value.values() for name in person_values(item)]
    return []


@lru_cache(maxsize=65536)
def is_russian_name(word: str) -> bool:
    """A first name, surname or patronymic to pymorphy3, or a word its dictionary does not know."""
    parses = morph().parse(word)
    return any(any(tag in p.tag for tag in NAME_TAGS) for p in parses) or not any(p.is_known for p in parses)


def ner_sentences(text: str) -> list[str]:
    """The sentences worth the NER: a capitalised Cyrillic word past the first word. A sentence
    without one names nobody the NER could find; skipping it keeps redaction fast."""
    if not CYRILLIC.search(text):
        return []
    from razdel import sentenize

    return [s.text for s in sentenize(text) if SENTENCE_CAPITAL.search(s.text)]


def russian_persons(sentences: Iterable[str]) -> list[list[str]]:
    """PER spans of natasha's NER over the sentences, tagged in batches."""
    unique = list(dict.fromkeys(sentences))
    if not unique:
        return []
    found: list[list[str]] = []
    for markup in ner().map(unique):
        for span in markup.spans:
            if span.type == "PER":
                # The NER also calls firms 'PER' ("Стройресурс"); keep words that read as names.
                words = [w for w in WORD.findall(markup.text[span.start:span.stop])
                         if not CYRILLIC.search(w) or is_russian_name(w)]
                if words:
                    found.append(words)
    return found


def is_phone(candidate: str) -> bool:
    """A phone number, not a sum of money, a year range or a date."""
    digits = sum(ch.isdigit() for ch in candidate)
    body = candidate.strip()
    if digits > 15 or digits < 7:
        return False
    if THOUSANDS.match(body):
        return False
    if digits < 10:
        return bool(LOCAL_PHONE.match(body))
    separators = set(re.sub(r"[\d+]", "", body))
    if separators == {"."} and not re.match(r"^\d{3}\.\d{3}\.\d{4}$", body):
        return False  # 12.03.2024.15 and the like
    return True
