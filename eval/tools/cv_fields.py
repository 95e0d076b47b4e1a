"""Cross-validate the tagger once, keep its per-utterance labels, and score the interview-level
fields derived from them as often as the derivation changes, without training again.

    python eval/tools/cv_fields.py save FOLDER ... -o /tmp/cv.pickle [--folds 5] [--jobs 2]
    python eval/tools/cv_fields.py score /tmp/cv.pickle [--errors FIELD] [--json OUT]

`save` runs the same K-fold cross-validation by interview as `cjm evaluate --cross-validate K`
(each fold's model tuned as `cjm learn` tunes it) and pickles, per interview, the transcript, the
rules' labels, the held-out model's labels and that fold's model (for calibration). `score`
derives every journey with the current cjm/journey.py from those labels and prints, for rules only
and the model: channel, furthest stage, first-contact role, cycle days within 25%, outcome, and the
stalled or lost deals reported as bought; `--errors` lists each wrong interview of one field.
Never give it eval/test: the frozen test split is not tuned on.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's cjm, not an installed one

from cjm.codebook import load_codebook
from cjm.evaluate import cycle_match, evaluate
from cjm.export import journey_to_dict
from cjm.journey import derive_journey
from cjm.learn import CALIBRATION_FOLDS, folds, in_processes, load_examples, train, tuned
from cjm.pipeline import calibrate_journey

FIELDS = ("channel", "furthest_stage", "first_contact_role", "cycle_days", "outcome")


def save(folders: list[str], out: str, k: int, jobs: int = 2) -> None:
    """One cross-validation: the labels of every interview by a model that never saw it."""
    book = load_codebook()
    examples, _ = load_examples(folders, book)

    start = time.perf_counter()
    parts = folds(examples, k)
    answers = in_processes([partial(fold_rows, examples, parts, number, book) for number in range(k)], jobs)
    rows = [row for answer in answers for row in answer]
    print(f"{k} folds done ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    with open(out, "wb") as handle:
        pickle.dump(rows, handle)


def fold_rows(examples: list, parts: list, number: int, book) -> list[dict]:
    """One fold: its interviews' labels by a model tuned as `cjm learn` tunes, trained on the others."""
    from cjm.decode import decode

    held = parts[number]
    rest = [e for e in examples if e not in held]
    model = train(rest, book)
    if len(rest) >= CALIBRATION_FOLDS:
        tuned(model, rest, book)
    return [{"id": example.id, "fold": number, "transcript": example.evidence.transcript,
             "rules": example.by_rules, "model": decode(example.evidence, example.by_rules, model, book),
             "gold": example.gold, "tagger": model} for example in held]


def derive(rows: list[dict], book, which: str) -> dict:
    """The journeys document of one tagger's saved labels, derived with the current code."""
    interviews = []
    for row in rows:
        journey = derive_journey(row["transcript"], row[which], book, row["tagger"] if which == "model" else None)
        if which == "model":
            journey = calibrate_journey(journey, row["tagger"])
        interviews.append(journey_to_dict(journey))
    return {"interviews": interviews}


def gold_outcome(gold: dict) -> str | None:
    """The annotated outcome; in the older gold files, bought where the furthest stage is."""
    if gold.get("outcome"):
        return gold["outcome"]
    return None if gold.get("furthest_stage") is None else "bought" if gold["furthest_stage"] == "bought" else "stalled"


def right(name: str, predicted, gold) -> bool:
    return cycle_match(predicted, gold) if name == "cycle_days" else predicted == gold


def score(path: str, errors: str | None, json_out: str | None) -> None:
    book = load_codebook()
    with open(path, "rb") as handle:
        rows = pickle.load(handle)
    golds = {row["id"]: row["gold"] for row in rows}
    summary = {}
    for which in ("rules", "model"):
        document = derive(rows, book, which)
        figures = evaluate(document, golds).as_dict()
        by_id = {i["id"]: i for i in document["interviews"]}
        outcome = [right("outcome", by_id[i].get("outcome"), g.get("outcome")) for i, g in golds.items()
                   if g.get("outcome")]  # (the older gold files have no outcome)
        not_bought = [i for i, g in golds.items() if gold_outcome(g) != "bought"]
        as_bought = [i for i in not_bought if by_id[i].get("outcome") == "bought"]
        bought = [i for i, g in golds.items() if gold_outcome(g) == "bought"]
        missed = [i for i in bought if by_id[i].get("outcome") != "bought"]
        line = {name: figures["interview"][name]["accuracy"] for name in FIELDS if name in figures["interview"]}
        line["outcome"] = sum(outcome) / len(outcome)
        line["as_bought"] = as_bought
        line["stalled/lost as bought"] = f"{len(as_bought)} of {len(not_bought)}"
        line["bought reported otherwise"] = f"{len(missed)} of {len(bought)}"
        summary[which] = line
        print(f"{which:<6} " + "  ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in line.items()))
        if errors and which == "model" or errors and errors.startswith("rules:") and which == "rules":
            name = errors.split(":")[-1]
            for ident, gold in sorted(golds.items()):
                p = by_id[ident]
                truth = gold_outcome(gold) if name == "outcome" else gold.get(name)
                if not right(name, p.get(name), truth):
                    print(f"  {ident:<12} gold {truth!s:<12} predicted {p.get(name)!s:<12} "
                          f"evidence {p.get('evidence', {}).get(name)} confidence {p.get('confidence', {}).get(name)}")
    if json_out:
        Path(json_out).write_text(json.dumps(summary, indent=2), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("save")
    s.add_argument("folders", nargs="+")
    s.add_argument("-o", "--out", required=True)
    s.add_argument("--folds", type=int, default=5)
    s.add_argument("--jobs", type=int, default=2, help="processes training the folds (the same labels with any number)")
    c = sub.add_parser("score")
    c.add_argument("pickle")
    c.add_argument("--errors", help="list the wrong interviews of this field (rules:FIELD for the rules' run)")
    c.add_argument("--json")
    args = parser.parse_args()
    if args.command == "save":
        if any("eval/test" in f.replace("\\", "/") for f in args.folders):
            parser.error("eval/test is the frozen test split: never tune on it")
        save(args.folders, args.out, args.folds, args.jobs)
    else:
        score(args.pickle, args.errors, args.json)


if __name__ == "__main__":
    main()
