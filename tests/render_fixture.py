"""Load the hand-built journeys of journeys.json into cjm's dataclasses.

The render tests must not depend on the tagger's accuracy, so labels, mentions and the derived
fields are written by hand; only character offsets and sentence spans are computed here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from cjm.model import Journey, Mention, Problem, TaggedUtterance, Transcript, Utterance

HERE = Path(__file__).parent / "data" / "render"
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans by end punctuation: enough for hand-written fixtures."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _mention(text: str, spans: list[tuple[int, int]], item: list) -> Mention:
    kind, label, phrase = item[:3]
    occurrence = item[3] if len(item) > 3 else 0
    start = -1
    for _ in range(occurrence + 1):
        start = text.find(phrase, start + 1)
    if start < 0:
        raise ValueError(f"{phrase!r} not in {text!r}")
    sentence = next(i for i, (a, b) in enumerate(spans) if a <= start < b)
    return Mention(kind=kind, label=label, start=start, end=start + len(phrase), text=phrase, sentence=sentence)


def journey_from_dict(data: dict) -> Journey:
    utterances: list[TaggedUtterance] = []
    for raw in data["utterances"]:
        utt = Utterance(n=raw["n"], speaker=raw["speaker"], text=raw["text"],
                        is_interviewer=raw.get("is_interviewer", False), start=raw.get("start"))
        spans = sentences(utt.text)
        mentions = [_mention(utt.text, spans, item) for item in raw.get("mentions", [])]
        tagged = TaggedUtterance(utterance=utt, mentions=mentions, sentences=spans)
        for mention in mentions:
            bucket = tagged.labels(mention.kind)
            if mention.label not in bucket:
                bucket.append(mention.label)
        utterances.append(tagged)
    report_evidence(utterances, data["language"])
    transcript = Transcript(id=data["id"], source=data["source"], language=data["language"],
                            utterances=[t.utterance for t in utterances], metadata=data.get("metadata", {}),
                            channel=data.get("channel") if data.get("channel_source") == "metadata" else None,
                            notes=list(data.get("notes", [])), has_speakers=not data.get("notes"))
    fields = ("channel", "channel_group", "channel_source", "furthest_stage", "first_contact_role", "roles",
              "cycle_days", "cycle_evidence", "channel_evidence", "first_contact_evidence", "stage_path")
    return Journey(transcript=transcript, utterances=utterances,
                   **{name: data[name] for name in fields if name in data})


def report_evidence(utterances: list[TaggedUtterance], lang: str) -> None:
    """Events, tone and durations as the tag stage records them (the labels stay hand-written)."""
    from cjm.codebook import load_codebook
    from cjm.evidence import record_report_evidence
    from cjm.nlp import pipeline
    from cjm.rules import get_rules

    record_report_evidence(utterances, lang, get_rules(load_codebook(), lang), pipeline(lang))


def load_journeys(path: Path = HERE / "journeys.json") -> list[Journey]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [journey_from_dict(item) for item in data["interviews"]]


def problems() -> list[Problem]:
    return [Problem(source="interviews/broken.docx", message="the Word file is damaged or not a .docx (BadZipFile)",
                    hint="open it in Word and save it again as .docx")]
