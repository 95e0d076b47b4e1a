"""Journey presets (cjm/data/presets/) and `cjm init`: each preset tags its own stages in a real-looking
interview (ru and en) and keeps a negated or hypothetical one out; the sample series runs end to end
with every preset; `extends:` chains and `plays:`; the model is set aside for stages it never saw."""

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cjm.cli import cli
from cjm.codebook import load_codebook, preset_names, presets_dir
from cjm.errors import CodebookError
from cjm.model import STAGE
from cjm.pipeline import analyse

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "presets"
SAMPLE = ROOT / "interviews"


def preset(name: str) -> Path:
    return presets_dir() / f"{name}.yaml"


# (fixture, preset, {utterance: stage it must have}, control utterance, the stage it must not have)
CASES = [
    ("hourglass_ru.txt", "hourglass", {2: "know", 4: "like", 6: "trust", 8: "try", 10: "buy", 12: "repeat", 14: "refer"},
     16, "refer"),
    ("hourglass_en.txt", "hourglass", {2: "know", 4: "like", 6: "trust", 8: "try", 10: "buy", 12: "repeat", 14: "refer"},
     16, "refer"),
    ("b2b_ru.txt", "b2b-four-step", {2: "problem", 4: "review", 6: "requirements", 8: "choice"}, 10, "requirements"),
    ("b2b_en.txt", "b2b-four-step", {2: "problem", 4: "review", 6: "requirements", 8: "choice"}, 10, "requirements"),
    ("five_ru.txt", "five-step", {2: "unaware", 4: "informed", 6: "interested", 8: "motivated", 10: "bought"}, 12, "bought"),
    ("five_en.txt", "five-step", {2: "unaware", 4: "informed", 6: "interested", 8: "motivated", 10: "bought"}, 12, "bought"),
]


def test_the_three_presets_ship():
    assert preset_names() == ["b2b-four-step", "five-step", "hourglass"]


@pytest.mark.parametrize("fixture, name, expected, control, absent", CASES, ids=[c[0] for c in CASES])
def test_preset_finds_its_stages_and_keeps_the_control_out(fixture, name, expected, control, absent):
    journey = analyse(DATA / fixture, codebook=preset(name), rules_only=True).journeys[0]
    by_n = {t.n: t for t in journey.utterances}
    for n, stage in expected.items():
        assert stage in by_n[n].stages, (n, by_n[n].utterance.text, by_n[n].stages)
    item = by_n[control]
    assert absent not in item.stages, item.utterance.text
    assert absent in {m.label for m in item.suppressed if m.kind == STAGE}, "the phrase matched and its context removed it"
    assert journey.outcome == "bought"


def test_the_hourglass_map_goes_past_the_purchase():
    journey = analyse(DATA / "hourglass_en.txt", codebook=preset("hourglass"), rules_only=True).journeys[0]
    assert journey.stage_path == ["know", "like", "trust", "try", "buy", "repeat", "refer"]
    assert journey.furthest_stage == "refer" and journey.outcome == "bought"
    from cjm.aggregate import interviews_table

    row = interviews_table([journey], load_codebook(preset("hourglass"))).iloc[0]
    assert bool(row["bought"]) and row["path"][-1] == "refer"  # not cut at the purchase


def test_a_preset_reads_an_interview_written_for_another():
    journey = analyse(DATA / "b2b_en.txt", codebook=preset("hourglass"), rules_only=True).journeys[0]
    assert journey.furthest_stage == "buy"  # "signed the contract and paid the deposit"
    stalled = analyse(DATA / "hourglass_en.txt", codebook=preset("b2b-four-step"), rules_only=True).journeys[0]
    assert stalled.furthest_stage == "choice"


def test_the_model_is_used_for_the_stages_it_knows_and_set_aside_otherwise():
    five = analyse(DATA / "five_en.txt", codebook=preset("five-step"))
    assert five.notes == [] and any(t.probabilities for t in five.journeys[0].utterances)
    hourglass = analyse(DATA / "hourglass_en.txt", codebook=preset("hourglass"))
    assert len(hourglass.notes) == 1 and hourglass.notes[0].startswith("labelled by the codebook's rules")
    assert "know, like, trust, try, buy, repeat, refer" in hourglass.notes[0]
    assert hourglass.notes[0] in hourglass.journeys[0].transcript.notes  # shown with the interview too
    assert not any(t.probabilities for t in hourglass.journeys[0].utterances)
    rules = analyse(DATA / "hourglass_en.txt", codebook=preset("hourglass"), rules_only=True)
    assert [t.stages for t in rules.journeys[0].utterances] == [t.stages for t in hourglass.journeys[0].utterances]


@pytest.mark.parametrize("name", ["five-step", "b2b-four-step", "hourglass"])
def test_every_preset_runs_the_sample_end_to_end(name, tmp_path):
    result = CliRunner().invoke(cli, ["report", str(SAMPLE), "--codebook", str(preset(name)), "-o", str(tmp_path),
                                      "--lang", "en"])
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "journeys.json").read_text(encoding="utf-8"))
    book = load_codebook(preset(name))
    told = {s for i in document["interviews"] for u in i["utterances"] for s in u["stages"]}
    assert told == set(book.ids(STAGE)), "every stage of the preset gets utterances on the sample"
    assert all(i["outcome"] in ("bought", "stalled", "lost") for i in document["interviews"])
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    for label in book.stages:
        assert label.name("en") in page
    assert len(re.findall(r'id="fig-flow-', page)) >= 2  # flows per channel group
    assert 'id="compare"' in page and 'id="qualification"' in page
    if name == "five-step":
        assert "note:" not in result.output
    else:
        assert "note: labelled by the codebook's rules" in result.output


def test_plays_is_checked(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("extends: hourglass\nstages:\n- id: refer\n  plays: purchase\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="two stages play 'purchase'"):
        load_codebook(path)
    path.write_text("extends: hourglass\nstages:\n- id: refer\n  plays: paying\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="'plays' of 'refer' must be one of before_contact"):
        load_codebook(path)


def test_extends_a_preset_a_file_and_refuses_a_cycle(tmp_path):
    (tmp_path / "base.yaml").write_text("extends: b2b-four-step\nstages:\n- id: review\n  patterns:\n"
                                        "    en: ['vendor fair']\n", encoding="utf-8")
    (tmp_path / "mine.yaml").write_text("extends: base.yaml\ndrop: [marketplace]\n", encoding="utf-8")
    book = load_codebook(tmp_path / "mine.yaml")
    assert book.ids(STAGE) == ["problem", "review", "requirements", "choice"]
    assert "vendor fair" in book.get(STAGE, "review").patterns["en"]
    assert "marketplace" not in book.ids("channel") and "referral" in book.ids("channel")
    assert set(book.lexicons["questions"]) == {"problem", "review", "requirements", "choice"}  # dropped stages' gone
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="a cycle"):
        load_codebook(tmp_path / "a.yaml")
    (tmp_path / "c.yaml").write_text("extends: hourglas\n", encoding="utf-8")
    with pytest.raises(CodebookError, match=r"c\.yaml:1: 'extends: hourglas' is neither a preset"):
        load_codebook(tmp_path / "c.yaml")


# --------------------------------------------------------------------------- cjm init

def test_init_scaffolds_a_series_that_reports(tmp_path):
    folder = tmp_path / "acme"
    runner = CliRunner()
    result = runner.invoke(cli, ["init", str(folder), "--preset", "hourglass"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:3] == [f"wrote {folder / 'interviews' / 'example-ru.txt'}",
                                               f"wrote {folder / 'codebook.yaml'}", f"wrote {folder / 'GUIDE.md'}"]
    codebook = (folder / "codebook.yaml").read_text(encoding="utf-8")
    assert "extends: hourglass" in codebook
    assert load_codebook(folder / "codebook.yaml").ids(STAGE) == load_codebook(preset("hourglass")).ids(STAGE)
    guide = (folder / "GUIDE.md").read_text(encoding="utf-8")
    assert f"cjm report {folder.as_posix()}/interviews --codebook {folder.as_posix()}/codebook.yaml" in guide
    assert "front matter" in guide.lower() and "**Refer**" in guide and "tagged by the codebook's rules" in guide
    out = tmp_path / "out"
    report = runner.invoke(cli, ["report", str(folder / "interviews"), "--codebook", str(folder / "codebook.yaml"),
                                 "-o", str(out)])
    assert report.exit_code == 0, report.output
    interview = json.loads((out / "journeys.json").read_text(encoding="utf-8"))["interviews"][0]
    assert interview["furthest_stage"] == "refer" and interview["channel"] == "referral"


def test_init_never_overwrites(tmp_path):
    folder = tmp_path / "acme"
    (folder).mkdir()
    (folder / "GUIDE.md").write_text("my notes", encoding="utf-8")
    result = CliRunner().invoke(cli, ["init", str(folder), "--preset", "five-step"])
    assert result.exit_code == 1
    assert result.output == (f"Error: {folder / 'GUIDE.md'}: already exists; cjm init never overwrites a file "
                             f"(move it away or choose another folder)\n")
    assert (folder / "GUIDE.md").read_text(encoding="utf-8") == "my notes"
    assert not (folder / "codebook.yaml").exists() and not (folder / "interviews").exists()
    guide = CliRunner().invoke(cli, ["init", str(tmp_path / "new"), "--preset", "five-step"])
    assert "tagged by the codebook's rules" not in (tmp_path / "new" / "GUIDE.md").read_text(encoding="utf-8")
    assert guide.exit_code == 0


def test_init_refuses_an_unknown_preset(tmp_path):
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "x"), "--preset", "funnel"])
    assert result.exit_code == 2 and "'funnel' is not one of 'five-step', 'b2b-four-step', 'hourglass'" in result.output
    assert not (tmp_path / "x").exists()


def test_events_of_dropped_stages_move_to_the_stage_playing_their_part():
    default, hourglass = load_codebook(), load_codebook(presets_dir() / "hourglass.yaml")
    moved = {event.id: event.stage for event in hourglass.events}
    for event in default.events:
        if event.stage == "informed":  # plays discovery: the hourglass's `know`
            assert moved[event.id] == hourglass.stage_playing("discovery") == "know"
        if event.stage == "unaware":  # no hourglass stage plays the time before contact: the event goes
            assert event.id not in moved
    assert moved and all(stage in hourglass.ids(STAGE) for stage in moved.values())
    b2b = {event.id: event.stage for event in load_codebook(presets_dir() / "b2b-four-step.yaml").events}
    for event in default.events:  # b2b-four-step has no stage for `interest`: the closest earlier part, `review`
        if event.stage == "interested":
            assert b2b[event.id] == "review"
