"""The CLI's option handling: what each option passes to the library (the library calls are stubbed,
so these run in milliseconds), and the language option on a real file."""

import json
from pathlib import Path

import pytest

from cjm.cache import default_dir
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
    assert [{k: v for k, v in call.items() if k in ("lang", "compare")} for call in stubbed.report] == \
        [{"lang": None, "compare": pair}]
    assert stubbed.report[0]["tables"] is not None  # built once by the command, events.csv from them too


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
    book = kwargs.pop("codebook")  # loaded before the analysis, to check --compare against it
    assert book.source == "default"
    progress = kwargs.pop("progress")
    assert kwargs == {"language": "ru", "redact": True, "model": None, "rules_only": True, "jobs": None,
                      "executor": "local", "scheduler": None, "cache_dir": default_dir(),
                      "warm": None}  # (an empty cache: no re-run, no warm worker)
    assert callable(progress)
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
    kwargs = dict(stubbed.analyse[0][1])
    assert callable(kwargs.pop("progress"))
    assert kwargs == {"codebook": None, "language": None, "redact": False, "model": None, "rules_only": False,
                      "use_reviews": True, "jobs": None, "executor": "local", "scheduler": None,
                      "cache_dir": default_dir(), "warm": None}


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

    def fake(folders, out, codebook=None, jobs=1):
        assert jobs >= 1  # one per core unless --jobs says
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


# --- run options, --pdf, evaluate --cross-validate, review: each option does what its help says

def test_a_dask_run_needs_its_scheduler_and_a_scheduler_needs_dask(stubbed, tmp_path):
    out = tmp_path / "j.json"
    alone = run("journeys", DATA, "-o", out, "--executor", "dask")
    assert alone.exit_code == 2 and "give the scheduler's address" in alone.output
    stray = run("journeys", DATA, "-o", out, "--scheduler", "tcp://10.0.0.5:8786")
    assert stray.exit_code == 2 and "--scheduler goes with --executor dask" in stray.output
    assert stubbed.analyse == []  # refused before any file is read
    both = run("journeys", DATA, "-o", out, "--executor", "dask", "--scheduler", "tcp://10.0.0.5:8786")
    assert both.exit_code == 0, both.output
    assert stubbed.analyse[0][1]["executor"] == "dask" and stubbed.analyse[0][1]["scheduler"] == "tcp://10.0.0.5:8786"


def test_report_pdf_is_printed_from_the_staged_pages_and_named(stubbed, tmp_path, monkeypatch):
    from cjm import pdf

    printed = []

    def write_pdf(index, target):
        printed.append(Path(index).name)
        Path(target).write_bytes(b"%PDF-1.4\n")
        return Path(target)

    monkeypatch.setattr(pdf, "find_browser", lambda: "/usr/bin/chromium")
    monkeypatch.setattr(pdf, "write_pdf", write_pdf)
    out = tmp_path / "out"
    result = run("report", DATA, "-o", out, "--pdf")
    assert result.exit_code == 0, result.output
    assert printed == ["index.html"] and (out / "report.pdf").is_file()
    assert f"pdf:    {out / 'report.pdf'}" in result.output
    plain = run("report", DATA, "-o", tmp_path / "plain")
    assert plain.exit_code == 0 and "pdf:" not in plain.output and printed == ["index.html"]


def test_cross_validation_prints_the_text_or_the_json(monkeypatch, tmp_path):
    from cjm import learn

    calls = []

    def compare(paths, folds, codebook=None, seed=0, jobs=1, by_folder=False):
        calls.append((paths, folds, seed))
        return "rules-only 0.61 | model 0.72", {"folds": folds, "model": {"f1": 0.72}}

    monkeypatch.setattr(learn, "compare_by_cross_validation", compare)
    text = run("evaluate", "--cross-validate", "3", "--seed", "4", DATA)
    assert text.exit_code == 0, text.output
    assert text.output.strip() == "rules-only 0.61 | model 0.72" and calls == [([DATA], 3, 4)]
    as_json = run("evaluate", "--cross-validate", "3", "--json", DATA)
    assert json.loads(as_json.output) == {"folds": 3, "model": {"f1": 0.72}}


@pytest.fixture
def review_stubs(stubbed, monkeypatch):
    """write_review and apply_review record their calls; the analysis gives one note."""
    from cjm import pipeline, review

    calls = {"write": [], "apply": []}
    analyse = pipeline.analyse

    def noted(folder, **kwargs):
        result = analyse(folder, **kwargs)
        result.notes.append("the model was trained on another codebook: rules only")
        return result

    def write_review(journeys, codebook, out):
        calls["write"].append(Path(out).name)
        return [Path(out)]

    def apply_review(sheet, folder, codebook):
        calls["apply"].append(Path(sheet).name)
        return review.Applied()

    monkeypatch.setattr(pipeline, "analyse", noted)
    monkeypatch.setattr(review, "write_review", write_review)
    monkeypatch.setattr(review, "apply_review", apply_review)
    return calls


@pytest.mark.parametrize("name", ["review.xlsx", "Review.CSV"])
def test_review_writes_a_sheet_named_xlsx_or_csv(review_stubs, tmp_path, name):
    result = run("review", DATA, "-o", tmp_path / name)
    assert result.exit_code == 0, result.output
    assert review_stubs["write"] == [name]
    assert f"0 utterance(s) of 0 interview(s), 0 reviewed before: {tmp_path / name}" in result.output
    assert "note: the model was trained on another codebook: rules only" in result.output
    assert f"cjm review --apply {tmp_path / name} {DATA}" in result.output


@pytest.mark.parametrize("name", ["review.txt", "review", "review.xlsx.bak"])
def test_review_refuses_a_sheet_of_another_kind(review_stubs, tmp_path, name):
    result = run("review", DATA, "-o", tmp_path / name)
    assert result.exit_code == 2 and "give a name ending in .xlsx or .csv" in result.output
    assert review_stubs["write"] == []


def test_review_apply_of_an_empty_sheet_says_nothing_was_stored(review_stubs, tmp_path):
    sheet = tmp_path / "review.xlsx"
    sheet.write_bytes(b"")
    result = run("review", "--apply", sheet, DATA)
    assert result.exit_code == 0, result.output
    assert review_stubs["apply"] == ["review.xlsx"]
    assert f"{sheet}: no reviewed rows (mark 'ok' or fill a *_fix cell); nothing stored" in result.output
    both = run("review", "--apply", sheet, "-o", tmp_path / "r.xlsx", DATA)
    assert both.exit_code == 2 and review_stubs["apply"] == ["review.xlsx"]


def test_review_apply_tells_what_it_stored(review_stubs, tmp_path, monkeypatch):
    from cjm import review

    stored = review.Applied(files=[tmp_path / "a.reviewed.json"], utterances=5, corrected=2, interviews=1)
    monkeypatch.setattr(review, "apply_review", lambda sheet, folder, codebook: stored)
    sheet = tmp_path / "review.xlsx"
    sheet.write_bytes(b"")
    result = run("review", "--apply", sheet, DATA)
    assert result.exit_code == 0, result.output
    assert "5 utterance(s) reviewed (2 corrected), 1 interview row(s) reviewed" in result.output
    assert "nothing stored" not in result.output


def test_review_lists_the_files_it_could_not_read(review_stubs, stubbed, tmp_path):
    stubbed.problems.append(Problem(source="bad.txt", message="unreadable"))
    result = run("review", DATA, "-o", tmp_path / "r.xlsx")
    assert result.exit_code == 0, result.output  # the sheet of the rest is still written
    assert "skipped bad.txt" in result.output and review_stubs["write"] == ["r.xlsx"]


def test_review_apply_passes_on_its_notes(review_stubs, tmp_path, monkeypatch):
    from cjm import review

    noted = review.Applied(notes=["row 7: 'big_bos' is no role of the codebook: not stored"])
    monkeypatch.setattr(review, "apply_review", lambda sheet, folder, codebook: noted)
    sheet = tmp_path / "review.xlsx"
    sheet.write_bytes(b"")
    result = run("review", "--apply", sheet, DATA)
    assert result.exit_code == 0 and "note: row 7: 'big_bos' is no role of the codebook: not stored" in result.stderr


def test_by_folder_and_a_number_of_folds_are_refused_together(tmp_path):
    result = run("evaluate", "--by-folder", "--cross-validate", "3", DATA)
    assert result.exit_code == 2 and "--by-folder makes one fold per folder" in result.output
