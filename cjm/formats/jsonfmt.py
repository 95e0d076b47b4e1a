"""JSON from speech-to-text tools: openai-whisper (`segments`, no speakers), WhisperX (`speaker`
per segment) and a plain list of `{speaker, text, start}` objects (many in-house exports)."""

from __future__ import annotations

import json
from typing import Any

from ..errors import InputError
from . import Format, Parsed, Turn
from .cues import group_unattributed, parse_time

# The names tools give the same field; first match wins.
LIST_KEYS = ("segments", "utterances", "turns", "transcript", "entries", "items", "results", "monologues")
SPEAKER_KEYS = ("speaker", "speaker_name", "speakerName", "name", "participant")
TEXT_KEYS = ("text", "transcript", "content", "utterance", "sentence")
START_KEYS = ("start", "start_time", "startTime", "begin", "offset", "timestamp", "time")
END_KEYS = ("end", "end_time", "endTime", "stop")
HINT = "expected openai-whisper or WhisperX output, or a list of {speaker, text, start} objects"


def sniff(content: str | bytes, suffix: str) -> bool:
    """A .json file, or any text that is a JSON object or array."""
    if not isinstance(content, str):
        return False
    head = content.lstrip("\ufeff \t\r\n")[:1]
    if head not in ("{", "["):
        return False
    if suffix == ".json":
        return True
    try:
        json.loads(content.lstrip("\ufeff"))
    except (ValueError, RecursionError):
        return False
    return True


def parse(text: str, source: str) -> Parsed:
    """Segments -> turns with their start times; speakerless output becomes paragraphs."""
    try:
        data = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", path=source, line=exc.lineno,
                         hint="export the transcript again, or fix the JSON") from None
    except (ValueError, RecursionError):
        raise InputError("not valid JSON (nested too deep or malformed)", path=source, hint=HINT) from None
    records, metadata = find_records(data)
    if records is None:
        raise InputError("JSON without transcript segments", path=source, hint=HINT)
    items: list[tuple[Turn, float | None]] = []
    for record in records:
        if isinstance(record, str):
            record = {"text": record}
        if not isinstance(record, dict):
            continue
        body = " ".join(scalar(first(record, TEXT_KEYS)).split())
        if not body:
            continue
        speaker = " ".join(scalar(first(record, SPEAKER_KEYS)).split()) or None
        items.append((Turn(speaker, body, seconds(first(record, START_KEYS))),
                      seconds(first(record, END_KEYS))))
    notes: list[str] = []
    if items and not any(turn.speaker for turn, _ in items):
        return Parsed(turns=group_unattributed(items), format="json", metadata=metadata, notes=notes,
                      merge_consecutive=False)
    orphans = sum(1 for turn, _ in items if turn.speaker is None)
    if orphans:
        notes.append(f"{orphans} segment(s) have no speaker: kept as separate utterances with no speaker")
    return Parsed(turns=[turn for turn, _ in items], format="json", metadata=metadata, notes=notes)


def find_records(data: Any) -> tuple[list[Any] | None, dict[str, Any]]:
    """The list of segments and the metadata worth keeping (whisper's language)."""
    if isinstance(data, list):
        return data, {}
    if not isinstance(data, dict):
        return None, {}
    metadata: dict[str, Any] = {}
    if isinstance(data.get("language"), str):
        metadata["language"] = data["language"]
    for key in LIST_KEYS:
        value = data.get(key)
        if isinstance(value, list):
            return value, metadata
        if isinstance(value, dict):  # {"transcript": {"segments": [...]}}
            inner, _ = find_records(value)
            if inner is not None:
                return inner, metadata
    return None, metadata


def first(record: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if key in record and record[key] is not None:
            return record[key]
    return None


def scalar(value: Any) -> str:
    """A text or number as a string; '' for lists and objects, which are not a speaker or text."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return ""
    return str(value)


def seconds(value: Any) -> float | None:
    """A number of seconds, or a '00:01:02.5' string; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
        return number if number == number and 0 <= number < 10 ** 7 else None
    if isinstance(value, str):
        return parse_time(value) if ":" in value else seconds(to_float(value))
    return None


def to_float(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


FORMAT = Format(name="json", binary=False, sniff=sniff, parse=parse)
