"""What the atomic output costs: a report of N pages written over an old one, in place (how cjm
wrote before) and staged beside it then swapped in (claim_folder + staged_folder, as `cjm report`
does now, old folder deleted included). Synthetic pages of 8 KB, so only the writing is measured.

    python benchmarks/output_swap.py            # 1,000 and 6,000 pages, median of 3
    python benchmarks/output_swap.py 500 --repeat 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cjm.output import claim_folder, staged_folder  # noqa: E402

PAGE = "<p>" + "x" * 8_000 + "</p>\n"


def write_pages(folder: Path, pages: int) -> None:
    (folder / "interviews").mkdir(parents=True, exist_ok=True)
    for n in range(pages):
        (folder / "interviews" / f"interview-{n}.html").write_text(PAGE, encoding="utf-8")
    for name in ("index.html", "journeys.json", "events.csv"):
        (folder / name).write_text(PAGE, encoding="utf-8")


def in_place(out: Path, pages: int) -> float:
    started = time.perf_counter()
    write_pages(out, pages)
    return time.perf_counter() - started


def staged(out: Path, pages: int) -> float:
    started = time.perf_counter()
    with claim_folder(out) as target, staged_folder(target) as staging:
        write_pages(staging, pages)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", type=int, default=[1_000, 6_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "")
    print(f"{'pages':>7} {'in place s':>11} {'staged+swap s':>14} {'ratio':>6}")
    for pages in args.pages:
        times: dict[str, list[float]] = {"in place": [], "staged": []}
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="cjm-bench-") as tmp:
                for name, run in (("in place", in_place), ("staged", staged)):
                    out = Path(tmp) / name.replace(" ", "-")
                    write_pages(out, pages)  # the old report it writes over
                    times[name].append(run(out, pages))
                    shutil.rmtree(out)
        a, b = statistics.median(times["in place"]), statistics.median(times["staged"])
        print(f"{pages:>7} {a:>11.3f} {b:>14.3f} {b / a:>6.2f}")


if __name__ == "__main__":
    main()
