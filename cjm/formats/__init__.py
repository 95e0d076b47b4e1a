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


SKIP = object()  # what `opens` returns for a line that starts nothing and continues nothing (a rule)


def collect_turns(lines: list[str], offset: int, opens: Callable[[str, int], Any], *,
                  continues: Callable[[str], str] = lambda line: line,
                  preamble_line: Callable[[str], str | None] = lambda line: line) -> tuple[list[Turn], list[str]]:
    """The loop every line-based reader shares: a line that opens a turn starts it, any other
    line continues the turn above, and lines before the first turn are the preamble.

    `opens(raw_line, line_number)` returns a new `Turn`, None for an ordinary line, or `SKIP`;
    `continues` cleans a continuation line; `preamble_line` returns None to drop a preamble line.
    """
    turns: list[Turn] = []
    preamble: list[str] = []
    for index, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            continue
        opened = opens(raw, offset + index + 1)
        if opened is SKIP:
            continue
        if opened is not None:
            turns.append(opened)
        elif turns:
            turns[-1].text = f"{turns[-1].text} {continues(line)}".strip()
        else:
            kept = preamble_line(line)
            if kept is not None:
                preamble.append(kept)
    return turns, preamble


def registered_formats() -> list[Format]:
    """All readers, most specific first; plain text with speaker labels is the fallback.

    Binary DOCX first; JSON and WebVTT have signatures; SRT is recognised by its timing lines;
    the tool exports only where their markers outnumber plain `Name: text` lines.
    """
    from . import docx, exports, jsonfmt, plaintext, srt, webvtt

    return [docx.FORMAT, jsonfmt.FORMAT, webvtt.FORMAT, srt.FORMAT, exports.FORMAT, plaintext.FORMAT]
