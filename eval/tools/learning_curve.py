"""Does more annotated data help? A by-folder learning curve of the stage and role models.

    python eval/tools/learning_curve.py FOLDER ... [--shares 0.25,0.5,0.75,1] [--seeds 2]
                                        [--extra FOLDER ...] [--cache /tmp/x.pkl] [--jobs 2]

Each FOLDER is held out in turn (a series by other writers, as `cjm evaluate --by-folder`), and its
interviews are tagged by a model trained on a random share of the other folders' interviews
(`--seeds` draws per share). The figures are pooled over every held-out folder. `--extra` folders
are training data only, never scored: the last row trains on all the other folders plus them, and
is compared with the full share on the same interviews (a paired bootstrap by interview).
Untuned, like `stage_screen.py` (no thresholds or calibration fitted): the figures are for
comparing rows, not for quoting. Never give it eval/test.
"""

from __future__ import annotations

import argparse
import random
import sys
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this worktree's cjm, not an installed one
sys.path.insert(0, str(Path(__file__).resolve().parent))

from stage_screen import paired, parsed_examples, stage_counts  # noqa: E402

from cjm.codebook import load_codebook  # noqa: E402
from cjm.decode import decode  # noqa: E402
from cjm.evaluate import evaluate  # noqa: E402
from cjm.export import journey_to_dict  # noqa: E402
from cjm.journey import derive_journey  # noqa: E402
from cjm.learn import Example, folder_folds, in_processes, train  # noqa: E402


def under(examples: list[Example], folders: list[str]) -> list[Example]:
    roots = [Path(f).resolve() for f in folders]
    return [e for e in examples if any(r in Path(e.evidence.transcript.source).resolve().parents for r in roots)]


def held_out_journeys(parts: list[list[Example]], extra: list[Example], index: int, share: float, seed: int
                      ) -> list[dict]:
    """One held-out folder's journeys, tagged by a model trained on `share` of the other folders (and `extra`)."""
    book = load_codebook()
    held = parts[index]
    rest = [e for part in parts if part is not held for e in part]
    random.Random(seed).shuffle(rest)
    model = train(rest[:max(2, round(len(rest) * share))] + extra, book)
    return [journey_to_dict(derive_journey(e.evidence.transcript, decode(e.evidence, e.by_rules, model, book), book))
            for e in held]


def run(parts: list[list[Example]], extra: list[Example], share: float, seed: int, jobs: int) -> dict:
    calls = [partial(held_out_journeys, parts, extra, i, share, seed) for i in range(len(parts))]
    return {"interviews": [j for answer in in_processes(calls, jobs) for j in answer]}


def line(name: str, document: dict, golds: dict[str, dict]) -> str:
    r = evaluate(document, golds).as_dict()
    return (f"{name:<24} stage {r['utterance']['stages']['micro']['f1']:.3f} κ {r['kappa']['stages']:.3f} "
            f"role {r['utterance']['roles']['micro']['f1']:.3f} "
            f"channel {r['interview']['channel']['accuracy']:.3f} "
            f"first contact {r['interview']['first_contact_role']['accuracy']:.3f} "
            f"cycle {r['interview']['cycle_days']['accuracy']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--shares", default="0.25,0.5,0.75,1")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--extra", nargs="*", default=[], help="training-only folders (never scored)")
    parser.add_argument("--cache", help="pickle of the parsed examples of all the folders (made if missing)")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    if any("eval/test" in f.replace("\\", "/") for f in args.folders + args.extra):
        parser.error("eval/test is the frozen test split: never select a model on it")
    examples = parsed_examples(args.folders + args.extra, args.cache)
    extra = under(examples, args.extra)
    parts = folder_folds([e for e in examples if e not in extra], args.folders)
    scored = [e for part in parts for e in part]  # (a cache made for more folders holds more)
    golds = {e.id: e.gold for e in scored}
    print(f"{len(scored)} interviews in {len(parts)} folders held out in turn; {len(extra)} extra for training")
    full = None
    for share in (float(s) for s in args.shares.split(",")):
        for seed in range(1 if share >= 1 else args.seeds):  # (the full share draws every interview: one seed)
            document = run(parts, [], share, seed, args.jobs)
            print(line(f"share {share:g} seed {seed}", document, golds), flush=True)
            if share >= 1:
                full = document
    if extra:
        document = run(parts, extra, 1.0, 0, args.jobs)
        text = line(f"all + {len(extra)} extra", document, golds)
        if full is not None:
            d, lo, hi, p = paired(stage_counts(full, golds), stage_counts(document, golds))
            text += f" | stage paired {d:+.3f} [{lo:+.3f}, {hi:+.3f}] P>0 {p:.2f}"
        print(text, flush=True)


if __name__ == "__main__":
    main()
