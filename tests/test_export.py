"""Export: journeys.json is strict JSON (RFC 8259) and events.csv cannot run as spreadsheet formulas."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from cjm.aggregate import events_table
from cjm.codebook import load_codebook
from cjm.export import (finite, formula_safe, formula_safe_frame, journeys_document, journeys_json, strict_json,
                        write_events_csv, write_journeys)

import render_fixture as fixture  # tests/render_fixture.py: the hand-built journeys of tests/data/render

DATA = Path(__file__).parent / "data"
HOSTILE = DATA / "output" / "hostile-values.txt"  # `.nan`/`.inf` in front matter, an id and values that start formulas


def strict_loads(text: str):
    """A reader as strict as RFC 8259: NaN, Infinity and -Infinity are refused."""
    def refuse(token: str):
        raise ValueError(f"not JSON: {token}")
    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def hostile_run():
    from cjm.pipeline import analyse

    return analyse(HOSTILE, rules_only=True)


def test_strict_reader_refuses_what_python_writes_by_default():
    with pytest.raises(ValueError):  # the check below can fail: this is what the old output looked like
        strict_loads(json.dumps({"score": math.nan}))


def test_nan_and_infinity_from_front_matter_stay_text(hostile_run, tmp_path):
    metadata = hostile_run.journeys[0].transcript.metadata
    assert (metadata["score"], metadata["budget"], metadata["ratings"]) == (".nan", ".inf", [4, ".nan", 5])
    text = write_journeys(hostile_run.journeys, hostile_run.problems, tmp_path / "j.json").read_text(encoding="utf-8")
    assert strict_loads(text)["interviews"][0]["metadata"]["discount"] == "-.inf"


def test_nan_and_infinity_in_the_data_become_null(hostile_run, tmp_path):
    """Whatever puts a non-finite number into a journey (a library caller, a future field), the
    file stays strict JSON."""
    import copy

    journeys = copy.deepcopy(hostile_run.journeys)
    journeys[0].transcript.metadata.update(score=math.nan, budget=math.inf, discount=-math.inf,
                                           ratings=[4, math.nan, 5])
    path = write_journeys(journeys, hostile_run.problems, tmp_path / "journeys.json")
    text = path.read_text(encoding="utf-8")
    document = strict_loads(text)
    metadata = document["interviews"][0]["metadata"]
    assert metadata["score"] is None and metadata["budget"] is None and metadata["discount"] is None
    assert metadata["ratings"] == [4, None, 5]
    assert "NaN" not in text and "Infinity" not in text
    assert [p.name for p in tmp_path.iterdir()] == ["journeys.json"]  # no temporary file left beside it


def test_finite_documents_are_written_as_before():
    document = journeys_document(fixture.load_journeys(), fixture.problems())
    assert strict_json(document) == json.dumps(document, ensure_ascii=False, indent=2)
    assert journeys_json(fixture.load_journeys(), fixture.problems()) == strict_json(document)


def test_finite_replaces_at_any_depth_and_keeps_the_rest():
    value = {"a": [1.5, {"b": math.inf, "c": (math.nan, -0.0)}], "d": "NaN", "e": None, "f": True, "g": -3}
    assert finite(value) == {"a": [1.5, {"b": None, "c": [None, -0.0]}], "d": "NaN", "e": None, "f": True, "g": -3}


@pytest.mark.parametrize("cell", ["=1+1", "+7 999 123-45-67", "-2+3", "@SUM(A1)", "\tx", "\r=x", "＝1+1", "=",
                                  '=HYPERLINK("http://x","y")'])
def test_cells_that_start_a_formula_are_prefixed(cell):
    assert formula_safe(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Karen emailed", "a=b", "3-2", "", " =x", "'=x", "«=»", -5, -2.5, 0, None, True])
def test_other_cells_are_kept(cell):
    assert formula_safe(cell) is cell


def test_frame_text_columns_only_and_the_input_is_not_changed():
    frame = pd.DataFrame({"text": ["=cmd", "ok", None], "n": [-1, 2, -3], "x": pd.array([-1.5, None, 2.0], "Float64"),
                          "mixed": pd.Series([-4, "-4", None], dtype=object)})
    safe = formula_safe_frame(frame)
    assert list(safe["text"][:2]) == ["'=cmd", "ok"] and pd.isna(safe["text"][2])
    assert safe["n"].tolist() == [-1, 2, -3] and safe["n"].dtype == frame["n"].dtype
    assert safe["x"].dtype == frame["x"].dtype and safe["x"][0] == -1.5
    assert safe["mixed"].tolist()[:2] == [-4, "'-4"]  # a number stays a number, the same text is prefixed
    assert frame["text"][0] == "=cmd"


def test_events_csv_of_a_hostile_interview(hostile_run, tmp_path):
    frame = events_table(hostile_run.journeys, hostile_run.codebook)
    assert len(frame) > 0
    path = write_events_csv(frame, tmp_path / "events.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(frame)
    for row in rows:
        assert row["interview"] == "'" + hostile_run.journeys[0].id
        for column, value in row.items():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), (column, value)
            if value.startswith("-"):  # only a number may start with a minus sign
                float(value)
    assert any(row["quote"].startswith("'-Karen") for row in rows)
    assert [row["utterance"] for row in rows] == [str(n) for n in frame["utterance"]]


def test_events_csv_of_good_input_is_what_pandas_writes(tmp_path):
    frame = events_table(fixture.load_journeys(), load_codebook())
    write_events_csv(frame, tmp_path / "events.csv")
    frame.to_csv(tmp_path / "plain.csv", index=False)
    assert (tmp_path / "events.csv").read_bytes() == (tmp_path / "plain.csv").read_bytes()
