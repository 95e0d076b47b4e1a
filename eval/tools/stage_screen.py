"""Screen stage-feature variants by cross-validation on the training corpus, parsing once.

    python eval/tools/stage_screen.py FOLDER ... [--folds 5] [--variants base,story] [--tune]
                                      [--by-folder] [--cache /tmp/x.pkl] [--errors FILE]

Never give it eval/test: the frozen test split is not tuned on. Each variant is a set of the
story-feature groups (`cjm.story_features.GROUPS`); "base" is none of them (feature version 2's
rows). Prints per variant stage micro-F1, κ, role F1, furthest stage and first-contact role, and
for every variant after the first the PAIRED bootstrap of its stage-F1 difference against the
first (the same interviews resampled for both: what varies between interviews cancels out).
Parsing is the slow part: `--cache` keeps the parsed examples in a pickle between runs.
`--errors` writes the last variant's cross-validated stage errors (training folds only).
"""

from __future__ import annotations

import argparse
import pickle
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this worktree's cjm, not an installed one

from cjm import story_features  # noqa: E402
from cjm.codebook import load_codebook  # noqa: E402
from cjm.evaluate import Counts, evaluate, primary  # noqa: E402
from cjm.learn import cross_validate, folder_folds, load_examples  # noqa: E402
from cjm.matching import SCANS  # noqa: E402

VARIANTS: dict[str, frozenset[str]] = {
    "default": story_features.GROUPS,  # the groups in use; "default+stages.c2=1.0" trains them otherwise
    "base": frozenset(),
    "story": story_features.ALL_GROUPS,
    **{f"only_{g}": frozenset({g}) for g in sorted(story_features.ALL_GROUPS)},
    **{f"no_{g}": story_features.ALL_GROUPS - {g} for g in sorted(story_features.ALL_GROUPS)},
}


def variant(name: str) -> tuple[frozenset[str], dict[str, dict]]:
    """(story groups, training parameters) of a variant: a name of VARIANTS, or parts joined by
    "+", each a VARIANTS name, a story group or a crfsuite parameter of one member ("stages.c2=1.0")."""
    story: set[str] = set()
    params: dict[str, dict] = {}
    for part in name.split("+"):
        if "=" in part and "." in part.split("=")[0]:
            key, value = part.split("=", 1)
            member, option = key.split(".", 1)
            params.setdefault(member, {})[option] = float(value) if "." in value else int(value)
        elif part in VARIANTS:
            story |= VARIANTS[part]
        elif part in story_features.ALL_GROUPS:
            story.add(part)
        else:
            raise SystemExit(f"unknown variant part {part!r}: a name of {sorted(VARIANTS)}, a story group "
                             f"of {sorted(story_features.ALL_GROUPS)} or MEMBER.PARAM=VALUE")
    return frozenset(story), params


def stage_counts(document: dict, golds: dict[str, dict]) -> dict[str, Counts]:
    """Per interview, the stage counts summed over labels (for the paired bootstrap)."""
    out = {}
    for ident in golds:
        c = Counts()
        for counts in evaluate(document, {ident: golds[ident]}).labels["stages"].values():
            c.tp, c.fp, c.fn = c.tp + counts.tp, c.fp + counts.fp, c.fn + counts.fn
        out[ident] = c
    return out


def f1(counts: list[Counts]) -> float:
    tp, fp, fn = (sum(getattr(c, a) for c in counts) for a in ("tp", "fp", "fn"))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def paired(a: dict[str, Counts], b: dict[str, Counts], samples: int = 2000, seed: int = 0
           ) -> tuple[float, float, float, float]:
    """Stage-F1 difference b − a, its 95% interval and P(diff > 0), resampling interviews."""
    ids = sorted(a)
    rng = random.Random(seed)
    diffs = []
    for _ in range(samples):
        pick = [rng.choice(ids) for _ in ids]
        diffs.append(f1([b[i] for i in pick]) - f1([a[i] for i in pick]))
    diffs.sort()
    point = f1(list(b.values())) - f1(list(a.values()))
    return point, diffs[int(0.025 * samples)], diffs[int(0.975 * samples) - 1], sum(d > 0 for d in diffs) / samples


def write_errors(document: dict, examples, path: str) -> None:
    """Each respondent utterance whose cross-validated stage differs from gold, with its question."""
    run = {i["id"]: {u["n"]: u for u in i["utterances"]} for i in document["interviews"]}
    lines = []
    for example in examples:
        tagged = {t.n: t for t in example.evidence.tagged}
        previous = None
        for t in example.evidence.tagged:
            if t.utterance.is_interviewer:
                previous = t
                continue
            g = primary(example.gold_labels(t.n, "stages"))
            p = primary(run[example.id].get(t.n, {}).get("stages"))
            if g != p:
                q = previous.utterance.text[:120] if previous and previous.n == t.n - 1 else "-"
                lines.append(f"{example.id}#{t.n}\tgold {g}\tpred {p}\tQ: {q}\tA: {t.utterance.text[:300]}")
        del tagged
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def parsed_examples(folders: list[str], cache: str | None) -> list:
    """The parsed examples of the folders, from `cache` where it holds them (made there if missing):
    parsing is the slow part."""
    if cache and Path(cache).exists():
        examples = pickle.loads(Path(cache).read_bytes())
        for example in examples:  # matches kept on a doc are keyed by a matcher number of the process that made them
            for doc in example.evidence.docs.values():
                doc.user_data.pop(SCANS, None)
        return examples
    examples, _ = load_examples(folders, load_codebook())
    if cache:
        Path(cache).write_bytes(pickle.dumps(examples))
    return examples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--by-folder", action="store_true",
                        help="one fold per folder (a series by other writers: the figure a new series gets)")
    parser.add_argument("--variants", default="base,story")
    parser.add_argument("--tune", action="store_true", help="fit thresholds per fold as cjm learn does (5x slower)")
    parser.add_argument("--cache", help="pickle of the parsed examples (made if missing)")
    parser.add_argument("--errors", help="write the last variant's stage errors here")
    parser.add_argument("--jobs", type=int, default=2, help="processes training the folds (same figures with any number)")
    args = parser.parse_args()
    if any("eval/test" in f.replace("\\", "/") for f in args.folders):
        parser.error("eval/test is the frozen test split: never select a model on it")
    book = load_codebook()
    start = time.perf_counter()
    examples = parsed_examples(args.folders, args.cache)
    golds = {e.id: e.gold for e in examples}
    parts = folder_folds(examples, args.folders) if args.by_folder else None
    how = f"{len(parts)} folders as folds" if parts else f"{args.folds}-fold CV by interview"
    print(f"{len(examples)} interviews, {how}, loaded in {time.perf_counter() - start:.0f} s")
    first = None
    for name in args.variants.split(","):
        story_features.GROUPS, params = variant(name)
        start = time.perf_counter()
        documents = cross_validate(examples, book, args.folds, params=params or None, tune=args.tune, jobs=args.jobs,
                                   parts=parts)
        doc = documents["model"]
        r = evaluate(doc, golds).as_dict()
        fields = r["interview"]
        line = (f"{name:<28} stage {r['utterance']['stages']['micro']['f1']:.3f} κ {r['kappa']['stages']:.3f} "
                f"role {r['utterance']['roles']['micro']['f1']:.3f} furthest {fields['furthest_stage']['accuracy']:.3f} "
                f"first contact {fields['first_contact_role']['accuracy']:.3f}")
        counts = stage_counts(doc, golds)
        if first is None:
            first = counts
        else:
            d, lo, hi, p = paired(first, counts)
            line += f" | paired {d:+.3f} [{lo:+.3f}, {hi:+.3f}] P>0 {p:.2f}"
        print(line + f" ({time.perf_counter() - start:.0f} s)", flush=True)
        if args.errors:
            write_errors(doc, examples, args.errors)


if __name__ == "__main__":
    main()
