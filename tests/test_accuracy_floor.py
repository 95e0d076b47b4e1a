"""A regression floor on the project's own held-out sets (eval/heldout, heldout2, heldout3).

`cjm journeys` then `cjm evaluate` over the 14 interviews, pooled; the suite fails when stage
micro-F1 or any interview-level figure falls more than `margin` below the figures stated in
tests/data/accuracy_floor.json (and in the README's table, generated from the same file).

The shipped model was trained on these interviews, so this is a floor that catches a break in the
pipeline, not an estimate of accuracy (the README's "Accuracy" section has those). eval/test is
never read here. Regenerate after an intended change: python tests/test_accuracy_floor.py --write
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
FLOOR = Path(__file__).parent / "data" / "accuracy_floor.json"
NAMES = {"stages": "stage micro-F1", "channel": "channel (interview)", "channel_group": "channel group",
         "furthest_stage": "furthest stage", "first_contact_role": "first-contact role",
         "cycle_days": "cycle days within 25%"}


def measure(work: Path, sets: list[str]) -> dict[str, float]:
    """The figures of one run of the shipped model over the sets, pooled into one evaluation."""
    from cjm.cli import cli

    runner = CliRunner()
    gold, interviews = work / "gold", []
    gold.mkdir(parents=True)
    for name in sets:
        folder = ROOT / name
        out = work / f"{folder.name}.json"
        result = runner.invoke(cli, ["journeys", str(folder), "-o", str(out)])
        assert result.exit_code == 0, result.output
        document = json.loads(out.read_text(encoding="utf-8"))
        unread = [p for p in document.get("skipped") or []  # the gold/ folder beside is listed as ignored
                  if Path(p["source"]) != folder / "gold"]
        assert not unread, unread
        interviews += document["interviews"]
        for path in sorted((folder / "gold").glob("*.gold.json")):
            shutil.copyfile(path, gold / path.name)
    pooled = work / "journeys.json"
    pooled.write_text(json.dumps({**document, "interviews": interviews}, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(cli, ["evaluate", "--json", str(pooled), str(gold)])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert not figures["missing"] and not figures["misaligned"], (figures["missing"], figures["misaligned"])
    assert len(figures["interviews"]) == len(list(gold.glob("*.gold.json")))
    out = {NAMES["stages"]: figures["utterance"]["stages"]["micro"]["f1"]}
    out |= {NAMES[k]: v["accuracy"] for k, v in figures["interview"].items() if k in NAMES}
    return {k: round(v, 3) for k, v in out.items()}


def test_accuracy_does_not_fall_below_the_stated_floor(tmp_path):
    stated = json.loads(FLOOR.read_text(encoding="utf-8"))
    assert not any("eval/test" == s.rstrip("/") for s in stated["sets"])  # never the frozen test split
    measured = measure(tmp_path, stated["sets"])
    assert set(measured) == set(stated["figures"]) == set(NAMES.values())
    fallen = {name: (measured[name], value) for name, value in stated["figures"].items()
              if measured[name] < value - stated["margin"]}
    assert not fallen, f"below the floor (measured, stated): {fallen}"


def test_the_readme_states_the_same_figures():
    stated = json.loads(FLOOR.read_text(encoding="utf-8"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert table(stated) in readme


def table(stated: dict) -> str:
    rows = "\n".join(f"| {name} | {value:.3f} |" for name, value in stated["figures"].items())
    return f"| held-out sets ({stated['interviews']} interviews), shipped model | |\n|---|---|\n{rows}"


if __name__ == "__main__":  # python tests/test_accuracy_floor.py --write
    import tempfile

    sys.path.insert(0, str(ROOT))
    sets = ["eval/heldout", "eval/heldout2", "eval/heldout3"]
    with tempfile.TemporaryDirectory() as tmp:
        figures = measure(Path(tmp), sets)
    n = sum(len(list((ROOT / s / "gold").glob("*.gold.json"))) for s in sets)
    stated = {"sets": sets, "interviews": n, "margin": 0.03, "figures": figures}
    if "--write" in sys.argv:
        FLOOR.write_text(json.dumps(stated, indent=1) + "\n", encoding="utf-8")
    print(table(stated))
