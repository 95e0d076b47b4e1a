"""Learning: a model from annotated interviews, the same bytes twice, cross-validation by interview."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from cjm.cli import cli
from cjm.codebook import load_codebook
from cjm.errors import UsageError
from cjm.learn import cross_validate, folds, load_examples, primary_stage, stage_sequence, story_states, train
from cjm.tagger_model import NONE, STACKED, TaggerModel, collapsed_label, load_model, save_model

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "interviews"


@pytest.fixture(scope="module")
def book():
    return load_codebook()


@pytest.fixture(scope="module")
def examples(book):
    found, notes = load_examples([SAMPLE], book)
    assert notes == []
    return found


def test_every_annotated_sample_interview_is_an_example(examples):
    assert sorted(e.id for e in examples) == sorted(p.stem for p in SAMPLE.glob("*.txt"))
    ru01 = next(e for e in examples if e.id == "ru-01")
    assert ru01.gold_labels(2, "stages") == []  # the self-introduction
    assert any(ru01.gold_labels(t.n, "stages") for t in ru01.evidence.respondent)


def test_the_furthest_of_an_utterances_stages_is_what_a_position_learns(book):
    order = book.ids("stage")
    assert primary_stage(["interested", "bought"], order) == "bought"
    assert primary_stage(["informed"], order) == "informed"
    assert primary_stage([], order) == NONE
    assert primary_stage(["no-such-stage"], order) == NONE


def test_training_is_deterministic_and_the_file_round_trips(examples, book, tmp_path):
    a = save_model(train(examples, book), tmp_path / "a.zip")
    b = save_model(train(examples, book), tmp_path / "b.zip")
    assert a.read_bytes() == b.read_bytes()
    model = load_model(a)
    assert model.meta["trained_on"] == sorted(e.id for e in examples)
    labels = set(model.tagger("stages").labels())
    assert {collapsed_label(label) for label in labels} >= {"unaware", "informed", "interested", "motivated", "bought", NONE}
    assert NONE not in labels and "none@start" in labels  # "no stage" is learned as the story's state
    assert STACKED not in model.blobs and model.stage_labels() == set(book.ids("stage"))


def test_a_stacked_model_reads_the_first_ones_answers_and_round_trips(examples, book, tmp_path):
    model = load_model(save_model(train(examples, book, {"stack": True}), tmp_path / "s.zip"))
    assert STACKED in model.blobs and model.meta["stage_order"] == book.ids("stage")
    rows, _ = stage_sequence(examples[0], book)
    best, marginals = model.stage_marginals(rows)
    assert best != [] and best != model.first_stage_marginals(rows)[0] or marginals != model.first_stage_marginals(rows)[1]
    assert all(abs(sum(m.values()) - 1) < 1e-6 for m in marginals) and all("@" not in b for b in best)


def test_no_stage_is_learned_as_where_the_story_stands(book):
    order = book.ids("stage")
    gold = [NONE, "informed", NONE, "motivated", NONE, "interested", NONE]
    assert story_states(gold, order) == ["none@start", "informed", "none@informed", "motivated", "none@motivated",
                                         "interested", "none@interested"]  # a back-step moves the state back
    assert story_states(gold, order, "furthest")[-1] == "none@motivated"  # ... unless the furthest is kept
    assert story_states(["bought"], order) == ["bought"]  # a told stage keeps its own label


def test_a_model_fits_its_own_training_data_far_better_than_chance(examples, book):
    model = train(examples, book)
    from cjm.features import stage_features
    from cjm.learn import stage_sequence

    right = total = 0
    for example in examples:
        rows, gold = stage_sequence(example, book)
        best, marginals = model.stage_marginals(rows)
        assert rows == stage_features(example.evidence, example.by_rules, book.ids("stage"))
        assert all(abs(sum(m.values()) - 1) < 1e-6 for m in marginals)
        right += sum(p == g for p, g in zip(best, gold, strict=True))
        total += len(gold)
    assert right / total > 0.85


def test_cross_validation_tags_every_interview_once_with_a_model_that_never_saw_it(examples, book):
    parts = folds(examples, 3)
    assert sorted(e.id for part in parts for e in part) == sorted(e.id for e in examples)
    assert all({e.evidence.transcript.language for e in part} == {"ru", "en"} for part in parts)
    documents = cross_validate(examples, book, 3)
    for name in ("rules", "model"):
        assert sorted(i["id"] for i in documents[name]["interviews"]) == sorted(e.id for e in examples)
    assert all("probabilities" in u for i in documents["model"]["interviews"] for u in i["utterances"])
    with pytest.raises(UsageError):
        folds(examples, 1)


def test_folds_trained_in_two_processes_give_what_one_gives(examples, book):
    from cjm.learn import in_processes

    assert cross_validate(examples, book, 3, jobs=2) == cross_validate(examples, book, 3, jobs=1)
    assert in_processes([lambda: 1, lambda: 2, lambda: 3], 2) == [1, 2, 3]  # in the calls' order


def test_not_a_model_is_a_clear_error(tmp_path):
    bad = tmp_path / "model.zip"
    bad.write_text("not a zip", encoding="utf-8")
    with pytest.raises(UsageError, match="not a cjm model"):
        load_model(bad)
    broken = save_model(TaggerModel({"stages": b"x", "roles": b"y", "channels": b"z"}, {}), tmp_path / "broken.zip")
    with pytest.raises(UsageError, match="cannot be read"):
        load_model(broken)


def test_learn_and_cross_validate_commands(tmp_path):
    out = tmp_path / "m.zip"
    result = CliRunner().invoke(cli, ["learn", str(SAMPLE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "model trained on 12 interview(s)" in result.output and out.exists()
    trained = load_model(out)  # with the first-contact chooser, from the five calibration folds' decodes
    assert "first_contact" in trained.blobs and trained.meta["first_contacts"] == 12

    run = CliRunner().invoke(cli, ["journeys", str(SAMPLE / "en-01.txt"), "--model", str(out), "-o", "-"])
    assert run.exit_code == 0, run.output
    assert '"probabilities"' in run.output

    result = CliRunner().invoke(cli, ["evaluate", "--cross-validate", "2", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "rules" in result.output and "model" in result.output and "stage confusion" in result.output
    assert "F1 with 95% interval" in result.output

    result = CliRunner().invoke(cli, ["evaluate", str(SAMPLE)])
    assert result.exit_code == 2 and "--cross-validate" in result.output


def test_a_model_of_other_features_is_refused(examples, book, tmp_path):
    model = train(examples[:3], book)
    model.meta["feature_version"] = 0
    with pytest.raises(UsageError, match="train it again"):
        load_model(save_model(model, tmp_path / "old.zip"))


def test_the_same_folders_give_the_same_model_in_any_process(tmp_path):
    """Sets iterate in another order in another process (hash seed): the model's bytes must not care."""
    import os
    import subprocess
    import sys

    files = []
    for seed, jobs in (("1", "1"), ("2", "2")):  # (and the folds in one process or two)
        out = tmp_path / f"m{seed}.zip"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "cjm", "learn", str(SAMPLE), "-o", str(out), "--jobs", jobs],
                       check=True, env=env, capture_output=True)
        files.append(out.read_bytes())
    assert files[0] == files[1]


def test_by_folder_each_folder_is_one_fold_and_its_interviews_are_scored_by_the_others(examples, book, tmp_path):
    from types import SimpleNamespace

    from cjm.learn import folder_folds

    def at(path: str):
        return SimpleNamespace(evidence=SimpleNamespace(transcript=SimpleNamespace(source=str(tmp_path / path))))

    a, b, nested, outside = at("a/1.txt"), at("b/2.txt"), at("a/deep/3.txt"), at("c/4.txt")
    parts = folder_folds([a, b, nested, outside], [tmp_path / "a", tmp_path / "b", tmp_path / "a" / "deep"])
    assert parts == [[a], [b], [nested]]  # the deepest folder holds it; one outside every folder is left out
    with pytest.raises(UsageError, match="at least two"):
        folder_folds([a, nested], [tmp_path / "a"])

    # two folders of the sample, through the command: every interview scored once, by the other folder's model
    for name, pick in (("en", "en-*"), ("ru", "ru-0[1-4]*")):
        (tmp_path / name / "gold").mkdir(parents=True)
        for path in SAMPLE.glob(f"{pick}.txt"):
            (tmp_path / name / path.name).write_bytes(path.read_bytes())
            gold = SAMPLE / "gold" / f"{path.stem}.gold.json"
            (tmp_path / name / "gold" / gold.name).write_bytes(gold.read_bytes())
    result = CliRunner().invoke(cli, ["evaluate", "--by-folder", str(tmp_path / "en"), str(tmp_path / "ru"), "-j", "1"])
    assert result.exit_code == 0, result.output
    assert "one fold per folder (2 folders" in result.output and "stage confusion" in result.output
    both = CliRunner().invoke(cli, ["evaluate", "--by-folder", "--cross-validate", "2", str(tmp_path / "en")])
    assert both.exit_code == 2 and "leave out --cross-validate" in both.output


def test_the_channel_classifier_learns_from_the_gold_discoveries_only(examples, book):
    from cjm.learn import told_channel_items
    from cjm.tagger_model import TOLD_CHANNEL

    for example in examples:
        rows, _ = stage_sequence(example, book)
        items = told_channel_items(example, rows)
        discoveries = [t for t in example.evidence.respondent if "informed" in example.gold_labels(t.n, "stages")]
        assert [label for _, (label,) in items] == [(example.gold_labels(t.n, "channels") or [NONE])[0]
                                                    for t in discoveries]
        assert all(not k.startswith(("m=", "rule=", "p:", "n:")) for (row,), _ in items for k in row)
    labels = [label for e in examples for _, (label,) in told_channel_items(e, stage_sequence(e, book)[0])]
    assert NONE in labels and len(set(labels) - {NONE}) >= 3  # discoveries with and without a channel's name
    model = train(examples, book)
    assert model.meta["discoveries"] == len(labels)
    assert set(model.tagger(TOLD_CHANNEL).labels()) == set(labels)
