"""The typed records that flow between the pipeline stages.

ingest -> `Transcript`; tag -> `TaggedUtterance` (with `Mention`s); journey -> `Journey`.
Everything is a plain dataclass so that stages stay independent and tests can build inputs by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STAGE, ROLE, CHANNEL = "stage", "role", "channel"
KINDS = (STAGE, ROLE, CHANNEL)
EVENT = "event"  # a journey event (requested a price, ran a trial, paid): evidence for the report, not a label
TOLD_CHANNEL = "channel_told"  # P(channel) a discovery's words tell (the model's `channel_told` member)
NONE = "none"  # the stage label of an utterance that reports no stage (the model's, the features')


@dataclass
class Utterance:
    """One speaker turn, numbered over the whole interview (interviewer's turns included)."""

    n: int
    speaker: str
    text: str
    is_interviewer: bool = False
    start: float | None = None  # seconds from the start of the recording, when the source has it
    line: int | None = None  # 1-based line in the source file where the turn starts


@dataclass
class Transcript:
    """A parsed interview: what every input format is mapped onto."""

    id: str
    source: str
    language: str
    utterances: list[Utterance]
    metadata: dict[str, Any] = field(default_factory=dict)
    channel: str | None = None  # from front matter (the CRM knows it)
    interviewer: str | None = None
    format: str = "text"
    encoding: str = "utf-8"
    has_speakers: bool = True
    notes: list[str] = field(default_factory=list)  # non-fatal remarks shown in the report

    @property
    def respondent_utterances(self) -> list[Utterance]:
        return [u for u in self.utterances if not u.is_interviewer]


@dataclass
class Problem:
    """A file that could not be read, kept so that every input is accounted for in the output."""

    source: str
    message: str
    line: int | None = None
    hint: str | None = None
    ignored: bool = False  # not read by design (an annotation folder, a hidden file): listed, never an error

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        text = f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


@dataclass(frozen=True)
class Mention:
    """A labelled span of an utterance: the evidence behind one label."""

    kind: str  # stage | role | channel
    label: str
    start: int  # character offsets in the utterance text
    end: int
    text: str
    sentence: int  # 0-based sentence index within the utterance
    weak: bool = False  # from a '~' phrase: counts only once the story has reached the stage before
    back: bool = False  # from a '<' phrase: evidence that the story steps back to this stage
    origin: str = "pattern"  # pattern | question | carried | name | respondent | channel | role: why it is there


@dataclass(frozen=True)
class SentenceNote:
    """What the tag stage heard in one sentence for the report: its tone (after negation), whether
    it tells a pain or objection, asks a question."""

    sentence: int
    positive: int = 0  # tone words that count as positive once negation is applied
    negative: int = 0
    pain: bool = False  # a pain or objection word, not negated, in a sentence that is not praise
    question: bool = False

    @property
    def tone(self) -> int:
        """-1, 0 or +1: the sentence's tone, so a long sentence weighs no more than a short one."""
        return (self.positive > self.negative) - (self.negative > self.positive)


@dataclass(frozen=True)
class StatedDuration:
    """A duration the respondent states about a step ("it took two weeks"), in days; prices per
    month, contract terms and points in time ("the year before") are not recorded."""

    sentence: int
    days: float
    text: str
    start: int
    end: int


@dataclass
class TaggedUtterance:
    """An utterance with the labels the tagger gave it and the spans that justify them."""

    utterance: Utterance
    stages: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    sentences: list[tuple[int, int]] = field(default_factory=list)  # (start, end) char offsets
    suppressed: list[Mention] = field(default_factory=list)  # negated / hypothetical, kept for review
    cues: set[str] = field(default_factory=set)  # kinds of cue met (negation, hypothetical, advice, ...)
    asked: str | None = None  # the stage the interviewer's question before it asked about
    asked_duration: bool = False  # the question before it asked how long the deal took
    probabilities: dict[str, dict[str, float]] = field(default_factory=dict)  # kind -> label -> P (the model's)
    cycle_cues: list[set[str]] = field(default_factory=list)  # per sentence: cues around a cycle length
    signals: list[Mention] = field(default_factory=list)  # lead-qualification cues (kind: bant | temperature)
    reviewed: bool = False  # the labels are a person's (cjm review), not the tagger's
    events: list[Mention] = field(default_factory=list)  # journey events told as happening (kind EVENT)
    suppressed_events: list[Mention] = field(default_factory=list)  # negated, hypothetical, advice
    notes: list[SentenceNote] = field(default_factory=list)  # per sentence: tone, pain, question
    durations: list[StatedDuration] = field(default_factory=list)
    # where this client's purchase is told as done (cjm.outcome.PurchaseClue), recorded once by the tag
    # stage for the purchase guard and the outcome; None where the labels came from elsewhere
    purchases: list | None = None

    @property
    def n(self) -> int:
        return self.utterance.n

    def labels(self, kind: str) -> list[str]:
        return {STAGE: self.stages, ROLE: self.roles, CHANNEL: self.channels}[kind]


@dataclass
class Journey:
    """One interview's journey: the tagged utterances and the fields derived from them."""

    transcript: Transcript
    utterances: list[TaggedUtterance]
    channel: str | None = None
    channel_group: str | None = None
    channel_source: str | None = None  # metadata | detected
    furthest_stage: str | None = None
    first_contact_role: str | None = None
    roles: list[str] = field(default_factory=list)
    cycle_days: int | None = None
    cycle_evidence: list[int] = field(default_factory=list)  # utterance numbers the days come from
    channel_evidence: int | None = None  # utterance number the channel comes from
    first_contact_evidence: int | None = None
    outcome_evidence: list[int] = field(default_factory=list)  # utterances telling the purchase as done
    stage_path: list[str] = field(default_factory=list)  # ordered stage sequence (with back-steps)
    outcome: str | None = None  # bought | stalled | lost
    confidence: dict[str, Any] = field(default_factory=dict)  # field -> P (the model's, calibrated where it can be)
    qualification: Any = None  # `cjm.qualification.Qualification`: BANT and the lead's temperature
    review: dict[str, Any] = field(default_factory=dict)  # how much of it a person reviewed (cjm review)

    @property
    def id(self) -> str:
        return self.transcript.id
