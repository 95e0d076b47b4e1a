"""What each hand-off format costs on a series: seconds to write and the file's size.

    python benchmarks/handoff.py [FOLDER]      (default: interviews/)

The series is analysed once (not timed); then each exporter writes its file three times and the
best time is printed with the size. The analysis dominates `cjm export`; these are the writers alone.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cjm.handoff import FORMATS, export_run  # noqa: E402
from cjm.pipeline import analyse  # noqa: E402


def main(folder: Path) -> None:
    start = time.perf_counter()
    result = analyse(folder)
    print(f"analyse {folder}: {len(result.journeys)} interviews, {time.perf_counter() - start:.1f} s (not counted)")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, extension in FORMATS.items():
            path = Path(tmp) / f"journeys{extension}"
            times = []
            for _ in range(3):
                begin = time.perf_counter()
                summary = export_run(result, fmt, path)
                times.append(time.perf_counter() - begin)
            print(f"{fmt:5} {min(times):6.3f} s  {path.stat().st_size / 1024:8.1f} KiB  {summary}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "interviews")
