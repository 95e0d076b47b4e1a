"""Word documents: the text is taken out paragraph by paragraph (tables row by row) and read by
the text reader its layout calls for: `Name: text` turns (a typist's transcript), Teams' export
(`Name   0:03` line, then the text), or cues pasted from a .vtt file.

Line numbers in messages and quotes are paragraph numbers.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from ..errors import InputError
from . import Format, Parsed

DOCUMENT_PART = "word/document.xml"
MAX_UNZIPPED = 200 * 1024 * 1024  # a zip bomb is not a transcript


def sniff(content: str | bytes, suffix: str) -> bool:
    """A zip archive holding word/document.xml (whatever the file is called)."""
    if not isinstance(content, bytes) or not content.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return DOCUMENT_PART in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return suffix == ".docx"


def parse(data: bytes, source: str) -> Parsed:
    """Paragraphs -> text lines -> the matching text reader; format 'docx'."""
    blocks = document_lines(data, source)
    from . import registered_formats  # here, not at import: formats/__init__ imports this module

    # A document without empty paragraphs separates nothing by blank lines, so each paragraph is
    # followed by one for the readers to see the breaks; line numbers are mapped back to
    # paragraph numbers afterwards.
    separator = [] if any(not "".join(block).strip() for block in blocks) else [""]
    lines: list[str] = []
    paragraph_of: list[int] = []
    for number, block in enumerate(blocks, start=1):
        for line in block + separator:
            lines.append(line)
            paragraph_of.append(number)
    text = "\n".join(lines)
    for fmt in registered_formats():
        if fmt.binary or not fmt.sniff(text, ".docx"):
            continue
        parsed = fmt.parse(text, source)
        for turn in parsed.turns:
            if turn.line is not None and 0 < turn.line <= len(paragraph_of):
                turn.line = paragraph_of[turn.line - 1]
        layout = parsed.format
        parsed.format = "docx"
        if layout not in ("text", "docx"):
            parsed.metadata.setdefault("layout", layout)
        return parsed
    return Parsed(turns=[], format="docx")


def document_lines(data: bytes, source: str) -> list[list[str]]:
    """The body's paragraphs and table rows in document order, each as its lines."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED:
                raise InputError("the .docx file unpacks to more than 200 MB", path=source,
                                 hint="check that it is a transcript")
        import docx  # python-docx; imported here so that cjm starts fast without Word files

        document = docx.Document(io.BytesIO(data))
        lines: list[list[str]] = []
        for block in document.iter_inner_content():
            lines.extend(block_lines(block))
    except InputError:
        raise
    except Exception as exc:  # python-docx and lxml raise many types for a damaged file
        raise InputError(f"the Word file is damaged or not a .docx ({type(exc).__name__})", path=source,
                         hint="open it in Word and save it again as .docx") from None
    return lines


def block_lines(block: Any) -> list[list[str]]:
    """A paragraph -> [its lines] (soft line breaks kept); a table -> one [line] a row."""
    if hasattr(block, "rows"):
        rows: list[list[str]] = []
        for row in block.rows:
            cells = [" ".join(cell.text.split()) for cell in row.cells]
            cells = [c for i, c in enumerate(cells) if c and (i == 0 or c != cells[i - 1])]  # merged
            rows.append([row_line(cells)])
        return rows
    return [block.text.replace("\r", "\n").split("\n")]


def row_line(cells: list[str]) -> str:
    """[speaker, text] -> 'speaker: text'; [time, speaker, text] -> '[time] speaker: text'."""
    if len(cells) == 2:
        return f"{cells[0]}: {cells[1]}"
    if len(cells) >= 3:
        return f"[{cells[0]}] {cells[1]}: {' '.join(cells[2:])}"
    return cells[0] if cells else ""


FORMAT = Format(name="docx", binary=True, sniff=sniff, parse=parse)
