"""Turn an annotator's compact labels (<id>.labels.json) and the transcript into a contract gold file.

    python eval/tools/merge_annotations.py TRANSCRIPT LABELS OUT.gold.json

The annotator labels numbered utterances (contract section 1 numbering, from `cjm.ingest`) and
never sees cjm's tagger; this script only joins the two and checks the ids. Where the
interview-level `roles` or `furthest_stage` disagree with the annotator's own utterance labels,
the contract's definition wins (the union of utterance roles, the furthest utterance stage) and
the disagreement is printed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's cjm, not an installed one

from cjm.ingest import read_transcript


def label_ids() -> dict[str, list[str]]:
    from cjm.codebook import load_codebook

    book = load_codebook()
    return {"stages": book.ids("stage"), "roles": book.ids("role"), "channels": book.ids("channel")}


def merge(transcript_path: Path, labels_path: Path, repo_root: Path) -> tuple[dict, list[str]]:
    from cjm.codebook import load_codebook

    book = load_codebook()
    ids = label_ids()
    transcript = read_transcript(transcript_path)
    ann = json.loads(labels_path.read_text(encoding="utf-8"))
    notes: list[str] = []
    by_n = {str(k): v for k, v in (ann.get("labels") or {}).items()}
    utterances = []
    for u in transcript.utterances:
        entry = by_n.pop(str(u.n), {})
        if u.is_interviewer and entry:
            notes.append(f"utterance {u.n} is the interviewer's: its labels dropped")
            entry = {}
        row = {"n": u.n, "speaker": u.speaker, "is_interviewer": u.is_interviewer, "text": u.text}
        for kind in ("stages", "roles", "channels"):
            values = [v for v in (entry or {}).get(kind) or [] if v in ids[kind]]
            bad = [v for v in (entry or {}).get(kind) or [] if v not in ids[kind]]
            if bad:
                notes.append(f"utterance {u.n}: unknown {kind} {bad} dropped")
            row[kind] = [i for i in ids[kind] if i in values]
        utterances.append(row)
    if by_n:
        notes.append(f"labels for utterances that do not exist: {sorted(by_n)}")
    order = ids["stages"]
    reached = [order.index(s) for u in utterances for s in u["stages"]]
    furthest = order[max(reached)] if reached else None
    roles = [r for r in ids["roles"] if any(r in u["roles"] for u in utterances)]
    if ann.get("furthest_stage") != furthest:
        notes.append(f"furthest_stage {ann.get('furthest_stage')!r} -> {furthest!r} (the furthest utterance stage)")
    if sorted(ann.get("roles") or []) != sorted(roles):
        notes.append(f"roles {ann.get('roles')} -> {roles} (the union of utterance roles)")
    channel = ann.get("channel") if ann.get("channel") in ids["channels"] else None
    fcr = ann.get("first_contact_role") if ann.get("first_contact_role") in ids["roles"] else None
    cycle = ann.get("cycle_days")
    gold = {
        "id": transcript.id,
        "source": str(transcript_path.resolve().relative_to(repo_root)),
        "language": transcript.language,
        "channel": channel,
        "channel_group": book.group_of(channel),
        "channel_source": "annotated",
        "furthest_stage": furthest,
        "first_contact_role": fcr,
        "roles": roles,
        "cycle_days": int(cycle) if isinstance(cycle, (int, float)) and furthest == order[-1] else None,
        "outcome": ann.get("outcome"),
        "utterances": utterances,
    }
    if isinstance(cycle, (int, float)) and furthest != order[-1]:
        notes.append(f"cycle_days {cycle} dropped: nothing was bought")
    return gold, notes


if __name__ == "__main__":
    transcript, labels, out = map(Path, sys.argv[1:4])
    gold, notes = merge(transcript, labels, Path(__file__).resolve().parents[2])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(gold, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for note in notes:
        print(f"{transcript.name}: {note}")
