"""Lead qualification (domain article 004): when budget, authority, need and timing first appear
in the journey (BANT), and the lead's temperature at first contact (cold, warm, hot).

Two steps, like the stages: `find_signals` (the tag stage) matches the codebook's `qualification`
families in every respondent utterance, with the evidence's context checks (a negated or
hypothetical match, a sentence of habit, advice, hearsay or another story gives no signal);
`qualify` (the journey stage) reads the tagged interview into a `Qualification`. `by_group`
counts them per channel group for the report, each count with the quotes it came from.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .codebook import Codebook
from .model import STAGE, Journey, Mention, TaggedUtterance

# The tag stage's modules load spaCy: they are imported inside the functions of the tag stage, so
# that unpickling a cached journey (its `Qualification`) and the report's `by_group` do without it.
if TYPE_CHECKING:
    from .evidence import InterviewEvidence
    from .matching import PatternMatcher as Matcher
    from .rules import CompiledRules

BANT, TEMPERATURE = "bant", "temperature"
CONTACT_WINDOW = 1  # respondent utterances after first contact still telling the lead's state then


@dataclass
class Signal:
    """Where a qualification signal appears: the utterance, its sentence and the stage reached then."""

    label: str
    n: int
    sentence: int
    text: str  # the matched words (or the role's span)
    quote: str  # the sentence
    stage: str | None = None  # the stage the story had reached at that utterance
    origin: str = "pattern"  # pattern | role

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "n": self.n, "sentence": self.sentence, "text": self.text,
                "stage": self.stage, "origin": self.origin}


@dataclass
class Qualification:
    """One interview's BANT (first appearance of each) and the temperature at first contact."""

    bant: dict[str, Signal | None] = field(default_factory=dict)
    temperature: str | None = None
    temperature_evidence: Signal | None = None
    first_contact: int | None = None  # the utterance taken as first contact

    def as_dict(self) -> dict[str, Any]:
        return {"bant": {k: (v.as_dict() if v else None) for k, v in self.bant.items()},
                "temperature": self.temperature,
                "temperature_evidence": self.temperature_evidence.as_dict() if self.temperature_evidence else None,
                "first_contact": self.first_contact}


# --------------------------------------------------------------------------- signals (tag stage)

@dataclass
class FamilyRules:
    matcher: Matcher
    keys: dict[str, tuple[str, str, bool]]  # match key -> (family, label, the phrase spells a negation)
    ignores: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)  # (family, label) -> cues it ignores


_COMPILED: dict[tuple[int, str], tuple[Codebook, FamilyRules]] = {}


def family_rules(codebook: Codebook, lang: str) -> FamilyRules:
    """The qualification phrases compiled once per codebook and language (one key per phrase)."""
    key = (id(codebook), lang)
    if key in _COMPILED and _COMPILED[key][0] is codebook:
        return _COMPILED[key][1]
    from .matching import PatternMatcher as Matcher  # the indexed matcher the rules use (matching.py)
    from .nlp import pipeline
    from .rules import compile_patterns

    nlp = pipeline(lang)
    matcher = Matcher(nlp.vocab, validate=True)
    keys: dict[str, tuple[str, str, bool]] = {}
    negations = {w.lower() for w in codebook.cues.get("negation", {}).get(lang, ())} | {"ничего", "никто"}
    for family, labels in codebook.families.items():
        for label in labels:
            for i, phrase in enumerate(label.patterns.get(lang, ())):
                name = f"{family}:{label.id}:{i}"
                matcher.add(name, compile_patterns(phrase.lstrip("~<"), lang))
                spelled = bool(set(re.split(r"[\s|?=]+", phrase.lower())) & negations)
                keys[name] = (family, label.id, spelled)
    ignores = {(family, label.id): label.ignores for family, labels in codebook.families.items() for label in labels}
    rules = FamilyRules(matcher, keys, ignores)
    _COMPILED[key] = (codebook, rules)
    return rules


def validate_families(codebook: Codebook) -> None:
    """Compile every language's qualification phrases now: a bad phrase fails before any file is read."""
    from .errors import CodebookError

    for lang in ("ru", "en"):
        try:
            family_rules(codebook, lang)
        except ValueError as exc:
            raise CodebookError(f"qualification: {exc}", path=codebook.source, hint="fix these patterns") from None


def find_signals(evidence: InterviewEvidence, codebook: Codebook) -> None:
    """Put each respondent utterance's qualification signals on it (`signals`); none are labels."""
    if not codebook.families:
        return
    from .evidence import ADVICE
    from .rules import get_rules

    lang = evidence.transcript.language
    rules = get_rules(codebook, lang)
    families = family_rules(codebook, lang)
    for item in evidence.respondent:
        if item.asked == ADVICE:  # "что бы вы посоветовали?": the answer is not this client's story
            continue
        item.signals = sentence_signals(evidence.docs[item.n], rules, families)


def sentence_signals(doc, rules: CompiledRules, families: FamilyRules) -> list[Mention]:
    """The signals of one parsed utterance that survive the context checks the stages get.

    The phrases are matched over the whole utterance at once (a match may not cross a sentence);
    the cues are looked for only in the sentences that hold a match (most hold none)."""
    from .evidence import clause_bounds, longest_per_kind, negation_by_syntax, out_of_journey

    sents = list(doc.sents)
    by_sentence: dict[int, list] = {}
    spelled: dict[tuple[tuple[str, str], int, int], bool] = {}
    index_of = {token.i: i for i, sent in enumerate(sents) for token in sent}
    for key, start, end in families.matcher(doc):
        index = index_of[start]
        if index_of[end - 1] != index:
            continue
        family, label, own_negation = families.keys[doc.vocab.strings[key]]
        span = ((family, label), start, end)
        spelled[span] = spelled.get(span, False) or own_negation
        by_sentence.setdefault(index, []).append(span)
    found: list[Mention] = []
    for index, matches in sorted(by_sentence.items()):
        sent = sents[index]
        offset = sent.start
        cue_spans: dict[str, list[tuple[int, int]]] = {}
        for key, start, end in rules.cues(sent):
            cue_spans.setdefault(doc.vocab.strings[key], []).append((start + offset, end + offset))
        idioms = [(s + offset, e + offset) for _, s, e in rules.hypothetical_idioms(sent)] if rules.hypothetical_idioms else []
        if idioms:
            cue_spans["hypothetical"] = [c for c in cue_spans.get("hypothetical", [])
                                         if not any(s <= c[0] < e for s, e in idioms)]
        clauses = clause_bounds(sent, rules.clause_words)
        kept = longest_per_kind(list(dict.fromkeys(matches)))
        parsed = negation_by_syntax(doc, sent, kept) if cue_spans.get("negation") else None
        for span in kept:
            (family, label), start, end = span
            inside = [c for c in cue_spans.get("negation", []) if start <= c[0] and c[1] <= end]
            if inside and not spelled[span]:
                continue  # a gap swallowed the negation: "выделить так и не смогли деньги"
            context = {cue: spans for cue, spans in cue_spans.items() if cue not in families.ignores.get((family, label), ())}
            if out_of_journey(family, start, end, context, clauses,
                              negated=parsed.get((start, end)) if parsed is not None else None):
                continue
            found.append(Mention(kind=family, label=label, start=doc[start].idx,
                                 end=doc[end - 1].idx + len(doc[end - 1].text), text=doc[start:end].text,
                                 sentence=index))
    return found


# --------------------------------------------------------------------------- qualification (journey stage)

def sentence_text(item: TaggedUtterance, index: int) -> str:
    if not item.sentences or index >= len(item.sentences):
        return item.utterance.text.strip()
    start, end = item.sentences[index]
    return item.utterance.text[start:end].strip()


def stages_reached(respondent: list[TaggedUtterance], codebook: Codebook) -> dict[int, str | None]:
    """Utterance number -> the stage the story has reached there (its own last stage, else the last told)."""
    order = codebook.ids(STAGE)
    current: str | None = None
    reached: dict[int, str | None] = {}
    for item in respondent:
        if item.stages:
            current = max(item.stages, key=order.index)
        reached[item.n] = current
    return reached


def contact_point(journey: Journey, respondent: list[TaggedUtterance], codebook: Codebook) -> int | None:
    """The utterance of first contact: the derived field's evidence, else the first discovery,
    else the first utterance with a stage past the time before contact, else the first channel named."""
    if journey.first_contact_evidence is not None:
        return journey.first_contact_evidence
    discovery, before = codebook.stage_playing("discovery"), codebook.stage_playing("before_contact")
    told = next((t.n for t in respondent if discovery and discovery in t.stages), None)
    told = told if told is not None else next((t.n for t in respondent if set(t.stages) - {before}), None)
    return told if told is not None else next((t.n for t in respondent if t.channels), None)


def qualify(journey: Journey, codebook: Codebook) -> Qualification:
    """BANT's first appearances and the temperature at first contact, from the tagged interview."""
    respondent = [t for t in journey.utterances if not t.utterance.is_interviewer and t.utterance.text]
    reached = stages_reached(respondent, codebook)
    result = Qualification()
    for label in codebook.families.get(BANT, []):
        first: Signal | None = None
        for item in respondent:
            mention = next((m for m in item.signals if m.kind == BANT and m.label == label.id), None)
            if mention is not None:
                first = Signal(label.id, item.n, mention.sentence, mention.text, sentence_text(item, mention.sentence),
                               reached.get(item.n))
            elif set(label.roles) & set(item.roles) and item.stages:  # in the story, not the self-introduction
                role = next(m for m in item.mentions if m.kind == "role" and m.label in label.roles)
                first = Signal(label.id, item.n, role.sentence, role.text, sentence_text(item, role.sentence),
                               reached.get(item.n), origin="role")
            if first:
                break
        result.bant[label.id] = first
    result.first_contact = contact_point(journey, respondent, codebook)
    if result.first_contact is not None and codebook.families.get(TEMPERATURE):
        numbers = [t.n for t in respondent]
        window_end = next((i for i, n in enumerate(numbers) if n >= result.first_contact), len(numbers)) + CONTACT_WINDOW
        warmth = {label.id: i for i, label in enumerate(codebook.families[TEMPERATURE])}  # cold < warm < hot
        best: tuple[int, int, Signal] | None = None
        for item in respondent[:window_end + 1]:
            for mention in item.signals:
                if mention.kind != TEMPERATURE:
                    continue
                # The warmest cue wins (a need and a search make a lead hot, whether or not it knew the
                # supplier's name), then the one nearest the contact, then the later one.
                rank = (warmth[mention.label], -abs(item.n - result.first_contact))
                if best is None or rank >= best[:2]:
                    best = (*rank, Signal(mention.label, item.n, mention.sentence, mention.text,
                                          sentence_text(item, mention.sentence), reached.get(item.n)))
        if best:
            result.temperature, result.temperature_evidence = best[2].label, best[2]
    return result


# --------------------------------------------------------------------------- per channel group (report)

@dataclass
class GroupQualification:
    """One channel group's counts: each BANT signal and each temperature, with where they came from."""

    group: str | None
    n: int
    interviews: list[str]
    bant: dict[str, list[tuple[str, Signal]]]  # label -> (interview, first appearance) per interview that has it
    bant_stage: dict[str, str | None]  # label -> the stage it most often first appears at
    bant_median_n: dict[str, float | None]  # label -> median utterance number of its first appearance
    temperature: dict[str, list[tuple[str, Signal]]]  # cold/warm/hot -> (interview, evidence)
    unknown_temperature: list[str]


def by_group(journeys: list[Journey], codebook: Codebook) -> list[GroupQualification]:
    """Qualification per channel group, as plain data: the report formats it, nothing is recounted there."""
    order = {s: i for i, s in enumerate(codebook.ids(STAGE))}
    groups: dict[str | None, list[Journey]] = {}
    for journey in sorted(journeys, key=lambda j: j.id):
        if journey.qualification is not None:
            groups.setdefault(journey.channel_group, []).append(journey)
    known = [g.id for g in codebook.groups]
    result = []
    for group in sorted(groups, key=lambda g: (g is None, known.index(g) if g in known else len(known), g or "")):
        members = groups[group]
        bant = {label.id: [(j.id, j.qualification.bant[label.id]) for j in members if j.qualification.bant.get(label.id)]
                for label in codebook.families.get(BANT, [])}
        stage: dict[str, str | None] = {}
        median: dict[str, float | None] = {}
        for label, found in bant.items():
            stages = Counter(s.stage for _, s in found if s.stage)
            stage[label] = min(stages.items(), key=lambda kv: (-kv[1], order.get(kv[0], 99)))[0] if stages else None
            numbers = sorted(s.n for _, s in found)
            median[label] = (numbers[(len(numbers) - 1) // 2] + numbers[len(numbers) // 2]) / 2 if numbers else None
        temperature = {label.id: [(j.id, j.qualification.temperature_evidence) for j in members
                                  if j.qualification.temperature == label.id]
                       for label in codebook.families.get(TEMPERATURE, [])}
        unknown = [j.id for j in members if j.qualification.temperature is None]
        result.append(GroupQualification(group, len(members), [j.id for j in members], bant, stage, median,
                                         temperature, unknown))
    return result
