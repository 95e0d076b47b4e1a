"""The features the shipped model reads must not change under it.

The model in cjm/data/tagger.zip was trained on features of `FEATURE_VERSION`; a change to what
`stage_features` or `candidates` produce for the same interview (a renamed feature, a moved bucket,
a dropped neighbour) silently degrades it. This test compares both against a snapshot taken with
the current version; after an intended change, bump FEATURE_VERSION, retrain, and rewrite it with
`python tests/test_features_snapshot.py --write`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = Path(__file__).parent / "data" / "features_snapshot.json"
SOURCES = ["tests/data/transcripts/en_questions.txt", "tests/data/transcripts/ru_timestamps.txt",
           "interviews/ru-01.txt", "interviews/en-01.txt", "interviews/ru-05.txt", "interviews/en-04.txt"]


def features_now() -> dict:
    from cjm.codebook import load_codebook
    from cjm.evidence import extract_evidence
    from cjm.features import FEATURE_VERSION, candidates, stage_features
    from cjm.ingest import read_transcript
    from cjm.nlp import pipeline
    from cjm.rules import get_rules
    from cjm.rules_decision import decide_by_rules
    from cjm.tagger_model import default_model

    book, model = load_codebook(), default_model()
    out: dict = {"feature_version": FEATURE_VERSION}
    for source in SOURCES:
        transcript = read_transcript(ROOT / source)
        ev = extract_evidence(transcript, get_rules(book, transcript.language), pipeline(transcript.language))
        by_rules = decide_by_rules(ev, book)
        rows = stage_features(ev, by_rules, book.ids("stage"))
        decoded = model.stage_marginals(rows)
        out[source] = {
            "stages": [dict(sorted(r.items())) for r in rows],
            "roles": [[c.n, c.label, dict(sorted(c.features.items()))] for c in candidates(ev, by_rules, rows, "role", decoded)],
            "channels": [[c.n, c.label, dict(sorted(c.features.items()))]
                         for c in candidates(ev, by_rules, rows, "channel", decoded)],
        }
    return json.loads(json.dumps(out))  # tuples to lists, floats as JSON writes them


def test_features_match_the_snapshot_of_their_version():
    stated = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    now = features_now()
    assert now["feature_version"] == stated["feature_version"], "FEATURE_VERSION changed: retrain and rewrite"
    for source in SOURCES:
        for part in ("stages", "roles", "channels"):
            assert stated[source][part], (source, part)  # a snapshot of nothing would pass anything
            assert len(now[source][part]) == len(stated[source][part]), (source, part)
            for i, (a, b) in enumerate(zip(now[source][part], stated[source][part])):
                assert a == b, f"{source} {part}[{i}] changed"


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if "--write" in sys.argv:
        SNAPSHOT.write_text(json.dumps(features_now(), ensure_ascii=False, indent=0, sort_keys=True) + "\n",
                            encoding="utf-8")
