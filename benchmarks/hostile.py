"""Hostile inputs: time and peak memory of a whole `cjm journeys` run on each, per megabyte.

    python benchmarks/hostile.py            # every case, a few minutes on 2 cores
    python benchmarks/hostile.py --quick    # the small cases only

Each case is a folder written at run time (nothing is committed) and run as a child process
(`python -m cjm journeys DIR -o OUT --rules-only`), so the peak RSS is that of the run alone
(`os.wait4`). The README's "Limits" section quotes these figures; speed is checked here, never by
timed unit tests.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOOD = "Interviewer: How did you first hear of them?\nClient: A colleague recommended them at a fair.\n"


def sample_text(chars: int) -> str:
    """Ordinary interview prose of about `chars` characters (the sample series' own answers)."""
    words = " ".join((ROOT / "interviews" / name).read_text(encoding="utf-8") for name in ("en-01.txt", "en-02.txt"))
    words = " ".join(line.split(":", 1)[-1] for line in words.splitlines() if ":" in line).split()
    rng = random.Random(0)
    out, size = [], 0
    while size < chars:
        word = rng.choice(words)
        out.append(word)
        size += len(word) + 1
    return " ".join(out)


def case_files(name: str, quick: bool) -> dict[str, str]:
    """The files of one case: name -> content."""
    if name == "brackets":  # spaCy alone: 40k '[' take 129 s
        return {"brackets.txt": "Q: Why?\nA: " + " ".join(["[" * 40_000, "(" * 40_000, "«" * 40_000, "$" * 40_000])
                + " ok\n"}
    if name == "affixes":
        return {"affixes.txt": "Q: Whose?\nA: " + " ".join("Tom" + "'s" * 20_000 for _ in range(5)) + "\n"}
    if name == "one long utterance":
        size = 300_000 if quick else 1_700_000
        return {"long.txt": "Interviewer: Tell me everything?\nClient: " + sample_text(size) + "\n", "good.txt": GOOD}
    if name == "alias bomb":
        levels = "".join(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 10))
        return {"bomb.txt": "---\na0: &a0 [x, x, x, x, x, x, x, x, x]\n" + levels + "---\n" + GOOD, "good.txt": GOOD}
    if name == "deep front matter":
        return {"deep.txt": "---\nx: " + "[" * 1_000_000 + "\n---\n" + GOOD, "good.txt": GOOD}
    raise ValueError(name)


def run(folder: Path, env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, exit code) of `cjm journeys` on a folder."""
    out = folder.parent / "journeys.json"
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "cjm", "journeys", str(folder), "-o", str(out), "--rules-only"],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(child.pid, 0)
    return time.perf_counter() - started, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def folder_size(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file()) / (1024 * 1024)


def codebook_case(extra: int, scratch: Path) -> tuple[float, float, int]:
    """A codebook extending the default with `extra` two-word phrases, on one sample interview."""
    rng = random.Random(extra)
    letters = "abcdefghijklmnopqrstuvwxyz"
    phrases = [" ".join("".join(rng.choice(letters) for _ in range(7)) for _ in range(2)) for _ in range(extra)]
    book = scratch / f"book-{extra}.yaml"
    book.write_text("extends: default\nstages:\n  - id: informed\n    patterns:\n      en:\n"
                    + "".join(f"        - {p}\n" for p in phrases), encoding="utf-8")
    folder = scratch / f"cb-{extra}"
    folder.mkdir()
    (folder / "en-01.txt").write_bytes((ROOT / "interviews" / "en-01.txt").read_bytes())
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "cjm", "journeys", str(folder), "-o", str(scratch / "j.json"),
                              "--rules-only", "--codebook", str(book)], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env={**os.environ, "CJM_MAX_CODEBOOK_PHRASES": "100000"})
    _, status, usage = os.wait4(child.pid, 0)
    return time.perf_counter() - started, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small cases only")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        baseline = scratch / "baseline"
        baseline.mkdir()
        (baseline / "good.txt").write_text(GOOD, encoding="utf-8")
        base_seconds, base_mb, _ = run(baseline)
        print(f"{'case':<22} {'input MB':>9} {'seconds':>8} {'s/MB':>7} {'peak MB':>8}  exit")
        print(f"{'one tiny file':<22} {folder_size(baseline):>9.3f} {base_seconds:>8.1f} {'':>7} {base_mb:>8.0f}  -")
        for name in ("brackets", "affixes", "alias bomb", "deep front matter", "one long utterance"):
            folder = scratch / name.replace(" ", "-")
            folder.mkdir()
            for file_name, content in case_files(name, args.quick).items():
                (folder / file_name).write_text(content, encoding="utf-8")
            seconds, peak, code = run(folder)
            size = folder_size(folder)
            print(f"{name:<22} {size:>9.3f} {seconds:>8.1f} {(seconds - base_seconds) / size:>7.1f} {peak:>8.0f}  {code}")
        print("codebook phrases beyond the shipped ones, one sample interview (en-01):")
        for extra in (0, 1000) if args.quick else (0, 1000, 2000, 3800):
            seconds, peak, code = codebook_case(extra, scratch)
            print(f"  +{extra:<6} {seconds:>8.1f} s {peak:>8.0f} MB  exit {code}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
