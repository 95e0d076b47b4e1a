"""Review: a person checks the tags in a spreadsheet, and the corrections win on every later run.

The loop (README, "Review and correct"):
  write_review     a run's journeys -> review.xlsx (or review.csv + review.interviews.csv): one row per
                   respondent utterance, least certain first, with empty columns for corrections
  apply_review     the filled-in sheet, validated in full, -> DIR/reviewed/<id>.reviewed.json (the
                   contract's gold shape, so `cjm learn` and `cjm evaluate` read them too)
  match_review     a stored review against the transcript as it is now: utterances are matched by
                   their normalised text (sequence alignment), so an edited transcript keeps the
                   labels of the utterances that did not change and flags the rest
  use_review       the pipeline's hook: reviewed utterances keep the person's labels, interview
                   fields the person set override the derived ones

Conventions of a correction cell (`stages_fix`, `roles_fix`, `channels_fix`, and the interview
sheet's `*_fix`): empty accepts the suggestion, `-` means no label (no value), otherwise label ids
separated by commas. A row counts as reviewed once its `ok` cell is marked (x, yes, ok, 1, ✓) or any
of its `*_fix` cells is filled; rows left alone are not stored, so a consultant may stop anywhere.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import tempfile
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher, get_close_matches
from pathlib import Path
from typing import Any, Iterable, Iterator

from .codebook import Codebook
from .errors import CjmError, UsageError
from .model import CHANNEL, KINDS, NONE, ROLE, STAGE, Journey, Mention, TaggedUtterance, Transcript, Utterance

REVIEW_FOLDER = "reviewed"
REVIEW_SUFFIX = ".reviewed.json"
REVIEW_VERSION = 1
KEYS = {STAGE: "stages", ROLE: "roles", CHANNEL: "channels"}  # kind -> the contract's utterance key
FIELDS = ("channel", "outcome", "first_contact_role", "cycle_days")  # interview fields a person may set
OUTCOMES = ("bought", "stalled", "lost")
UTTERANCES_SHEET, INTERVIEWS_SHEET, LABELS_SHEET = "utterances", "interviews", "labels"
UTTERANCE_COLUMNS = ["interview", "n", "speaker", "time", "text", "ok"] + [
    f"{key}{suffix}" for key in KEYS.values() for suffix in ("", "_fix", "_p", "_evidence")] + [
    "certainty", "reviewed", "text_key"]
INTERVIEW_COLUMNS = ["interview", "language", "source", "ok"] + [
    f"{name}{suffix}" for name in FIELDS for suffix in ("", "_fix", "_p", "_evidence")] + [
    "utterances_reviewed", "fields_reviewed"]
NO_LABEL = {"-", "—", "–", "none"}
OK_MARKS = {"x", "х", "✓", "✔", "+", "y", "yes", "ok", "1", "true", "да", "д"}
NOT_OK_MARKS = {"n", "no", "0", "false", "нет"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
KEY_PATTERN = re.compile(r"[0-9a-f]{16}")
MAX_CELL = 32000  # Excel keeps at most 32,767 characters in a cell
MAX_LISTED = 20  # problems listed in one refusal


# --------------------------------------------------------------------------- text identity

def normalise(text: str) -> str:
    """What makes two utterances "the same text": words only, case, width and ё folded.

    Re-punctuating, re-spacing or re-casing a transcript keeps its reviews; changing a word does not."""
    folded = unicodedata.normalize("NFKC", text or "").casefold().replace("ё", "е")
    return " ".join(re.findall(r"\w+", folded))


def text_key(text: str) -> str:
    """A short fingerprint of the normalised text, stored with each review to detect edits."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()[:16]


def formula_safe(value: Any) -> Any:
    """A string a spreadsheet would run as a formula (=, +, -, @ ...) gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def formula_unsafe(value: str) -> str:
    """Undo `formula_safe` on text read back from a sheet."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_START) else value


# --------------------------------------------------------------------------- errors

@dataclass(frozen=True)
class SheetProblem:
    """One cell at fault: where a person finds it in their spreadsheet program."""

    where: str  # "sheet 'utterances'" or a CSV file name
    row: int  # 1-based, the header being row 1
    column: int | None  # 1-based; None where the whole row is at fault
    header: str | None
    message: str

    def __str__(self) -> str:
        at = f"{self.where} row {self.row}"
        if self.column is not None:
            from openpyxl.utils import get_column_letter

            at += f", column {get_column_letter(self.column)}" + (f" ({self.header})" if self.header else "")
        return f"{at}: {self.message}"


class ReviewError(CjmError):
    """A sheet (or a stored review) that cannot be applied; nothing is written when it is raised."""

    def __init__(self, path: str | Path, problems: list[SheetProblem | str]) -> None:
        listed = [f"  {p}" for p in problems[:MAX_LISTED]]
        if len(problems) > MAX_LISTED:
            listed.append(f"  … and {len(problems) - MAX_LISTED} more")
        super().__init__(f"refused, nothing was stored ({len(problems)} problem(s)):\n" + "\n".join(listed),
                         path=str(path))
        self.sheet_problems = problems


# --------------------------------------------------------------------------- writing the sheet

@dataclass
class ReviewRow:
    """One respondent utterance as the sheet shows it."""

    interview: str
    n: int
    speaker: str
    time: str
    text: str
    labels: dict[str, list[str]]  # "stages" -> ids
    p: dict[str, str]  # "stages" -> the probabilities, as text
    evidence: dict[str, str]
    certainty: float | None
    reviewed: bool
    key: str

    def cells(self) -> list[Any]:
        out: list[Any] = [self.interview, self.n, self.speaker, self.time, self.text[:MAX_CELL], None]
        for key in KEYS.values():
            out += [", ".join(self.labels[key]), None, self.p[key], self.evidence[key]]
        return out + [None if self.certainty is None else round(self.certainty, 4), "yes" if self.reviewed else "",
                      self.key]


def clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    total = int(round(float(seconds)))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def decision_certainty(item: TaggedUtterance) -> float | None:
    """How sure the model is of this utterance: its least sure decision (a stage chosen, a role or
    channel candidate given or refused). None where there are no probabilities (rules only)."""
    found: list[float] = []
    stage_p = item.probabilities.get(STAGE) or {}
    if stage_p:
        found += [stage_p.get(s, 0.0) for s in (item.stages or [NONE])]
    for kind in (ROLE, CHANNEL):
        for label, p in (item.probabilities.get(kind) or {}).items():
            found.append(p if label in item.labels(kind) else 1.0 - p)
    return min(found) if found else None


def probability_text(item: TaggedUtterance, kind: str) -> str:
    """The given labels' probabilities; with none given, the one the model came closest to."""
    probs = item.probabilities.get(kind) or {}
    if not probs:
        return ""
    given = item.labels(kind)
    if given:
        return ", ".join(f"{label} {probs[label]:.2f}" for label in given if label in probs)
    if kind == STAGE:
        return f"none {probs.get(NONE, 0.0):.2f}"
    label, p = max(probs.items(), key=lambda kv: (kv[1], kv[0]))
    return f"not {label} {1 - p:.2f}"


def evidence_text(item: TaggedUtterance, kind: str) -> str:
    """The phrases behind each given label (a label the model gave from context alone has none)."""
    parts = []
    for label in item.labels(kind):
        phrases = sorted({m.text for m in item.mentions if m.kind == kind and m.label == label
                          and m.origin not in ("model", "review")})
        parts.append(f"{label}: " + (" | ".join(f"“{p}”" for p in phrases) if phrases else "—"))
    return "; ".join(parts)


def review_rows(journey: Journey) -> list[ReviewRow]:
    """The respondent utterances of one interview: not yet reviewed first, least certain first."""
    rows = []
    for item in journey.utterances:
        u = item.utterance
        if u.is_interviewer:
            continue
        rows.append(ReviewRow(
            interview=journey.id, n=u.n, speaker=u.speaker, time=clock(u.start), text=u.text,
            labels={key: list(item.labels(kind)) for kind, key in KEYS.items()},
            p={key: probability_text(item, kind) for kind, key in KEYS.items()},
            evidence={key: evidence_text(item, kind) for kind, key in KEYS.items()},
            certainty=None if item.reviewed else decision_certainty(item), reviewed=item.reviewed, key=text_key(u.text)))
    return sorted(rows, key=lambda r: (r.reviewed, 2.0 if r.certainty is None else r.certainty, r.n))


def field_cells(journey: Journey) -> list[Any]:
    """The interview sheet's row: each field with its confidence and the utterance it comes from."""
    by_n = {t.n: t for t in journey.utterances}

    def quote(numbers: Iterable[int | None]) -> str:
        return " | ".join(f"#{n}: {by_n[n].utterance.text[:200]}" for n in numbers if n in by_n)

    def conf(name: str) -> float | None:
        value = journey.confidence.get(name)
        return round(float(value), 4) if isinstance(value, (int, float)) else None

    review = journey.review or {}
    cells: list[Any] = [journey.id, journey.transcript.language, journey.transcript.source, None]
    cells += [journey.channel or "", None, conf("channel"), quote([journey.channel_evidence])]
    cells += [journey.outcome or "", None, conf("outcome"), ""]
    cells += [journey.first_contact_role or "", None, conf("first_contact_role"), quote([journey.first_contact_evidence])]
    cells += ["" if journey.cycle_days is None else journey.cycle_days, None, conf("cycle_days"),
              quote(journey.cycle_evidence)]
    cells += [f"{review.get('utterances_reviewed', 0)} of {review.get('respondent_utterances', 0)}",
              ", ".join(review.get("fields_reviewed") or [])]
    return cells


def write_review(journeys: list[Journey], codebook: Codebook, path: str | Path) -> list[Path]:
    """Write the review sheet (.xlsx, or .csv with its interview sheet beside it); return the files."""
    path = Path(path)
    ordered = sorted(journeys, key=lambda j: j.id)
    rows = [row.cells() for j in ordered for row in review_rows(j)]
    fields = [field_cells(j) for j in ordered]
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        second = interviews_csv_path(path)
        _write_csv(path, UTTERANCE_COLUMNS, rows)
        _write_csv(second, INTERVIEW_COLUMNS, fields)
        return [path, second]
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"cannot write a review sheet as {path.name}: give a name ending in .xlsx or .csv")
    _write_xlsx(path, rows, fields, codebook)
    return [path]


def interviews_csv_path(path: Path) -> Path:
    """review.csv -> review.interviews.csv: the CSV form of the second sheet."""
    return path.with_name(path.stem + ".interviews.csv")


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with atomic_path(path) as temporary, open(temporary, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)  # (the BOM makes Excel read the file as UTF-8)
        writer.writerow(header)
        writer.writerows([["" if v is None else formula_safe(v) for v in row] for row in rows])


WIDTHS = {"interview": 10, "n": 5, "speaker": 14, "time": 9, "text": 70, "ok": 5, "certainty": 9, "reviewed": 9,
          "text_key": 18, "language": 8, "source": 22, "utterances_reviewed": 12, "fields_reviewed": 18}


def _write_xlsx(path: Path, rows: list[list[Any]], fields: list[list[Any]], codebook: Codebook) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    head_font, head_fill = Font(bold=True), PatternFill("solid", fgColor="DDE4EA")
    fix_fill, wrap = PatternFill("solid", fgColor="FFF6CC"), Alignment(wrap_text=True, vertical="top")
    # (styles are set only where they matter: per-cell styles are most of the time openpyxl takes)
    ranges = _write_labels_sheet(book.create_sheet(LABELS_SHEET), codebook, head_font, head_fill)
    sheets = ((book.active, UTTERANCES_SHEET, UTTERANCE_COLUMNS, rows, "G2"),
              (book.create_sheet(INTERVIEWS_SHEET, 1), INTERVIEWS_SHEET, INTERVIEW_COLUMNS, fields, "B2"))
    for sheet, title, header, data, freeze in sheets:
        sheet.title = title
        sheet.append(header)
        for row in data:
            sheet.append([xlsx_value(v) for v in row])
        for index, name in enumerate(header, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = WIDTHS.get(name, 30 if name.endswith("_evidence") else 14)
            cell = sheet.cell(row=1, column=index)
            cell.font, cell.fill = head_font, head_fill
            editable = name.endswith("_fix") or name == "ok"
            wrapped = name in ("text", "speaker") or name.endswith(("_evidence", "_p"))
            percent = name == "certainty" or (name.endswith("_p") and title == INTERVIEWS_SHEET)
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index) if (
                    editable or wrapped or percent) else ():
                if wrapped:
                    cell.alignment = wrap
                if editable:
                    cell.fill = fix_fill
                if percent:
                    cell.number_format = "0%"
            kind = name[:-len("_fix")] if name.endswith("_fix") else None
            target = {"stages": STAGE, "roles": ROLE, "channels": CHANNEL, "channel": CHANNEL,
                      "first_contact_role": ROLE, "outcome": "outcome"}.get(kind or "")
            if target and data:
                rule = DataValidation(type="list", formula1=ranges[target], allow_blank=True, showErrorMessage=False,
                                      promptTitle=name, prompt="empty: accept; -: none; ids comma-separated")
                rule.add(f"{letter}2:{letter}{len(data) + 1}")
                sheet.add_data_validation(rule)
        sheet.freeze_panes = freeze
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(data) + 1}"
    book.properties.title = "cjm review"
    with atomic_path(path) as temporary:
        book.save(temporary)


def xlsx_value(value: Any) -> Any:
    """A cell value an .xlsx can hold: formula-safe, without the control characters XML forbids
    (the text_key column keeps the fingerprint of the text as it really is)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", formula_safe(value)) if isinstance(value, str) else value


def _write_labels_sheet(sheet, codebook: Codebook, font, fill) -> dict[str, str]:
    """The allowed ids (the drop-downs' source and a legend); returns kind -> cell range."""
    sheet.append(["kind", "id", "name", "group"])
    for cell in sheet[1]:
        cell.font, cell.fill = font, fill
    ranges = {}
    blocks = [(kind, [(label.id, label.name("en"), label.group or "") for label in codebook.labels(kind)])
              for kind in (STAGE, ROLE, CHANNEL)] + [("outcome", [(o, o, "") for o in OUTCOMES])]
    for kind, labels in blocks:
        first = sheet.max_row + 1
        sheet.append([kind, "-", "none", ""])
        for ident, name, group in labels:
            sheet.append([kind, xlsx_value(ident), xlsx_value(name), xlsx_value(group)])
        ranges[kind] = f"'{LABELS_SHEET}'!$B${first}:$B${sheet.max_row}"
    for letter, width in zip("ABCD", (10, 20, 36, 14)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    return ranges


# --------------------------------------------------------------------------- reading the sheet

ACCEPT = object()  # an empty correction cell: the suggestion stands


@dataclass
class UtteranceCorrection:
    row: int
    interview: str
    n: int
    speaker: str
    text: str
    key: str
    suggested: dict[str, list[str]]
    fixes: dict[str, Any]  # "stages" -> ACCEPT or a list of ids
    ok: bool

    @property
    def reviewed(self) -> bool:
        return self.ok or any(v is not ACCEPT for v in self.fixes.values())

    def labels(self, key: str) -> list[str]:
        fix = self.fixes[key]
        return list(self.suggested[key] if fix is ACCEPT else fix)

    def corrected(self) -> list[str]:
        return [key for key in KEYS.values() if set(self.labels(key)) != set(self.suggested[key])]


@dataclass
class InterviewCorrection:
    row: int
    interview: str
    suggested: dict[str, Any]
    fixes: dict[str, Any]  # field -> ACCEPT or a value (None: no value)
    ok: bool

    @property
    def reviewed(self) -> bool:
        return self.ok or any(v is not ACCEPT for v in self.fixes.values())

    def value(self, name: str) -> Any:
        return self.suggested[name] if self.fixes[name] is ACCEPT else self.fixes[name]


@dataclass
class ReviewSheet:
    path: Path
    utterances: list[UtteranceCorrection] = field(default_factory=list)
    interviews: list[InterviewCorrection] = field(default_factory=list)


def read_review(path: str | Path, codebook: Codebook) -> ReviewSheet:
    """Read and validate a filled-in review sheet; every problem is named by row and column."""
    path = Path(path)
    if path.name.lower().endswith(".interviews.csv"):
        raise UsageError(f"{path.name} is the interview part of a CSV review: give "
                         f"{path.name[:-len('.interviews.csv')]}.csv (its interview part is read beside it)")
    if path.suffix.lower() == ".csv":
        tables = {UTTERANCES_SHEET: (path.name, _csv_rows(path))}
        second = interviews_csv_path(path)
        if second.is_file():
            tables[INTERVIEWS_SHEET] = (second.name, _csv_rows(second))
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        tables = _xlsx_tables(path)
    else:
        raise UsageError(f"cannot read a review sheet from {path.name}: give the .xlsx or .csv that 'cjm review' wrote")
    problems: list[SheetProblem] = []
    sheet = ReviewSheet(path)
    where, rows = tables[UTTERANCES_SHEET]
    sheet.utterances = _parse(rows, where, UTTERANCE_COLUMNS, problems, lambda r, c: _utterance(r, c, codebook))
    if INTERVIEWS_SHEET in tables:
        where, rows = tables[INTERVIEWS_SHEET]
        sheet.interviews = _parse(rows, where, INTERVIEW_COLUMNS, problems, lambda r, c: _interview(r, c, codebook))
    _no_duplicates(sheet, tables, problems)
    if problems:
        raise ReviewError(path, problems)
    return sheet


def _csv_rows(path: Path) -> list[list[Any]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReviewError(path, [f"cannot read it as UTF-8 text ({exc})"]) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","  # Excel in many locales saves with ';'
    try:
        return list(csv.reader(text.splitlines(keepends=True), delimiter=delimiter))
    except csv.Error as exc:
        raise ReviewError(path, [f"not a readable CSV file ({exc})"]) from None


def _xlsx_tables(path: Path) -> dict[str, tuple[str, list[list[Any]]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # not a workbook (or one openpyxl cannot open): say so, never a traceback
        raise ReviewError(path, [f"not an .xlsx workbook ({type(exc).__name__}: {exc})"]) from None
    try:
        if UTTERANCES_SHEET not in book.sheetnames:
            raise ReviewError(path, [f"no sheet named {UTTERANCES_SHEET!r} (sheets: {', '.join(book.sheetnames)}); "
                                     "is this a sheet written by 'cjm review'?"])
        return {name: (f"sheet {name!r}", [list(r) for r in book[name].iter_rows(values_only=True)])
                for name in (UTTERANCES_SHEET, INTERVIEWS_SHEET) if name in book.sheetnames}
    finally:
        book.close()


class _RowProblem(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column, self.message = column, message


def _parse(rows: list[list[Any]], where: str, columns: list[str], problems: list[SheetProblem], build) -> list:
    """Find cjm's columns by their header, then build each non-empty row; a row's first fault is
    reported and the rest read on. Columns a reviewer added (notes) are ignored, wherever they are."""
    positions = _columns(rows[0] if rows else [], where, columns, problems)
    if positions is None:
        return []
    out = []
    for number, raw in enumerate(rows[1:], start=2):
        cells = {name: raw[i] if i < len(raw) else None for name, i in positions.items()}
        if all(cell_text(v) == "" for v in cells.values()):
            continue
        try:
            out.append(build(number, cells))
        except _RowProblem as exc:
            problems.append(SheetProblem(where, number, positions[exc.column] + 1, exc.column, exc.message))
    return out


def _columns(header_row: list[Any], where: str, columns: list[str], problems: list[SheetProblem]
             ) -> dict[str, int] | None:
    """cjm's column name -> 0-based position; None (the problems said) where the header is not cjm's."""
    header = [cell_text(v) for v in header_row]
    found = [name for name in columns if name in header]
    if len(found) < len(columns) / 2:
        problems.append(SheetProblem(where, 1, None, None, f"not a sheet written by 'cjm review': its header has "
                                                          f"{len(found)} of the {len(columns)} columns cjm writes"))
        return None
    before = len(problems)
    positions: dict[str, int] = {}
    unknown: dict[str, int] = {}
    for index, name in enumerate(header):
        if name in positions:
            problems.append(SheetProblem(where, 1, index + 1, None, f"a second {name!r} column"))
        elif name in columns:
            positions[name] = index
        elif name:
            unknown.setdefault(name, index)
    for name in (c for c in columns if c not in positions):
        close = get_close_matches(name, list(unknown), n=1, cutoff=0.75)
        if close:
            problems.append(SheetProblem(where, 1, unknown.pop(close[0]) + 1, None,
                                         f"header {close[0]!r} where {name!r} was expected"))
        else:
            problems.append(SheetProblem(where, 1, None, None, f"no {name!r} column"))
    return positions if len(problems) == before else None


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _positive_int(cells: dict, column: str, what: str) -> int:
    value = cells[column]
    text = cell_text(value)
    if isinstance(value, bool) or not re.fullmatch(r"\d+", text) or int(text) < 1:
        raise _RowProblem(column, f"{what} must be a whole number from 1, not {text!r}" if text else f"{what} is empty")
    return int(text)


def _labels(cells: dict, column: str, kind: str, codebook: Codebook, *, fix: bool) -> Any:
    """A label cell: ids separated by commas (or spaces); in a correction cell, empty = ACCEPT, '-' = none."""
    text = cell_text(cells[column])
    if fix:
        text = formula_unsafe(text)
        if not text:
            return ACCEPT
        if text.lower() in NO_LABEL:
            return []
    known = codebook.ids(kind)
    found = []
    for token in (t for t in re.split(r"[,;\s]+", text.lower()) if t):
        if token not in known:
            hint = " ('-' alone means none)" if token in NO_LABEL else ""
            raise _RowProblem(column, f"unknown {kind} {token!r}{hint}; known: {', '.join(known)}")
        if token not in found:
            found.append(token)
    return [i for i in known if i in found]


def _ok(cells: dict) -> bool:
    value = cells["ok"]
    if isinstance(value, bool):
        return value
    text = cell_text(value).lower()
    if text in OK_MARKS:
        return True
    if text in NOT_OK_MARKS or not text:
        return False
    raise _RowProblem("ok", f"{text!r} is not a mark: put x (or yes, ok, 1) to confirm the row, or leave it empty")


def _interview_id(cells: dict) -> str:
    text = formula_unsafe(cell_text(cells["interview"]))
    if not text:
        raise _RowProblem("interview", "the interview id is empty")
    return text


def _utterance(row: int, cells: dict, codebook: Codebook) -> UtteranceCorrection:
    interview = _interview_id(cells)
    n = _positive_int(cells, "n", "the utterance number")
    key = cell_text(cells["text_key"]).lower()
    if not KEY_PATTERN.fullmatch(key):
        raise _RowProblem("text_key", f"{key!r} is not a text key written by 'cjm review' (16 hex digits)")
    suggested = {k: _labels(cells, k, kind, codebook, fix=False) for kind, k in KEYS.items()}
    fixes = {k: _labels(cells, f"{k}_fix", kind, codebook, fix=True) for kind, k in KEYS.items()}
    text = formula_unsafe(str(cells["text"] if cells["text"] is not None else ""))
    return UtteranceCorrection(row, interview, n, formula_unsafe(cell_text(cells["speaker"])), text, key,
                               suggested, fixes, _ok(cells))


def _field_value(cells: dict, column: str, name: str, codebook: Codebook, *, fix: bool) -> Any:
    text = formula_unsafe(cell_text(cells[column])) if fix else cell_text(cells[column])
    if fix and not text:
        return ACCEPT
    if not text or text.lower() in NO_LABEL:
        return None
    if name == "cycle_days":
        if not re.fullmatch(r"\d+", text):
            raise _RowProblem(column, f"cycle days must be a whole number of days (or '-' for unknown), not {text!r}")
        return int(text)
    known = list(OUTCOMES) if name == "outcome" else codebook.ids(CHANNEL if name == "channel" else ROLE)
    if text.lower() not in known:
        raise _RowProblem(column, f"unknown {name.replace('_', ' ')} {text!r}; known: {', '.join(known)}")
    return text.lower()


def _interview(row: int, cells: dict, codebook: Codebook) -> InterviewCorrection:
    interview = _interview_id(cells)
    suggested = {name: _field_value(cells, name, name, codebook, fix=False) for name in FIELDS}
    fixes = {name: _field_value(cells, f"{name}_fix", name, codebook, fix=True) for name in FIELDS}
    return InterviewCorrection(row, interview, suggested, fixes, _ok(cells))


def _no_duplicates(sheet: ReviewSheet, tables: dict, problems: list[SheetProblem]) -> None:
    seen: dict[tuple, int] = {}
    for item in sheet.utterances:
        if (item.interview, item.n) in seen:
            problems.append(SheetProblem(tables[UTTERANCES_SHEET][0], item.row, 2, "n",
                                         f"{item.interview}#{item.n} is also on row {seen[item.interview, item.n]}"))
        seen.setdefault((item.interview, item.n), item.row)
    rows: dict[str, int] = {}
    for item in sheet.interviews:
        if item.interview in rows:
            problems.append(SheetProblem(tables[INTERVIEWS_SHEET][0], item.row, 1, "interview",
                                         f"{item.interview} is also on row {rows[item.interview]}"))
        rows.setdefault(item.interview, item.row)


# --------------------------------------------------------------------------- storing the corrections

@dataclass
class Applied:
    """What `apply_review` stored."""

    files: list[Path] = field(default_factory=list)
    utterances: int = 0  # utterances reviewed in this sheet
    corrected: int = 0  # of them, with a label changed
    interviews: int = 0  # interview rows reviewed
    notes: list[str] = field(default_factory=list)


def review_folder(folder: str | Path) -> Path:
    """Where the reviews of a folder of transcripts (or of one transcript) are kept."""
    folder = Path(folder)
    return (folder.parent if folder.is_file() else folder) / REVIEW_FOLDER


def review_path(folder: str | Path, interview: str) -> Path:
    safe = re.sub(r"[^\w.-]+", "_", interview).strip("._") or "interview"
    return review_folder(folder) / f"{safe}{REVIEW_SUFFIX}"


def apply_review(sheet_path: str | Path, folder: str | Path, codebook: Codebook) -> Applied:
    """Validate the whole sheet against the series, then store one reviewed file per interview.

    Nothing is written unless everything is valid; each file is replaced atomically, and earlier
    reviews of utterances this sheet leaves alone are kept."""
    from .ingest import read_folder

    sheet = read_review(sheet_path, codebook)
    transcripts = {t.id: t for t in read_folder(folder)[0]}
    problems: list[SheetProblem | str] = []
    for item in sheet.utterances + sheet.interviews:
        if item.interview not in transcripts:
            problems.append(SheetProblem(sheet_where(Path(sheet_path), isinstance(item, UtteranceCorrection)), item.row,
                                         1, "interview", f"{item.interview!r} is not an interview of {folder} "
                                                         "(a sheet of another series?)"))
    ids = sorted({i.interview for i in sheet.utterances + sheet.interviews if i.reviewed and i.interview in transcripts})
    stored: dict[str, dict | None] = {}
    for ident in ids:
        try:
            stored[ident] = load_review_file(review_path(folder, ident))
        except ReviewError as exc:
            problems += [f"{review_path(folder, ident)}: {p}" for p in exc.sheet_problems]
    if problems:
        raise ReviewError(sheet_path, problems)
    result = Applied()
    documents = {}
    for ident in ids:
        rows = [u for u in sheet.utterances if u.interview == ident]
        fields = next((i for i in sheet.interviews if i.interview == ident and i.reviewed), None)
        documents[ident] = merged_document(transcripts[ident], stored[ident], rows, fields, codebook,
                                           Path(sheet_path).name, result)
    result.files = write_atomically([(review_path(folder, ident), dump(doc)) for ident, doc in documents.items()])
    return result


def sheet_where(path: Path, utterances: bool) -> str:
    """How a problem names the part of the sheet it is in (as `read_review` does)."""
    if path.suffix.lower() == ".csv":
        return path.name if utterances else interviews_csv_path(path).name
    return f"sheet {UTTERANCES_SHEET if utterances else INTERVIEWS_SHEET!r}"


def merged_document(transcript: Transcript, stored: dict | None, rows: list[UtteranceCorrection],
                    fields: InterviewCorrection | None, codebook: Codebook, sheet_name: str, result: Applied) -> dict:
    """The interview's reviewed file after this sheet: its reviewed rows over the earlier reviews."""
    snapshot = {str(r.n): r.key for r in sorted(rows, key=lambda r: r.n)}  # the text each number had
    if not snapshot and stored:  # only its interview row is on this sheet: the utterances stay as stored
        snapshot = {str(n): k for n, k in stored_sequence(stored)}
    numbers = [int(n) for n in snapshot]
    current = {u.n: u for u in transcript.respondent_utterances}
    reviewed: dict[int, dict] = {}
    if stored:  # earlier reviews, carried onto this sheet's numbering by their text
        old = stored_sequence(stored)
        mapping = align([k for _, k in old], list(snapshot.values()))
        old_index = {n: i for i, (n, _) in enumerate(old)}
        lost = 0
        for entry in stored.get("utterances", []):
            i = old_index.get(entry.get("n"))
            if i is None or i not in mapping:
                lost += 1
                continue
            reviewed[numbers[mapping[i]]] = dict(entry, n=numbers[mapping[i]])
        if lost:
            result.notes.append(f"{transcript.id}: {lost} earlier review(s) dropped: those utterances have changed "
                                "since and are not on this sheet")
    for row in rows:
        if not row.reviewed:
            continue
        now = current.get(row.n)
        same = now is not None and text_key(now.text) == row.key
        if not same:
            result.notes.append(f"{transcript.id}#{row.n} (row {row.row}) has changed since the sheet was written: "
                                "its review is kept for the text on the sheet and flagged on the next run")
        entry = {"n": row.n, "speaker": now.speaker if same else row.speaker, "is_interviewer": False,
                 "text": now.text if same else row.text, "text_key": row.key}
        entry |= {key: row.labels(key) for key in KEYS.values()}
        entry["corrected"] = row.corrected()
        reviewed[row.n] = entry
        result.utterances += 1
        result.corrected += bool(entry["corrected"])
    document: dict[str, Any] = {"id": transcript.id, "source": transcript.source, "language": transcript.language}
    previous_fields = {name: stored[name] for name in FIELDS if stored and name in stored}
    if fields is not None:
        previous_fields = {name: fields.value(name) for name in FIELDS}
        result.interviews += 1
    if "channel" in previous_fields:
        document["channel"] = previous_fields["channel"]
        document["channel_group"] = codebook.group_of(previous_fields["channel"])
    document |= {name: value for name, value in previous_fields.items() if name != "channel"}
    utterances = [reviewed[n] for n in sorted(reviewed)]
    if snapshot and set(numbers) <= set(reviewed):  # every utterance reviewed: the whole gold shape
        document |= interview_totals(utterances, codebook)
    document["review"] = {"version": REVIEW_VERSION, "sheet": sheet_name, "snapshot": snapshot,
                          "fields": sorted(previous_fields)}
    document["utterances"] = utterances
    return document


def interview_totals(utterances: list[dict], codebook: Codebook) -> dict[str, Any]:
    """The interview fields that follow from its utterances (contract section 5): the union of
    the roles and the furthest stage."""
    stages = codebook.ids(STAGE)
    reached = [stages.index(s) for u in utterances for s in u.get("stages") or [] if s in stages]
    return {"furthest_stage": stages[max(reached)] if reached else None,
            "roles": [r for r in codebook.ids(ROLE) if any(r in (u.get("roles") or []) for u in utterances)]}


def dump(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def load_review_file(path: Path) -> dict | None:
    """A stored review, or None where there is none; a damaged one is refused, never overwritten."""
    if not path.is_file():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ReviewError(path, [f"cannot read it ({exc})"]) from None
    except json.JSONDecodeError as exc:
        raise ReviewError(path, [f"line {exc.lineno}: not valid JSON ({exc.msg}); fix or remove it"]) from None
    if not isinstance(document, dict) or not isinstance(document.get("utterances"), list):
        raise ReviewError(path, ["not a reviewed-labels file: it needs a list of 'utterances'"])
    for index, u in enumerate(document["utterances"], start=1):
        if not isinstance(u, dict) or isinstance(u.get("n"), bool) or not isinstance(u.get("n"), int) or any(
                not isinstance(u.get(k, []), list) or not all(isinstance(v, str) for v in u.get(k, []))
                for k in KEYS.values()) or not isinstance(u.get("text", ""), str):
            raise ReviewError(path, [f"utterance entry {index}: needs a number 'n', lists of label ids and text"])
    snapshot = (document.get("review") or {}).get("snapshot", {}) if isinstance(document.get("review"), dict) else {}
    if not isinstance(snapshot, dict) or not all(re.fullmatch(r"\d+", str(n)) and isinstance(k, str)
                                                 for n, k in snapshot.items()):
        raise ReviewError(path, ["review.snapshot must map utterance numbers to text keys"])
    return document


def load_reviews(folder: str | Path) -> tuple[dict[str, dict], list[tuple[Path, str]]]:
    """Every stored review of a folder by interview id, and the files that could not be read."""
    reviews: dict[str, dict] = {}
    bad: list[tuple[Path, str]] = []
    where = review_folder(folder)
    for path in sorted(where.glob(f"*{REVIEW_SUFFIX}")) if where.is_dir() else []:
        try:
            document = load_review_file(path)
        except ReviewError as exc:
            bad.append((path, "; ".join(str(p) for p in exc.sheet_problems)))
            continue
        reviews[str(document.get("id") or path.name[:-len(REVIEW_SUFFIX)])] = document
    return reviews, bad


def write_atomically(contents: list[tuple[Path, str]]) -> list[Path]:
    """Write several files so that each is either its old self or wholly new: every temporary is
    written first, then all are moved into place (a failure before that leaves everything as it was)."""
    temporaries: list[tuple[Path, Path]] = []
    try:
        for path, text in contents:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            temporaries.append((Path(name), path))
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
    except BaseException:
        for name, _ in temporaries:
            name.unlink(missing_ok=True)
        raise
    for name, path in temporaries:
        os.replace(name, path)
    return [path for _, path in contents]


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside `path`, moved over it once written (a sheet is never half-written)."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    os.replace(temporary, path)


# --------------------------------------------------------------------------- using the corrections

def align(old: list[str], new: list[str]) -> dict[int, int]:
    """Old position -> new position of the same text: the longest order-keeping alignment first,
    then a text that moved and occurs once on each side."""
    mapping: dict[int, int] = {}
    for block in SequenceMatcher(None, old, new, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            mapping[block.a + k] = block.b + k
    taken = set(mapping.values())
    rest_new: dict[str, list[int]] = {}
    for j, key in enumerate(new):
        if j not in taken:
            rest_new.setdefault(key, []).append(j)
    rest_old: dict[str, list[int]] = {}
    for i, key in enumerate(old):
        if i not in mapping:
            rest_old.setdefault(key, []).append(i)
    for key, olds in rest_old.items():
        if len(olds) == 1 and len(rest_new.get(key, [])) == 1:
            mapping[olds[0]] = rest_new[key][0]
    return mapping


def stored_sequence(review: dict) -> list[tuple[int, str]]:
    """The respondent utterances as they were when reviewed: (n, text key), in order."""
    snapshot = (review.get("review") or {}).get("snapshot")
    if isinstance(snapshot, dict) and snapshot:
        return sorted((int(n), str(key)) for n, key in snapshot.items())
    return [(u["n"], u.get("text_key") or text_key(u["text"])) for u in sorted(review.get("utterances", []),
                                                                              key=lambda u: u["n"]) if u.get("text")
            or u.get("text_key")]


@dataclass
class ReviewMatch:
    """A stored review laid over the transcript as it is now."""

    labels: dict[int, dict[str, list[str]]]  # current utterance number -> "stages" -> ids
    changed: list[int]  # current numbers of utterances whose reviewed text has changed
    removed: int  # reviewed utterances with no counterpart at all
    fields: dict[str, Any]
    dropped: list[str] = field(default_factory=list)  # labels the codebook no longer has

    def note(self) -> str | None:
        if not self.changed and not self.removed:
            return None
        parts = []
        if self.changed:
            parts.append(f"{len(self.changed)} utterance(s) changed since review: "
                         + ", ".join(f"#{n}" for n in self.changed) + " (tagged again, not marked reviewed)")
        if self.removed:
            parts.append(f"{self.removed} reviewed utterance(s) no longer in the transcript")
        return "; ".join(parts)


def match_review(review: dict, utterances: list[Utterance], codebook: Codebook) -> ReviewMatch:
    """Which current utterances a stored review covers, matched by normalised text; a review
    entry without text (a hand-written gold-shaped file) is matched by its number alone."""
    respondent = [u for u in utterances if not u.is_interviewer]
    old = stored_sequence(review)
    mapping = align([k for _, k in old], [text_key(u.text) for u in respondent])
    old_index = {n: i for i, (n, _) in enumerate(old)}
    by_n = {u.n: u for u in respondent}
    labels: dict[int, dict[str, list[str]]] = {}
    dropped: list[str] = []
    lost: list[int] = []
    for entry in review.get("utterances", []):
        if entry.get("is_interviewer"):
            continue
        i = old_index.get(entry["n"])
        if i is None:
            target = by_n.get(entry["n"]) if not (entry.get("text") or entry.get("text_key")) else None
        else:
            target = respondent[mapping[i]] if i in mapping else None
        if target is None:
            lost.append(i if i is not None else -1)
            continue
        chosen = {}
        for kind, key in KEYS.items():
            values = [str(v) for v in entry.get(key) or []]
            dropped += [f"{kind} {v!r}" for v in values if v not in codebook.ids(kind)]
            chosen[key] = [v for v in codebook.ids(kind) if v in values]
        labels[target.n] = chosen
    changed = changed_numbers(old, respondent, mapping, lost)
    fields = {name: review[name] for name in FIELDS if name in review}
    return ReviewMatch(labels, changed, len(lost) - len(changed), fields, sorted(set(dropped)))


def changed_numbers(old: list[tuple[int, str]], respondent: list[Utterance], mapping: dict[int, int],
                    lost: list[int]) -> list[int]:
    """The current utterances that stand where a reviewed one stood before its text changed:
    between the neighbours that still match, one for one."""
    taken = set(mapping.values())
    found: list[int] = []
    for i in sorted(x for x in lost if x >= 0):
        before = max((mapping[k] for k in mapping if k < i), default=-1)
        after = min((mapping[k] for k in mapping if k > i), default=len(respondent))
        gap = [j for j in range(before + 1, after) if j not in taken and respondent[j].n not in found]
        if gap:
            # the same offset within the gap as the old utterance had within its own
            old_before = max((k for k in mapping if k < i), default=-1)
            pick = gap[min(len(gap) - 1, i - old_before - 1)]
            found.append(respondent[pick].n)
    return sorted(found)


def use_review(journey: Journey, match: ReviewMatch, codebook: Codebook) -> Journey:
    """Put the person's interview fields over the derived ones (the utterances' labels were put
    in before the fields were derived: `reviewed_utterances`)."""
    fields = match.fields
    applied = []
    for name, value in fields.items():
        if name == "channel":
            if value is not None and value not in codebook.ids(CHANNEL):
                journey.transcript.notes.append(f"reviewed channel {value!r} is not in the codebook: not applied")
                continue
            journey.channel, journey.channel_group = value, codebook.group_of(value)
            journey.channel_source, journey.channel_evidence = ("review" if value else None), None
        elif name == "first_contact_role":
            if value is not None and value not in codebook.ids(ROLE):
                journey.transcript.notes.append(f"reviewed first contact {value!r} is not in the codebook: not applied")
                continue
            journey.first_contact_role, journey.first_contact_evidence = value, None
        elif name == "cycle_days":
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                journey.transcript.notes.append(f"reviewed cycle days {value!r} is not a number: not applied")
                continue
            journey.cycle_days, journey.cycle_evidence = value, []
        elif name == "outcome":
            if value is not None and value not in OUTCOMES:
                journey.transcript.notes.append(f"reviewed outcome {value!r} is unknown: not applied")
                continue
            journey.outcome = value
        if journey.confidence:
            journey.confidence[name] = 1.0
        applied.append(name)
    journey.review["fields_reviewed"] = applied
    return journey


def reviewed_utterances(transcript: Transcript, tagged: list[TaggedUtterance], match: ReviewMatch
                        ) -> list[TaggedUtterance]:
    """The tagged utterances with the person's labels where the review covers them (marked reviewed);
    utterances changed since the review are tagged as usual and named in the interview's notes."""
    if (note := match.note()):
        transcript.notes.append(note)
    if match.dropped:
        transcript.notes.append("reviewed labels the codebook no longer has were dropped: " + ", ".join(match.dropped))
    return [person_labels(item, match.labels[item.n]) if item.n in match.labels else item for item in tagged]


def person_labels(item: TaggedUtterance, labels: dict[str, list[str]]) -> TaggedUtterance:
    """An utterance with a person's labels: the phrases that back them kept, the others dropped,
    and its probabilities those of a certainty (1 for what the person gave, 0 for the rest)."""
    chosen = {kind: labels[key] for kind, key in KEYS.items()}
    mentions = [m for m in item.mentions if m.label in chosen[m.kind]]
    start, end = item.sentences[0] if item.sentences else (0, len(item.utterance.text))
    for kind in KINDS:
        for label in chosen[kind]:
            if not any(m.kind == kind and m.label == label for m in mentions):
                mentions.append(Mention(kind, label, start, end, item.utterance.text[start:end], 0, origin="review"))
    mentions.sort(key=lambda m: (m.start, m.end, m.kind, m.label))
    probabilities = {}
    if item.probabilities:
        for kind in KINDS:
            seen = set(item.probabilities.get(kind) or {}) | set(chosen[kind])
            probabilities[kind] = {label: 1.0 if label in chosen[kind] else 0.0 for label in sorted(seen)}
        probabilities[STAGE][NONE] = 0.0 if chosen[STAGE] else 1.0
    return replace(item, stages=chosen[STAGE], roles=chosen[ROLE], channels=chosen[CHANNEL], mentions=mentions,
                   probabilities=probabilities, reviewed=True)


def review_summary(journey: Journey, match: ReviewMatch | None) -> dict[str, Any]:
    respondent = [t for t in journey.utterances if not t.utterance.is_interviewer]
    return {"utterances_reviewed": sum(t.reviewed for t in respondent), "respondent_utterances": len(respondent),
            "changed_since_review": len(match.changed) if match else 0,
            "removed_since_review": match.removed if match else 0, "fields_reviewed": []}


def gold_with_review(transcript: Transcript, gold: dict | None, review: dict, codebook: Codebook
                     ) -> tuple[dict | None, list[str]]:
    """A training example's labels with the person's review over them (`cjm learn`).

    Without a gold file, a review trains the model only when it covers every respondent utterance
    (an unreviewed utterance would teach "no label")."""
    match = match_review(review, transcript.utterances, codebook)
    notes = [f"{transcript.source}: {match.note()}"] if match.note() else []
    respondent = transcript.respondent_utterances
    if gold is None and not all(u.n in match.labels for u in respondent):
        covered = sum(u.n in match.labels for u in respondent)
        return None, notes + [f"{transcript.source}: reviewed {covered} of {len(respondent)} respondent utterances; "
                              "not used for training until every one is reviewed"]
    entry = dict(gold) if gold else {"id": transcript.id, "source": transcript.source, "language": transcript.language}
    by_n = {u["n"]: dict(u) for u in (gold or {}).get("utterances", [])}
    for u in transcript.utterances:
        base = by_n.setdefault(u.n, {"n": u.n, "speaker": u.speaker, "is_interviewer": u.is_interviewer,
                                     "text": u.text, "stages": [], "roles": [], "channels": []})
        if u.n in match.labels:
            base |= match.labels[u.n] | {"text": u.text}
    entry["utterances"] = [by_n[n] for n in sorted(by_n)]
    if match.labels:
        entry |= interview_totals(entry["utterances"], codebook)
    for name, value in match.fields.items():
        entry[name] = value
        if name == "channel":
            entry["channel_group"] = codebook.group_of(value)
    return entry, notes
