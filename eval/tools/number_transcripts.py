"""Number a folder's transcripts for blind annotation: one `N | speaker | text` line per utterance.

    python eval/tools/number_transcripts.py TRANSCRIPT_DIR OUT_DIR

The numbers are the contract's (section 1, from `cjm.ingest`), so an annotator's labels keyed by N
merge back with `merge_annotations.py`. The annotator sees only these files: no front matter (the
channel a CRM gave is not theirs to copy), nothing cjm tagged. `[INTERVIEWER]` marks the
interviewer's turns; a line break inside an utterance is written as a space.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's cjm, not an installed one

from cjm.ingest import read_transcript  # noqa: E402


def numbered(path: Path) -> str:
    transcript = read_transcript(path)
    lines = [f"# {transcript.id} ({transcript.language}): N | speaker | text"]
    for u in transcript.utterances:
        speaker = f"{u.speaker} [INTERVIEWER]" if u.is_interviewer else u.speaker
        lines.append(f"{u.n} | {speaker} | {' '.join(u.text.split())}")
    return "\n".join(lines) + "\n"


def main(source: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.txt")):
        (out / f"{path.stem}.numbered.txt").write_text(numbered(path), encoding="utf-8")
        print(out / f"{path.stem}.numbered.txt")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
