"""SRT subtitles: with or without cue numbers, with diarized labels (`[SPEAKER_03]: …`,
`Name: …`) or none at all. Encodings (Windows-1251/1252, BOM) are handled by `ingest.decode`."""

from __future__ import annotations

from . import Format, Parsed, Turn
from .cues import TIMING, clean_text, group_unattributed, labels_are_speakers, read_cues, split_label

SNIFF_LINES = 30


def sniff(content: str | bytes, suffix: str) -> bool:
    """A cue timing line (`00:00:01,000 --> 00:00:02,500`) among the first lines of the file."""
    if not isinstance(content, str):
        return False
    head = content.lstrip("\ufeff")[:8192].splitlines()
    nonblank = [line for line in head if line.strip()][:SNIFF_LINES]
    timings = [line for line in nonblank if TIMING.match(line)]
    if not timings:
        return False
    # One timing line in a long plain-text preamble is a quote, not a subtitle file.
    return suffix == ".srt" or nonblank[0].strip().isdigit() or TIMING.match(nonblank[0]) is not None \
        or len(timings) * 4 >= len(nonblank)


def parse(text: str, source: str) -> Parsed:
    """Cues -> turns; labels become speakers where most cues carry one."""
    cues = read_cues(text.lstrip("\ufeff").splitlines())
    items: list[tuple[Turn, float | None]] = []
    for cue in cues:
        body = clean_text(" ".join(cue.lines))
        if body:
            items.append((Turn(None, body, cue.start, cue.line + 1), cue.end))
    split = [split_label(turn.text) for turn, _ in items]
    notes: list[str] = [] if cues else ["no cues found in the SRT file"]
    if labels_are_speakers(sum(1 for label, _ in split if label), len(items)):
        turns = [Turn(label, body, t.start, t.line) if label else t
                 for (t, _), (label, body) in zip(items, split)]
        orphans = sum(1 for t in turns if t.speaker is None)
        if orphans:
            notes.append(f"{orphans} cue(s) have no speaker label: kept as separate utterances "
                         "with no speaker")
        return Parsed(turns=turns, format="srt", notes=notes)
    return Parsed(turns=group_unattributed(items), format="srt", notes=notes, merge_consecutive=False)


FORMAT = Format(name="srt", binary=False, sniff=sniff, parse=parse)
