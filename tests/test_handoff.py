"""`cjm export`: one command, five formats, exact messages; bad input reported, never a traceback."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cjm.cli import cli
from cjm.eventlog import journey_events
from cjm.handoff import FORMATS, format_of
from cjm.pipeline import analyse
from cjm.qdpx import read_qdpx

DATA = Path(__file__).parent / "data" / "transcripts"
ONE = DATA / "ru_timestamps.txt"


def export(*args: str):
    return CliRunner().invoke(cli, ["export", *args])


@pytest.fixture(scope="module")
def steps():
    result = analyse(ONE)
    return sum(len(journey_events(j, result.codebook)) for j in result.journeys)


def test_qdpx_message(tmp_path):
    out = tmp_path / "series.qdpx"
    result = export(str(ONE), "--format", "qdpx", "-o", str(out))
    assert result.exit_code == 0, result.output
    project = read_qdpx(out)
    codes = sum(c.codable for c in project.codes)
    assert codes == 21 and project.segments  # 5 stages, 6 roles, 10 channels
    assert result.output == ("1 interview(s) read, 0 skipped\n"
                             f"qdpx: {out} (1 source(s), 21 codes, {len(project.segments)} coded segment(s))\n")


def test_the_format_follows_the_extension(tmp_path, steps):
    out = tmp_path / "log.xes"
    result = export(str(ONE), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == f"xes: {out} ({steps} stage step(s) in 1 trace(s))"
    assert out.read_text(encoding="utf-8").startswith("<?xml")


def test_ocel_to_the_default_file(steps):
    runner = CliRunner()
    with runner.isolated_filesystem():
        result = runner.invoke(cli, ["export", str(ONE), "--format", "ocel"])
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[1] == f"ocel: journeys.jsonocel ({steps} stage step(s), 1 interview(s))"
        assert len(json.loads(Path("journeys.jsonocel").read_text(encoding="utf-8"))["events"]) == steps


def test_xlsx_and_json_messages(tmp_path):
    out = tmp_path / "series.xlsx"
    result = export(str(ONE), "-o", str(out))
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    counts = ", ".join(f"{name}: {book[name].max_row - 1} row(s)" for name in book.sheetnames)
    assert result.output.splitlines()[1] == f"xlsx: {out} ({counts})"
    assert book.sheetnames == ["events", "interviews", "transitions", "roles", "skipped"]
    out = tmp_path / "j.json"
    result = export(str(ONE), "--format", "json", "-o", str(out))
    assert result.output.splitlines()[1] == f"json: {out} (1 interview(s))"
    assert json.loads(out.read_text(encoding="utf-8"))["interviews"][0]["id"] == "ru-test-07"


def test_no_format_is_a_usage_error(tmp_path):
    result = export(str(ONE), "-o", str(tmp_path / "series.csv"))
    assert result.exit_code == 2
    assert ("Error: say which format to write: --format qdpx|xlsx|xes|ocel|json, or an output file ending in "
            ".qdpx, .xlsx, .xes, .jsonocel, .json") in result.output
    assert not (tmp_path / "series.csv").exists()
    assert export(str(ONE), "--format", "pdf").exit_code == 2


def test_format_of():
    assert format_of(None, Path("a.QDPX")) == "qdpx" and format_of("xes", Path("a.qdpx")) == "xes"
    assert format_of(None, Path("a.csv")) is None and format_of(None, None) is None
    assert set(FORMATS) == {"qdpx", "xlsx", "xes", "ocel", "json"}


def test_a_bad_file_is_reported_and_the_rest_exported(tmp_path):
    series = tmp_path / "series"  # the output lies outside it: a folder inside would be an entry too
    series.mkdir()
    (series / "good.txt").write_text(ONE.read_text(encoding="utf-8"), encoding="utf-8")
    (series / "broken.txt").write_text((DATA / "broken_front_matter.txt").read_text(encoding="utf-8"),
                                         encoding="utf-8")
    out = tmp_path / "out" / "series.qdpx"
    result = export(str(series), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 interview(s) read, 1 skipped\n")
    assert "broken.txt:3: front matter is not valid YAML" in result.output
    project = read_qdpx(out)
    assert [s.name for s in project.sources] == ["ru-test-07"]
    assert "Not read: " in project.description and "broken.txt:3: front matter is not valid YAML" in project.description
    xes = export(str(series), "-o", str(out.parent / "log.xes"))
    assert "broken.txt:3: front matter" in (out.parent / "log.xes").read_text(encoding="utf-8") and xes.exit_code == 0
    strict = export(str(series), "-o", str(out), "--strict")
    assert strict.exit_code == 1 and "1 file(s) could not be read (--strict)" in strict.output


def test_nothing_readable_is_one_line(tmp_path):
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4 ...")
    result = export(str(tmp_path), "-o", str(tmp_path / "x.qdpx"))
    assert result.exit_code == 1 and "scan.pdf" in result.output and "Traceback" not in result.output


def test_redact_reaches_the_export(tmp_path):
    out = tmp_path / "series.qdpx"
    assert export(str(ONE), "-o", str(out), "--redact").exit_code == 0
    text = zipfile.ZipFile(out).read(f"sources/{read_qdpx(out).sources[0].guid}.txt").decode("utf-8")
    assert "Игорь Петрович" not in text and "Геннадий" not in text and "(директор):" in text


@pytest.mark.parametrize("command", ["export", "schema"])
def test_help_has_an_example(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0 and "Example:" in result.output
