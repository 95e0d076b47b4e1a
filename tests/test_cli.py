"""The command line end to end: the contract's journeys.json, the report, messages, help."""

import csv
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cjm.cli import cli

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "transcripts"
CONTRACT_LABELS = ROOT.parent / "shared" / "contract" / "labels.yaml"
INTERVIEW_KEYS = {"id": str, "source": str, "language": str, "channel": (str, type(None)),
                  "channel_group": (str, type(None)), "channel_source": (str, type(None)),
                  "furthest_stage": (str, type(None)), "first_contact_role": (str, type(None)),
                  "roles": list, "cycle_days": (int, type(None)), "utterances": list}
UTTERANCE_KEYS = {"n": int, "speaker": str, "is_interviewer": bool, "text": str, "stages": list, "roles": list,
                  "channels": list}


def label_ids():
    if CONTRACT_LABELS.exists():
        data = yaml.safe_load(CONTRACT_LABELS.read_text(encoding="utf-8"))
        return ({s["id"] for s in data["stages"]}, {r["id"] for r in data["roles"]},
                {c["id"]: c["group"] for c in data["channels"]})
    from cjm.codebook import load_codebook

    book = load_codebook()
    return set(book.ids("stage")), set(book.ids("role")), {c.id: c.group for c in book.channels}


def validate_contract(document: dict) -> None:
    """journeys.json as section 3 of the contract describes it."""
    stages, roles, channels = label_ids()
    assert document["version"] == 1
    assert document["interviews"]  # a check over no interview would pass anything
    for interview in document["interviews"]:
        for key, kind in INTERVIEW_KEYS.items():
            assert isinstance(interview[key], kind), (interview["id"], key)
        assert interview["language"] in ("ru", "en")
        assert interview["channel"] is None or interview["channel"] in channels
        assert interview["channel_group"] == (channels.get(interview["channel"]) if interview["channel"] else None)
        assert interview["channel_source"] in ("metadata", "detected", None)
        assert interview["furthest_stage"] is None or interview["furthest_stage"] in stages
        assert interview["first_contact_role"] is None or interview["first_contact_role"] in roles
        assert set(interview["roles"]) <= roles
        assert [u["n"] for u in interview["utterances"]] == list(range(1, len(interview["utterances"]) + 1))
        for u in interview["utterances"]:
            for key, kind in UTTERANCE_KEYS.items():
                assert isinstance(u[key], kind), (interview["id"], u["n"], key)
            assert set(u["stages"]) <= stages and set(u["roles"]) <= roles and set(u["channels"]) <= set(channels)
            if u["is_interviewer"]:
                assert u["stages"] == u["roles"] == u["channels"] == []
        assert set(interview["roles"]) == {r for u in interview["utterances"] for r in u["roles"]}


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = CliRunner().invoke(cli, ["report", str(ROOT / "interviews"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out, result


def test_report_on_the_sample_series_writes_everything(sample_report):
    out, result = sample_report
    assert (out / "index.html").exists()
    document = json.loads((out / "journeys.json").read_text(encoding="utf-8"))
    validate_contract(document)
    assert len(document["interviews"]) == len(list((ROOT / "interviews").glob("*.txt")))
    with (out / "events.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {"interview", "utterance", "quote"} <= set(rows[0])
    assert "12 interview(s) read, 0 skipped" in result.output


def test_journeys_command_and_stdout(tmp_path):
    out = tmp_path / "j.json"
    result = CliRunner().invoke(cli, ["journeys", str(DATA / "ru_timestamps.txt"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    validate_contract(json.loads(out.read_text(encoding="utf-8")))
    result = CliRunner().invoke(cli, ["journeys", str(DATA / "en_questions.txt"), "-o", "-"])
    validate_contract(json.loads(result.output))


def test_bad_file_is_reported_and_the_rest_processed(tmp_path):
    (tmp_path / "good.txt").write_text((DATA / "en_questions.txt").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "broken.txt").write_text((DATA / "broken_front_matter.txt").read_text(encoding="utf-8"), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli, ["journeys", str(tmp_path), "-o", str(tmp_path / "j.json")])
    assert result.exit_code == 0
    assert "broken.txt:3: front matter is not valid YAML" in result.output
    document = json.loads((tmp_path / "j.json").read_text(encoding="utf-8"))
    assert [i["id"] for i in document["interviews"]] == ["good"]
    assert document["skipped"][0]["source"].endswith("broken.txt")
    strict = runner.invoke(cli, ["journeys", str(tmp_path), "-o", str(tmp_path / "j.json"), "--strict"])
    assert strict.exit_code == 1
    assert "Traceback" not in strict.output


def test_nothing_readable_is_an_error_without_traceback(tmp_path):
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4 ...")
    result = CliRunner().invoke(cli, ["journeys", str(tmp_path)])
    assert result.exit_code == 1
    assert "scan.pdf" in result.output
    assert "Traceback" not in result.output


def test_bad_codebook_is_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["journeys", str(DATA / "en_questions.txt"), "--codebook",
                                      str(Path(__file__).parent / "data" / "codebooks" / "bad_yaml.yaml")])
    assert result.exit_code == 1
    assert "bad_yaml.yaml:" in result.output and "not valid YAML" in result.output


def test_tag_command_prints_labels():
    result = CliRunner().invoke(cli, ["tag", str(DATA / "ru_timestamps.txt")])
    assert result.exit_code == 0, result.output
    assert "referral" in result.output and "channel=referral" in result.output
    as_json = CliRunner().invoke(cli, ["tag", str(DATA / "ru_timestamps.txt"), "--json"])
    assert json.loads(as_json.output)["channel"] == "referral"


def test_evaluate_command(sample_report):
    out, _ = sample_report
    result = CliRunner().invoke(cli, ["evaluate", str(out / "journeys.json"), str(ROOT / "interviews" / "gold")])
    assert result.exit_code == 0, result.output
    assert "stages" in result.output and "first_contact_role" in result.output
    figures = json.loads(CliRunner().invoke(cli, ["evaluate", str(out / "journeys.json"),
                                                  str(ROOT / "interviews" / "gold"), "--json"]).output)
    assert figures["missing"] == [] and figures["misaligned"] == []


@pytest.mark.parametrize("command", [None, "report", "journeys", "tag", "evaluate", "learn"])
def test_every_command_explains_itself(command):
    args = ([command] if command else []) + ["--help"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0
    assert "Example:" in result.output or command is None


def test_python_dash_m_works():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "cjm", "--version"], capture_output=True, text=True, check=True)
    assert "cjm" in result.stdout


# --- the output is checked before the analysis, written whole, and refused while another run writes it


@pytest.fixture
def no_analysis(monkeypatch):
    """Make the analysis fail loudly: a check that must come first proves it by not reaching it."""
    def analyse(*args, **kwargs):
        raise AssertionError("the analysis ran before the output was checked")
    monkeypatch.setattr("cjm.pipeline.analyse", analyse)


@pytest.mark.parametrize("make, args, message", [
    (lambda t: (t / "file").write_text("x"), ["report", "-o", "{t}/file/sub"], "file is a file, not a folder"),
    (lambda t: (t / "out" / "journeys.json").mkdir(parents=True), ["report", "-o", "{t}/out"],
     "journeys.json/ (a folder where cjm writes a file)"),
    (lambda t: (t / "out" / "data").mkdir(parents=True), ["report", "-o", "{t}/out"],
     "holds what cjm did not write: data/"),
    (lambda t: (t / "file").write_text("x"), ["journeys", "-o", "{t}/file/sub.json"], "file is a file, not a folder"),
    (lambda t: None, ["report", "-o", "{t}/" + "r" * 230], "too long"),
])
def test_a_bad_output_is_told_before_the_analysis(tmp_path, no_analysis, make, args, message):
    make(tmp_path)
    result = CliRunner().invoke(cli, [args[0], str(DATA)] + [a.format(t=tmp_path) for a in args[1:]])
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not isinstance(result.exception, AssertionError)


def test_a_second_run_into_the_same_folder_is_refused(tmp_path, no_analysis):
    from cjm.output import claim_folder

    with claim_folder(tmp_path / "out"):
        result = CliRunner().invoke(cli, ["report", str(DATA), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1 and "another cjm run" in result.output and "is writing" in result.output


def test_report_replaces_the_old_folder_whole_and_writes_through_no_link(tmp_path):
    folder, out, outside = tmp_path / "in", tmp_path / "out", tmp_path / "outside"
    folder.mkdir(), (out / "interviews").mkdir(parents=True), outside.mkdir()
    (folder / "en_questions.txt").write_bytes((DATA / "en_questions.txt").read_bytes())
    (out / "interviews" / "Ivan Petrov unredacted.html").write_text("<p>Ivan Petrov, +7 999 123-45-67</p>")
    (outside / "victim.json").write_text("precious\n")
    (out / "journeys.json").symlink_to(outside / "victim.json")
    (out / "events.csv").write_text("old\n")
    result = CliRunner().invoke(cli, ["report", str(folder), "-o", str(out), "--rules-only", "--redact"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "interviews").iterdir()) == ["en_questions.html"]
    assert (outside / "victim.json").read_text() == "precious\n" and not (out / "journeys.json").is_symlink()
    assert json.loads((out / "journeys.json").read_text(encoding="utf-8"))["interviews"][0]["id"] == "en_questions"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out", "outside"]  # no lock, no staging left


def test_journeys_replaces_a_link_and_never_writes_through_it(tmp_path):
    victim = tmp_path / "victim.json"
    victim.write_text("precious\n")
    (tmp_path / "j.json").symlink_to(victim)
    result = CliRunner().invoke(cli, ["journeys", str(DATA / "en_questions.txt"), "-o", str(tmp_path / "j.json"),
                                      "--rules-only"])
    assert result.exit_code == 0, result.output
    assert victim.read_text() == "precious\n"
    assert json.loads((tmp_path / "j.json").read_text(encoding="utf-8"))["interviews"][0]["id"] == "en_questions"


def test_tag_json_is_strict_json():
    """`cjm tag --json` writes RFC 8259 JSON, as journeys.json does (no NaN or Infinity tokens)."""
    def refuse(token):
        raise ValueError(f"non-standard JSON token {token}")

    hostile = Path(__file__).parent / "data" / "output" / "hostile-values.txt"
    result = CliRunner().invoke(cli, ["tag", str(hostile), "--json", "--rules-only"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout, parse_constant=refuse)
    assert document["metadata"]["budget"] == ".inf" and document["utterances"]
