#!/usr/bin/env python
"""cjm performance figures, measured on this machine (a script, not a test).

    python benchmarks/bench.py            # everything, ~2 min
    python benchmarks/bench.py --quick    # no scaling run, 1 repetition of the slow parts, < 60 s
    python benchmarks/bench.py --json     # the same figures as JSON on stdout (progress on stderr)

What each figure means is in benchmarks/README.md. Small measurements are repeated (3 times by
default) and the median is reported; end-to-end figures that must be "cold" (first call in a
fresh interpreter) run in a child process started from this script with `--child-e2e`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

# The checkout measured: this one, or (with --ref) a `git archive` snapshot that the script
# re-runs itself against through CJM_BENCH_ROOT, so edits in progress do not mix into the figures.
ROOT = Path(os.environ.get("CJM_BENCH_ROOT") or Path(__file__).resolve().parents[1])
SAMPLE = ROOT / "interviews"
if str(ROOT) not in sys.path:  # measure this checkout, whatever is installed
    sys.path.insert(0, str(ROOT))

TARGET_REPORT_BYTES = 6_000_000  # "the report for the sample under 6 MB" (decimal MB)
TARGET_MAIN_JOB_S = 45.0  # "the main job on the sample under 45 s"
SCALE_COPIES = 5  # 12 sample interviews x 5 = 60

# Word forms for which pymorphy3 offers several normal forms, with the lemma a reader means in an
# interview (context-free). spaCy's stock "pymorphy3" mode on a blank pipeline (no POS tags) keeps
# the form itself whenever the normal forms disagree; cjm takes pymorphy3's most probable parse.
# The last three are cases where the most probable parse is wrong too ("Гене — да": the name Гена).
AMBIGUOUS_WORDS = [
    ("часов", "час"), ("лет", "год"), ("было", "быть"), ("были", "быть"), ("стали", "стать"),
    ("может", "мочь"), ("стоит", "стоить"), ("станков", "станок"), ("машины", "машина"),
    ("машину", "машина"), ("марта", "март"), ("мая", "май"), ("августе", "август"),
    ("минут", "минута"), ("времени", "время"), ("стены", "стена"), ("почту", "почта"),
    ("части", "часть"), ("дали", "дать"), ("пару", "пара"), ("бане", "баня"), ("коробки", "коробка"),
    ("знаете", "знать"), ("говорят", "говорить"), ("кажется", "казаться"), ("нашей", "наш"),
    ("моя", "мой"), ("пошла", "пойти"), ("лучше", "хороший"), ("больше", "большой"),
    ("день", "день"), ("потом", "потом"), ("три", "три"), ("после", "после"), ("для", "для"),
    ("гене", "гена"), ("рады", "рад"), ("белые", "белый"),
]
# Controls: one normal form only; both lemmatizers should agree (after ё -> е).
UNAMBIGUOUS_WORDS = [
    ("договора", "договор"), ("счета", "счёт"), ("заказа", "заказ"), ("рублей", "рубль"),
    ("людей", "человек"), ("недели", "неделя"), ("поставки", "поставка"), ("сроки", "срок"),
    ("директора", "директор"), ("отгрузку", "отгрузка"),
]


# --------------------------------------------------------------------------- helpers

def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def timed(func: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = func()
    return time.perf_counter() - start, value


def median_time(func: Callable[[], Any], repeat: int, before: Callable[[], Any] | None = None) -> float:
    """Median wall time of `repeat` calls; `before` runs untimed ahead of each call."""
    times = []
    for _ in range(max(1, repeat)):
        if before is not None:
            before()
        times.append(timed(func)[0])
    return statistics.median(times)


def norm(word: str) -> str:
    return word.lower().replace("ё", "е")


def folder_bytes(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def peak_rss_bytes() -> int:
    """This process's peak RSS. VmHWM belongs to the process's own address space; ru_maxrss (the
    fallback) also counts the RSS of the parent at fork/exec time, so a child started by a big
    process would report at least the parent's size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports kB


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


def run_measured(cmd: list[str], cwd: Path, extra_env: dict[str, str] | None = None) -> tuple[float, int, int, str]:
    """Run a command; (wall s, peak RSS bytes of that process, exit code, stdout)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env={**child_env(), **(extra_env or {})}, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        if proc.returncode:
            log(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{err.read().decode('utf-8', 'replace')[-2000:]}")
    return wall, usage.ru_maxrss * 1024, proc.returncode, stdout


# --------------------------------------------------------------------------- corpus

def load_corpus() -> dict[str, list[str]]:
    """Respondent utterances of the sample series, by language."""
    from cjm.ingest import read_folder

    transcripts, _ = read_folder(SAMPLE)
    texts: dict[str, list[str]] = {"ru": [], "en": []}
    for transcript in transcripts:
        texts.setdefault(transcript.language, []).extend(
            u.text for u in transcript.respondent_utterances if u.text)
    return texts


def count_words(docs) -> tuple[int, int]:
    """(tokens, words): words are tokens that are neither punctuation nor white space."""
    tokens = words = 0
    for doc in docs:
        tokens += len(doc)
        words += sum(1 for t in doc if not (t.is_punct or t.is_space))
    return tokens, words


# --------------------------------------------------------------------------- sections 1-4

def bench_nlp(texts: dict[str, list[str]], repeat: int) -> dict[str, Any]:
    import spacy

    import cjm.nlp as cnlp

    try:
        from cjm.tag import BATCH_SIZE
    except ImportError:  # pragma: no cover - the tagger's batch size is an implementation detail
        BATCH_SIZE = 64

    res: dict[str, Any] = {"corpus": {}, "tokenizer": {}, "pipeline": {}}

    # 1. tokenizer only
    log("1. tokenizer")
    tok_time: dict[str, float] = {}
    for lang in ("ru", "en"):
        tokenizer = spacy.blank(lang).tokenizer
        docs = list(tokenizer.pipe(texts[lang]))  # warm-up (and the counts)
        tokens, words = count_words(docs)
        tok_time[lang] = median_time(lambda: list(tokenizer.pipe(texts[lang])), repeat)
        res["corpus"][lang] = {"utterances": len(texts[lang]), "tokens": tokens, "words": words}
        res["tokenizer"][lang] = {"seconds": tok_time[lang], "words_per_s": words / tok_time[lang],
                                  "tokens_per_s": tokens / tok_time[lang]}
    total_words = sum(res["corpus"][lang]["words"] for lang in ("ru", "en"))
    res["tokenizer"]["all"] = {"words_per_s": total_words / (tok_time["ru"] + tok_time["en"])}

    # 2. cjm's pipeline: tokenizer + sentencizer + cached lemmatizer
    log("2. cjm pipeline (cold / warm lemma cache)")
    cnlp.morph_analyzer.cache_clear()
    res["pymorphy3_load_s"] = timed(cnlp.morph_analyzer)[0]
    ru_words = res["corpus"]["ru"]["words"]
    for lang in ("ru", "en"):
        build_s, nlp = timed(lambda: cnlp.pipeline(lang))
        run = (lambda nlp=nlp, lang=lang: list(nlp.pipe(texts[lang], batch_size=BATCH_SIZE)))
        entry: dict[str, Any] = {"build_s": build_s}
        clear = getattr(cnlp.russian_analysis, "cache_clear", None) if lang == "ru" else None
        if clear is not None:
            cold = median_time(run, repeat, before=clear)
            entry["cold"] = {"seconds": cold, "words_per_s": ru_words / cold, "vs_tokenizer": tok_time[lang] / cold}
        run()  # warm the cache
        warm = median_time(run, repeat)
        words = res["corpus"][lang]["words"]
        entry["warm"] = {"seconds": warm, "words_per_s": words / warm, "vs_tokenizer": tok_time[lang] / warm}
        if lang == "ru":
            info = cnlp.russian_analysis.cache_info() if hasattr(cnlp.russian_analysis, "cache_info") else None
            if info is not None:
                entry["cache_entries"] = info.currsize
        res["pipeline"][lang] = entry

    # 3. spaCy's stock pymorphy3 lemmatizer on a blank Russian pipeline
    log("3. spaCy stock lemmatizer (pymorphy3 mode)")

    def build_stock():
        nlp = spacy.blank("ru")
        nlp.add_pipe("lemmatizer", config={"mode": "pymorphy3"})
        nlp.initialize()
        return nlp

    stock_build_s, stock = timed(build_stock)
    stock_docs = list(stock.pipe(texts["ru"]))  # warm-up
    stock_s = median_time(lambda: list(stock.pipe(texts["ru"])), repeat)
    ours_docs = list(cnlp.pipeline("ru").pipe(texts["ru"], batch_size=BATCH_SIZE))
    corpus_words = corpus_differ = 0
    for ours_doc, stock_doc in zip(ours_docs, stock_docs):
        for a, b in zip(ours_doc, stock_doc):
            if a.is_punct or a.is_space:
                continue
            corpus_words += 1
            corpus_differ += norm(a.lemma_) != norm(b.lemma_)

    def score(words: list[tuple[str, str]]) -> dict[str, Any]:
        rows = []
        for form, gold in words:
            ours = cnlp.russian_lemma(form)[0] if hasattr(cnlp, "russian_lemma") else cnlp.russian_analysis(form)[0]
            theirs = stock(form)[0].lemma_
            rows.append({"form": form, "gold": gold, "ours": ours, "stock": theirs})
        return {
            "words": len(rows),
            "ours_correct": sum(norm(r["ours"]) == norm(r["gold"]) for r in rows),
            "stock_correct": sum(norm(r["stock"]) == norm(r["gold"]) for r in rows),
            "differ": sum(norm(r["ours"]) != norm(r["stock"]) for r in rows),
            "rows": rows,
        }

    res["stock_lemmatizer"] = {
        "build_s": stock_build_s, "seconds": stock_s, "words_per_s": ru_words / stock_s,
        "vs_tokenizer": tok_time["ru"] / stock_s,
        "vs_ours_warm": res["pipeline"]["ru"]["warm"]["seconds"] / stock_s,
        "vs_ours_cold": res["pipeline"]["ru"]["cold"]["seconds"] / stock_s if "cold" in res["pipeline"]["ru"] else None,
        "ambiguous": score(AMBIGUOUS_WORDS), "unambiguous": score(UNAMBIGUOUS_WORDS),
        "corpus_words": corpus_words, "corpus_differ": corpus_differ,
    }

    return res


def child_natasha(repeat: int) -> None:
    """Runs in a fresh interpreter: natasha load time and segment + syntax + NER over the Russian
    respondent utterances of the sample (one Doc per utterance). Prints JSON."""
    texts = load_corpus()["ru"]

    def load():
        from natasha import Doc, NewsEmbedding, NewsNERTagger, NewsSyntaxParser, Segmenter

        emb = NewsEmbedding()
        return Doc, Segmenter(), NewsSyntaxParser(emb), NewsNERTagger(emb)

    load_s, (Doc, segmenter, syntax, ner) = timed(load)

    def run(items):
        for text in items:
            doc = Doc(text)
            doc.segment(segmenter)
            doc.parse_syntax(syntax)
            doc.tag_ner(ner)

    first_s = timed(lambda: run(texts))[0]  # the first pass is also the warm-up
    seconds = median_time(lambda: run(texts), repeat)
    print(json.dumps({"load_s": load_s, "first_pass_s": first_s, "seconds": seconds, "repeat": repeat,
                      "rss_peak": peak_rss_bytes()}))


def bench_natasha(repeat: int) -> dict[str, Any]:
    log("4. natasha (load, syntax + NER) in a fresh interpreter, one BLAS thread")
    # One BLAS thread: spaCy and cjm are single-threaded, and with the two shared cores OpenBLAS's
    # spinning threads made the figure swing from 1.5 to 7 s between runs.
    env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child-natasha", str(repeat)]
    wall, _, code, stdout = run_measured(cmd, ROOT, env)
    if code:
        return {"error": f"child exited with {code}"}
    data = json.loads(stdout.strip().splitlines()[-1])
    data["process_wall_s"] = wall
    return data


# --------------------------------------------------------------------------- sections 5-7

def child_e2e(folder: str, out: str, repeat: int) -> None:
    """Runs in a fresh interpreter: cold and warm analyse(), write_report(), peak RSS. Prints JSON."""
    res: dict[str, Any] = {}
    start = time.perf_counter()
    from cjm.pipeline import analyse
    from cjm.render import write_report

    res["import_s"] = time.perf_counter() - start
    res["analyse_cold_s"], result = timed(lambda: analyse(folder))
    res["interviews"] = len(result.journeys)
    res["problems"] = len(result.problems)
    res["rss_after_analyse"] = peak_rss_bytes()
    if repeat > 0:
        res["analyse_warm_s"] = median_time(lambda: analyse(folder), repeat)
    out_dir = Path(out)
    res["report_cold_s"] = timed(lambda: write_report(result.journeys, result.problems, result.codebook, out_dir))[0]
    if repeat > 0:
        def again():
            shutil.rmtree(out_dir, ignore_errors=True)
        res["report_warm_s"] = median_time(
            lambda: write_report(result.journeys, result.problems, result.codebook, out_dir), repeat, before=again)
    res["report_bytes"], res["report_files"] = folder_bytes(out_dir)
    res["index_html_bytes"] = (out_dir / "index.html").stat().st_size if (out_dir / "index.html").exists() else None
    res["rss_peak"] = peak_rss_bytes()
    print(json.dumps(res))


def run_child(folder: Path, out: Path, repeat: int) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child-e2e", str(folder), str(out), str(repeat)]
    wall, rss, code, stdout = run_measured(cmd, ROOT)
    if code:
        raise RuntimeError(f"child run failed on {folder}")
    data = json.loads(stdout.strip().splitlines()[-1])
    data["process_wall_s"] = wall
    data["process_rss_peak"] = rss
    return data


def bench_e2e(tmp: Path, repeat: int) -> dict[str, Any]:
    log("5/6. end to end: analyse + write_report in a fresh interpreter")
    res: dict[str, Any] = {"library": run_child(SAMPLE, tmp / "lib-report", repeat)}
    lib = res["library"]
    n = lib["interviews"]
    lib["analyse_cold_per_interview_s"] = lib["analyse_cold_s"] / n
    if "analyse_warm_s" in lib:
        lib["analyse_warm_per_interview_s"] = lib["analyse_warm_s"] / n

    log("5/6. end to end: python -m cjm report (subprocess)")
    cli_runs = []
    for i in range(repeat):
        out = tmp / f"cli-{i}"
        wall, rss, code, _ = run_measured([sys.executable, "-m", "cjm", "report", str(SAMPLE), "-o", str(out)], ROOT)
        size, files = folder_bytes(out)
        cli_runs.append({"wall_s": wall, "rss_peak": rss, "exit": code, "bytes": size, "files": files,
                         "index_html_bytes": (out / "index.html").stat().st_size if (out / "index.html").exists() else None})
    res["cli"] = {
        "runs": len(cli_runs), "wall_s": statistics.median(r["wall_s"] for r in cli_runs),
        "rss_peak": max(r["rss_peak"] for r in cli_runs), "exit": max(r["exit"] for r in cli_runs),
        "report_bytes": cli_runs[-1]["bytes"], "report_files": cli_runs[-1]["files"],
        "index_html_bytes": cli_runs[-1]["index_html_bytes"],
    }
    return res


def synthesize_series(dest: Path, copies: int) -> int:
    """Copy every sample transcript `copies` times, each copy with a unique file name and front-matter id."""
    dest.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted(p for p in SAMPLE.iterdir() if p.is_file() and not p.name.startswith(".")):
        if path.name.endswith(".gold.json"):
            continue
        text = path.read_text(encoding="utf-8")
        for k in range(1, copies + 1):
            (dest / f"{path.stem}-c{k}{path.suffix}").write_text(with_unique_id(text, f"-c{k}"), encoding="utf-8")
            count += 1
    return count


def with_unique_id(text: str, suffix: str) -> str:
    """Append `suffix` to the `id:` of a YAML front matter block; text without one is left alone
    (its id is then the file name, already unique)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return text
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            break
        if lines[i].startswith("id:"):
            lines[i] = lines[i].rstrip() + suffix
    return "\n".join(lines)


def bench_scaling(tmp: Path, copies: int) -> dict[str, Any]:
    folder = tmp / "series"
    n = synthesize_series(folder, copies)
    log(f"7. scaling: {n} interviews (the sample x {copies})")
    data = run_child(folder, tmp / "series-report", 0)
    data["files"] = n
    data["analyse_cold_per_interview_s"] = data["analyse_cold_s"] / max(1, data["interviews"])
    return data


# --------------------------------------------------------------------------- output

def fmt_s(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"{x * 1000:.1f} ms" if x < 1 else f"{x:.2f} s"


def fmt_b(x: int | None) -> str:
    if x is None:
        return "n/a"
    return f"{x:,} B ({x / 1e6:.2f} MB)"


def fmt_ratio(x: float) -> str:
    return f"{x:.3f}x (1/{1 / x:.1f})" if x < 1 else f"{x:.2f}x"


def table(res: dict[str, Any]) -> str:
    rows: list[tuple[str, str, str]] = []

    def add(section: str, metric: str, value: str) -> None:
        rows.append((section, metric, value))

    for name in ("nlp", "natasha", "e2e", "scaling"):
        if "error" in (res.get(name) or {}):
            add(name, "FAILED", res[name]["error"])
    nlp = res.get("nlp") if "error" not in (res.get("nlp") or {}) else None
    if nlp:
        for lang in ("ru", "en"):
            c = nlp["corpus"][lang]
            add("corpus", f"{lang} respondent utterances / words", f"{c['utterances']} / {c['words']:,} ({c['tokens']:,} tokens)")
        for lang in ("ru", "en"):
            t = nlp["tokenizer"][lang]
            add("1 tokenizer", f"spacy.blank({lang!r}).tokenizer", f"{t['words_per_s']:,.0f} words/s ({fmt_s(t['seconds'])})")
        add("1 tokenizer", "ru+en", f"{nlp['tokenizer']['all']['words_per_s']:,.0f} words/s")
        add("2 cjm pipeline", "pymorphy3 analyser load", fmt_s(nlp["pymorphy3_load_s"]))
        for lang in ("ru", "en"):
            p = nlp["pipeline"][lang]
            if "cold" in p:
                add("2 cjm pipeline", f"{lang} cold lemma cache vs tokenizer",
                    f"{fmt_ratio(p['cold']['vs_tokenizer'])}, {p['cold']['words_per_s']:,.0f} words/s")
            label = f"{lang} warm lemma cache vs tokenizer" if lang == "ru" else f"{lang} (lookup lemmas) vs tokenizer"
            add("2 cjm pipeline", label, f"{fmt_ratio(p['warm']['vs_tokenizer'])}, {p['warm']['words_per_s']:,.0f} words/s")
        s = nlp["stock_lemmatizer"]
        add("3 spaCy stock", "build + initialize (pymorphy3 mode)", fmt_s(s["build_s"]))
        add("3 spaCy stock", "ru vs tokenizer", f"{fmt_ratio(s['vs_tokenizer'])}, {s['words_per_s']:,.0f} words/s")
        speedup = [f"{1 / s[k]:.1f}x ({label})" for k, label in (("vs_ours_cold", "cold"), ("vs_ours_warm", "warm"))
                   if s.get(k)]
        add("3 spaCy stock", "cjm pipeline speed / stock speed", ", ".join(speedup))
        a, u = s["ambiguous"], s["unambiguous"]
        add("3 spaCy stock", f"ambiguous words: correct ours/stock of {a['words']}",
            f"{a['ours_correct']} / {a['stock_correct']}, differ on {a['differ']}")
        add("3 spaCy stock", f"unambiguous controls: correct ours/stock of {u['words']}",
            f"{u['ours_correct']} / {u['stock_correct']}, differ on {u['differ']}")
        add("3 spaCy stock", "sample ru words with a different lemma",
            f"{s['corpus_differ']:,} of {s['corpus_words']:,} ({100 * s['corpus_differ'] / max(1, s['corpus_words']):.1f}%)")
    n = res.get("natasha", {})
    if "vs_tokenizer" in n:
        add("4 natasha", "load (import + embedding + syntax + NER)", fmt_s(n["load_s"]))
        add("4 natasha", "segment+syntax+NER ru vs tokenizer",
            f"{fmt_ratio(n['vs_tokenizer'])}, {n['words_per_s']:,.0f} words/s ({fmt_s(n['seconds'])})")
        add("4 natasha", "first pass after load", fmt_s(n["first_pass_s"]))
    e2e = res.get("e2e")
    if e2e and "error" not in e2e:
        lib, cli = e2e["library"], e2e["cli"]
        n = lib["interviews"]
        add("5 end to end", "import cjm.pipeline + cjm.render", fmt_s(lib["import_s"]))
        add("5 end to end", f"analyse(sample), cold ({n} interviews)",
            f"{fmt_s(lib['analyse_cold_s'])}, {fmt_s(lib['analyse_cold_per_interview_s'])}/interview")
        if "analyse_warm_s" in lib:
            add("5 end to end", "analyse(sample), warm",
                f"{fmt_s(lib['analyse_warm_s'])}, {fmt_s(lib['analyse_warm_per_interview_s'])}/interview")
        add("5 end to end", "write_report, first call", fmt_s(lib["report_cold_s"]))
        if "report_warm_s" in lib:
            add("5 end to end", "write_report, warm", fmt_s(lib["report_warm_s"]))
        ok = "OK" if cli["wall_s"] < TARGET_MAIN_JOB_S else "OVER"
        add("5 end to end", "python -m cjm report (subprocess)",
            f"{fmt_s(cli['wall_s'])}  [target < {TARGET_MAIN_JOB_S:.0f} s: {ok}]" + ("" if not cli["exit"] else f" exit {cli['exit']}"))
        ok = "OK" if cli["report_bytes"] < TARGET_REPORT_BYTES else "OVER"
        add("5 end to end", f"report folder ({cli['report_files']} files)",
            f"{fmt_b(cli['report_bytes'])}  [target < 6 MB: {ok}]")
        add("5 end to end", "  of which index.html", fmt_b(cli["index_html_bytes"]))
        add("6 memory", "peak RSS, python -m cjm report", fmt_b(cli["rss_peak"]))
        add("6 memory", "peak RSS, after analyse (library)", fmt_b(lib["rss_after_analyse"]))
        add("6 memory", "peak RSS, after write_report (library)", fmt_b(lib["rss_peak"]))
    sc = res.get("scaling")
    if sc and "error" not in sc:
        add("7 scaling", f"analyse({sc['interviews']} interviews), cold",
            f"{fmt_s(sc['analyse_cold_s'])}, {fmt_s(sc['analyse_cold_per_interview_s'])}/interview")
        add("7 scaling", "write_report, first call", fmt_s(sc["report_cold_s"]))
        add("7 scaling", "report folder / index.html", f"{fmt_b(sc['report_bytes'])} / {fmt_b(sc['index_html_bytes'])}")
        add("7 scaling", "peak RSS after analyse / after report",
            f"{fmt_b(sc['rss_after_analyse'])} / {fmt_b(sc['rss_peak'])}")
    m = res["meta"]
    add("run", "code measured", f"{m.get('code')} at {m.get('root')}")
    add("run", "python / spaCy / CPUs", f"{m['python']} / {m.get('spacy')} / {m['cpus']}")
    add("run", "load average before / after", f"{m['load_before']} / {m.get('load_after')}")
    add("run", "repetitions (median) / bench wall time", f"{m['repeat']} / {fmt_s(m.get('wall_s'))}")

    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    lines = [f"{'section':<{widths[0]}}  {'figure':<{widths[1]}}  value",
             f"{'-' * widths[0]}  {'-' * widths[1]}  -----"]
    lines += [f"{s:<{widths[0]}}  {m:<{widths[1]}}  {v}" for s, m, v in rows]
    amb = nlp["stock_lemmatizer"]["ambiguous"]["rows"] if nlp else []
    wrong = [r for r in amb if norm(r["ours"]) != norm(r["gold"])]
    if wrong:
        lines.append("")
        lines.append("ambiguous words cjm gets wrong (form: gold | cjm | spaCy stock): "
                     + "; ".join(f"{r['form']}: {r['gold']} | {r['ours']} | {r['stock']}" for r in wrong))
    kept = [r["form"] for r in amb if norm(r["stock"]) == norm(r["form"]) != norm(r["gold"])]
    if kept:
        lines.append(f"spaCy stock keeps the form unchanged for {len(kept)} of them, e.g. " + ", ".join(kept[:6]))
    return "\n".join(lines)


def git_state(repo: Path) -> str:
    """'<sha> (+N modified files)' for a checkout, or what is known of a snapshot."""
    if os.environ.get("CJM_BENCH_REF"):
        return f"snapshot of {os.environ['CJM_BENCH_REF']}"
    try:
        sha = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{sha}" + (f" +{len(dirty)} modified file(s)" if dirty else " (clean)")


def rerun_on_snapshot(ref: str, argv: list[str]) -> int:
    """Extract `git archive REF` into a temp folder and run this script again against it."""
    here = Path(__file__).resolve().parents[1]
    sha = subprocess.run(["git", "-C", str(here), "rev-parse", "--short", ref], capture_output=True, text=True,
                         check=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="cjm-bench-src-") as src:
        archive = subprocess.run(["git", "-C", str(here), "archive", "--format=tar", ref], capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", src], input=archive, check=True)
        log(f"measuring {ref} ({sha}) extracted to {src}")
        env = {**os.environ, "CJM_BENCH_ROOT": src, "CJM_BENCH_REF": f"{ref} ({sha})"}
        return subprocess.run([sys.executable, str(Path(__file__).resolve()), *argv], env=env).returncode


def section(func: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """One section's figures, or {"error": ...}: a failing section must not lose the others."""
    try:
        return func()
    except Exception as exc:
        log(f"section failed: {type(exc).__name__}: {exc}")
        return {"error": f"{type(exc).__name__}: {exc}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip scaling; 1 repetition of the slow parts (< 60 s)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of small measurements (median)")
    parser.add_argument("--copies", type=int, default=SCALE_COPIES, help="sample copies for the scaling run")
    parser.add_argument("--ref", help="measure this git commit (e.g. HEAD) from a clean snapshot, not the working tree")
    parser.add_argument("--child-e2e", nargs=3, metavar=("FOLDER", "OUT", "REPEAT"), help=argparse.SUPPRESS)
    parser.add_argument("--child-natasha", type=int, metavar="REPEAT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_e2e:
        folder, out, repeat = args.child_e2e
        child_e2e(folder, out, int(repeat))
        return
    if args.child_natasha is not None:
        child_natasha(args.child_natasha)
        return

    if args.ref and not os.environ.get("CJM_BENCH_ROOT"):
        argv = sys.argv[1:]
        i = argv.index("--ref") if "--ref" in argv else None
        argv = argv[:i] + argv[i + 2:] if i is not None else [a for a in argv if not a.startswith("--ref=")]
        sys.exit(rerun_on_snapshot(args.ref, argv))

    started = time.perf_counter()
    res: dict[str, Any] = {"meta": {
        "code": git_state(ROOT),
        "python": sys.version.split()[0], "cpus": os.cpu_count(),
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()), "quick": args.quick,
        "repeat": args.repeat, "root": str(ROOT),
    }}
    # The child processes run first, while this process is still small: on Linux a child's
    # ru_maxrss (what os.wait4 reports for the CLI run) starts from its parent's RSS at fork.
    with tempfile.TemporaryDirectory(prefix="cjm-bench-") as tmp_name:
        tmp = Path(tmp_name)
        # quick: one analyse/report/CLI pass; full: the warm library figures are medians of 2, the CLI runs twice
        res["e2e"] = section(lambda: bench_e2e(tmp, 1 if args.quick else min(args.repeat, 2)))
        if not args.quick:
            res["scaling"] = section(lambda: bench_scaling(tmp, args.copies))
    res["natasha"] = section(lambda: bench_natasha(1 if args.quick else args.repeat))

    import spacy

    res["meta"]["spacy"] = spacy.__version__
    res["nlp"] = section(lambda: bench_nlp(load_corpus(), args.repeat))
    nat = res["natasha"]
    if "seconds" in nat and "error" not in res["nlp"]:
        nat["words_per_s"] = res["nlp"]["corpus"]["ru"]["words"] / nat["seconds"]
        nat["vs_tokenizer"] = res["nlp"]["tokenizer"]["ru"]["seconds"] / nat["seconds"]
    res["meta"]["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    res["meta"]["wall_s"] = time.perf_counter() - started
    if args.json:
        print(json.dumps(res, ensure_ascii=False, indent=2))
    else:
        print(table(res))


if __name__ == "__main__":
    main()
