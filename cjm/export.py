"""journeys.json (contract section 3) and the tidy CSV beside the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .model import Journey, Problem

CONTRACT_VERSION = 1


def journey_to_dict(journey: Journey) -> dict[str, Any]:
    """One interview as the contract shapes it, plus evidence fields the contract welcomes."""
    t = journey.transcript
    return {
        "id": t.id,
        "source": t.source,
        "language": t.language,
        "channel": journey.channel,
        "channel_group": journey.channel_group,
        "channel_source": journey.channel_source,
        "furthest_stage": journey.furthest_stage,
        "first_contact_role": journey.first_contact_role,
        "roles": list(journey.roles),
        "cycle_days": journey.cycle_days,
        "stage_path": list(journey.stage_path),
        "outcome": journey.outcome,
        "confidence": journey.confidence,
        "evidence": {
            "channel": journey.channel_evidence,
            "first_contact_role": journey.first_contact_evidence,
            "cycle_days": list(journey.cycle_evidence),
        },
        "qualification": journey.qualification.as_dict() if journey.qualification is not None else None,
        "format": t.format,
        "has_speakers": t.has_speakers,
        "interviewer": t.interviewer,
        "metadata": {k: _jsonable(v) for k, v in sorted(t.metadata.items())},
        "notes": list(t.notes),
        "utterances": [
            {
                "n": item.n,
                "speaker": item.utterance.speaker,
                "is_interviewer": item.utterance.is_interviewer,
                "text": item.utterance.text,
                "start": item.utterance.start,
                "stages": list(item.stages),
                "roles": list(item.roles),
                "channels": list(item.channels),
                "probabilities": {kind: dict(sorted(p.items())) for kind, p in sorted(item.probabilities.items())},
                "mentions": [
                    {"kind": m.kind, "label": m.label, "start": m.start, "end": m.end, "text": m.text,
                     "sentence": m.sentence, "origin": m.origin}
                    for m in item.mentions
                ],
            }
            for item in journey.utterances
        ],
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)  # dates from YAML front matter and the like


def journeys_document(journeys: list[Journey], problems: list[Problem]) -> dict[str, Any]:
    return {
        "version": CONTRACT_VERSION,
        "interviews": [journey_to_dict(j) for j in sorted(journeys, key=lambda j: j.id)],
        "skipped": [{"source": p.source, "line": p.line, "message": p.message, "hint": p.hint}
                    for p in problems],
    }


def write_journeys(journeys: list[Journey], problems: list[Problem], path: str | Path) -> Path:
    """Write journeys.json (UTF-8, stable key order so runs can be diffed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(journeys_document(journeys, problems), ensure_ascii=False, indent=2) + "\n",
                    encoding="utf-8")
    return path
