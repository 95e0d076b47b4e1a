"""Recall of `--redact` on the annotated names of tests/data/redaction/, per language and part.

    python eval/tools/redaction_recall.py [--misses dev]

Each annotated item is one interview (speaker turns and front matter), redacted on its own, so a
name is never found thanks to another item. A person mention is found when none of its words is
left anywhere in the redacted interview (labels, text, front-matter keys and values, notes); a
contact when none of its distinctive parts is. A `keep` word (a company, a city, a month, a
sentence start) that is lost counts as a false positive. `--misses dev` lists what the dev part
missed; the held-out part is only ever counted, so it stays an honest figure.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cjm.model import Transcript, Utterance  # noqa: E402
from cjm.redact import redact_transcripts  # noqa: E402

DATA = ROOT / "tests" / "data" / "redaction"
LANGUAGES = ("ru", "en")
PARTS = ("dev", "heldout")
ROLE_LABELS = {"интервьюер", "модератор", "менеджер", "interviewer", "speaker 1", "speaker_00"}
INITIAL = re.compile(r"^(?:[^\W\d_]\.)+$")
CONTACT_NOISE = {"at", "dot", "mail", "gmail", "yandex", "com", "ru", "io", "se", "org", "net"}


@dataclass
class Score:
    names: int = 0
    found: int = 0
    contacts: int = 0
    contacts_found: int = 0
    keep: int = 0
    lost: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, other: "Score") -> None:
        for name in ("names", "found", "contacts", "contacts_found", "keep", "lost"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.misses += other.misses

    @property
    def recall(self) -> float:
        return self.found / self.names if self.names else 1.0


def load_items(language: str) -> list[dict[str, Any]]:
    return yaml.safe_load((DATA / f"names-{language}.yaml").read_text(encoding="utf-8"))


def transcript_of(item: dict[str, Any], language: str) -> Transcript:
    metadata = dict(item.get("metadata") or {})
    interviewer = metadata.get("interviewer") if isinstance(metadata.get("interviewer"), str) else None
    utterances = [Utterance(n, speaker, text, is_interviewer=speaker == interviewer or speaker.lower() in ROLE_LABELS)
                  for n, (speaker, text) in enumerate(item["turns"], start=1)]
    return Transcript(id=item["id"], source=f"{item['id']}.txt", language=language, utterances=utterances,
                      metadata=metadata, interviewer=interviewer)


def dump(transcript: Transcript) -> str:
    """Everything an output could show of the interview (the id and path are the consultant's)."""
    record = asdict(transcript)
    record.pop("id"), record.pop("source")
    return json.dumps(record, ensure_ascii=False)


def bounded(word: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(rf"(?<![^\W_]){re.escape(word)}(?![^\W_])", flags)


def name_units(mention: str) -> list[re.Pattern[str]]:
    """The parts of a mention that must not survive: its capitalised words (hyphen parts apart),
    every word of a lower-case mention, and initials with their dot."""
    units: list[re.Pattern[str]] = []
    lower_case = mention == mention.lower()
    for piece in mention.split():
        if INITIAL.match(piece):
            units += [re.compile(rf"(?<![^\W_]){re.escape(letter)}\.") for letter in piece.split(".") if letter]
            continue
        parts = piece.strip(".,").split("-")
        if lower_case:
            units += [bounded(p, re.IGNORECASE) for p in parts if p]
        elif piece[:1].isupper():
            units += [bounded(p) for p in parts if p]
    return units


def contact_units(contact: str) -> list[re.Pattern[str]]:
    words = [w for w in re.findall(r"[^\W\d_]{2,}", contact) if w.lower() not in CONTACT_NOISE]
    digits = re.findall(r"\d{3,}", contact)
    return [bounded(w, re.IGNORECASE) for w in words] + [re.compile(rf"(?<!\d){d}(?!\d)") for d in digits]


def score_item(item: dict[str, Any], language: str) -> Score:
    transcript = transcript_of(item, language)
    before = dump(transcript)
    [redacted] = redact_transcripts([transcript])
    after = dump(redacted)
    score = Score()
    for mention in item.get("names") or []:
        score.names += 1
        if any(unit.search(after) for unit in name_units(mention)):
            score.misses.append(f"{item['id']}: name {mention!r}")
        else:
            score.found += 1
    for contact in item.get("contacts") or []:
        score.contacts += 1
        if any(unit.search(after) for unit in contact_units(contact)):
            score.misses.append(f"{item['id']}: contact {contact!r}")
        else:
            score.contacts_found += 1
    for word in item.get("keep") or []:
        pattern = bounded(word)
        score.keep += 1
        if len(pattern.findall(after)) < len(pattern.findall(before)):
            score.lost += 1
            score.misses.append(f"{item['id']}: false positive on {word!r}")
    return score


def measure() -> dict[tuple[str, str], Score]:
    scores = {(lang, part): Score() for lang in LANGUAGES for part in PARTS}
    for language in LANGUAGES:
        for item in load_items(language):
            scores[language, item["part"]].add(score_item(item, language))
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--misses", choices=["dev"], help="list the misses of the dev part")
    args = parser.parse_args()
    started = time.perf_counter()
    scores = measure()
    elapsed = time.perf_counter() - started
    print(f"{'lang':4} {'part':8} {'names':>5} {'found':>5} {'recall':>7} {'contacts':>8} {'found':>5} "
          f"{'keep':>5} {'lost(FP)':>8}")
    for (language, part), s in scores.items():
        print(f"{language:4} {part:8} {s.names:5d} {s.found:5d} {s.recall:7.1%} {s.contacts:8d} "
              f"{s.contacts_found:5d} {s.keep:5d} {s.lost:8d}")
    print(f"({elapsed:.1f} s, models loaded included)")
    if args.misses:
        for language in LANGUAGES:
            for miss in scores[language, args.misses].misses:
                print("  ", miss)


if __name__ == "__main__":
    main()
