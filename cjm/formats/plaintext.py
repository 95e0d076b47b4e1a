"""Plain text with speaker labels (contract section 1), with optional YAML front matter."""

from __future__ import annotations

import re

from ..errors import InputError
from ..safeyaml import YamlError, load_yaml
from . import Format, Parsed, Turn, collect_turns

# [00:12:03]  00:12:03  (12:03)  [12:03.5]
TIMESTAMP = r"[\[(]?(?P<ts>(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)[\])]?"
TURN_START = re.compile(
    rf"^\s*(?:{TIMESTAMP}\s*[-–—]?\s*)?(?P<label>[^\s:][^:\n]{{0,59}}?)\s*:(?:\s+|$)(?P<text>.*)$"
)
# Punctuation that occurs in sentences but not in speaker labels (outside their parentheses).
SENTENCE_PUNCT = re.compile(r"[,!?;«»\"“”]")
PARENTHESIS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
MAX_LABEL_WORDS = 5


def parse_timestamp(value: str | None) -> float | None:
    """'01:02:03' / '12:03' / '12:03.5' -> seconds."""
    if not value:
        return None
    parts = value.replace(",", ".").split(":")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return seconds


def looks_like_label(label: str, lower_case: frozenset[str] = frozenset()) -> bool:
    """A speaker label is a short name or role, not the first half of a sentence.

    Labels start with a capital or a digit, except those in `lower_case`: the lower-case labels
    that recur through the file ("спикер 1:", "марина:" in speech-recognition output).
    """
    bare = PARENTHESIS.sub("", label).strip()
    if not bare:
        return label.startswith("[")  # "[SPEAKER_03]"
    if SENTENCE_PUNCT.search(bare) or re.search(r"\d{3,}|https?$|www\.", bare):
        return False
    if len(bare.split()) > MAX_LABEL_WORDS:
        return False
    first = bare[0]
    return first.isupper() or first.isdigit() and bare.lower().startswith(("1", "2", "3")) or label in lower_case


MIN_LOWER_CASE_TURNS = 3  # a lower-case "word:" that opens this many lines is a speaker, not a sentence


def recurring_lower_case_labels(lines: list[str], declared: object = None) -> frozenset[str]:
    """Lower-case labels that open several lines, or that the front matter names as the interviewer."""
    counts: dict[str, int] = {}
    for raw in lines:
        match = TURN_START.match(raw.strip())
        label = match["label"].strip() if match else ""
        if label[:1].islower() and looks_like_label(label.capitalize()):
            counts[label] = counts.get(label, 0) + 1
    return frozenset(label for label, n in counts.items()
                     if n >= MIN_LOWER_CASE_TURNS or (isinstance(declared, str) and label == declared.strip()))


def split_front_matter(text: str, source: str) -> tuple[dict, list[str], int]:
    """Return (metadata, body lines, number of lines the front matter took)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}, lines, 0
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        raise InputError("front matter opened with '---' is never closed", path=source, line=1,
                         hint="add a closing '---' line after the metadata")
    block = "\n".join(lines[1:end])
    try:
        meta = load_yaml(block) if block.strip() else {}
    except YamlError as exc:
        line = exc.line + 1 if exc.line is not None else 1  # the block starts on line 2
        raise InputError(f"front matter is not valid YAML: {exc.message}", path=source, line=line,
                         hint=exc.hint or "fix the YAML between the '---' lines (quote a value to keep it as text)"
                         ) from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise InputError("front matter must be a mapping of 'key: value' lines", path=source, line=2,
                         hint="write e.g. 'id: ru-07' on its own line")
    return {str(k): v for k, v in meta.items()}, lines[end + 1:], end + 1


def parse(text: str, source: str) -> Parsed:
    """Split a labelled transcript into turns; unlabelled lines continue the turn above."""
    meta, body, offset = split_front_matter(text, source)
    lower_case = recurring_lower_case_labels(body, meta.get("interviewer"))
    turns, preamble = collect_turns(body, offset, lambda raw, line_no: opens_turn(raw, line_no, lower_case))
    notes: list[str] = []
    if not turns and preamble:
        # No speaker labels anywhere: the whole text is the respondent's, one utterance a paragraph.
        turns = paragraphs_as_turns(body, offset)
        notes.append("no speaker labels found: the whole text is taken as the respondent's")
    elif preamble:
        meta.setdefault("preamble", " ".join(preamble))
        notes.append(f"{len(preamble)} line(s) before the first speaker label kept as 'preamble'")
    return Parsed(turns=turns, format="text", metadata=meta, notes=notes, merge_consecutive=False)


def opens_turn(raw: str, line_no: int, lower_case: frozenset[str] = frozenset()) -> Turn | None:
    """`[00:12:03] Name (role): text` starts a turn; anything else continues one."""
    match = TURN_START.match(raw.strip())
    if match and looks_like_label(match["label"].strip(), lower_case):
        return Turn(speaker=match["label"].strip(), text=match["text"].strip(),
                    start=parse_timestamp(match["ts"]), line=line_no)
    return None


def paragraphs_as_turns(body: list[str], offset: int) -> list[Turn]:
    turns: list[Turn] = []
    current: Turn | None = None
    for index, raw in enumerate(body):
        line = raw.strip()
        if not line:
            current = None
            continue
        if current is None:
            current = Turn(speaker=None, text=line, line=offset + index + 1)
            turns.append(current)
        else:
            current.text += " " + line
    return turns


def sniff(content: str | bytes, suffix: str) -> bool:
    return isinstance(content, str)


FORMAT = Format(name="text", binary=False, sniff=sniff, parse=parse)
