#!/usr/bin/env python
"""Speed and scale of cjm on this machine, in ONE run (a script, not a test).

    python benchmarks/scale.py                 # N = 100 and 1,000
    python benchmarks/scale.py --sizes 50      # a quick look
    python benchmarks/scale.py --json          # the figures as JSON on stdout

It builds a corpus of N varied interviews from the annotated transcripts of the repository
(interviews/ and eval/'s training folders — never eval/test): every copy gets other person names,
other numbers and dates, and its middle turns in another order, so no two files are alike and no
cache can answer for another. Then it prints:

  tokenizer     tokens/s of a bare `spacy.blank(lang)` tokenizer over every utterance
  tag jobs=1/2  tokens/s of cjm's ingest + tag + journey (`pipeline.analyse`, no cache), each with its
                ratio to the tokenizer, and the CPU seconds (user + sys, workers included) with the ratio
                of CPU time (`--tag-only`: these rows alone, no report runs)
  report N      wall time and peak memory (the whole process tree, sampled every 50 ms) of
                `cjm report DIR --jobs 2` with an empty cache, the report's size (index.html and all)
  re-run        the same command after one transcript was edited (the cache holds the others)

Each `cjm report` row gives wall and CPU seconds (user + system of the process and its workers):
CPU time is the steadier figure on a shared machine. `--rerun-only` skips the tokenizer and tagging
rows (only the report, then the re-run).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
SOURCES = [ROOT / "interviews", ROOT / "eval" / "train", ROOT / "eval" / "heldout", ROOT / "eval" / "heldout2",
           ROOT / "eval" / "heldout3"]
NAMES = {
    "ru": ["Анна", "Борис", "Вера", "Глеб", "Дарья", "Егор", "Жанна", "Зоя", "Илья", "Кира", "Лев", "Мария",
           "Никита", "Олег", "Полина", "Роман", "Светлана", "Тимур", "Ульяна", "Фёдор"],
    "en": ["Alice", "Brian", "Chloe", "Daniel", "Emma", "Frank", "Grace", "Henry", "Isla", "Jack", "Kate", "Liam",
           "Maya", "Noah", "Olivia", "Peter", "Quinn", "Ruby", "Sam", "Tara"],
}
NUMBER = re.compile(r"\d+")


def templates():
    from cjm.ingest import read_folder

    found = []
    for folder in SOURCES:
        if folder.is_dir():
            found.extend(read_folder(folder)[0])
    return found


def variant(transcript, k: int, rng: random.Random) -> str:
    """The k-th copy of a transcript as a contract-format text file, with other names, numbers and turn order."""
    names = NAMES[transcript.language]
    speakers = {}
    for u in transcript.utterances:
        if u.speaker not in speakers:
            speakers[u.speaker] = "Interviewer" if u.is_interviewer else f"{rng.choice(names)} {k}"
    turns = list(transcript.utterances)
    if len(turns) > 6:  # the middle turns in another order: opening and closing stay where they are
        middle = turns[2:-2]
        cut = rng.randrange(1, len(middle))
        turns = turns[:2] + middle[cut:] + middle[:cut] + turns[-2:]

    def renumber(match: re.Match) -> str:
        return str(int(match.group()) + rng.randint(1, 9))

    lines = ["---", f"id: bench-{k:05d}", f"language: {transcript.language}",
             f"interviewer: {speakers.get(next((u.speaker for u in transcript.utterances if u.is_interviewer), ''), 'Interviewer')}"]
    if transcript.channel:
        lines.append(f"channel: {transcript.channel}")
    lines.append("---")
    for u in turns:
        text = NUMBER.sub(renumber, u.text).replace("\n", " ")
        lines.append(f"{speakers[u.speaker]}: {text}")
    return "\n".join(lines) + "\n"


def build_corpus(folder: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    base = templates()
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(n):
        (folder / f"bench-{k:05d}.txt").write_text(variant(base[k % len(base)], k, rng), encoding="utf-8")


def tokenizer_speed(folder: Path) -> tuple[int, float, float]:
    """Tokens, wall seconds and CPU seconds of a bare tokenizer pass."""
    import spacy

    from cjm.ingest import read_folder

    transcripts, _ = read_folder(folder)
    tokenizers = {lang: spacy.blank(lang).tokenizer for lang in ("ru", "en")}
    texts = [(t.language, u.text) for t in transcripts for u in t.utterances]
    start, cpu = time.perf_counter(), time.process_time()
    tokens = sum(len(tokenizers[lang](text)) for lang, text in texts)
    return tokens, time.perf_counter() - start, time.process_time() - cpu


def tag_seconds(folder: Path, jobs: int) -> tuple[float, float]:
    """Wall and CPU seconds (user + sys of the process and its workers) of ingest + tag + journey in a
    fresh interpreter, models loaded before the clock starts. CPU time is the figure to compare when
    other jobs share the cores: it moves far less with the load than the wall time does."""
    code = (
        "import sys, time, resource; sys.path.insert(0, %r)\n"
        "from cjm.pipeline import analyse, resolve_model\n"
        "from cjm.nlp import pipeline; from cjm.syntax import _models\n"
        "resolve_model(None); pipeline('ru'); pipeline('en'); _models()\n"
        "def cpu():\n"
        "    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),\n"
        "               resource.getrusage(resource.RUSAGE_CHILDREN)))\n"
        "c = cpu(); t = time.perf_counter(); r = analyse(%r, jobs=%d)\n"
        "print(time.perf_counter() - t, cpu() - c, len(r.journeys))\n" % (str(ROOT), str(folder), jobs))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


def tree_rss(pid: int) -> int:
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc] + proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def timed_report(folder: Path, out: Path, cache: Path, jobs: int = 2) -> tuple[float, int, float]:
    """Wall seconds, peak RSS of the process tree and CPU seconds (user + system, the process and the
    workers it waited for) of one `cjm report` run. CPU time moves less than wall time when other
    work shares the cores."""
    cmd = [sys.executable, "-m", "cjm", "report", str(folder), "-o", str(out), "--jobs", str(jobs),
           "--cache-dir", str(cache), "--quiet"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.05)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"cjm report failed: {proc.stderr.read().decode()[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, peak, cpu


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def rerun_row(corpus: Path, work: Path, n: int) -> dict:
    """`cjm report` with an empty cache, then again after one transcript was edited."""
    cache, out = work / f"cache-{n}", work / f"report-{n}"
    row: dict = {}
    row["report_s"], row["report_peak_bytes"], row["report_cpu_s"] = timed_report(corpus, out, cache)
    row["index_bytes"] = (out / "index.html").stat().st_size
    row["report_bytes"] = folder_bytes(out)
    edited = sorted(corpus.glob("*.txt"))[n // 2]
    edited.write_text(edited.read_text(encoding="utf-8").replace(": ", ": Well, ", 3), encoding="utf-8")
    row["rerun_s"], row["rerun_peak_bytes"], row["rerun_cpu_s"] = timed_report(corpus, out, cache)
    row["rerun_speedup"] = row["report_s"] / row["rerun_s"]
    row["rerun_cpu_speedup"] = row["report_cpu_s"] / row["rerun_cpu_s"]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--rerun-only", action="store_true",
                        help="only the report and the re-run after one edit (no tokenizer or tagging rows)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--tag-only", action="store_true", help="only the tokenizer and tag rows (no report runs)")
    args = parser.parse_args()
    figures: dict = {"load_before": os.getloadavg()[0]}
    work = Path(tempfile.mkdtemp(prefix="cjm-scale-"))
    try:
        for n in args.sizes:
            corpus = work / f"corpus-{n}"
            build_corpus(corpus, n)
            row: dict = {"interviews": n}
            if not args.rerun_only:
                tokens, seconds, tokenizer_cpu = tokenizer_speed(corpus)
                row.update(tokens=tokens, tokenizer_tps=tokens / seconds, tokenizer_cpu_s=tokenizer_cpu)
                for jobs in (1, 2):
                    tag, cpu = tag_seconds(corpus, jobs)
                    row[f"tag_jobs{jobs}_tps"] = tokens / tag
                    row[f"tag_jobs{jobs}_ratio"] = row[f"tag_jobs{jobs}_tps"] / row["tokenizer_tps"]
                    row[f"tag_jobs{jobs}_cpu_s"] = cpu
                    row[f"tag_jobs{jobs}_cpu_ratio"] = tokenizer_cpu / cpu  # tokens per CPU second, as a ratio
            if not args.tag_only:
                row.update(rerun_row(corpus, work, n))
            figures[f"n{n}"] = row
            print(f"N={n}: done", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures["load_after"] = os.getloadavg()[0]
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"load average before {figures['load_before']:.2f}, after {figures['load_after']:.2f} (2 cores)")
    if not args.rerun_only:
        print(f"{'N':>6} {'tokens':>9} {'tokenizer t/s':>14} {'cpu s':>6} {'jobs=1 t/s':>11} {'ratio':>6} {'cpu s':>6} "
              f"{'cpu ratio':>9} {'jobs=2 t/s':>11} {'ratio':>6} {'cpu s':>6} {'cpu ratio':>9}")
        for n in args.sizes:
            r = figures[f"n{n}"]
            print(f"{n:>6} {r['tokens']:>9} {r['tokenizer_tps']:>14,.0f} {r['tokenizer_cpu_s']:>6.2f} "
                  f"{r['tag_jobs1_tps']:>11,.0f} {r['tag_jobs1_ratio']:>6.3f} {r['tag_jobs1_cpu_s']:>6.1f} "
                  f"{r['tag_jobs1_cpu_ratio']:>9.3f} {r['tag_jobs2_tps']:>11,.0f} {r['tag_jobs2_ratio']:>6.3f} "
                  f"{r['tag_jobs2_cpu_s']:>6.1f} {r['tag_jobs2_cpu_ratio']:>9.3f}")
    if args.tag_only:
        return
    print(f"{'N':>6} {'report s':>9} {'cpu s':>7} {'peak MB':>8} {'index MB':>9} {'all MB':>7} {'re-run s':>9} "
          f"{'cpu s':>7} {'speed-up':>9} {'cpu':>6}")
    for n in args.sizes:
        r = figures[f"n{n}"]
        print(f"{n:>6} {r['report_s']:>9.1f} {r['report_cpu_s']:>7.1f} {r['report_peak_bytes'] / 1e6:>8.0f} "
              f"{r['index_bytes'] / 1e6:>9.2f} {r['report_bytes'] / 1e6:>7.1f} {r['rerun_s']:>9.2f} "
              f"{r['rerun_cpu_s']:>7.2f} {r['rerun_speedup']:>9.1f} {r['rerun_cpu_speedup']:>6.1f}")
    if len(args.sizes) >= 2:
        small, big = figures[f"n{args.sizes[0]}"], figures[f"n{args.sizes[-1]}"]
        print(f"peak memory at N={args.sizes[-1]} / N={args.sizes[0]}: "
              f"{big['report_peak_bytes'] / small['report_peak_bytes']:.2f}")


if __name__ == "__main__":
    main()
