"""The journey cache: a re-run reads what did not change, and never serves a stale label."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cjm import cache as cache_module
from cjm.cache import JourneyCache, canonical, entry_key, run_fingerprint
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
