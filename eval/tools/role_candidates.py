"""How many gold roles the role candidates can reach, and at what precision cost.

    python eval/tools/role_candidates.py FOLDER ... [--misses N] [--cv K]

The learned role classifier can only say yes to a (utterance, role) pair some candidate proposes
(`cjm.features.candidates`): the share of gold pairs proposed bounds its recall. Measured with the
gold stages as the decoded ones (as in eval/cv-log.md), so the figure does not depend on a stage
model. Prints recall, the number of candidates and the share of them that are gold, by role and
language; `--misses N` lists up to N missed gold pairs (training corpus only, for error analysis);
`--cv K` then runs the tuned K-fold cross-validation of `cjm evaluate` on the same parses and prints
role F1 and first-contact accuracy, with the per-interview figures saved for a paired bootstrap.
Never give it eval/test: the frozen test split is not analysed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # measure the cjm of this checkout

from cjm.codebook import load_codebook
from cjm.features import candidates, stage_features
from cjm.learn import Example, load_examples
from cjm.model import ROLE, STAGE
from cjm.tagger_model import NONE


def gold_decoded(example: Example, order: list[str]) -> tuple[list[str], list[dict[str, float]]]:
    """The gold stages in the shape of a stage model's answer (best label, marginals)."""
    best = []
    for item in example.evidence.respondent:
        stages = [s for s in example.gold_labels(item.n, "stages") if s in order]
        best.append(max(stages, key=order.index) if stages else NONE)
    return best, [{label: 1.0} for label in best]


def candidate_pairs(example: Example, order: list[str]) -> set[tuple[int, str]]:
    rows = stage_features(example.evidence, example.by_rules, order)
    found = candidates(example.evidence, example.by_rules, rows, ROLE, gold_decoded(example, order))
    return {(c.n, c.label) for c in found}


def gold_pairs(example: Example) -> set[tuple[int, str]]:
    return {(item.n, role) for item in example.evidence.respondent for role in example.gold_labels(item.n, "roles")}


def tally(pairs: set, other: set, lang: str, seen: Counter, matched: Counter) -> None:
    """Count each (utterance, role) pair by role and by language, and those also in `other`."""
    for n, role in pairs:
        seen[role] += 1
        seen[lang] += 1
        if (n, role) in other:
            matched[role] += 1
            matched[lang] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--misses", type=int, default=0)
    parser.add_argument("--cv", type=int, default=0)
    parser.add_argument("--save", help="write per-interview CV figures (JSON) here")
    args = parser.parse_args()
    if any("eval/test" in f.replace("\\", "/") for f in args.folders):
        parser.error("eval/test is the frozen test split: never analyse it")
    book = load_codebook()
    order = book.ids(STAGE)
    examples, _ = load_examples(args.folders, book)
    hit, total, proposed, right = Counter(), Counter(), Counter(), Counter()
    misses = []
    for example in examples:
        lang = example.evidence.transcript.language
        found, gold = candidate_pairs(example, order), gold_pairs(example)
        tally(gold, found, lang, total, hit)  # recall: gold pairs some candidate proposes
        tally(found, gold, lang, proposed, right)  # precision: candidates that are gold
        misses += [(example.id, n, role) for n, role in gold if (n, role) not in found]
    all_hit, all_total = sum(hit[r] for r in book.ids(ROLE)), sum(total[r] for r in book.ids(ROLE))
    all_prop, all_right = sum(proposed[r] for r in book.ids(ROLE)), sum(right[r] for r in book.ids(ROLE))
    print(f"{len(examples)} interviews: candidate recall {all_hit / all_total:.3f} ({all_hit}/{all_total}), "
          f"{all_prop} candidates, {all_right / max(1, all_prop):.3f} of them gold")
    for key in book.ids(ROLE) + ["ru", "en"]:
        print(f"  {key:<10} recall {hit[key] / max(1, total[key]):.3f} ({hit[key]}/{total[key]})  "
              f"candidates {proposed[key]}, gold {right[key] / max(1, proposed[key]):.3f}")
    by_id = {e.id: e for e in examples}
    for ident, n, role in misses[:args.misses]:
        item = next(t for t in by_id[ident].evidence.respondent if t.n == n)
        print(f"MISS {ident} #{n} {role} [{item.utterance.speaker}]: {item.utterance.text[:200]}")
    if args.cv:
        cross_validated(examples, book, args.cv, args.save)


def cross_validated(examples: list[Example], book, k: int, save: str | None) -> None:
    """`cjm evaluate --cross-validate K` (tuned folds), printed as one line per run; where this checkout
    has `journey.discovery_by_fallback_role`, the model's journeys also without it ("model-fc"), so
    the first-contact rule is measured on the same folds."""
    from cjm import journey
    from cjm.decode import decode
    from cjm.evaluate import evaluate
    from cjm.export import journey_to_dict
    from cjm.learn import CALIBRATION_FOLDS, folds, tuned, train
    from cjm.pipeline import calibrate_journey

    variants = ["rules", "model"] + (["model-fc"] if hasattr(journey, "discovery_by_fallback_role") else [])
    documents: dict[str, dict] = {name: {"interviews": []} for name in variants}
    for held in folds(examples, k, 0):
        rest = [e for e in examples if e not in held]
        model = train(rest, book)
        if len(rest) >= CALIBRATION_FOLDS:
            tuned(model, rest, book)
        for example in held:
            transcript = example.evidence.transcript
            documents["rules"]["interviews"].append(
                journey_to_dict(journey.derive_journey(transcript, example.by_rules, book)))
            tagged = decode(example.evidence, example.by_rules, model, book)
            documents["model"]["interviews"].append(
                journey_to_dict(calibrate_journey(journey.derive_journey(transcript, tagged, book, model), model)))
            if "model-fc" in documents:
                kept = journey.discovery_by_fallback_role
                journey.discovery_by_fallback_role = lambda respondent, codebook: (None, None)
                try:
                    documents["model-fc"]["interviews"].append(
                        journey_to_dict(calibrate_journey(journey.derive_journey(transcript, tagged, book, model), model)))
                finally:
                    journey.discovery_by_fallback_role = kept
    golds = {e.id: e.gold for e in examples}
    for name, doc in documents.items():
        r = evaluate(doc, golds).as_dict()
        print(f"{name:<8} stage {r['utterance']['stages']['micro']['f1']:.3f} κ {r['kappa']['stages']:.3f} "
              f"role {r['utterance']['roles']['micro']['f1']:.3f} channel {r['utterance']['channels']['micro']['f1']:.3f}"
              f" | first contact {r['interview']['first_contact_role']['accuracy']:.3f} "
              f"furthest {r['interview']['furthest_stage']['accuracy']:.3f} channel {r['interview']['channel']['accuracy']:.3f}"
              f" cycle {r['interview']['cycle_days']['accuracy']:.3f}")
    if save:
        with open(save, "w", encoding="utf-8") as out:
            json.dump(documents, out, ensure_ascii=False)


def paired(before: dict, after: dict, golds: dict[str, dict], samples: int = 1000, seed: int = 0) -> dict:
    """after − before of role and stage micro-F1 and first-contact accuracy, with the 95% interval
    of the difference resampling interviews (the same draw for both runs) and P(difference > 0)."""
    import random

    from cjm.evaluate import Counts, evaluate

    ids = sorted(golds)
    runs = [{i: evaluate(doc, {i: golds[i]}) for i in ids} for doc in (before, after)]

    def figure(single: dict, pick: list[str], name: str) -> float:
        if name in ("roles", "stages"):
            c = Counts()
            for i in pick:
                for counts in single[i].labels[name].values():
                    c.tp, c.fp, c.fn = c.tp + counts.tp, c.fp + counts.fp, c.fn + counts.fn
            return c.scores()["f1"]
        hits = [single[i].interview[name][0] for i in pick if name in single[i].interview]
        return sum(hits) / max(1, len(hits))

    rng = random.Random(seed)
    names = ("roles", "stages", "first_contact_role")
    draws: dict[str, list[float]] = {n: [] for n in names}
    for _ in range(samples):
        pick = [rng.choice(ids) for _ in ids]
        for n in names:
            draws[n].append(figure(runs[1], pick, n) - figure(runs[0], pick, n))
    return {n: (figure(runs[1], ids, n) - figure(runs[0], ids, n), sorted(v)[int(0.025 * len(v))],
                sorted(v)[int(0.975 * len(v))], sum(d > 0 for d in v) / len(v)) for n, v in draws.items()}


def compare(before_path: str, before_run: str, after_path: str, after_run: str, folders: list[str]) -> None:
    """Print the paired differences of two saved runs (`--save`)."""
    from cjm.evaluate import load_gold
    from cjm.learn import gold_folder

    golds: dict[str, dict] = {}
    for folder in folders:
        golds.update(load_gold(gold_folder(Path(folder))))
    with open(before_path, encoding="utf-8") as a, open(after_path, encoding="utf-8") as b:
        before, after = json.load(a)[before_run], json.load(b)[after_run]
    for name, (diff, low, high, p) in paired(before, after, golds).items():
        print(f"{name:<20} {diff:+.3f} [{low:+.3f}, {high:+.3f}]  P(>0) {p:.2f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--paired"]:  # --paired BEFORE.json RUN AFTER.json RUN FOLDER...
        compare(*sys.argv[2:6], sys.argv[6:])
        raise SystemExit

    main()
