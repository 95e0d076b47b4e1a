"""Agreement of two annotators on the same interviews, in the figures cjm is scored by.

    python eval/tools/agreement.py FIRST_GOLD_DIR SECOND_LABELS_DIR TRANSCRIPT_DIR...

The second annotator's compact labels are merged the same way as the first's (merge_annotations),
then scored with `cjm evaluate` as if they were a run: utterance micro-F1 per kind, stage kappa
and the interview-level figures, the first annotator's files standing as gold.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's cjm, not an installed one

from cjm.evaluate import evaluate, format_report
from cjm.evaluate import load_gold

sys.path.insert(0, str(Path(__file__).parent))
from merge_annotations import merge  # noqa: E402


def main(first: str, second: str, folders: list[str]) -> None:
    root = Path(__file__).resolve().parents[2]
    golds = load_gold(first)
    run = {"interviews": []}
    for labels in sorted(Path(second).glob("*.labels.json")):
        ident = labels.name.removesuffix(".labels.json")
        transcript = next((Path(f) / f"{ident}.txt" for f in folders if (Path(f) / f"{ident}.txt").exists()), None)
        if transcript is None or ident not in golds:
            continue
        entry, _ = merge(transcript, labels, root)
        run["interviews"].append(entry)
    both = {i["id"] for i in run["interviews"]}
    print(f"{len(both)} interviews annotated by both")
    print(format_report(evaluate(run, {k: v for k, v in golds.items() if k in both})))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
