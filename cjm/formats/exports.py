"""Text exports of meeting and transcription tools, each a layout plain text would misread.

- Otter (and Teams' .docx export): a `Name  0:08` header line, then the text on the lines below.
- Fathom: `0:00 - Name (email or company)`, then indented text.
- Markdown with `**Name:** text` turns and escaped `\\[mm:ss\\]` timestamps (podcast and
  human-edited transcripts); paragraphs without a name continue the turn above.
- `- [mm:ss.ss - mm:ss.ss] **Name**: text` lines (Whisper front-ends such as MacWhisper).

A layout is chosen only where its turn markers outnumber the `Name: text` lines plain text would
use, so a file that already reads as plain text keeps reading the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from . import SKIP, Format, Parsed, Turn, collect_turns
from .plaintext import TURN_START, looks_like_label, parse_timestamp, split_front_matter

CLOCK = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
# `Name  0:08`; pasted into Markdown the name is bold (`**Name**  0:08  `) where Otter knew the speaker
OTTER_HEADER = re.compile(
    rf"^(?P<bold>\*\*|__)?(?P<name>[^\s\d\W][^\n]{{0,59}}?)(?(bold)(?P=bold))\s+\(?(?P<ts>{CLOCK})\)?\s*$")
OTTER_FOOTER = re.compile(r"^Transcribed by https?://otter\.ai\s*$", re.IGNORECASE)
FATHOM_HEADER = re.compile(rf"^@?(?P<ts>{CLOCK})\s+[-–—]\s+(?P<name>[^\n]{{1,120}}?)\s*$")
BOLD_TURN = re.compile(
    rf"^(?:\\?\[(?P<ts>{CLOCK})\\?\]\s*)?\*\*(?P<name>[^*\n]{{1,60}}?)(?::\*\*|\*\*\s*:)\s*(?P<text>.*)$")
RANGE_TURN = re.compile(
    rf"^\s*[-*]?\s*\[(?P<ts>{CLOCK})\s*[-–—]+>?\s*{CLOCK}\]\s*"
    rf"(?:\*\*(?P<bold>[^*\n]{{1,60}}?)(?::\*\*|\*\*\s*:?)|(?P<plain>[^:\n]{{1,60}}?):)\s*(?P<text>.*)$")
LEADING_TIME = re.compile(rf"^\\?\[(?P<ts>{CLOCK})\\?\]\s*")
MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")
PARENTHESIS = re.compile(r"\s*\(([^()]*)\)\s*$")
EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$")


@dataclass(frozen=True)
class Layout:
    name: str
    is_marker: Callable[[str], bool]  # is this line a turn marker of the layout?
    parse: Callable[[list[str], int], tuple[list[Turn], dict, list[str]]]
    # Header layouts (a name and a time alone on a line) can be matched by a sentence such as
    # 'Meeting at 10:30'; in a real export every turn has a header, so they must be frequent.
    min_share: float = 0.0


def sniff(content: str | bytes, suffix: str) -> bool:
    return isinstance(content, str) and choose_layout(content.lstrip("\ufeff").splitlines()) is not None


def parse(text: str, source: str) -> Parsed:
    """Front matter as in plain text, then the turns of whichever layout the body uses."""
    meta, body, offset = split_front_matter(text.lstrip("\ufeff"), source)
    layout = choose_layout(body)
    if layout is None:  # called directly on a file that is none of these: nothing to read
        return Parsed(turns=[], format="export", metadata=meta)
    turns, extra, notes = layout.parse(body, offset)
    for key, value in extra.items():
        meta.setdefault(key, value)
    return Parsed(turns=turns, format=layout.name, metadata=meta, notes=notes)


def choose_layout(lines: list[str]) -> Layout | None:
    """The layout whose markers occur and outnumber plain `Name: text` turn lines."""
    sample = [line.rstrip() for line in lines[:3000] if line.strip()]
    if not sample:
        return None
    plain = sum(1 for line in sample if is_plain_turn(line))
    best: tuple[int, Layout] | None = None
    for layout in LAYOUTS:
        count = sum(1 for line in sample if layout.is_marker(line))
        if count * 1.0 < layout.min_share * len(sample):
            continue
        if count and count > plain and (best is None or count > best[0]):
            best = (count, layout)
    return best[1] if best else None


def is_plain_turn(line: str) -> bool:
    match = TURN_START.match(line.strip())
    return bool(match and looks_like_label(match["label"].strip()))


# --- Otter / Teams docx ---------------------------------------------------------------------

def is_otter_header(line: str) -> bool:
    match = OTTER_HEADER.match(line.strip())
    return bool(match) and line == line.lstrip() and looks_like_name(match["name"])


def looks_like_name(name: str) -> bool:
    """A short name or 'Speaker 1': no sentence punctuation, at most five words."""
    bare = name.strip()
    return bool(bare) and len(bare.split()) <= 5 and not re.search(r"[,.!?;:«»\"“”]\s|[!?;:]$", bare) \
        and (bare[0].isupper() or bare[0].isdigit())


def parse_otter(lines: list[str], offset: int) -> tuple[list[Turn], dict, list[str]]:
    """`Name  0:08` then text lines, until the next header; Otter's 'Transcribed by' footer is not
    the last speaker's words."""
    kept = ["" if OTTER_FOOTER.match(line.strip()) else line for line in lines]
    return parse_headed(kept, offset, lambda line: header(OTTER_HEADER, line, is_otter_header))


# --- Fathom ---------------------------------------------------------------------------------

def is_fathom_header(line: str) -> bool:
    return FATHOM_HEADER.match(line.strip()) is not None and line == line.lstrip()


def parse_fathom(lines: list[str], offset: int) -> tuple[list[Turn], dict, list[str]]:
    """`0:00 - Name (email)` then indented text; the e-mail goes to metadata, not the label."""
    emails: dict[str, str] = {}

    def fathom_header(line: str) -> tuple[str, float | None] | None:
        found = header(FATHOM_HEADER, line, is_fathom_header)
        if found is None:
            return None
        name, start = found
        paren = PARENTHESIS.search(name)
        if paren and EMAIL.match(paren.group(1).strip()):
            name = name[:paren.start()].strip()
            emails.setdefault(name, paren.group(1).strip())
        return name, start

    turns, extra, notes = parse_headed(lines, offset, fathom_header)
    if emails:
        extra["emails"] = emails
    return turns, extra, notes


def header(pattern: re.Pattern[str], line: str, check: Callable[[str], bool]) -> tuple[str, float | None] | None:
    if not check(line):
        return None
    match = pattern.match(line.strip())
    assert match is not None  # check() matched the same pattern
    return " ".join(match["name"].split()), parse_timestamp(match["ts"])


def parse_headed(lines: list[str], offset: int,
                 read_header: Callable[[str], tuple[str, float | None] | None]) -> tuple[list[Turn], dict, list[str]]:
    """Header line (speaker, time) then body lines, shared by Otter and Fathom."""
    def opens(raw: str, line_no: int):
        if raw.strip() in ("---", "***", "___"):
            return SKIP  # a rule between the tool's heading and the transcript
        found = read_header(raw.rstrip())
        return Turn(found[0], "", found[1], line_no) if found else None

    turns, preamble = collect_turns(lines, offset, opens)
    return turns, preamble_meta(preamble), preamble_notes(preamble)


# --- Markdown -------------------------------------------------------------------------------

def is_bold_turn(line: str) -> bool:
    match = BOLD_TURN.match(line.strip())
    return bool(match) and looks_like_name(match["name"])


def parse_markdown(lines: list[str], offset: int) -> tuple[list[Turn], dict, list[str]]:
    """`**Name:** text`; unnamed paragraphs continue the turn; `\\[08:04\\]` at a paragraph start
    is the time of that paragraph (the turn's start when it opens the turn)."""
    breaks = 0

    def opens(raw: str, line_no: int):
        nonlocal breaks
        match = BOLD_TURN.match(raw.strip())
        if not (match and looks_like_name(match["name"])):
            return None
        text, start = leading_time(match["text"])
        if start is not None and not text.strip():
            breaks += 1  # '**Break**: \[27:22\]' marks a section, nobody speaks
            return SKIP
        return Turn(" ".join(match["name"].split()), unescape(text),
                    parse_timestamp(match["ts"]) if match["ts"] else start, line_no)

    turns, preamble = collect_turns(
        lines, offset, opens, continues=lambda line: unescape(leading_time(line)[0]),
        preamble_line=lambda line: None if line.startswith(("#", "---", "===")) else unescape(line))
    notes = preamble_notes(preamble)
    if breaks:
        notes.append(f"{breaks} section marker(s) such as '**Break**: [mm:ss]' skipped")
    return turns, preamble_meta(preamble), notes


def leading_time(text: str) -> tuple[str, float | None]:
    match = LEADING_TIME.match(text)
    if not match:
        return text, None
    return text[match.end():], parse_timestamp(match["ts"])


def unescape(text: str) -> str:
    """Markdown escapes out (`\\[unintelligible\\]` -> `[unintelligible]`); the words stay."""
    return MD_ESCAPE.sub(r"\1", text).strip()


# --- [start - end] **Name**: text -----------------------------------------------------------

def is_range_turn(line: str) -> bool:
    match = RANGE_TURN.match(line)
    return bool(match) and looks_like_name(match["bold"] or match["plain"] or "")


def parse_ranges(lines: list[str], offset: int) -> tuple[list[Turn], dict, list[str]]:
    """One line a segment; lines without the marker continue the segment above."""
    def opens(raw: str, line_no: int):
        match = RANGE_TURN.match(raw.strip())
        if not (match and looks_like_name(match["bold"] or match["plain"] or "")):
            return None
        name = " ".join((match["bold"] or match["plain"]).split())
        return Turn(name, unescape(match["text"]), parse_timestamp(match["ts"]), line_no)

    turns, preamble = collect_turns(lines, offset, opens, continues=unescape,
                                    preamble_line=lambda line: None if line.startswith("#") else line)
    return turns, preamble_meta(preamble), preamble_notes(preamble)


def preamble_meta(preamble: list[str]) -> dict:
    return {"preamble": " ".join(preamble)} if preamble else {}


def preamble_notes(preamble: list[str]) -> list[str]:
    return [f"{len(preamble)} line(s) before the first speaker kept as 'preamble'"] if preamble else []


LAYOUTS = (
    Layout("markdown", is_bold_turn, parse_markdown),
    Layout("ranges", is_range_turn, parse_ranges),
    Layout("fathom", is_fathom_header, parse_fathom, min_share=0.2),
    Layout("otter", is_otter_header, parse_otter, min_share=0.2),
)

FORMAT = Format(name="export", binary=False, sniff=sniff, parse=parse)
