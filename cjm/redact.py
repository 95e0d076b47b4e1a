"""Privacy: person names, phone numbers and e-mail addresses out of transcripts, before anything
is tagged or written, so that a report can be shared beyond the consultant.

Placeholders are stable over a run: one person is "Person 3" / "Персона 3" in every interview,
label and field where they occur, whatever the inflection ("Игоря Петровича" is the same person as
the speaker "Игорь Петрович"). Names are collected first from every speaker label (initials too),
front-matter person field and name-like key; then from every text the tool reads (utterances,
other front-matter values, notes): natasha's NER and pymorphy3's name readings for Russian, runs of
capitalised words for English (US Census 1990 name lists and spaCy's word frequencies in
cjm/data, see eval/tools/build_name_tables.py), cues such as initials, titles and role words;
last, the words right beside a known name. Only then is anything replaced, so a name found in one
interview is removed from all of them. The source path stays. Recall is measured by
eval/tools/redaction_recall.py on tests/data/redaction/; it is not perfect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable

from .model import Transcript
from .safeyaml import load_shipped

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")
# Obfuscated e-mails: 'name(at)mail.ru', 'name [at] mail dot ru', 'name at gmail dot com'
# (a bare ' at ' only with a spelled-out ' dot ', so that 'met at Google. Then' stays).
_AT_BRACKETED = r"\s*[(\[{<]\s*(?:at|собака)\s*[)\]}>]\s*"
_AT_WORD = r"\s+(?:at|собака)\s+"
_DOT_WORD = r"(?:\s*[(\[{<]\s*(?:dot|точка)\s*[)\]}>]\s*|\s+(?:dot|точка)\s+)"
_DOT = rf"(?:\.|{_DOT_WORD})"
_LOCAL = r"(?<![\w.+-])[\w.+-]*\w"
_TLD = r"[^\W\d_]{2,}(?![\w-])"
# With a bare ' at ', only a common top-level domain ends it ('at home dot matrix' is prose).
_COMMON_TLD = (r"(?:com|net|org|info|biz|edu|gov|io|ai|app|dev|me|co|uk|us|ca|au|in|cn|jp|de|fr|es|it|nl"
               r"|be|ch|at|se|no|dk|fi|pl|cz|eu|ru|su|ua|by|kz|рф)(?![\w-])")
OBFUSCATED_EMAIL = re.compile(
    rf"{_LOCAL}{_AT_BRACKETED}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}{_TLD}"
    rf"|{_LOCAL}{_AT_WORD}[\w-]+(?:{_DOT}[\w-]+)*{_DOT_WORD}{_COMMON_TLD}",
    re.IGNORECASE)
PHONE = re.compile(r"(?<![\w+])\+?[\d(][\d\s().\-]{5,}\d(?!\w)")
THOUSANDS = re.compile(r"^\d{1,3}(?: \d{3})+$")  # '15 000 000' is money, not a phone
LOCAL_PHONE = re.compile(r"^\d{3}-\d{2}-\d{2}$|^\d{3}-\d{4}$")
WORD = re.compile(r"[^\W\d_][\w'’-]*")
CAPITALISED = re.compile(r"^[A-ZА-ЯЁ]")
PAREN = re.compile(r"\s*[(\[].*?[)\]]")
INITIALS = re.compile(r"(?:\b[A-ZА-ЯЁ]\.\s*){1,2}$")  # 'И. П. ' before a surname
TRAILING_INITIALS = re.compile(r"\s(?:[A-ZА-ЯЁ]\.\s?){0,1}[A-ZА-ЯЁ]\.")  # ' О. В.' after one
ONLY_INITIALS = re.compile(r"^(?:[^\W\d_]\.\s*){1,3}$")  # a speaker 'И. П.' or 'M. D.'
INITIAL_GROUP = re.compile(r"(?<![^\W\d_])(?:[^\W\d_]\.\s?){1,3}(?![^\W\d_])")
NAME_TAGS = ("Name", "Surn", "Patr")
CASE_ENDINGS = ("ыми", "ому", "ого", "ой", "ым", "ом", "ую", "ей", "у", "а", "е", "ы", "ю")
CYRILLIC = re.compile(r"[а-яёА-ЯЁ]")
SENTENCE_CAPITAL = re.compile(r"\S\s+[«\"“(]?[А-ЯЁ][а-яё]")  # a capitalised word after the first
PARTICLES = frozenset("de la del da di du van der den von bin al le dos das ter ten".split())
WINDOW = 60  # characters looked at before a word for a cue: bounded, so long texts stay linear
O_NAME = re.compile(r"^(?:O|D|Mc|Mac)['’]?[A-Z]")  # O'Brien, D'Souza, McAllister


@dataclass(frozen=True)
class NameData:
    """names.yaml and the English name tables, loaded once."""

    person: dict[str, str]
    phone: str
    email: str
    person_fields: frozenset[str]
    titles: frozenset[str]  # lower-case, for lookups
    title_words: tuple[str, ...]  # as written, for the 'Dr Name' rule
    not_names: frozenset[str]
    not_surnames: frozenset[str]  # lower-case function words, months, days
    not_first_names: frozenset[str]  # lower-case
    not_person_words: frozenset[str]  # lower-case
    name_cues: dict[str, tuple[str, ...]]
    role_cues: frozenset[str]  # lower-case
    not_person_fields: frozenset[str]
    place_prepositions: frozenset[str]
    first_names: frozenset[str]  # lower-case, US Census 1990
    surnames: frozenset[str]  # lower-case, US Census 1990, the 30,000 most frequent
    common_words: frozenset[str]  # lower-case English words more often written in lower case
    strongly_common: frozenset[str]  # ... and at least 8 times more often ('tell', 'will')


def _table(name: str) -> frozenset[str]:
    text = resources.files("cjm").joinpath(f"data/{name}").read_text(encoding="utf-8").lower()
    lines = frozenset(map(str.strip, text.splitlines()))  # (one pass in C: the tables hold 80,000 lines)
    return frozenset(line for line in lines if line and not line.startswith("#"))


@lru_cache(maxsize=1)
def name_data() -> NameData:
    raw = load_shipped("names.yaml")
    marks = raw["placeholders"]
    lower_words = _table("words-en-lower.txt")
    lower = lambda key: frozenset(str(w).lower() for w in raw[key])  # noqa: E731
    return NameData(
        person=dict(marks["person"]), phone=marks["phone"], email=marks["email"],
        person_fields=lower("person_fields"), titles=lower("titles"),
        title_words=tuple(str(t) for t in raw["titles"]),
        not_names=lower("not_names"), not_surnames=lower("not_surnames_en"),
        not_first_names=lower("not_first_names_en"), not_person_words=lower("not_person_words_en"),
        place_prepositions=lower("place_prepositions_en"), not_person_fields=lower("not_person_fields"),
        role_cues=frozenset(str(w).lower() for ws in raw["role_cues"].values() for w in ws),
        name_cues={lang: tuple(str(c).lower() for c in cues) for lang, cues in raw["name_cues"].items()},
        first_names=_table("names-en-first.txt") | lower("extra_first_names_en"), surnames=_table("names-en-last.txt"),
        common_words=frozenset(w.removesuffix(" *") for w in lower_words),
        strongly_common=frozenset(w.removesuffix(" *") for w in lower_words if w.endswith(" *")),
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
    Дмитриевна' and 'Ольга Кузнецова' stay two people, who may well be different. A speaker known
    only by initials ('И. П.') is found by them.
    """

    by_form: dict[str, list[int]] = field(default_factory=dict)
    words: dict[int, int] = field(default_factory=dict)  # person -> how many name words are known
    initials: dict[str, int] = field(default_factory=dict)  # 'ИП' -> person

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
            number = self.new_person()
        for token in names:
            forms_ = name_forms(token)
            if not any(number in self.by_form.get(f, ()) for f in forms_):
                self.words[number] += 1
            for form in forms_:
                people = self.by_form.setdefault(form, [])
                if number not in people:
                    people.append(number)
        return number

    def new_person(self) -> int:
        number = len(self.words) + 1
        self.words[number] = 0
        return number

    def register_initials(self, label: str) -> int:
        key = initials_key(label)
        if key not in self.initials:
            self.initials[key] = self.new_person()
        return self.initials[key]

    def people(self, token: str, lower_case: bool = False) -> list[int]:
        """Who a word in the text may name, first-seen first; [] for other words. Only capitalised
        words are looked up, except in lower-case (ASR) text, where any word that is not an
        ordinary word is."""
        if not CAPITALISED.match(token):
            if not lower_case or not could_be_lower_case_name(token):
                return []
        return sorted({p for f in forms(token) for p in self.by_form.get(f, ())})


def initials_key(text: str) -> str:
    return "".join(ch for ch in text if ch.isalpha()).upper()


def redact_transcripts(transcripts: list[Transcript]) -> list[Transcript]:
    """Copies of the transcripts with names, phones and e-mails replaced by stable placeholders."""
    redactor = Redactor()
    for transcript in transcripts:
        redactor.collect_labels(transcript)
    redactor.collect_text(transcripts)
    return [redactor.apply(t) for t in transcripts]


class Redactor:
    """Collects the people of a run, then rewrites each transcript with their placeholders.

    Collecting goes from the surest source to the least sure: speaker labels and front-matter
    person fields; then every text the tool reads (utterances, other front-matter keys and values,
    notes) with rules for both languages and natasha's NER for Russian; last, the words standing
    right beside a known name ('Персона 9 Рыбина' would otherwise keep 'Рыбина').
    """

    def __init__(self) -> None:
        self.registry = Registry()
        self.data = name_data()

    # --- collecting -----------------------------------------------------------------------

    def collect_labels(self, transcript: Transcript) -> None:
        """Speaker labels, front-matter person fields and keys that are names ('Кравченко Юрий: ЛПР')."""
        for speaker in dict.fromkeys(u.speaker for u in transcript.utterances):
            self.collect_label(speaker)
        if transcript.interviewer:
            self.collect_label(transcript.interviewer)
        for key, value in transcript.metadata.items():
            if str(key).lower() in self.data.person_fields:
                for name in person_values(value):
                    self.collect_label(name)
        for key in metadata_keys(transcript.metadata):
            if len(WORD.findall(key)) >= 2 and self.is_person_label(key):
                self.collect_label(key)

    def collect_label(self, label: str) -> None:
        bare = PAREN.sub("", label).strip()
        if ONLY_INITIALS.match(bare):
            self.registry.register_initials(bare)
        elif self.is_person_label(bare):
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
        """Names mentioned in every text of the run: rules, then one batched NER pass over the
        Russian sentences, then the neighbours of the names found."""
        texts = [text for t in transcripts for text in texts_of(t)]
        sentences: list[str] = []
        for text in texts:
            for tokens in self.rule_names(text):
                self.registry.register(tokens)
            sentences.extend(s for s in ner_sentences(text) if self.needs_ner(s))
        for tokens in russian_persons(sentences):
            self.registry.register(tokens)
        for text in texts:
            for tokens in self.neighbours(text):
                self.registry.register(tokens)

    def needs_ner(self, sentence: str) -> bool:
        """The NER is the slow part: a sentence goes to it only for a capitalised word past the
        first that the rules could not settle. Known names (the speaker addressed by name), words
        pymorphy3 reads as names (the rules have them, their neighbours follow), places by their
        likeliest reading ('Москве'), words in quotes («Вектор») and words that cannot be nouns
        tell it nothing new."""
        for match in list(WORD.finditer(sentence))[1:]:
            word = match.group(0)
            if not (CYRILLIC.search(word) and is_titlecase(word)) or self.registry.people(word):
                continue
            if re.search(r"[«\"“]\s*$", sentence[max(0, match.start() - 3):match.start()]):
                continue
            if is_likely_russian_name(word) or is_likely_place(word) or not could_be_name_noun(word):
                continue
            return True
        return False

    def rule_names(self, text: str) -> list[list[str]]:
        """Names the rules find: English runs of capitalised words, Russian words pymorphy3 reads
        as names, words beside initials or after 'фамилия' / 'my name is', lower-case ASR names."""
        tokens = [Token(m.group(0), m.start(), m.end()) for m in WORD.finditer(text)]
        lower_case = is_lower_case_text(text)
        found: list[list[str]] = []
        for run in capitalised_runs(text, tokens):
            found.extend(self.run_names(text, run))
        for index, token in enumerate(tokens):
            capitalised = is_titlecase(token.text)
            if not capitalised and not lower_case:
                continue
            before = text[max(0, token.start - WINDOW):token.start]
            if capitalised and len(token.text) > 1 and (self.after_cue(before) or (
                    self.after_role(before) and not is_ordinary_word(token.text))):
                found.append([token.text])
            elif capitalised and (INITIALS.search(before) or
                                                    (TRAILING_INITIALS.match(text, token.end) and len(token.text) > 1)):
                if not is_ordinary_word(token.text):
                    found.append([token.text])
            elif lower_case and is_lower_case_name(token.text, before):
                names = [token.text]
                following = tokens[index + 1] if index + 1 < len(tokens) else None
                if following and not text[token.end:following.start].strip() and is_lower_case_surname(following.text):
                    names.append(following.text)
                found.append(names)
        return found

    def after_role(self, before: str) -> bool:
        """'our designer Oleg', 'господин Танака': a role word before a capitalised word that is
        not an ordinary one (the word itself is checked by the caller)."""
        match = re.search(r"([^\W\d_][\w-]*),?\s+$", before)
        return bool(match) and match.group(1).lower() in self.data.role_cues

    def after_cue(self, before: str) -> bool:
        return bool(name_cue_pattern(self.data.name_cues).search(before.lower()))

    def run_names(self, text: str, run: list["Token"]) -> list[list[str]]:
        """A run of capitalised words: 'Declan Murphy' (two name-like words) is a person;
        'Amazon Web Services' (an ordinary word inside) is not; 'Kevin' alone is, being a
        first name; 'Salesforce' alone is not."""
        latin = [t for t in run if not CYRILLIC.search(t.text)]
        if len(latin) != len(run):
            return self.russian_run_names(text, run)
        if any(t.text.lower() in self.data.not_person_words for t in run):
            return []
        previous = re.search(r"([^\W\d_]+)\s+$", text[max(0, run[0].start - WINDOW):run[0].start])
        if previous and previous.group(1).lower() in self.data.place_prepositions:
            return []  # 'in Milton Keynes'
        if is_organisation(run):
            return []  # 'Mekong Freight', 'Calder Valley Paper'
        if len(run) > 1 and re.search(r"(?:^|[.!?:;\"«(])\s*$", text[max(0, run[0].start - WINDOW):run[0].start]) \
                and is_ordinary_word(run[0].text) and english_word(run[0].text) not in self.data.first_names:
            run = run[1:]  # 'Keep Ffion', 'Tell Luke': the sentence's first word
        found: list[list[str]] = []
        for part in split_run(run):
            words = [t.text for t in part if t.text.lower() not in PARTICLES]
            titled = bool(re.search(rf"\b(?:{self.title_pattern()})\.?\s+$", text[max(0, part[0].start - WINDOW):part[0].start]))
            if len(words) >= 2 or titled or (len(words) == 1 and is_first_name(words[0])):
                found.append(words)
        return found

    def russian_run_names(self, text: str, run: list["Token"]) -> list[list[str]]:
        """Cyrillic capitalised words whose likeliest reading is a first name, surname or
        patronymic ('Медведев', 'Беляева'), with the name-like words next to them."""
        cyrillic = [t for t in run if CYRILLIC.search(t.text)]
        if not any(is_likely_russian_name(t.text) for t in cyrillic):
            return []
        quoted = re.search(r"[«\"“]\s*$", text[max(0, run[0].start - WINDOW):run[0].start])
        if quoted:
            return []
        return [[t.text for t in run if is_likely_russian_name(t.text) or not is_known_russian(t.text)
                 or not CYRILLIC.search(t.text)]]

    def title_pattern(self) -> str:
        return title_pattern(self.data.title_words)

    def neighbours(self, text: str) -> list[list[str]]:
        """A capitalised name-like word right beside a known name is the same person's: 'Вера
        Рыбина' when 'Вера' is a speaker, 'Trevor Quinlan-Boyd' when 'Trevor' was found."""
        found: list[list[str]] = []
        tokens = list(WORD.finditer(text))
        for left, right in zip(tokens, tokens[1:]):
            if text[left.end():right.start()] not in (" ", "\u00a0"):
                continue
            a, b = left.group(0), right.group(0)
            known_a, known_b = self.registry.people(a), self.registry.people(b)
            if known_a and not known_b and could_be_surname(b):
                found.append([a, b])
            elif known_b and not known_a and could_be_surname(a, left=True) and left.start() > 0 \
                    and not re.search(r"[.!?]\s*$", text[max(0, left.start() - WINDOW):left.start()]):
                found.append([a, b])
        return found

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
            metadata={self.key(k, lang): self.value(k, v, lang) for k, v in transcript.metadata.items()},
            notes=[self.text(note, lang) for note in transcript.notes],
        )

    def key(self, key: Any, lang: str) -> Any:
        """A front-matter key: a name as a key ('Кравченко Юрий: ЛПР') becomes a placeholder."""
        if not isinstance(key, str):
            return key
        if len(WORD.findall(key)) >= 2 and self.is_person_label(key):
            return self.label(key, lang)
        return self.text(key, lang)

    def label(self, speaker: str, lang: str) -> str:
        """'Игорь Петрович (директор)' -> 'Персона 1 (директор)'; role labels stay."""
        if not speaker:
            return speaker
        paren = re.search(r"\s*[(\[].*$", speaker)
        bare, rest = (speaker[:paren.start()], paren.group(0)) if paren else (speaker, "")
        if ONLY_INITIALS.match(bare.strip()):
            bare = self.person_mark(self.registry.register_initials(bare), lang)
        elif self.is_person_label(bare.strip()):
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
            return {self.key(k, lang): self.value(k, v, lang, person) for k, v in value.items()}
        return value

    def text(self, text: str, lang: str) -> str:
        """E-mails, phones, then every word that is a known person's name."""
        if not text:
            return text
        text = EMAIL.sub(self.data.email, text)
        text = OBFUSCATED_EMAIL.sub(self.data.email, text)
        text = PHONE.sub(lambda m: self.data.phone if is_phone(m.group(0)) else m.group(0), text)
        return self.replace_names(text, lang)

    def replace_names(self, text: str, lang: str) -> str:
        """Adjacent name words of one person become one placeholder ('Игоря Петровича' -> one).
        One pass over the words, linear in the text."""
        lower_case = is_lower_case_text(text)
        initial_spans: list[tuple[int, int, list[int]]] = []  # a speaker known by initials only
        if self.registry.initials:
            for match in INITIAL_GROUP.finditer(text):
                key = initials_key(match.group(0))
                if key in self.registry.initials and len(key) >= 2:
                    initial_spans.append((match.start(), match.end() - (match.group(0)[-1] == " "),
                                          [self.registry.initials[key]]))
        spans: list[tuple[int, int, list[int]]] = []  # (start, end, people it may be)
        next_initial = 0  # the first initials span not yet behind the current word
        for match in WORD.finditer(text):
            while next_initial < len(initial_spans) and initial_spans[next_initial][1] <= match.start():
                next_initial += 1
            if next_initial < len(initial_spans) and initial_spans[next_initial][0] <= match.start():
                continue  # inside 'И. П.'
            people = self.registry.people(match.group(0), lower_case)
            if not people:
                continue
            start = match.start()
            end = match.end() - 2 if match.group(0).endswith(("'s", "’s")) else match.end()  # Tom's
            if spans and not text[spans[-1][1]:start].strip():
                common = [p for p in spans[-1][2] if p in people]
                if common:
                    spans[-1] = (spans[-1][0], end, common)
                    continue
            previous_end = max(spans[-1][1] if spans else 0,
                               initial_spans[next_initial - 1][1] if next_initial else 0, start - WINDOW)
            initials = INITIALS.search(text[previous_end:start])
            spans.append((start - len(initials.group(0)) if initials else start, end, people))
        pieces: list[str] = []
        last = 0
        for start, end, people in sorted(spans + initial_spans):
            if start < last:
                continue
            pieces.append(text[last:start] + self.person_mark(people[0], lang))
            trailing = TRAILING_INITIALS.match(text, end)
            last = trailing.end() if trailing else end
        pieces.append(text[last:])
        return "".join(pieces)

    def person_mark(self, number: int, lang: str) -> str:
        return self.data.person.get(lang, self.data.person["en"]).format(n=number)


_NAME_CUE_PATTERNS: dict[int, re.Pattern[str]] = {}


def name_cue_pattern(cues: dict[str, tuple[str, ...]]) -> re.Pattern[str]:
    """'фамилия ', 'my name is: ' at the end of the text before a word."""
    key = id(cues)
    if key not in _NAME_CUE_PATTERNS:
        words = "|".join(re.escape(c) for c in sorted({c for cs in cues.values() for c in cs}, key=len, reverse=True))
        _NAME_CUE_PATTERNS[key] = re.compile(rf"(?<![^\W\d_])(?:{words})[\s:—–,-]+$")
    return _NAME_CUE_PATTERNS[key]


@lru_cache(maxsize=4)
def title_pattern(titles: tuple[str, ...]) -> str:
    return "|".join(re.escape(t) for t in sorted(titles, key=len, reverse=True))


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int


def texts_of(transcript: Transcript) -> list[str]:
    """Every text of an interview the outputs can show: utterances, front-matter keys and values,
    notes."""
    texts = [u.text for u in transcript.utterances] + list(transcript.notes)
    texts += metadata_keys(transcript.metadata) + metadata_strings(transcript.metadata, name_data().not_person_fields)
    return [t for t in texts if t]


def metadata_keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [str(k) for k in value if isinstance(k, str)] + [k for v in value.values() for k in metadata_keys(v)]
    if isinstance(value, list):
        return [k for item in value for k in metadata_keys(item)]
    return []


def metadata_strings(value: Any, skip: frozenset[str] = frozenset()) -> list[str]:
    """The text values of the front matter, but those of keys that name no person ('company')."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() if str(k).lower() not in skip for s in metadata_strings(v, skip)]
    if isinstance(value, list):
        return [s for item in value for s in metadata_strings(item, skip)]
    return []


def capitalised_runs(text: str, tokens: list[Token]) -> list[list[Token]]:
    """Capitalised words standing next to each other (one space apart; 'de', 'van' may join them)."""
    runs: list[list[Token]] = []
    current: list[Token] = []
    for token in tokens:
        joined = current and text[current[-1].end:token.start] in (" ", "\u00a0")
        if is_titlecase(token.text) or (joined and token.text in PARTICLES):
            if not joined:
                if current:
                    runs.append(current)
                current = []
            current.append(token)
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    for run in runs:
        while run and run[-1].text in PARTICLES:
            run.pop()
    return [run for run in runs if run]


def is_organisation(run: list[Token]) -> bool:
    """A run with an ordinary word after a name-like one is a firm or a place ('Mekong Freight'),
    not a person; ordinary words at its start are the sentence's ('Definitely Amara Nwosu')."""
    seen_name = False
    for token in run:
        if token.text in PARTICLES:
            continue
        if could_be_english_name(token.text):
            seen_name = True
        elif seen_name and english_word(token.text) not in name_data().not_surnames:
            return True
    return False


def split_run(run: list[Token]) -> list[list[Token]]:
    """An English run split where a word cannot be part of a name: 'Then Eleanor Whitmore' ->
    'Eleanor Whitmore'; acronyms, function words, months and ordinary words end a part."""
    parts: list[list[Token]] = []
    current: list[Token] = []
    for token in run:
        if token.text in PARTICLES or could_be_english_name(token.text):
            current.append(token)
        else:
            if current:
                parts.append(current)
            current = []
    if current:
        parts.append(current)
    return [p for p in parts if any(t.text not in PARTICLES for t in p)]


def english_word(token: str) -> str:
    word = token.lower().replace("’", "'")
    return word[:-2] if word.endswith("'s") else word


def is_ordinary_word(token: str) -> bool:
    """An English word more often written in lower case ('Then', 'Web'), or an acronym ('CFO');
    for Russian, a dictionary word that does not read as a name."""
    if CYRILLIC.search(token):
        return not is_russian_name(token)
    if len(token) >= 2 and token.isupper():
        return True
    word = english_word(token)
    if "'" in word and not O_NAME.match(token):
        return True  # I'm, Don't
    return word in name_data().common_words or word in name_data().not_surnames


def could_be_english_name(token: str) -> bool:
    """A capitalised word that can stand in a name: not ordinary, or a census first name/surname
    ('Bill', 'Rose', 'Park'), never a function word, month or acronym."""
    data = name_data()
    word = english_word(token)
    if word in data.not_surnames or word in data.titles or (len(token) >= 2 and token.isupper()):
        return False
    if not is_ordinary_word(token):
        return True
    return word not in data.strongly_common and (word in data.first_names or word in data.surnames)


def is_first_name(token: str) -> bool:
    """A census first name that is not an ordinary word or a place ('Kevin' yes; 'Bill', 'Paris' no)."""
    data = name_data()
    word = english_word(token)
    return word in data.first_names and word not in data.not_first_names and not is_ordinary_word(token)


def is_titlecase(token: str) -> bool:
    """'Рыбин', 'McAllister', "O'Brien" yes; acronyms, also inflected ('МКАДе', 'ИТ-отдела'), and
    brand-like inner capitals ('СкладЛайн', 'BioReagents') no."""
    if not token[:1].isupper() or (len(token) > 1 and token[1].isupper()):
        return False
    inner = [i for i, ch in enumerate(token) if i > 0 and ch.isupper() and token[i - 1] not in "-'’"]
    return not inner or (not CYRILLIC.search(token) and O_NAME.match(token) is not None and len(inner) == 1)


def could_be_surname(token: str, left: bool = False) -> bool:
    """A capitalised word that may be the surname beside a known name: after it, any noun
    ('Вера Рыбина'); before it, only a likely name ('Домодедова Олег' is a place and a name)."""
    if not is_titlecase(token) or len(token) < 2:
        return False
    if CYRILLIC.search(token) and left:
        return is_likely_russian_name(token) or is_unknown_russian_word(token)
    if CYRILLIC.search(token):
        tags = {str(p.tag.POS) for p in morph().parse(token.lower())}
        return bool(tags & {"NOUN", "ADJF", "None"}) and token.lower() not in name_data().not_names
    return could_be_english_name(token) and token.lower() not in name_data().not_person_words


def is_lower_case_text(text: str) -> bool:
    """ASR output without capitals ('ну решение принимал саша'): names are lower-case too."""
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < 20:
        return False
    capitals = [m.group(0) for m in WORD.finditer(text) if m.group(0)[:1].isupper()]
    return all(c in ("I", "I'm", "I’m", "I've", "I'll", "I'd") for c in capitals)


def is_lower_case_name(token: str, before: str) -> bool:
    """In lower-case text: a word pymorphy3 most likely reads as a name, a census first name that
    is not an ordinary word, or any word after a title ('mr hendricks')."""
    if CYRILLIC.search(token):
        return is_likely_russian_name(token)
    data = name_data()
    if re.search(rf"\b(?:{'|'.join(map(re.escape, data.titles))})\.?\s+$", before.lower()):
        return not is_ordinary_word(token)
    return is_first_name(token)


def is_lower_case_surname(token: str) -> bool:
    """The word after a lower-case first name: a surname or patronymic, or a word pymorphy3
    does not know ('сергей шахман')."""
    if CYRILLIC.search(token):
        return is_likely_russian_name(token) or is_unknown_russian_word(token)
    return not is_ordinary_word(token)


def could_be_lower_case_name(token: str) -> bool:
    """A lower-case word that may be replaced as a known name: not an ordinary word ('марка' is
    a brand before it is Mark's genitive)."""
    if CYRILLIC.search(token):
        return is_likely_russian_name(token) or is_unknown_russian_word(token)
    return not is_ordinary_word(token)


def is_unknown_russian_word(token: str) -> bool:
    """A word pymorphy3 does not know that could be a surname ('шахман'), not a hesitation ('э-э')."""
    return len(token) >= 4 and token.isalpha() and not is_known_russian(token)


@lru_cache(maxsize=65536)
def is_known_russian(word: str) -> bool:
    return any(p.is_known for p in morph().parse(word.lower()))


@lru_cache(maxsize=65536)
def is_likely_russian_name(word: str) -> bool:
    """pymorphy3's likeliest reading is a first name, surname or patronymic ('Медведев', 'саша'),
    not merely a possible one ('Вера' is likelier faith)."""
    parses = [p for p in morph().parse(word.lower()) if p.is_known]  # not the guesser's tags
    if not parses:
        return False
    best = parses[0]
    # Indeclinable 'names' ('вели', 'че', 'анти') are pymorphy3's noise, not people.
    return (any(tag in best.tag for tag in NAME_TAGS) and "Fixd" not in best.tag) or any("Patr" in p.tag for p in parses)


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
            if span.type == "PER" and not re.search(r"[«\"“]\s*$", markup.text[max(0, span.start - WINDOW):span.start]):
                # The NER also calls firms in quotes 'PER' («Стройресурс»); a span is a person when
                # one of its words reads as a name, and then all its words go ('Нгуен Ван Ан').
                words = [w for w in WORD.findall(markup.text[span.start:span.stop])
                         if CAPITALISED.match(w) and could_be_name_noun(w)]
                if any(not CYRILLIC.search(w) or is_russian_name(w) for w in words):
                    found.append(words)
    return found


@lru_cache(maxsize=65536)
def is_likely_place(word: str) -> bool:
    """pymorphy3's likeliest reading is a place name ('Москве', 'Казани')."""
    parses = [p for p in morph().parse(word.lower()) if p.is_known]
    return bool(parses) and "Geox" in parses[0].tag


@lru_cache(maxsize=65536)
def could_be_name_noun(word: str) -> bool:
    """Not a word that can only be a verb, adverb and the like ('Обучала' at the start of a span)."""
    if not CYRILLIC.search(word):
        return True
    return any(str(p.tag.POS) in ("NOUN", "None") or not p.is_known for p in morph().parse(word.lower()))


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
