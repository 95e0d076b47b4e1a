"""How long the review loop's own work takes on a big series (the tagging before it is bench.py's).

Builds N synthetic interviews of M respondent utterances by hand (no spaCy, no model), then times
write_review (.xlsx and .csv), read_review of the written sheet, and match_review of one interview
after its transcript was edited (one turn in ten changed, one inserted). Prints a table.

    python benchmarks/review_sheet.py                # 200 interviews x 60 utterances
    python benchmarks/review_sheet.py --interviews 50 --utterances 40
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # measure this checkout, whatever is installed
    sys.path.insert(0, str(ROOT))

from cjm.codebook import load_codebook
from cjm.journey import derive_journey
from cjm.model import TaggedUtterance, Transcript, Utterance
from cjm.review import match_review, read_review, text_key, write_review

WORDS = "we paid the invoice after a trial batch and the chief engineer liked the samples from the expo".split()


def synthetic_series(interviews: int, utterances: int, seed: int = 0):
    rng = random.Random(seed)
    book = load_codebook()
    stages, roles = book.ids("stage"), book.ids("role")
    journeys = []
    for i in range(interviews):
        turns = []
        for k in range(utterances):
            turns += [Utterance(2 * k + 1, "Interviewer", "And then?", True),
                      Utterance(2 * k + 2, "Respondent", " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40))))]
        transcript = Transcript(f"s-{i:04d}", f"s-{i:04d}.txt", "en", turns)
        tagged = []
        for u in turns:
            if u.is_interviewer:
                tagged.append(TaggedUtterance(u))
                continue
            stage = rng.choice(stages)
            p = rng.random()
            tagged.append(TaggedUtterance(u, stages=[stage], roles=[rng.choice(roles)] if p > 0.5 else [],
                                          probabilities={"stage": {stage: p, "none": 1 - p},
                                                         "role": {roles[0]: p}, "channel": {}}))
        journeys.append(derive_journey(transcript, tagged, book))
    return journeys, book


def timed(function, *args):
    start = time.perf_counter()
    value = function(*args)
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interviews", type=int, default=200)
    parser.add_argument("--utterances", type=int, default=60)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    journeys, book = synthetic_series(args.interviews, args.utterances)
    rows = args.interviews * args.utterances
    with tempfile.TemporaryDirectory() as where:
        xlsx, csv_path = Path(where) / "review.xlsx", Path(where) / "review.csv"
        t_xlsx, _ = timed(write_review, journeys, book, xlsx)
        t_csv, _ = timed(write_review, journeys, book, csv_path)
        t_read, sheet = timed(read_review, xlsx, book)
        t_read_csv, _ = timed(read_review, csv_path, book)
        size = xlsx.stat().st_size
    assert len(sheet.utterances) == rows
    first = journeys[0].transcript
    respondent = first.respondent_utterances
    review = {"id": first.id, "review": {"snapshot": {str(u.n): text_key(u.text) for u in respondent}},
              "utterances": [{"n": u.n, "text": u.text, "stages": ["informed"], "roles": [], "channels": []}
                             for u in respondent]}
    edited = [Utterance(0, "Respondent", "an inserted turn")] + [
        Utterance(u.n, u.speaker, u.text + (" changed" if u.n % 20 == 0 else ""), u.is_interviewer)
        for u in first.utterances]
    t_match, match = timed(match_review, review, edited, book)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'series':<34} {args.interviews} interviews x {args.utterances} respondent utterances = {rows} rows")
    print(f"{'write_review .xlsx':<34} {t_xlsx:8.2f} s   ({rows / t_xlsx:,.0f} rows/s, {size / 1e6:.1f} MB)")
    print(f"{'write_review .csv (+ interviews)':<34} {t_csv:8.2f} s")
    print(f"{'read_review .xlsx (validated)':<34} {t_read:8.2f} s   ({rows / t_read:,.0f} rows/s)")
    print(f"{'read_review .csv (validated)':<34} {t_read_csv:8.2f} s")
    print(f"{'match_review, one edited interview':<34} {t_match * 1000:8.2f} ms  ({len(match.labels)} kept, "
          f"{len(match.changed)} flagged of {len(respondent)})")
    print(f"{'peak RSS of this process':<34} {peak:8.0f} MB")
    print(f"{'load average (1 min) before/after':<34} {load_before:.1f} / {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs (other work moves the timings)")


if __name__ == "__main__":
    main()
