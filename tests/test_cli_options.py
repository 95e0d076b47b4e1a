"""The CLI's option handling: what each option passes to the library (the library calls are stubbed,
so these run in milliseconds), and the language option on a real file."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cjm import cli as cli_module
from cjm.cli import cli
from cjm.errors import CjmError
from cjm.model import Problem

DATA = Path(__file__).parent / "data" / "transcripts"


class Calls:
    def __init__(self):
        self.analyse, self.report = [], []


@pytest.fixture
def stubbed(monkeypatch):
    """analyse() and write_report() record their arguments; a real (tiny) result is returned."""
    from cjm import pipeline, render
    from cjm.codebook import load_codebook

    calls = Calls()
    problems: list[Problem] = []

    def analyse(folder, **kwargs):
        calls.analyse.append((folder, kwargs))
        return pipeline.RunResult(journeys=[], problems=list(problems), codebook=load_codebook())

    def write_report(journeys, problems_, codebook, out, **kwargs):
        calls.report.append(kwargs)

    monkeypatch.setattr(pipeline, "analyse", analyse)
    monkeypatch.setattr(render, "write_report", write_report)
    calls.problems = problems
    return calls


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.mark.parametrize("given, pair", [(None, ("cold_inbound", "referral")), ("referral,tender", ("referral", "tender")),
                                         (" search_ads , referral ", ("search_ads", "referral")),
                                         ("referral,tender,", ("referral", "tender"))])
def test_compare_takes_two_keys(stubbed, tmp_path, given, pair):
    args = ["report", DATA, "-o", tmp_path / "out"] + (["--compare", given] if given is not None else [])
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert stubbed.report == [{"lang": None, "compare": pair}]


@pytest.mark.parametrize("given", ["referral", "a,b,c", ",", ""])
def test_compare_needs_exactly_two(stubbed, tmp_path, given):
    result = run("report", DATA, "-o", tmp_path / "out", "--compare", given)
    assert result.exit_code == 2 and "--compare" in result.output and "two groups or channels" in result.output
    assert stubbed.analyse == []  # refused before any file is read


def test_report_passes_every_input_option(stubbed, tmp_path):
    result = run("report", DATA, "-o", tmp_path / "out", "--lang", "en", "--language", "ru", "--redact", "--rules-only")
    assert result.exit_code == 0, result.output
    (folder, kwargs), = stubbed.analyse
    assert folder == DATA
    assert {k: kwargs[k] for k in ("language", "redact", "model", "rules_only")} == {
        "language": "ru", "redact": True, "model": None, "rules_only": True}  # (and the run options: jobs, cache, ...)
    assert kwargs["codebook"] is None or kwargs["codebook"].source == "default"  # report loads it to check --compare
    assert stubbed.report[0]["lang"] == "en"
    assert (tmp_path / "out" / "journeys.json").exists() and (tmp_path / "out" / "events.csv").exists()
    assert "0 interview(s) read, 0 skipped" in result.output


@pytest.mark.parametrize("command", ["journeys", "report"])
def test_language_is_passed_and_checked(stubbed, tmp_path, command):
    extra = ["-o", tmp_path / ("j.json" if command == "journeys" else "out")]
    result = run(command, DATA, *extra, "--language", "en")
    assert result.exit_code == 0, result.output
    assert stubbed.analyse[0][1]["language"] == "en"
    result = run(command, DATA, *extra, "--language", "de")
    assert result.exit_code == 2 and "'de' is not one of 'ru', 'en'" in result.output
    assert len(stubbed.analyse) == 1


def test_defaults_pass_nothing_chosen(stubbed, tmp_path):
    assert run("journeys", DATA, "-o", tmp_path / "j.json").exit_code == 0
    kwargs = stubbed.analyse[0][1]
    assert {k: kwargs[k] for k in ("codebook", "language", "redact", "model", "rules_only")} == {
        "codebook": None, "language": None, "redact": False, "model": None, "rules_only": False}


def test_strict_fails_only_with_problems(stubbed, tmp_path):
    assert run("journeys", DATA, "-o", tmp_path / "j.json", "--strict").exit_code == 0
    stubbed.problems.append(Problem(source="bad.txt", message="unreadable"))
    result = run("journeys", DATA, "-o", tmp_path / "j.json")
    assert result.exit_code == 0 and "skipped bad.txt" in result.output
    result = run("journeys", DATA, "-o", tmp_path / "j.json", "--strict")
    assert result.exit_code == 1 and "1 file(s) could not be read (--strict)" in result.output


def test_cjm_errors_become_one_line_messages(monkeypatch, tmp_path):
    from cjm import pipeline

    def failing(folder, **kwargs):
        error = CjmError("nothing readable in the folder")
        error.problems = [Problem(source="a.txt", message="empty")]
        raise error

    monkeypatch.setattr(pipeline, "analyse", failing)
    result = run("journeys", DATA, "-o", tmp_path / "j.json")
    assert result.exit_code == 1
    assert "Error: nothing readable in the folder" in result.output and "skipped a.txt" in result.output
    assert "Traceback" not in result.output


def test_other_errors_are_not_hidden(monkeypatch, tmp_path):
    from cjm import pipeline

    monkeypatch.setattr(pipeline, "analyse", lambda folder, **kw: 1 / 0)
    result = run("journeys", DATA, "-o", tmp_path / "j.json")
    assert result.exit_code == 1 and isinstance(result.exception, ZeroDivisionError)


def test_journeys_to_stdout(stubbed):
    result = run("journeys", DATA, "-o", "-")
    assert result.exit_code == 0
    document = json.loads(result.output)
    assert document["interviews"] == [] and document["version"] == 1


def test_language_option_overrides_detection_on_a_real_file(tmp_path):
    path = tmp_path / "one.txt"
    path.write_text("Q: How did you find them?\nA: A partner recommended them and we requested a quote.\n",
                    encoding="utf-8")
    detected = json.loads(run("tag", path, "--json", "--rules-only").output)
    assert detected["language"] == "en"
    forced = json.loads(run("tag", path, "--json", "--rules-only", "--language", "ru").output)
    assert forced["language"] == "ru"


def test_evaluate_needs_two_paths_without_cross_validation(tmp_path):
    result = run("evaluate", DATA)
    assert result.exit_code == 2 and "JOURNEYS_JSON and GOLD" in result.output


def test_version_and_help():
    from cjm import __version__

    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.output
    assert run("-h").exit_code == 0 and "Typical run" in run("-h").output
    assert list(cli_module.LANGUAGE_CHOICE.choices) == ["ru", "en"]


def test_evaluate_scores_a_journeys_file_against_gold(tmp_path):
    gold = {"id": "x", "channel": "referral", "channel_group": "referral", "furthest_stage": "bought",
            "first_contact_role": "big_boss", "roles": ["big_boss"], "cycle_days": 60,
            "utterances": [{"n": 1, "is_interviewer": True, "stages": [], "roles": [], "channels": []},
                           {"n": 2, "is_interviewer": False, "stages": ["bought"], "roles": [], "channels": []}]}
    folder = tmp_path / "gold"
    folder.mkdir()
    (folder / "x.gold.json").write_text(json.dumps(gold), encoding="utf-8")
    journeys = tmp_path / "j.json"
    journeys.write_text(json.dumps({"version": 1, "interviews": [{**gold, "channel": "tender"}]}), encoding="utf-8")
    result = run("evaluate", "--json", journeys, folder)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["utterance"]["stages"]["micro"]["f1"] == 1.0 and figures["interview"]["channel"]["accuracy"] == 0.0
    text = run("evaluate", journeys, folder)
    assert text.exit_code == 0 and text.output.strip() and not text.output.lstrip().startswith("{")


def test_tag_cuts_long_utterances_at_300_characters(tmp_path):
    def shown(answer):
        path = tmp_path / "one.txt"
        path.write_text(f"Q: How did you find them?\nA: {answer}\n", encoding="utf-8")
        result = run("tag", path, "--all", "--rules-only")
        assert result.exit_code == 0, result.output
        return [line.strip() for line in result.output.splitlines() if line.startswith("    ")]

    exact = ("We found them through a partner. " * 10)[:299] + "."
    assert len(exact) == 300 and shown(exact) == [exact]
    longer = exact + "x"
    assert shown(longer) == [exact + "…"]


def test_learn_prints_its_notes_and_the_model(monkeypatch, tmp_path):
    from cjm import learn

    def fake(folders, out, codebook=None):
        return out, ["interviews/x.txt has no gold file"], type("M", (), {"meta": {"trained_on": ["a", "b"], "utterances": 40}})()

    monkeypatch.setattr(learn, "learn_model", fake)
    result = run("learn", DATA, "-o", tmp_path / "m.zip")
    assert result.exit_code == 0, result.output
    assert "note: interviews/x.txt has no gold file" in result.output
    assert f"model trained on 2 interview(s), 40 utterances: {tmp_path / 'm.zip'}" in result.output


def test_main_is_the_cjm_program(monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["anything", "--version"])
    with pytest.raises(SystemExit) as exit_:
        cli_module.main()
    assert exit_.value.code == 0 and capsys.readouterr().out.startswith("cjm, version")
