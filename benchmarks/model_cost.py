"""What the learned model adds to tagging time: the rules' evidence and decision vs the model's decode.

    python benchmarks/model_cost.py [FOLDER ...]      (default: interviews/ and eval/train/)

Each measurement runs in a fresh process, as `cjm journeys` does: the pipelines, the rules and
the model are loaded and warmed on one short made-up exchange per language first (paid once per
run, printed apart), then every transcript is tagged once, so the per-text memos (lemmas, names,
matcher keys) are as cold as in a real run over new interviews, and the garbage collector is
tuned as in a run's map (`cjm.executor.tuned_gc`). (Tagging the same transcripts
twice in one process would time the second pass against memos the first filled.) Per interview,
`read_and_rule` (evidence + the rules' decision: all that `--rules-only` does) and `decode` (the
model's features and CRF) are timed apart in CPU seconds of the process (steadier than wall time
on a shared machine; the work is one thread); the best of five processes is printed, the share
as best decode over best rules, and each run's own share beside it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REPEAT = 5
WARM_UP = {"ru": ("Как вы о нас узнали?", "Нам порекомендовал партнёр, потом мы оплатили счёт."),
           "en": ("How did you find us?", "A partner recommended you, then we paid the invoice.")}


def measure_once(folders: list[str]) -> dict[str, float]:
    """One run's figures (seconds), in this process: load, read and rule, decode."""
    from cjm.codebook import load_codebook
    from cjm.decode import decode
    from cjm.executor import tuned_gc
    from cjm.ingest import read_folder
    from cjm.model import Transcript, Utterance
    from cjm.tag import read_and_rule, tag_transcript
    from cjm.tagger_model import default_model

    transcripts = [t for folder in folders for t in read_folder(folder)[0]]
    start = time.perf_counter()
    book = load_codebook()
    model = default_model()
    for lang, (question, answer) in WARM_UP.items():
        tag_transcript(Transcript(id="warm", source="warm.txt", language=lang,
                                  utterances=[Utterance(0, "Interviewer", question, is_interviewer=True),
                                              Utterance(1, "Client", answer)]), book, model)
    load = time.perf_counter() - start
    reading = decoding = 0.0
    with tuned_gc():  # the collector as a run's map has it (cjm.executor)
        for t in transcripts:
            start = time.process_time()  # CPU time: the steadier figure on a shared machine
            evidence, by_rules = read_and_rule(t, book)
            middle = time.process_time()
            decode(evidence, by_rules, model, book)
            reading += middle - start
            decoding += time.process_time() - middle
    words = sum(len(u.text.split()) for t in transcripts for u in t.utterances)
    return {"load": load, "rules": reading, "decode": decoding, "interviews": len(transcripts), "words": words}


def main(folders: list[str]) -> None:
    runs = []
    for _ in range(REPEAT):
        out = subprocess.run([sys.executable, __file__, "--once", *folders], capture_output=True, text=True,
                             check=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    best = {key: min(r[key] for r in runs) for key in ("load", "rules", "decode")}
    n, words = runs[0]["interviews"], runs[0]["words"]
    # The share of the best times: the least disturbed run of each. (The smallest of the runs' own
    # shares, printed before 2026-12-04, picked the run whose rules something else had slowed.)
    share = best["decode"] / best["rules"]
    shares = sorted(r["decode"] / r["rules"] for r in runs)
    print(f"{n} interviews, {words} words, fresh process each, best of {REPEAT}")
    print(f"load and warm-up (once per run)  {best['load']:8.3f} s")
    print(f"tag, rules only                  {best['rules']:8.3f} s  ({best['rules'] / n * 1000:.1f} ms an interview)")
    print(f"  model's decode on top          {best['decode']:8.3f} s  (features + CRF + candidates)")
    print(f"model's share of tagging time    {100 * share:7.1f} % (target: at most 10 %)")
    print(f"  each run's own share           {', '.join(f'{100 * x:.1f}' for x in shares)} %")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--once"]:
        print(json.dumps(measure_once(args[1:] or [str(ROOT / "interviews"), str(ROOT / "eval" / "train")])))
    else:
        main(args or [str(ROOT / "interviews"), str(ROOT / "eval" / "train")])
