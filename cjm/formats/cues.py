"""What the cue formats (WebVTT, SRT) and the segment formats (Whisper JSON) share.

Cue files are read line by line rather than with webvtt-py: the readers need the line of every
cue for messages and quotes, must survive the damaged files people actually have (a cue with no
blank line before it, a missing header, unpadded Teams timestamps) instead of rejecting the whole
file, and cjm then needs no dependency beyond what ingest already uses.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from . import Turn

# 00:01:02.500  1:02.5  0:0:0.210 (Teams)  00:00:01,000 (SRT)
TIME = r"(?:\d{1,3}:)?\d{1,2}:\d{1,2}(?:[.,]\d{1,3})?"
TIMING = re.compile(rf"^\s*(?P<start>{TIME})\s*-->\s*(?P<end>{TIME})(?P<settings>.*)$")
TAG = re.compile(r"<[^>\n]*>")
ASS_TAG = re.compile(r"\{\\[^}\n]*\}")  # SRT styling such as {\an8}
VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+(?P<name>[^>\n]+)>")
LABEL = re.compile(r"^(?:-\s*)?(?:\[(?P<bracket>[^\]\n]{1,60})\]\s*:|(?P<plain>[^:\n\[\]<>]{1,60}?)\s*:)\s+(?P<text>\S.*)$")
SENTENCE_PUNCT = re.compile(r"[,!?;«»\"“”]")
SENTENCE_END = re.compile(r"[.!?…»\"”)]\s*$")
MAX_LABEL_WORDS = 5
# Without speakers, cues are grouped into paragraphs: at a pause, or at a sentence end once the
# paragraph is long enough, so that utterances stay quotable units rather than one wall of text.
PAUSE_SECONDS = 3.0
PARAGRAPH_WORDS = 60


@dataclass
class Cue:
    """One timed cue: its start and end in seconds, the payload lines and where they begin."""

    start: float | None
    end: float | None
    lines: list[str] = field(default_factory=list)
    line: int = 0  # 1-based line of the timing line


def parse_time(value: str | None) -> float | None:
    """'00:01:02.500' / '1:02,5' / '0:0:0.210' -> seconds; None when it is not a time."""
    if not value:
        return None
    try:
        seconds = 0.0
        for part in value.strip().replace(",", ".").split(":"):
            seconds = seconds * 60 + float(part)
    except ValueError:
        return None
    return seconds


def read_cues(lines: list[str], *, skip_blocks: tuple[str, ...] = ()) -> list[Cue]:
    """Split lines into cues: a timing line opens a cue, a blank line closes its payload.

    A number or identifier directly before a timing line is the cue id, not text. Blocks that
    start with one of `skip_blocks` (WebVTT NOTE, STYLE, REGION) outside a cue are dropped.
    """
    cues: list[Cue] = []
    current: Cue | None = None
    skipping = False
    for index, raw in enumerate(lines):
        line = raw.strip()
        timing = TIMING.match(line)
        if timing:
            skipping = False
            current = Cue(parse_time(timing["start"]), parse_time(timing["end"]), line=index + 1)
            cues.append(current)
            continue
        if not line:
            if raw and current is not None and not current.lines:
                continue  # YouTube opens a cue with a line of one space: not the end of the cue
            current = None
            skipping = False
            continue
        if skipping:
            continue
        if current is None:
            if skip_blocks and line.startswith(skip_blocks):
                skipping = True
            # Otherwise a cue id (or stray text between cues, which no tool means as speech).
            continue
        next_line = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if TIMING.match(next_line) and (line.isdigit() or not current.lines):
            # A cue number glued to the next cue (no blank line between): not speech.
            current = None
            continue
        current.lines.append(line)
    return cues


def clean_text(text: str) -> str:
    """Markup out, entities decoded, whitespace collapsed."""
    text = ASS_TAG.sub("", TAG.sub("", text))
    return " ".join(html.unescape(text).split())


def split_label(line: str) -> tuple[str | None, str]:
    """'Name: text' or '[SPEAKER_03]: text' -> (label, text); (None, line) when there is none."""
    match = LABEL.match(line)
    if not match:
        return None, line
    label = (match["bracket"] or match["plain"] or "").strip()
    if not is_label(label, bracketed=match["bracket"] is not None):
        return None, line
    return label, match["text"].strip()


def is_label(label: str, *, bracketed: bool = False) -> bool:
    """A speaker name or diarization id, not the first half of a sentence ('Note: ...' is
    told apart later, by how many cues carry labels)."""
    if not label or not any(ch.isalpha() for ch in label):
        return False
    if bracketed:
        return True
    bare = re.sub(r"\([^)]*\)", "", label).strip()
    if not bare or SENTENCE_PUNCT.search(bare) or len(bare.split()) > MAX_LABEL_WORDS:
        return False
    return bare[0].isupper() or bare[0].isdigit()


def labels_are_speakers(labelled: int, total: int) -> bool:
    """Labels name speakers when most cues carry one; a stray 'Note: ...' in captions does not."""
    return labelled > 0 and labelled * 2 >= total


def group_unattributed(items: list[tuple[Turn, float | None]]) -> list[Turn]:
    """Speakerless cues (with their end times) -> paragraphs, split at pauses, or at a sentence
    end once the paragraph is long enough: one utterance per cue is too fine to read, one for
    the whole file too coarse to quote."""
    paragraphs: list[Turn] = []
    last_end: float | None = None
    for turn, end in items:
        if not paragraphs or new_paragraph(paragraphs[-1], turn, last_end):
            paragraphs.append(Turn(None, turn.text, turn.start, turn.line))
        else:
            paragraphs[-1].text = f"{paragraphs[-1].text} {turn.text}".strip()
        last_end = end if end is not None else turn.start
    return paragraphs


def new_paragraph(paragraph: Turn, turn: Turn, last_end: float | None) -> bool:
    if turn.start is not None and last_end is not None and turn.start - last_end >= PAUSE_SECONDS:
        return True
    return len(paragraph.text.split()) >= PARAGRAPH_WORDS and bool(SENTENCE_END.search(paragraph.text))


def dedupe_rolling(previous: list[str], line: str) -> str:
    """The part of a caption line that is new, given the lines already emitted (newest last).

    Rolling captions (YouTube auto-captions, live captions) repeat the line shown before, or
    grow it word by word; reading every cue as it comes would say everything two or three times.
    """
    if not line or line in previous[-3:]:
        return ""
    if previous and len(line) > len(previous[-1]) and line.startswith(previous[-1] + " "):
        return line[len(previous[-1]):].strip()
    return line
