"""Choose the tagger's design and regularisation by cross-validation on the training corpus only.

    python eval/tools/select_model.py FOLDER ... [--folds 5]

Never give it eval/test: the frozen test split is not tuned on. Prints one line per candidate:
stage, role and channel micro-F1, stage kappa and the interview-level figures of K-fold
cross-validation by interview, so the README's choice can be checked.
"""

from __future__ import annotations

import argparse
import time

import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's cjm, not an installed one

from cjm.codebook import load_codebook
from cjm.evaluate import evaluate
from cjm.learn import cross_validate, load_examples

CANDIDATES = {
    "CRF, plain labels, one model (v1)": {"states": None, "stack": False},
    "CRF, story states, one model": {"stack": False},
    "CRF, story states + stacked (default)": {},
    "per-utterance maxent (no sequence)": {"sequence": False},
    "CRF c1=0.1 c2=0.05": {"stages": {"c1": 0.1, "c2": 0.05}},
    "CRF c1=0.3 c2=0.01 (sparser)": {"stages": {"c1": 0.3, "c2": 0.01}},
    "CRF c1=0.05 c2=0.2": {"stages": {"c1": 0.05, "c2": 0.2}},
    "roles/channels c1=0.2 c2=0.05": {"roles": {"c1": 0.2, "c2": 0.05}, "channels": {"c1": 0.2, "c2": 0.05}},
    "roles/channels c1=0.05 c2=0.1": {"roles": {"c1": 0.05, "c2": 0.1}, "channels": {"c1": 0.05, "c2": 0.1}},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    if any("eval/test" in f.replace("\\\\", "/") for f in args.folders):
        parser.error("eval/test is the frozen test split: never select a model on it")
    book = load_codebook()
    examples, _ = load_examples(args.folders, book)
    golds = {e.id: e.gold for e in examples}
    print(f"{len(examples)} interviews, {args.folds}-fold cross-validation by interview")
    first = True
    for name, params in CANDIDATES.items():
        start = time.perf_counter()
        documents = cross_validate(examples, book, args.folds, params=params, tune=True)
        runs = {"rules": documents["rules"], name: documents["model"]} if first else {name: documents["model"]}
        first = False
        for label, doc in runs.items():
            r = evaluate(doc, golds).as_dict()
            f1 = {k: r["utterance"][k]["micro"]["f1"] for k in ("stages", "roles", "channels")}
            acc = {k: r["interview"][k]["accuracy"] for k in ("channel", "furthest_stage", "first_contact_role", "cycle_days")}
            print(f"{label:<38} stage {f1['stages']:.3f} κ {r['kappa']['stages']:.3f} role {f1['roles']:.3f} "
                  f"channel {f1['channels']:.3f} | " + " ".join(f"{k} {v:.3f}" for k, v in acc.items())
                  + f"  ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
