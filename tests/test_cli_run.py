"""The run options of `cjm report` and `cjm journeys`: processes, cache, Dask, quiet."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cjm.cli import ProgressBar, cli

SAMPLE = Path(__file__).resolve().parents[1] / "interviews"


@pytest.fixture()
def series(tmp_path):
    folder = tmp_path / "series"
    folder.mkdir()
    for path in sorted(SAMPLE.glob("*.txt"))[:2]:
        shutil.copy(path, folder / path.name)
    return folder


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_jobs_and_cache_give_the_journeys_of_a_plain_run(series, tmp_path):
    plain = run("journeys", series, "-o", tmp_path / "plain.json", "--no-cache", "-j", "1")
    pooled = run("journeys", series, "-o", tmp_path / "pooled.json", "--cache-dir", tmp_path / "c", "-j", "2")
    again = run("journeys", series, "-o", tmp_path / "again.json", "--cache-dir", tmp_path / "c", "-j", "2")
    assert plain.exit_code == pooled.exit_code == again.exit_code == 0, plain.stderr + pooled.stderr
    texts = {name: (tmp_path / f"{name}.json").read_text(encoding="utf-8") for name in ("plain", "pooled", "again")}
    assert texts["plain"] == texts["pooled"] == texts["again"]
    assert len(json.loads(texts["plain"])["interviews"]) == 2
    assert any((tmp_path / "c").rglob("*.pickle"))


def test_the_cache_folder_comes_from_the_environment(series, tmp_path, monkeypatch):
    monkeypatch.setenv("CJM_CACHE_DIR", str(tmp_path / "env-cache"))
    result = run("journeys", series, "-o", tmp_path / "j.json", "-j", "1")
    assert result.exit_code == 0, result.stderr
    root = tmp_path / "env-cache"  # journeys sit at the top (the other kinds in their own folders)
    assert len([p for p in root.rglob("*.pickle") if p.parent.parent == root]) == 2


def test_no_cache_writes_none(series, tmp_path, monkeypatch):
    monkeypatch.setenv("CJM_CACHE_DIR", str(tmp_path / "env-cache"))
    result = run("journeys", series, "-o", tmp_path / "j.json", "-j", "1", "--no-cache")
    assert result.exit_code == 0, result.stderr
    assert not (tmp_path / "env-cache").exists()


def test_quiet_prints_no_summary(series, tmp_path):
    loud = run("journeys", series, "-o", tmp_path / "a.json", "--no-cache", "-j", "1")
    quiet = run("journeys", series, "-o", tmp_path / "b.json", "--no-cache", "-j", "1", "--quiet")
    assert "2 interview(s) written to" in loud.stdout
    assert quiet.exit_code == 0 and quiet.stdout == ""


@pytest.mark.parametrize("args, message", [
    (["--executor", "dask"], "give the scheduler's address"),
    (["--scheduler", "tcp://127.0.0.1:8786"], "--scheduler goes with --executor dask"),
    (["-j", "0"], "0 is not in the range x>=1"),
])
def test_wrong_run_options_are_refused(series, tmp_path, args, message):
    result = run("journeys", series, "-o", tmp_path / "j.json", "--no-cache", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_the_progress_bar_stays_off_the_terminal_when_it_is_not_one(capsys):
    bar = ProgressBar()
    bar.started -= 5  # a run that has lasted over a second
    bar(1, 3)
    bar(3, 3)
    assert bar.bar is None  # pytest's stderr is not a terminal
    assert capsys.readouterr().err == ""


def terminal(monkeypatch):
    """stderr replaced by a text buffer that says it is a terminal (where the bar is drawn)."""
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    return screen


def test_the_progress_bar_shows_on_a_terminal_after_a_second(monkeypatch):
    screen = terminal(monkeypatch)
    bar = ProgressBar()
    bar(1, 4)
    assert bar.bar is None and screen.getvalue() == ""  # under a second: nothing yet
    bar.started -= 5
    bar(2, 4)
    shown = screen.getvalue()
    assert "analysing interviews" in shown and shown.endswith(" 50%")  # the work done so far
    assert not shown.endswith("\n")  # still running: the bar stays on its line
    bar(4, 4)
    assert bar.bar is not None and bar.shown == 4
    last = screen.getvalue().split("\r")[-1]
    assert "100%" in last and last.endswith("\n")  # done, and closed: the next output starts on a new line
    assert screen.getvalue().count("analysing interviews") == 3  # one bar, drawn three times


def test_a_run_that_ends_within_a_second_or_at_once_shows_no_bar(monkeypatch):
    screen = terminal(monkeypatch)
    bar = ProgressBar()
    bar.started -= 5
    bar(3, 3)  # everything done by the first report: no bar to show
    assert bar.bar is None and screen.getvalue() == ""


def test_a_run_keeps_the_cache_under_its_limit_and_says_what_it_deleted(series, tmp_path, monkeypatch):
    cache = tmp_path / "c"
    old = cache / "page" / "ab" / ("ab" * 32 + ".pickle")  # an earlier cjm's page, unused since
    old.parent.mkdir(parents=True)
    old.write_bytes(b"x" * 200_000)
    import os

    os.utime(old, (1_600_000_000, 1_600_000_000))
    monkeypatch.setenv("CJM_CACHE_MAX_MB", "0.25")
    first = run("journeys", series, "-o", tmp_path / "a.json", "--cache-dir", cache, "-j", "1")
    assert first.exit_code == 0, first.stderr
    assert "least recently used file(s) deleted" in first.stdout and not old.exists()
    again = run("journeys", series, "-o", tmp_path / "b.json", "--cache-dir", cache, "-j", "1")
    assert "deleted" not in again.stdout  # what the first run kept is this run's: nothing more to delete
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    monkeypatch.setenv("CJM_CACHE_MAX_MB", "0.01")  # less than one run needs: said, and the run's files kept
    tight = run("journeys", series, "-o", tmp_path / "c.json", "--cache-dir", cache, "-j", "1")
    assert "over its limit of 0 MB: raise $CJM_CACHE_MAX_MB" in tight.stderr and any(cache.glob("??/*.pickle"))
    monkeypatch.setenv("CJM_CACHE_MAX_MB", "0")  # no limit
    report = run("report", series, "-o", tmp_path / "r", "--cache-dir", cache, "-j", "1")
    assert report.exit_code == 0 and "deleted" not in report.stdout and "limit" not in report.stderr


def test_cache_info_and_clear(series, tmp_path):
    cache = tmp_path / "c"
    assert "empty" in run("cache", "info", "--cache-dir", cache).stdout
    run("journeys", series, "-o", tmp_path / "a.json", "--cache-dir", cache, "-j", "1")
    mine = cache / "README.txt"
    mine.write_text("my notes", encoding="utf-8")
    info = run("cache", "info", "--cache-dir", cache).stdout
    assert f"folder: {cache}" in info and "journeys" in info and "transcript" in info and "limit:  2048 MB" in info
    cleared = run("cache", "clear", "--cache-dir", cache)
    assert cleared.exit_code == 0 and "file(s) deleted" in cleared.stdout
    assert not list(cache.rglob("*.pickle")) and mine.read_text(encoding="utf-8") == "my notes"
    assert "empty" in run("cache", "info", "--cache-dir", cache).stdout


def test_a_re_run_forks_one_warm_worker_and_an_error_stops_it(series, tmp_path, monkeypatch):
    from cjm import executor

    cache = tmp_path / "c"
    first = run("journeys", series, "-o", tmp_path / "a.json", "--cache-dir", cache, "-j", "2")
    assert first.exit_code == 0, first.stderr
    started = []
    real = executor.WarmPool.begin
    monkeypatch.setattr(executor.WarmPool, "begin",
                        classmethod(lambda cls, *a: started.append(real(*a)) or started[-1]))
    (series / sorted(p.name for p in series.glob("*.txt"))[0]).open("a", encoding="utf-8").write("\n")
    again = run("journeys", series, "-o", tmp_path / "b.json", "--cache-dir", cache, "-j", "2")
    assert again.exit_code == 0, again.stderr
    assert len(started) == 1 and started[0].process is None  # the command's, given the interview (none forked in analyse)
    report = run("report", series, "-o", tmp_path / "r", "--cache-dir", cache, "-j", "2", "--compare", "no_such,referral")
    assert report.exit_code != 0 and "no_such" in report.output
    assert len(started) == 2 and started[1].process is None  # forked before the codebook was read, stopped on the error
    assert len(run("report", series, "-o", tmp_path / "r", "--compare", "only_one").output) and len(started) == 2


def test_a_size_limit_that_is_no_number_fails_before_the_run(series, tmp_path, monkeypatch):
    monkeypatch.setenv("CJM_CACHE_MAX_MB", "two gigs")
    result = run("report", series, "-o", tmp_path / "r", "--cache-dir", tmp_path / "c")
    assert result.exit_code == 1 and "CJM_CACHE_MAX_MB must be a number" in result.output
    assert not (tmp_path / "r").exists() and not (tmp_path / "c").exists()  # nothing analysed, nothing written
    assert run("report", series, "-o", tmp_path / "r", "--no-cache").exit_code == 0  # no cache: no limit read


def test_journeys_to_stdout_keeps_the_cache_under_its_limit_and_prints_json_alone(series, tmp_path, monkeypatch):
    cache = tmp_path / "c"
    old = cache / "page" / "ab" / ("ab" * 32 + ".pickle")
    old.parent.mkdir(parents=True)
    old.write_bytes(b"x" * 200_000)
    import os

    os.utime(old, (1_600_000_000, 1_600_000_000))
    monkeypatch.setenv("CJM_CACHE_MAX_MB", "0.25")
    result = run("journeys", series, "-o", "-", "--cache-dir", cache, "-j", "1")
    assert result.exit_code == 0, result.stderr
    assert not old.exists() and len(json.loads(result.stdout)["interviews"]) == 2  # stdout: the JSON, nothing else
