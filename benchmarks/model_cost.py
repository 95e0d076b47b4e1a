"""What the learned model adds to tagging time: rules-only vs model, same transcripts, one process.

    python benchmarks/model_cost.py [FOLDER ...]      (default: interviews/ and eval/train/)

Prints the seconds of `tag_transcript` per interview with the rules alone and with the shipped
model (evidence, rules' decision, features, CRF decoding), the decode step alone, and the ratio.
Warm: each transcript is tagged once before timing, so model loading and the lemma cache do
not count (they are paid once per run, and printed apart).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cjm.codebook import load_codebook  # noqa: E402
from cjm.decode import decode  # noqa: E402
from cjm.evidence import extract_evidence  # noqa: E402
from cjm.ingest import read_folder  # noqa: E402
from cjm.nlp import pipeline  # noqa: E402
from cjm.rules import get_rules  # noqa: E402
from cjm.rules_decision import decide_by_rules  # noqa: E402
from cjm.tag import tag_transcript  # noqa: E402
from cjm.tagger_model import default_model  # noqa: E402

REPEAT = 3


def best_of(func, repeat: int = REPEAT) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main(folders: list[str]) -> None:
    book = load_codebook()
    transcripts = [t for folder in folders for t in read_folder(folder)[0]]
    start = time.perf_counter()
    model = default_model()
    load = time.perf_counter() - start
    for t in transcripts:  # warm the pipelines, the rules and the lemma cache
        tag_transcript(t, book, model)
    rules = best_of(lambda: [tag_transcript(t, book) for t in transcripts])
    learned = best_of(lambda: [tag_transcript(t, book, model) for t in transcripts])
    prepared = []
    for t in transcripts:
        ev = extract_evidence(t, get_rules(book, t.language), pipeline(t.language))
        prepared.append((ev, decide_by_rules(ev, book)))
    decoding = best_of(lambda: [decode(ev, by_rules, model, book) for ev, by_rules in prepared])
    n = len(transcripts)
    words = sum(len(u.text.split()) for t in transcripts for u in t.utterances)
    print(f"{n} interviews, {words} words, best of {REPEAT}")
    print(f"model load (once per run)     {load:8.3f} s")
    print(f"tag, rules only               {rules:8.3f} s  ({rules / n * 1000:.1f} ms an interview)")
    print(f"tag, with the model           {learned:8.3f} s  ({learned / n * 1000:.1f} ms an interview)")
    print(f"  of which decode             {decoding:8.3f} s  (features + CRF + candidates)")
    print(f"model's share of tagging time {100 * (learned - rules) / rules:7.1f} % (target: at most 10 %)")


if __name__ == "__main__":
    main(sys.argv[1:] or [str(ROOT / "interviews"), str(ROOT / "eval" / "train")])
