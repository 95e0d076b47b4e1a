"""WebVTT: Zoom cloud transcripts, Teams, YouTube and plain captions.

Speakers come from `<v Name>` voice spans (Teams) or a `Name: ` prefix on the cue (Zoom); a
file where neither occurs has no speakers and its cues are grouped into paragraphs. Inline word
timings and rolling duplicate lines (YouTube) are removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import Format, Parsed, Turn
from .cues import (TIMING, VOICE, Cue, clean_text, dedupe_rolling, group_unattributed, labels_are_speakers,
                   read_cues, split_label)

SKIP_BLOCKS = ("NOTE", "STYLE", "REGION")
HEADER_META = re.compile(r"^(?P<key>[A-Za-z][\w-]{0,30}):\s*(?P<value>.+)$")


def sniff(content: str | bytes, suffix: str) -> bool:
    """The WEBVTT signature decides; a .vtt without it still counts when it has cue timings."""
    if not isinstance(content, str):
        return False
    head = content.lstrip("\ufeff")[:4096]
    if re.match(r"WEBVTT(?:[ \t].*)?(?:\r?\n|$)", head):
        return True
    return suffix == ".vtt" and any(TIMING.match(line) for line in head.splitlines()[:20])


@dataclass
class Piece:
    """One payload line of a cue, with the speaker it was given."""

    cue: int
    speaker: str | None
    text: str
    start: float | None
    end: float | None
    line: int


def parse(text: str, source: str) -> Parsed:
    """Cues -> turns, with each cue's start time and line."""
    lines = text.lstrip("\ufeff").splitlines()
    metadata = header_metadata(lines)
    cues = read_cues(lines, skip_blocks=SKIP_BLOCKS)
    pieces = voice_pieces(cues)
    if not any(p.speaker for p in pieces):
        pieces = zoom_labels(pieces)
    turns, ends = drop_rolling(pieces)
    notes: list[str] = [] if cues else ["no cues found in the WebVTT file"]
    if turns and not any(t.speaker for t in turns):
        return Parsed(turns=group_unattributed(list(zip(turns, ends))), format="webvtt",
                      metadata=metadata, notes=notes, merge_consecutive=False)
    orphans = sum(1 for t in turns if t.speaker is None)
    if orphans:
        notes.append(f"{orphans} cue(s) have no speaker name (the tool could not tell who spoke): "
                     "kept as separate utterances with no speaker")
    return Parsed(turns=turns, format="webvtt", metadata=metadata, notes=notes)


def voice_pieces(cues: list[Cue]) -> list[Piece]:
    """Payload lines with the `<v Name>` speaker of their cue (Teams); None where there is none."""
    pieces: list[Piece] = []
    for index, cue in enumerate(cues):
        speaker: str | None = None
        for offset, raw in enumerate(cue.lines):
            voice = VOICE.search(raw)
            if voice:
                speaker = clean_text(voice["name"]) or None
            pieces.append(Piece(index, speaker, clean_text(raw), cue.start, cue.end, cue.line + 1 + offset))
    return pieces


def zoom_labels(pieces: list[Piece]) -> list[Piece]:
    """'Name: text' cues (Zoom) -> speakers, when most cues carry such a label."""
    split = [split_label(p.text) for p in pieces]
    if not labels_are_speakers(sum(1 for label, _ in split if label), len(pieces)):
        return pieces
    return [Piece(p.cue, label, text, p.start, p.end, p.line) if label else p
            for p, (label, text) in zip(pieces, split)]


def drop_rolling(pieces: list[Piece]) -> tuple[list[Turn], list[float | None]]:
    """Turns without the lines a rolling caption repeats from the cue before; and cue ends."""
    turns: list[Turn] = []
    ends: list[float | None] = []
    previous: list[str] = []  # lines of the cue before, same speaker
    current: list[str] = []
    last: tuple[int, str | None] | None = None
    for piece in pieces:
        if (piece.cue, piece.speaker) != last:
            previous = current if last is not None and last[1] == piece.speaker else []
            current = []
            last = (piece.cue, piece.speaker)
        new = dedupe_rolling(previous, piece.text)
        if piece.text:
            current.append(piece.text)
        if new:
            turns.append(Turn(piece.speaker, new, piece.start, piece.line))
            ends.append(piece.end)
    return turns, ends


def header_metadata(lines: list[str]) -> dict[str, str]:
    """'Kind: captions' / 'Language: en' lines under the WEBVTT signature, as metadata."""
    meta: dict[str, str] = {}
    if not lines or not lines[0].startswith("WEBVTT"):
        return meta
    for line in lines[1:]:
        if not line.strip() or TIMING.match(line):
            break
        match = HEADER_META.match(line.strip())
        if match:
            key = match["key"].lower()
            meta[key] = match["value"].strip()
    return meta


FORMAT = Format(name="webvtt", binary=False, sniff=sniff, parse=parse)
