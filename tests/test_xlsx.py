"""The workbook: one sheet per table with the report's own numbers, and untrusted text that can
neither start a formula nor break the file."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from cjm.aggregate import events_table, interviews_table, transitions_table
from cjm.pipeline import analyse
from cjm.xlsx import MAX_CELL, cell_value, formula_safe, workbook_tables, write_xlsx

DATA = Path(__file__).parent / "data" / "transcripts"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("series")
    for name in ("en_handoff_hostile.txt", "ru_timestamps.txt", "en_questions.txt"):
        shutil.copy(DATA / name, folder / name)
    return analyse(folder)


@pytest.fixture(scope="module")
def book(run, tmp_path_factory):
    path = write_xlsx(run.journeys, run.codebook, tmp_path_factory.mktemp("xlsx") / "series.xlsx")
    return openpyxl.load_workbook(path)


@pytest.mark.parametrize("text", ["=1+1", "+44 20 7946 0000", "-2+3 we asked", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starts_are_prefixed(text):
    assert formula_safe(text) == "'" + text


@pytest.mark.parametrize("value", ["we paid", "a=b", "", "'quoted", 5, -3, 2.5, None, True])
def test_anything_else_is_left_alone(value):
    assert formula_safe(value) == value


def test_cell_values():
    assert cell_value(["big_boss", "expert"]) == "big_boss, expert"
    assert cell_value(None) is None and cell_value(float("nan")) is None
    assert cell_value("a\x00b") == "a\ufffdb"
    long = cell_value("x" * (MAX_CELL + 10))
    assert len(long) == MAX_CELL and long.endswith("…")


def test_one_sheet_per_table(run, book):
    assert book.sheetnames == ["events", "interviews", "transitions", "roles", "skipped"]
    tables = workbook_tables(run.journeys, run.codebook)
    for name, frame in tables.items():
        sheet = book[name]
        assert [c.value for c in sheet[1]] == list(frame.columns)
        assert sheet.max_row == len(frame) + 1 and (len(frame) > 0) == (name != "skipped"), name


def test_files_not_read_have_their_sheet(run, tmp_path):
    from cjm.model import Problem

    problems = [Problem("interviews/scan.pdf", "'.pdf' files are not transcripts: skipped", None, "=cmd|calc")]
    path = write_xlsx(run.journeys, run.codebook, tmp_path / "s.xlsx", problems=problems)
    rows = list(openpyxl.load_workbook(path)["skipped"].iter_rows(values_only=True))
    assert rows == [("source", "line", "message", "hint"),
                    ("interviews/scan.pdf", None, "'.pdf' files are not transcripts: skipped", "'=cmd|calc")]


def test_the_numbers_are_the_reports(run, book):
    events = events_table(run.journeys, run.codebook)
    assert book["events"].max_row - 1 == len(events)
    interviews = interviews_table(run.journeys, run.codebook)
    rows = list(book["interviews"].iter_rows(min_row=2, values_only=True))
    assert sorted(r[0] for r in rows) == sorted(formula_safe(i) for i in interviews["interview"])
    transitions = transitions_table(interviews, run.codebook)
    sheet = [r for r in book["transitions"].iter_rows(min_row=2, values_only=True) if r[0] == "all"]
    assert [(r[1], r[2], r[4]) for r in sheet] == \
        [(t.source, t.target, t.steps) for t in transitions.itertuples()]
    groups = {r[0] for r in book["roles"].iter_rows(min_row=2, values_only=True)}
    assert groups == {"all"} | set(interviews["channel_group"].dropna())


def test_untrusted_text_cannot_start_a_formula(book):
    values = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in values)
    texts = [c.value for c in values if isinstance(c.value, str)]
    assert not any(t.startswith(("=", "+", "-", "@", "\t", "\r")) for t in texts)
    assert "'=SUM(1+1) A colleague recommended you at a trade fair \ufffd[31m, he said \"</PlainTextContent><x>\" " \
           "& ]]> was fine." in texts  # the quote: prefixed, the escape character replaced, the rest as said
    assert "'@hostile <&>" in texts  # an interview id too
    assert not any("\x1b" in t or "\x07" in t for t in texts)


def test_same_run_same_bytes(run, tmp_path):
    import time

    first = write_xlsx(run.journeys, run.codebook, tmp_path / "a.xlsx").read_bytes()
    time.sleep(1.1)  # a second later: a date in the file would show
    assert write_xlsx(run.journeys, run.codebook, tmp_path / "b.xlsx").read_bytes() == first
    assert openpyxl.load_workbook(tmp_path / "b.xlsx").properties.created.year == 1980
