"""The journey cache: a re-run reads what did not change, and never serves a stale label."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cjm import cache as cache_module
from cjm.cache import JourneyCache, canonical, entry_key, memo, run_fingerprint
from cjm.codebook import load_codebook
from cjm.export import journeys_document
from cjm.pipeline import analyse

SAMPLE = Path(__file__).resolve().parents[1] / "interviews"
CODEBOOKS = Path(__file__).resolve().parent / "data" / "codebooks"


@pytest.fixture()
def series(tmp_path):
    folder = tmp_path / "series"
    folder.mkdir()
    for path in sorted(SAMPLE.glob("*.txt"))[:3]:
        shutil.copy(path, folder / path.name)
    return folder


def document(result) -> str:
    return json.dumps(journeys_document(result.journeys, result.problems), sort_keys=True, ensure_ascii=False)


def counting(monkeypatch) -> list[str]:
    """Record which interviews are really analysed."""
    import cjm.pipeline as pipeline

    analysed: list[str] = []
    real = pipeline.analyse_transcript

    def spy(transcript, *args):
        analysed.append(transcript.id)
        return real(transcript, *args)

    monkeypatch.setattr(pipeline, "analyse_transcript", spy)
    return analysed


def test_a_second_run_reads_the_cache_and_gives_the_same_journeys(series, tmp_path, monkeypatch):
    analysed = counting(monkeypatch)
    first = analyse(series, cache_dir=tmp_path / "cache")
    assert len(analysed) == 3
    second = analyse(series, cache_dir=tmp_path / "cache")
    assert len(analysed) == 3  # nothing analysed again
    assert document(second) == document(first)


def test_an_edited_transcript_is_analysed_again_and_only_it(series, tmp_path, monkeypatch):
    analyse(series, cache_dir=tmp_path / "cache")
    edited = sorted(series.glob("*.txt"))[1]
    text = edited.read_text(encoding="utf-8")
    lines = text.splitlines()
    # drop the respondent's last turn: the journey must change, and the cache must not hide it
    edited.write_text("\n".join(lines[:-2]) + "\n", encoding="utf-8")
    analysed = counting(monkeypatch)
    cached = analyse(series, cache_dir=tmp_path / "cache")
    assert len(analysed) == 1
    fresh = analyse(series)  # no cache at all
    assert document(cached) == document(fresh)


def test_a_changed_codebook_or_model_or_option_misses(series, tmp_path, monkeypatch):
    analyse(series, cache_dir=tmp_path / "cache")
    analysed = counting(monkeypatch)
    analyse(series, cache_dir=tmp_path / "cache", rules_only=True)
    assert len(analysed) == 3
    analyse(series, cache_dir=tmp_path / "cache", language="ru")  # the three are English
    assert len(analysed) == 6
    own = CODEBOOKS / "extend.yaml"
    if not own.exists():
        pytest.fail(f"fixture {own} is missing")
    book = load_codebook(own)
    fresh = analyse(series, codebook=book)
    cached = analyse(series, codebook=book, cache_dir=tmp_path / "cache")
    assert len(analysed) == 12
    assert document(cached) == document(fresh)


def test_the_run_key_changes_with_cjm_s_own_files(monkeypatch):
    book = load_codebook(None)
    before = run_fingerprint(book, None, True)
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "another build")
    assert run_fingerprint(book, None, True) != before


def test_keys_do_not_depend_on_set_order():
    assert canonical({"b": {3, 1, 2}, "a": (1,)}) == {"a": [1], "b": [1, 2, 3]}


def test_a_damaged_entry_is_a_miss(tmp_path, series):
    cache = JourneyCache(tmp_path / "cache")
    result = analyse(series)
    from cjm.ingest import read_folder

    transcript = read_folder(series)[0][0]
    key = entry_key(transcript, "run")
    cache.put(key, result.journeys[0])
    assert cache.get(key) is not None
    cache.path(key).write_bytes(b"not a pickle")
    assert cache.get(key) is None
    assert (cache.hits, cache.misses) == (1, 1)


# --------------------------------------------------------------------------- the report's parts

def report(series: Path, out: Path, *args: str):
    from click.testing import CliRunner

    from cjm.cli import cli

    result = CliRunner().invoke(cli, ["report", str(series), "-o", str(out), "-j", "1", "--quiet", *map(str, args)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def files(folder: Path) -> dict[str, bytes]:
    """Every file of a report folder by its relative path (the report has no volatile part: a run
    of the same input writes the same bytes, which these tests rely on)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def same_report(cached: Path, fresh: Path) -> None:
    a, b = files(cached), files(fresh)
    assert sorted(a) == sorted(b)
    differing = [name for name in a if a[name] != b[name]]
    assert not differing, f"the cached run wrote other bytes in {differing}"


def test_a_cached_report_is_byte_identical_to_an_uncached_one_after_an_edit(series, tmp_path):
    cache = tmp_path / "cache"
    first = files(report(series, tmp_path / "first", "--cache-dir", cache))
    warm = report(series, tmp_path / "warm", "--cache-dir", cache)
    same_report(warm, tmp_path / "first")  # everything from the cache: the same report
    edited = sorted(series.glob("*.txt"))[1]
    lines = edited.read_text(encoding="utf-8").splitlines()
    marker = "Zyxwvut"  # a word no interview has: it must reach the page and journeys.json
    speaker_line = next(i for i in range(len(lines) - 1, 0, -1) if ":" in lines[i])
    head, text = lines[speaker_line].split(":", 1)
    lines[speaker_line] = f"{head}: {marker}. {text.strip()}"
    edited.write_text("\n".join(lines[:-4] + [lines[speaker_line]]) + "\n", encoding="utf-8")
    cached = report(series, tmp_path / "cached", "--cache-dir", cache)
    fresh = report(series, tmp_path / "fresh", "--no-cache")
    same_report(cached, fresh)
    after = files(cached)
    changed = sorted(name for name in after if after[name] != first.get(name))
    pages = [name for name in changed if name.startswith("interviews/")]
    assert len(pages) == 1 and marker.encode() in after[pages[0]]  # the edited interview's page, only it
    assert "journeys.json" in changed and marker.encode() in after["journeys.json"]
    assert "index.html" in changed or "evidence.html" in changed


def test_a_re_run_into_the_same_folder_links_the_pages_it_would_write_unchanged(series, tmp_path):
    """The report replacing an older one in place takes each file whose bytes are the same from it
    (a hard link) and writes the rest: after an edit, the edited interview's page is a new file,
    the others are the old files, and the folder is byte for byte what an uncached run writes."""
    cache, out = tmp_path / "cache", tmp_path / "report"
    report(series, out, "--cache-dir", cache)
    inodes = {name: (out / name).stat().st_ino for name in files(out)}
    edited = sorted(series.glob("*.txt"))[1]
    edited.write_text(edited.read_text(encoding="utf-8").replace(": ", ": Zyxwvut. ", 1), encoding="utf-8")
    report(series, out, "--cache-dir", cache)
    same_report(out, report(series, tmp_path / "fresh", "--no-cache"))
    kept = {name for name in files(out) if (out / name).stat().st_ino == inodes.get(name)}
    pages = {name for name in inodes if name.startswith("interviews/")}
    assert len(pages) == 3 and len(pages - kept) == 1  # the edited interview's page alone was written
    assert b"Zyxwvut" in (out / next(iter(pages - kept))).read_bytes()
    assert {"assets/plotly.gz.js", "assets/report.css"} <= kept and "journeys.json" not in kept


def test_a_changed_codebook_or_model_never_serves_a_cached_page(series, tmp_path):
    cache = tmp_path / "cache"
    model_run = files(report(series, tmp_path / "model", "--cache-dir", cache))
    rules = report(series, tmp_path / "rules", "--cache-dir", cache, "--rules-only")
    same_report(rules, report(series, tmp_path / "rules-fresh", "--no-cache", "--rules-only"))
    own = CODEBOOKS / "extend.yaml"
    book = report(series, tmp_path / "book", "--cache-dir", cache, "--codebook", own)
    same_report(book, report(series, tmp_path / "book-fresh", "--no-cache", "--codebook", own))
    # the labels differ between the model and the rules: the pages show it, none is served stale
    rules_files = files(rules)
    assert rules_files["journeys.json"] != model_run["journeys.json"]
    assert any(rules_files[n] != model_run[n] for n in model_run if n.startswith("interviews/"))


def test_journeys_json_from_cached_parts_is_the_whole_document_s_text(series, tmp_path):
    from cjm.cache import Pieces
    from cjm.export import journeys_json

    result = analyse(series, cache_dir=tmp_path / "cache")
    result.journeys[0].transcript.metadata["odd"] = float("nan")  # the strict-JSON fallback, per part
    pieces = Pieces(JourneyCache(tmp_path / "cache"), result.keys)
    whole = journeys_json(result.journeys, result.problems)
    assert journeys_json(result.journeys, result.problems, pieces) == whole  # made, then stored
    assert journeys_json(result.journeys, result.problems, pieces) == whole  # read back
    assert journeys_json([], result.problems, pieces) == journeys_json([], result.problems)


def test_a_part_is_keyed_by_its_journey_and_what_else_it_names(tmp_path):
    from cjm.cache import Pieces

    made: list[bytes] = []

    def make(data: bytes):
        return lambda: made.append(data) or data

    store = JourneyCache(tmp_path / "cache")
    one = Pieces(store, {"a": "key-1"})
    assert one.one("page", "a", {"lang": "en"}, make(b"x")) == b"x"
    assert one.one("page", "a", {"lang": "en"}, make(b"y")) == b"x"  # the same journey: cached
    assert one.one("page", "a", {"lang": "ru"}, make(b"z")) == b"z"  # another language: made
    assert Pieces(store, {"a": "key-2"}).one("page", "a", {"lang": "en"}, make(b"w")) == b"w"  # edited journey
    assert Pieces(store, {}).one("page", "a", {"lang": "en"}, make(b"v")) == b"v"  # no key: never cached
    assert made == [b"x", b"z", b"w", b"v"]


def test_unchanged_files_are_not_parsed_again_and_edited_ones_are(series, tmp_path, monkeypatch):
    import cjm.ingest as ingest
    from cjm.ingest import read_folder

    parsed: list[str] = []
    real = ingest.transcript_from_bytes
    monkeypatch.setattr(ingest, "transcript_from_bytes", lambda data, path, *a: parsed.append(path.name) or
                        real(data, path, *a))
    store = JourneyCache(tmp_path / "cache")
    first, _ = read_folder(series, cache=store)
    assert len(parsed) == 3
    again, _ = read_folder(series, cache=store)
    assert len(parsed) == 3 and canonical(again) == canonical(first)
    edited = sorted(series.glob("*.txt"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nExtra line.\n", encoding="utf-8")
    read_folder(series, cache=store)
    assert parsed[3:] == [edited.name]
    read_folder(series, cache=store, language="ru")  # another option: all parsed again
    assert len(parsed) == 7


def test_the_codebook_check_is_skipped_only_for_a_codebook_that_passed(series, tmp_path, monkeypatch):
    import cjm.rules as rules
    from cjm.errors import CjmError

    checked: list[str] = []
    real = rules.validate_patterns
    monkeypatch.setattr(rules, "validate_patterns", lambda book: checked.append(book.source) or real(book))
    analyse(series, cache_dir=tmp_path / "cache")
    analyse(series, cache_dir=tmp_path / "cache")
    assert len(checked) == 1
    with pytest.raises(CjmError):
        analyse(series, codebook=CODEBOOKS / "bad_yaml.yaml", cache_dir=tmp_path / "cache")


def test_memo_computes_once_per_arguments(tmp_path):
    calls: list[tuple] = []
    store = JourneyCache(tmp_path / "cache")

    def square(*args):
        return memo(store, "square", args, lambda: calls.append(args) or args[0] ** 2)

    assert square(3) == 9 and square(3) == 9 and square(4) == 16
    assert calls == [(3,), (4,)]
    assert memo(store, "square", (0, 0), lambda: None) is None  # None is a value too
    assert memo(store, "square", (0, 0), lambda: 1.0) is None


def test_an_entry_that_will_not_load_is_analysed_again_beside_an_edit(series, tmp_path):
    """The cache is asked which entries exist before the edited interview's worker starts; one that
    exists but is damaged is found only when read, and is analysed then (with two jobs: the edited
    one in a worker forked at once, the damaged one after it)."""
    cache_dir = tmp_path / "cache"
    analyse(series, cache_dir=cache_dir, jobs=2)
    files = sorted(series.glob("*.txt"))
    damaged = JourneyCache(cache_dir)
    entries = sorted(p for p in cache_dir.glob("??/*.pickle"))
    assert len(entries) == 3
    for entry in entries:
        entry.write_bytes(b"not a pickle")
    files[1].write_text(files[1].read_text(encoding="utf-8").replace(": ", ": Well, ", 1), encoding="utf-8")
    cached = analyse(series, cache_dir=cache_dir, jobs=2)
    assert document(cached) == document(analyse(series))
    assert len(cached.journeys) == 3 and not cached.problems
    assert all(damaged.get(key) is not None for key in cached.keys.values())  # stored again, readable


def test_a_run_from_the_cache_loads_no_nlp_library(series, tmp_path):
    """spaCy, natasha, pymorphy3, scipy and plotly's figures are imported only when an interview is
    tagged, a p value or a chart computed: a report whose parts all come from the cache needs none."""
    import subprocess
    import sys

    cache = tmp_path / "cache"
    code = ("import sys\nfrom cjm.cli import cli\n"
            "cli(['report', sys.argv[1], '-o', sys.argv[2], '-j', '1', '--quiet', '--cache-dir', sys.argv[3]],"
            " standalone_mode=False)\n"
            "print(' '.join(m for m in ('spacy', 'natasha', 'pymorphy3', 'scipy', 'plotly.graph_objects')"
            " if m in sys.modules))\n")

    def loaded(out: str) -> set[str]:
        run = subprocess.run([sys.executable, "-c", code, str(series), str(tmp_path / out), str(cache)],
                             capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1], check=True)
        return set(run.stdout.split())

    assert {"spacy", "pymorphy3", "plotly.graph_objects"} <= loaded("first")  # tagged, charts drawn
    assert loaded("second") == set()
    same_report(tmp_path / "second", tmp_path / "first")


def test_the_model_s_feature_check_is_skipped_only_for_a_model_that_passed(tmp_path, monkeypatch):
    from cjm import tagger_model
    from cjm.errors import UsageError
    from cjm.pipeline import resolve_model

    checked: list[str] = []
    real = tagger_model.check_features
    monkeypatch.setattr("cjm.pipeline.check_features", lambda model: checked.append(model.source) or real(model))
    store = JourneyCache(tmp_path / "cache")
    shipped = tagger_model.default_model()
    path = tagger_model.save_model(shipped, tmp_path / "m.zip")
    assert resolve_model(path, store).blobs == shipped.blobs
    resolve_model(path, store)
    assert checked == [str(path)]  # passed once with this cjm: not checked again
    other = tagger_model.TaggerModel(shipped.blobs, {**shipped.meta, "feature_version": -1})
    with pytest.raises(UsageError, match="trained on features of version"):
        resolve_model(tagger_model.save_model(other, tmp_path / "other.zip"), store)
    with pytest.raises(UsageError, match="trained on features of version"):  # a failed check leaves no marker
        resolve_model(tmp_path / "other.zip", store)


def test_a_chart_is_cached_under_everything_it_shows(tmp_path, monkeypatch):
    from cjm import charts
    from cjm.aggregate import build_tables
    from cjm.cache import Pieces
    from cjm.render import Builder

    book = load_codebook(None)
    drawn: list[tuple] = []
    real = charts.funnel

    def funnel(lang, **args):
        drawn.append((lang, args["groups"]))
        return real(lang, **args)

    funnel.__name__ = "funnel"
    store = JourneyCache(tmp_path / "cache")

    def chart(lang: str, groups: list) -> str:
        builder = Builder([], [], book, build_tables([], book), lang, None, Pieces(store, {}))
        return builder.chart(funnel, stage_names=["a", "b"], groups=groups, title=["x", "y"]).figure

    one = [("g", 2, [2, 1])]
    first = chart("en", one)
    assert chart("en", one) == first and len(drawn) == 1  # the same arguments: from the cache
    assert chart("en", [("g", 2, [2, 2])]) != first and len(drawn) == 2  # another count: drawn again
    assert chart("ru", one) != first and len(drawn) == 3  # another language (its number format): drawn again
    assert chart("ru", one) and len(drawn) == 3


def test_a_cached_group_section_links_to_the_blocks_a_build_in_place_makes(series, tmp_path):
    from cjm.aggregate import build_tables
    from cjm.cache import Pieces
    from cjm.render import Builder

    result = analyse(series, cache_dir=tmp_path / "cache")
    pieces = Pieces(result.cache, result.keys)
    tables = build_tables(result.journeys, result.codebook)

    def build(pieces, lang: str = "en"):
        builder = Builder(result.journeys, result.problems, result.codebook, tables, lang, None, pieces)
        builder.count(1, "a block made before", ids=[result.journeys[0].id])  # the ids of the groups' blocks move
        groups = [builder.sections.cached_group(gid, g, pieces) for gid, g in tables.groups.items()]
        return groups, builder.sections.findings(pieces), builder.evidence

    in_place = build(None)
    assert build(pieces) == in_place  # made with a book of its own, stored, then relinked
    assert build(pieces) == in_place  # read back from the cache
    assert build(pieces, "ru") == build(None, "ru") != in_place  # another language is its own entry


def test_relink_moves_only_evidence_links_and_each_once():
    from cjm.flowchart import FlowChart, Label, Link
    from cjm.sections import Count, Quote, relink

    label = Label(0, 0, 10, "3", "evidence.html#ev-1")
    chart = FlowChart(100, 100, [], [Link("forward", "M0 0", 2, "#000", label)], 3, labels=[label])  # one label, twice
    quote = Quote("a", 2, "evidence.html#ev-1", "interviews/a.html#u-2")
    section = {"count": Count(3, "evidence.html#ev-2"), "none": Count(0), "chart": chart, "quotes": [quote]}
    relink(section, {"ev-1": "ev-7", "ev-2": "ev-1"})
    assert label.href == "evidence.html#ev-7"  # not moved again through its second place
    assert section["count"].href == "evidence.html#ev-1" and section["none"].href == ""
    assert quote.href == "interviews/a.html#u-2" and quote.text == "evidence.html#ev-1"  # text is never a link


# --------------------------------------------------------------------------- the cache's size

def entry(folder: Path, kind: str, key_char: str, size: int, age_days: float) -> Path:
    """A cache file of `size` bytes last used `age_days` ago, where cjm would put it."""
    key = key_char * 64
    path = (folder / key[:2] if kind == "journeys" else folder / kind / key[:2]) / f"{key}.pickle"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    when = 1_700_000_000 - age_days * 86400
    import os

    os.utime(path, (when, when))
    return path


def test_a_cache_over_its_limit_loses_its_least_recently_used_files_first(tmp_path):
    from cjm.cache import KEEP_SHARE, prune

    store = JourneyCache(tmp_path)
    oldest = entry(tmp_path, "page", "a", 400, age_days=30)
    older = entry(tmp_path, "journeys", "b", 400, age_days=20)
    recent = entry(tmp_path, "page", "c", 400, age_days=1)
    used_but_old = entry(tmp_path, "transcript", "d", 400, age_days=40)
    store.used.add(str(used_but_old))
    foreign = tmp_path / "notes.txt"  # a user's file in the folder: never cjm's to delete
    foreign.write_bytes(b"y" * 5000)
    removed, freed, left = prune(store, limit=1400)  # 1,600 bytes of cjm's files: 200 too many
    assert (removed, freed, left) == (2, 800, 800) and left <= 1400 * KEEP_SHARE  # down to 80%, not just under
    assert not oldest.exists() and not older.exists()
    assert recent.exists() and used_but_old.exists() and foreign.exists()
    assert used_but_old.stat().st_mtime > recent.stat().st_mtime  # touched: recent for the next prune


def test_a_cache_under_its_limit_is_not_pruned(tmp_path):
    from cjm.cache import prune

    kept = [entry(tmp_path, "page", c, 100, age_days=i) for i, c in enumerate("abc")]
    assert prune(JourneyCache(tmp_path), limit=300) == (0, 0, 300)
    assert all(path.exists() for path in kept)


def test_a_young_temporary_file_may_be_another_runs_write_and_stays(tmp_path):
    from cjm.cache import prune

    young = tmp_path / "page" / "aa" / "tmpk3j_x9.tmp"
    young.parent.mkdir(parents=True)
    young.write_bytes(b"x" * 1000)
    stale = entry(tmp_path, "page", "a", 10, age_days=0).with_name("tmpold1.tmp")
    stale.write_bytes(b"x" * 1000)
    import os

    os.utime(stale, (1_700_000_000, 1_700_000_000))
    prune(JourneyCache(tmp_path), limit=100)
    assert young.exists() and not stale.exists()


def test_tidy_walks_the_folder_only_when_its_estimate_passes_the_limit(tmp_path, monkeypatch):
    from cjm.cache import ESTIMATE_FILE, tidy

    entry(tmp_path, "page", "a", 600, age_days=3)
    store = JourneyCache(tmp_path)
    assert tidy(store, limit=1000) is None  # no estimate yet: counted once, under the limit
    assert json.loads((tmp_path / ESTIMATE_FILE).read_text()) == {"bytes": 600}
    walks = []
    real = cache_module.own_files
    monkeypatch.setattr(cache_module, "own_files", lambda folder: walks.append(folder) or real(folder))
    store.written = 300
    assert tidy(store, limit=1000) is None and walks == []  # 900 by the estimate: no walk
    assert json.loads((tmp_path / ESTIMATE_FILE).read_text()) == {"bytes": 900}
    entry(tmp_path, "page", "b", 600, age_days=1)  # (the estimate said 900: 300 were not there)
    store = JourneyCache(tmp_path)
    store.written = 600
    assert tidy(store, limit=1000) == (1, 600, 600)  # 1,500 by the estimate: walked (1,200) and pruned
    assert walks and json.loads((tmp_path / ESTIMATE_FILE).read_text()) == {"bytes": 600}
    walks.clear()
    (tmp_path / ESTIMATE_FILE).write_text('{"bytes": 1000}')
    assert tidy(JourneyCache(tmp_path), limit=1000) is None and walks == []  # at the limit is not over it
    import os

    os.utime(tmp_path / ESTIMATE_FILE, (1_600_000_000, 1_600_000_000))
    assert tidy(JourneyCache(tmp_path), limit=1000) is None
    assert (tmp_path / ESTIMATE_FILE).stat().st_mtime == 1_600_000_000  # a run that wrote nothing writes nothing
    for broken in ('{"bytes": -5}', "{}", "not json"):
        (tmp_path / ESTIMATE_FILE).write_text(broken)
        assert tidy(JourneyCache(tmp_path), limit=1000) is None and walks  # recounted
        assert json.loads((tmp_path / ESTIMATE_FILE).read_text()) == {"bytes": 600}
        walks.clear()
    (tmp_path / ESTIMATE_FILE).write_text('{"bytes": 0}')  # an empty cache's estimate is an estimate
    assert tidy(JourneyCache(tmp_path), limit=1000) is None and walks == []


def test_the_size_limit_comes_from_the_environment(monkeypatch):
    from cjm.cache import DEFAULT_MAX_MB, ENV_MAX_MB, max_bytes
    from cjm.errors import UsageError

    monkeypatch.delenv(ENV_MAX_MB, raising=False)
    assert max_bytes() == DEFAULT_MAX_MB * 1_000_000
    monkeypatch.setenv(ENV_MAX_MB, "1.5")
    assert max_bytes() == 1_500_000
    monkeypatch.setenv(ENV_MAX_MB, "0.5")
    assert max_bytes() == 500_000
    monkeypatch.setenv(ENV_MAX_MB, "0")
    assert max_bytes() is None
    monkeypatch.setenv(ENV_MAX_MB, "lots")
    with pytest.raises(UsageError, match="CJM_CACHE_MAX_MB"):
        max_bytes()


def test_clear_deletes_cjms_files_only(tmp_path):
    from cjm.cache import clear, usage

    entry(tmp_path, "page", "a", 10, age_days=1)
    entry(tmp_path, "journeys", "b", 20, age_days=1)
    (tmp_path / "jinja").mkdir()
    (tmp_path / "jinja" / ("__jinja2_" + "0" * 40 + ".cache")).write_bytes(b"z" * 5)
    mine = tmp_path / "mine" / "keep.pickle"  # not a key: not cjm's
    mine.parent.mkdir()
    mine.write_bytes(b"k")
    (tmp_path / "empty-of-mine").mkdir()
    assert usage(tmp_path).kinds == {"page": [1, 10], "journeys": [1, 20], "jinja": [1, 5]}
    (tmp_path / "size.json").write_text('{"bytes": 35}')
    assert clear(tmp_path) == (3, 35)
    assert not (tmp_path / "size.json").exists()
    assert mine.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["empty-of-mine", "mine"]  # cjm's folders gone


def test_a_run_records_what_it_used_and_wrote(series, tmp_path):
    result = analyse(series, cache_dir=tmp_path / "cache")
    assert result.cache.written > 0 and len(result.cache.used) >= len(result.journeys)
    again = analyse(series, cache_dir=tmp_path / "cache")
    assert again.cache.written == 0 and {str(again.cache.path(k)) for k in again.keys.values()} <= again.cache.used


def test_tidy_without_a_limit_or_a_folder_does_nothing(tmp_path, monkeypatch):
    from cjm.cache import ENV_MAX_MB, ESTIMATE_FILE, tidy

    entry(tmp_path, "page", "a", 600, age_days=3)
    monkeypatch.setenv(ENV_MAX_MB, "0")  # no limit
    store = JourneyCache(tmp_path)
    store.written = 10**12
    assert tidy(store) is None and not (tmp_path / ESTIMATE_FILE).exists()
    assert tidy(JourneyCache(tmp_path / "never-made"), limit=1) is None and not (tmp_path / "never-made").exists()
