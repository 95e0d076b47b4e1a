"""What `--redact` costs on the sample folder: seconds and names found, this tree vs another commit.

    python benchmarks/redact_cost.py [--ref main] [FOLDER]     (default: interviews/)

Each checkout is measured in a fresh interpreter (the one measured with --ref from a `git archive`
snapshot), so "cold" includes importing cjm.redact and loading pymorphy3 and natasha's NER, as a
run of `cjm report --redact` pays it once. "warm" is a second redaction of the same transcripts in
the same process (the median of three): the cost per run once the models are loaded. Reading the folder is not counted.
Other work sharing the CPUs moves the figures; the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, re, sys, time
from cjm.ingest import read_folder
transcripts, _ = read_folder(sys.argv[1])
chars = sum(len(u.text) for t in transcripts for u in t.utterances)
started = time.perf_counter()
from cjm.redact import redact_transcripts
first = redact_transcripts(transcripts)
cold = time.perf_counter() - started
warms = []
for _ in range(3):
    started = time.perf_counter()
    redact_transcripts(transcripts)
    warms.append(time.perf_counter() - started)
warm = sorted(warms)[1]
marks = sum(len(re.findall(r"(?:Персона|Person) \d+", u.speaker + " " + u.text)) for t in first for u in t.utterances)
import resource
print(json.dumps({"interviews": len(transcripts), "utterances": sum(len(t.utterances) for t in transcripts),
                  "chars": chars, "cold": cold, "warm": warm, "placeholders": marks,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(checkout: Path, folder: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(checkout))
    out = subprocess.run([sys.executable, "-c", CHILD, str(folder)], cwd=checkout, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def snapshot(ref: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", default=str(ROOT / "interviews"))
    parser.add_argument("--ref", help="also measure this commit (e.g. main), for a before/after")
    args = parser.parse_args()
    folder = Path(args.folder).resolve()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.ref:
            rows.append((args.ref, measure(snapshot(args.ref, Path(tmp)), folder)))
        rows.append(("this tree", measure(ROOT, folder)))
    first = rows[0][1]
    print(f"{folder.name}: {first['interviews']} interviews, {first['utterances']} utterances, "
          f"{first['chars'] / 1e3:.0f}k characters of text")
    print(f"{'checkout':12} {'cold s':>7} {'warm s':>7} {'warm s/MB':>9} {'max RSS MB':>10} {'placeholders':>12}")
    for name, row in rows:
        per_mb = row["warm"] / (row["chars"] / 1e6)
        print(f"{name:12} {row['cold']:7.2f} {row['warm']:7.2f} {per_mb:9.1f} {row['rss_mb']:10.0f} {row['placeholders']:12d}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
