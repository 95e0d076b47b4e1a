"""The run's tables as one Excel workbook, for consultants who live in Excel.

One sheet per table: `events` (the tidy table of events.csv), `interviews` (one row per interview),
`transitions` (every stage-to-stage step, for all interviews and per channel group), `roles`
(the decision-making unit: who enters in which order, per channel group too), and `skipped` (the
files that could not be read, so that every input is accounted for). The numbers are the
report's own (`cjm.aggregate`). Text is untrusted: a string that a spreadsheet would run as a formula
(starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is written with a leading `'`, and
characters a workbook cannot hold (XML 1.0's invalid ones) are replaced by U+FFFD. A cell holds at
most 32,767 characters; longer text is cut there and ends with `…`. The file carries no date of
its own (1980-01-01, the earliest a zip can hold), so the same run gives the same bytes.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .aggregate import Ref, events_table, interviews_table, roles_table, transitions_table
from .codebook import Codebook
from .export import formula_safe
from .model import Journey, Problem
from .xmltext import xml_safe

MAX_CELL = 32767
ALL = "all"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
FIXED_DATE = "1980-01-01T00:00:00Z"


def cell_value(value: Any) -> Any:
    """A table's value as a cell holds it: lists joined, references as interview#utterance, missing
    values empty, text made safe (see the module's note)."""
    if isinstance(value, Ref):
        value = f"{value.interview}#{value.utterance}"
    if isinstance(value, (list, tuple, set)):
        value = ", ".join(str(cell_value(v)) for v in value)
    elif value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    elif hasattr(value, "item") and not isinstance(value, str):  # numpy scalars -> Python numbers
        value = value.item()
    if isinstance(value, str):
        value = xml_safe(value)
        if len(value) > MAX_CELL:
            value = value[:MAX_CELL - 1] + "…"
        return formula_safe(value)
    return value


def by_group(interviews: pd.DataFrame, table) -> pd.DataFrame:
    """A table for all interviews and for each channel group, with the group in the first column."""
    frames = []
    groups = [ALL] + sorted(set(interviews["channel_group"].dropna()))
    for group in groups:
        subset = interviews if group == ALL else interviews[interviews["channel_group"] == group]
        frame = table(subset)
        frames.append(frame.assign(channel_group=group)[["channel_group"] + list(frame.columns)])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def workbook_tables(journeys: list[Journey], codebook: Codebook,
                    problems: list[Problem] = ()) -> dict[str, pd.DataFrame]:
    """The sheets' tables, by sheet name: the four tables, and the files that could not be read
    (so every input is accounted for; the sheet has its header alone when all were read)."""
    events = events_table(journeys, codebook)
    interviews = interviews_table(journeys, codebook)
    transitions = by_group(interviews, lambda subset: transitions_table(subset, codebook))
    roles = by_group(interviews, lambda subset: roles_table(events[events["interview"].isin(subset["interview"])],
                                                            codebook))
    skipped = pd.DataFrame([{"source": p.source, "line": p.line, "message": p.message, "hint": p.hint}
                            for p in problems], columns=["source", "line", "message", "hint"])
    return {"events": events, "interviews": interviews, "transitions": transitions, "roles": roles,
            "skipped": skipped}


def _write_sheet(sheet, frame: pd.DataFrame) -> None:
    sheet.append([str(column) for column in frame.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False):
        sheet.append([cell_value(value) for value in row])
    sheet.freeze_panes = "A2"
    if len(frame.columns):
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(frame.columns))}{max(len(frame) + 1, 1)}"
    for index, column in enumerate(frame.columns, start=1):
        widest = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200) if v is not None])
        sheet.column_dimensions[get_column_letter(index)].width = min(max(widest, 6) + 2, 60)


def write_xlsx(journeys: list[Journey], codebook: Codebook, path: str | Path,
               tables: Iterable[tuple[str, pd.DataFrame]] | None = None, problems: list[Problem] = ()) -> Path:
    """The workbook, one sheet per table."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    book.remove(book.active)
    for name, frame in (tables or workbook_tables(journeys, codebook, problems).items()):
        _write_sheet(book.create_sheet(name), frame)
    book.save(path)
    _drop_dates(path)
    return path


def _drop_dates(path: Path) -> None:
    """openpyxl stamps the workbook and every zip entry with the time of saving; replaced by the
    zip's earliest date, so the same run gives the same file byte for byte."""
    with zipfile.ZipFile(path) as archive:
        entries = [(info, archive.read(info.filename)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + FIXED_DATE.encode(), data)
            fixed = zipfile.ZipInfo(info.filename, ZIP_DATE)
            fixed.compress_type, fixed.external_attr = zipfile.ZIP_DEFLATED, info.external_attr
            archive.writestr(fixed, data)
