"""The per-interview map: the same journeys serially, in processes and on Dask; a worker that dies
or fails costs only its own interview."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
from functools import partial
from pathlib import Path

import pytest

from cjm import executor
from cjm.codebook import load_codebook
from cjm.export import journeys_document
from cjm.ingest import read_folder
from cjm.pipeline import analyse_all, analyse_transcript, resolve_model

SAMPLE = Path(__file__).resolve().parents[1] / "interviews"


@pytest.fixture(scope="module")
def three():
    transcripts, _ = read_folder(SAMPLE)
    chosen = [t for t in transcripts if t.language == "ru"][:2] + [t for t in transcripts if t.language == "en"][:1]
    assert len(chosen) == 3
    return chosen


@pytest.fixture(scope="module")
def work():
    return partial(analyse_transcript, codebook=load_codebook(None), model=resolve_model(None))


def document(journeys, problems=()) -> str:
    return json.dumps(journeys_document(journeys, list(problems)), sort_keys=True, ensure_ascii=False)


def dies_on(marker: str, transcript):
    """A stand-in for the analysis whose worker is killed on one interview."""
    if transcript.id == marker:
        os.kill(os.getpid(), signal.SIGKILL)
    return f"journey of {transcript.id}"


def fails_on(marker: str, transcript):
    if transcript.id == marker:
        raise RuntimeError("boom")
    return f"journey of {transcript.id}"


def test_processes_give_the_serial_journeys(three, work):
    serial = executor.run(three, work, jobs=1)
    pooled = executor.run(three, work, jobs=2)
    assert [o.index for o in pooled] == [0, 1, 2]
    assert all(o.journey is not None for o in serial + pooled)
    assert document([o.journey for o in pooled]) == document([o.journey for o in serial])


def test_a_killed_worker_costs_only_its_interview(three):
    victim = three[1].id
    outcomes = executor.run(three, partial(dies_on, victim), jobs=2)
    assert [o.journey for o in outcomes] == [f"journey of {three[0].id}", None, f"journey of {three[2].id}"]
    assert outcomes[1].problem.source == three[1].source
    assert outcomes[1].problem.message == executor.WORKER_DIED


def test_an_error_in_the_analysis_is_that_interview_s_problem(three):
    for jobs in (1, 2):
        outcomes = executor.run(three, partial(fails_on, three[0].id), jobs=jobs)
        assert outcomes[0].journey is None
        assert "RuntimeError: boom" in outcomes[0].problem.message
        assert [o.journey for o in outcomes[1:]] == [f"journey of {t.id}" for t in three[1:]]


def test_progress_counts_every_interview(three):
    seen: list[tuple[int, int]] = []
    executor.run(three, partial(fails_on, "none"), jobs=2, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (3, 3) and len(seen) == 3


@pytest.mark.parametrize("count, jobs, executor_name, at_once", [
    (1, 2, "local", True), (2, 2, "local", True), (3, 2, "local", False),  # more interviews than workers
    (1, 1, "local", False), (0, 2, "local", False), (1, 2, "dask", False)])
def test_workers_fork_at_once_only_for_a_few_interviews_on_a_local_pool(count, jobs, executor_name, at_once):
    assert executor.forks_at_once(count, jobs, executor_name) is at_once


def test_a_started_map_runs_while_the_caller_works(three, work):
    """`start` forks its workers before it returns (the caller reads its cache meanwhile), and its
    journeys are those of the serial run."""
    two = three[:2]
    before = set(multiprocessing.active_children())
    collect = executor.start(two, work, jobs=2)
    assert len(set(multiprocessing.active_children()) - before) == 2  # already working, before `collect`
    outcomes = collect()
    assert document([o.journey for o in outcomes]) == document([o.journey for o in executor.run(two, work, jobs=1)])


def test_a_started_map_loses_only_the_interview_that_kills_its_worker(three):
    two = three[:2]
    seen: list[tuple[int, int]] = []
    outcomes = executor.start(two, partial(dies_on, two[0].id), jobs=2,
                              progress=lambda done, total: seen.append((done, total)))()
    assert outcomes[0].journey is None and outcomes[0].problem.message == executor.WORKER_DIED
    assert outcomes[0].problem.source == two[0].source
    assert outcomes[1].journey == f"journey of {two[1].id}"
    assert seen[-1] == (2, 2)


def test_a_started_map_of_many_runs_when_collected(three):
    collect = executor.start(three, partial(fails_on, "none"), jobs=2)
    assert not multiprocessing.active_children()  # three interviews, two workers: `run` does it all later
    assert [o.journey for o in collect()] == [f"journey of {t.id}" for t in three]


def worker_pid(transcript):
    return os.getpid()


def test_a_warm_worker_takes_a_single_interview(three):
    warm = executor.WarmPool.begin(2)
    assert warm is not None and executor.WarmPool.begin(1) is None  # one job: nothing to fork
    warm_pid = warm.process.pid
    seen: list[tuple[int, int]] = []
    outcomes = executor.start(three[:1], worker_pid, jobs=2, warm=warm,
                              progress=lambda done, total: seen.append((done, total)))()
    assert outcomes[0].journey == warm_pid != os.getpid()
    assert seen == [(1, 1)]
    assert warm.process is None  # taken: `close` has nothing left to do


def test_a_warm_worker_is_stopped_where_more_than_one_interview_is_to_tag(three):
    warm = executor.WarmPool.begin(2)
    process = warm.process
    outcomes = executor.start(three[:2], worker_pid, jobs=2, warm=warm)()
    assert not process.is_alive() and warm.process is None
    assert process.pid not in {o.journey for o in outcomes} and os.getpid() not in {o.journey for o in outcomes}


def test_a_warm_worker_that_dies_costs_only_its_interview(three):
    warm = executor.WarmPool.begin(2)
    outcomes = executor.start(three[:1], partial(dies_on, three[0].id), jobs=2, warm=warm)()
    assert outcomes[0].journey is None and outcomes[0].problem.message == executor.WORKER_DIED
    assert outcomes[0].problem.source == three[0].source


def test_an_unused_warm_worker_is_stopped_at_once():
    warm = executor.WarmPool.begin(2)
    process = warm.process
    warm.close()
    assert not process.is_alive() and warm.process is None
    warm.close()  # twice is harmless


def test_a_run_with_a_filled_cache_starts_a_warm_worker_and_one_without_does_not(tmp_path, monkeypatch):
    from cjm import pipeline

    started: list[bool] = []
    real = executor.WarmPool.begin
    monkeypatch.setattr(executor.WarmPool, "begin", classmethod(lambda cls, *a: started.append(True) or real(*a)))
    folder = tmp_path / "series"
    folder.mkdir()
    source = sorted(SAMPLE.glob("en-*.txt"))[0]
    (folder / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    first = pipeline.analyse(folder, cache_dir=tmp_path / "cache", jobs=2)
    assert started == []  # an empty cache: every interview is to tag
    (folder / source.name).write_text(source.read_text(encoding="utf-8").replace(": ", ": Well, ", 1), encoding="utf-8")
    edited = pipeline.analyse(folder, cache_dir=tmp_path / "cache", jobs=2)
    assert started == [True]
    assert len(edited.journeys) == 1 and not edited.problems
    assert document(edited.journeys) == document(pipeline.analyse(folder).journeys)  # the same as uncached
    assert document(first.journeys) != document(edited.journeys)


def test_the_work_of_a_local_run_names_the_cache_for_natasha_s_parses(tmp_path, monkeypatch, three):
    """The warm worker forks before the run keeps parses in its cache: the work tells it where."""
    from cjm import pipeline, syntax

    seen: list = []
    monkeypatch.setattr(pipeline, "start_tagging", lambda transcripts, book, work, *a, **k: seen.append(work) or (lambda: []))
    book, model = load_codebook(None), resolve_model(None)
    pipeline.analyse_keyed(three[:1], book, model, cache=pipeline.JourneyCache(tmp_path / "c"))
    pipeline.analyse_keyed(three[:1], book, model, cache=pipeline.JourneyCache(tmp_path / "c"), executor="dask")
    pipeline.analyse_keyed(three[:1], book, model)
    assert [work.keywords["parses"] for work in seen] == [tmp_path / "c", None, None]
    try:
        syntax.keep_parses(None)
        pipeline.analyse_reviewed(three[0], book, model, {}, parses=tmp_path / "c")
        assert syntax._STORE and syntax._STORE[0].folder == tmp_path / "c"
    finally:
        syntax.keep_parses(None)


def test_an_unknown_executor_is_refused(three):
    with pytest.raises(ValueError, match="unknown executor"):
        executor.run(three, partial(fails_on, "none"), executor="spark")


def test_dask_gives_the_local_journeys(three, work):
    distributed = pytest.importorskip("distributed", reason="dask's distributed is the 'dask' extra of cjm")
    local, _ = analyse_all(three, work.keywords["codebook"], work.keywords["model"], jobs=1)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote, problems = analyse_all(three, work.keywords["codebook"], work.keywords["model"],
                                       executor="dask", scheduler=cluster.scheduler_address)
    assert problems == []
    assert document(remote) == document(local)


def test_longest_interviews_go_to_the_pool_first(three):
    sizes = [sum(len(u.text) for u in t.utterances) for t in three]
    order = executor.longest_first(three, [0, 1, 2])
    assert sorted(order) == [0, 1, 2]
    assert [sizes[i] for i in order] == sorted(sizes, reverse=True)


def test_the_tuned_collector_is_given_back_to_the_caller():
    import gc

    before = gc.get_threshold()
    with executor.tuned_gc():
        assert gc.get_threshold() == executor.GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_only_cjm_s_own_process_keeps_its_heap_for_the_run(monkeypatch):
    import gc

    monkeypatch.setitem(executor._OWN_PROCESS, "settled", False)  # (a test may have run cjm.cli.main)
    frozen = gc.get_freeze_count()
    assert executor.keep_for_the_run() is False and gc.get_freeze_count() == frozen  # a library caller: untouched
    before = gc.get_threshold()
    try:
        executor.settle_own_process()
        assert gc.get_threshold() == executor.GC_THRESHOLDS
        assert executor.keep_for_the_run() is True and gc.get_freeze_count() > frozen
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def _swallowing_imports() -> None:
    """Imports that swallow every exception (some libraries guard theirs with a bare except)."""
    import time

    for _ in range(300):
        try:
            time.sleep(0.1)
        except BaseException:  # noqa: BLE001 - the point of the test
            pass


def test_an_unused_warm_worker_stops_at_once_under_the_caller_s_sigterm_handler(monkeypatch):
    import sys
    import time

    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a server's or a test runner's
    try:
        monkeypatch.setattr(executor, "_warm_imports", _swallowing_imports)
        warm = executor.WarmPool.begin(2)
        time.sleep(0.3)  # inside its imports
        began = time.monotonic()
        warm.close()
        assert time.monotonic() - began < executor.STOP_WAIT / 2  # SIGTERM did it, not the SIGKILL after it
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_warm_worker_that_ignores_sigterm_is_killed(monkeypatch):
    import time

    def deaf() -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(30)

    monkeypatch.setattr(executor, "_warm_imports", deaf)
    monkeypatch.setattr(executor, "STOP_WAIT", 0.5)
    warm = executor.WarmPool.begin(2)
    process = warm.process
    time.sleep(0.3)
    began = time.monotonic()
    warm.close()
    assert not process.is_alive() and time.monotonic() - began < 5
