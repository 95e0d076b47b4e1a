"""journeys.json (contract section 3) and the tidy CSV beside the report."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .model import Journey, Problem
from .output import atomic_write_bytes, atomic_write_text

if TYPE_CHECKING:
    import pandas as pd

    from .cache import Pieces

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
            "outcome": list(journey.outcome_evidence),
        },
        "qualification": journey.qualification.as_dict() if journey.qualification is not None else None,
        "format": t.format,
        "has_speakers": t.has_speakers,
        "interviewer": t.interviewer,
        "metadata": {k: _jsonable(v) for k, v in sorted(t.metadata.items())},
        "notes": list(t.notes),
        "review": dict(journey.review),
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
                "reviewed": item.reviewed,
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
                    for p in problems if not p.ignored],
        # entries passed over by design (gold/, reviewed/, hidden files): accounted for, not failures
        "ignored": [{"source": p.source, "message": p.message} for p in problems if p.ignored],
    }


def strict_json(document: Any) -> str:
    """JSON as RFC 8259 has it: no NaN or Infinity (`.nan` / `.inf` in front matter reach the
    document as floats; strict readers refuse those tokens), so they are written as null."""
    try:
        return json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False)
    except ValueError:  # rare: walk the document only when a non-finite number is in it
        return json.dumps(finite(document), ensure_ascii=False, indent=2, allow_nan=False)


def finite(value: Any) -> Any:
    """`value` with every NaN and infinity (at any depth) replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


ITEM_INDENT = "    "  # an interview's object sits two levels deep: document -> "interviews" -> item


def journeys_json(journeys: list[Journey], problems: list[Problem], pieces: Pieces | None = None) -> str:
    """The text of journeys.json (UTF-8, stable key order so runs can be diffed); see `journeys_json_bytes`."""
    return journeys_json_bytes(journeys, problems, pieces).decode("utf-8")


def journeys_json_bytes(journeys: list[Journey], problems: list[Problem], pieces: Pieces | None = None) -> bytes:
    """journeys.json as UTF-8 bytes. With `pieces` each interview's part is the bytes cached for
    its journey, and the document is joined around them: byte for byte what `strict_json` writes
    for the whole (a test holds the two equal). Bytes, not text: a re-run at N = 1,000 would
    otherwise decode and encode again 35 MB it only copies."""
    if pieces is None:
        return strict_json(journeys_document(journeys, problems)).encode("utf-8")
    ordered = sorted(journeys, key=lambda j: j.id)
    head = strict_json(journeys_document([], problems)).encode("utf-8")
    empty = b'"interviews": []'
    if not ordered or empty not in head:
        return strict_json(journeys_document(journeys, problems)).encode("utf-8")
    parts = [pieces.one("journey-json", j.id, None, lambda j=j: journey_json(j).encode("utf-8"))
             for j in ordered]
    indent = ITEM_INDENT.encode()
    body = b'"interviews": [\n' + indent + (b",\n" + indent).join(parts) + b"\n  ]"
    return head.replace(empty, body, 1)


def journey_json(journey: Journey) -> str:
    """One interview's object as it stands inside journeys.json (its inner lines indented)."""
    return strict_json(journey_to_dict(journey)).replace("\n", "\n" + ITEM_INDENT)


def write_journeys(journeys: list[Journey], problems: list[Problem], path: str | Path,
                   pieces: Pieces | None = None) -> Path:
    """Write journeys.json whole or not at all (temporary file, then os.replace)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_bytes(path, journeys_json_bytes(journeys, problems, pieces) + b"\n")


# OWASP "CSV injection": a cell starting with one of these is run as a formula by spreadsheets
# (the full-width forms too, by some); a leading apostrophe makes it text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def formula_safe(value: Any) -> Any:
    """A string cell that a spreadsheet would read as a formula, prefixed with `'`; anything
    else (numbers, including negative ones, and missing values) as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def formula_safe_frame(frame: "pd.DataFrame") -> "pd.DataFrame":
    """A copy of `frame` with `formula_safe` applied to every text column (for CSV or XLSX)."""
    from pandas.api.types import is_object_dtype, is_string_dtype

    safe = frame.copy()
    for column in safe.columns:
        if is_object_dtype(safe[column]) or is_string_dtype(safe[column]):
            safe[column] = safe[column].map(formula_safe)
    return safe


def write_events_csv(frame: "pd.DataFrame", path: str | Path) -> Path:
    """events.csv, formula-safe, written whole or not at all."""
    return atomic_write_text(Path(path), formula_safe_frame(frame).to_csv(index=False, lineterminator="\n"))
