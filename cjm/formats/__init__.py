"""Readers that map one transcript format each onto speaker turns.

A reader is a `Format`: a name, a `sniff` that recognises the format by content (the file
suffix only breaks ties), and a `parse` that returns a `Parsed` document. `ingest` picks the
first format whose sniff says yes, so the more specific formats come first in
`registered_formats()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class Turn:
    """One speaker turn or cue as the source has it, before numbering."""

    speaker: str | None
    text: str
    start: float | None = None
    line: int | None = None


@dataclass
class Parsed:
    """What a reader found in one file."""

    turns: list[Turn]
    format: str
    metadata: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    merge_consecutive: bool = True  # cue formats: consecutive cues of one speaker are one utterance


@dataclass(frozen=True)
class Format:
    name: str
    binary: bool  # parse() receives bytes (True) or decoded text (False)
    sniff: Callable[[str | bytes, str], bool]  # (content, lower-case suffix) -> is it mine?
    parse: Callable[[Any, str], Parsed]  # (content, source path) -> Parsed


def registered_formats() -> list[Format]:
    """All readers, most specific first; plain text with speaker labels is the fallback.

    Binary DOCX first; JSON and WebVTT have signatures; SRT is recognised by its timing lines;
    the tool exports only where their markers outnumber plain `Name: text` lines.
    """
    from . import docx, exports, jsonfmt, plaintext, srt, webvtt

    return [docx.FORMAT, jsonfmt.FORMAT, webvtt.FORMAT, srt.FORMAT, exports.FORMAT, plaintext.FORMAT]
