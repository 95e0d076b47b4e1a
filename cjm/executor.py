"""The per-interview map step — tag one transcript and derive its journey — run serially, in a pool
of local processes (`--jobs N`) or on a Dask cluster (`--executor dask --scheduler ADDRESS`).

Every interview is independent, so the work is a plain map; the codebook and the model are sent
to each worker once. A worker that fails costs its own interview only: an exception in cjm
becomes that interview's `Problem`; a worker process that dies (killed, out of memory) breaks a
local pool, and then the interviews still open are retried in a new pool, and those caught in two
breaks are run one at a time, so the one that kills its worker is found and skipped with the
reason while the others finish.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Callable

from .model import Journey, Problem, Transcript

EXECUTORS = ("local", "dask")
WORKER_DIED = "the process analysing it ended abruptly (killed, or out of memory); the other interviews were analysed"

Analyse = Callable[[Transcript], Journey]
Progress = Callable[[int, int], None]  # (done, total)


@dataclass
class Outcome:
    """One interview's result: its journey, or the problem that stopped it."""

    index: int
    journey: Journey | None = None
    problem: Problem | None = None


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def failure(transcript: Transcript, exc: BaseException) -> Problem:
    return Problem(transcript.source, f"could not be analysed: {type(exc).__name__}: {exc}",
                   hint="this is a bug in cjm: please report it with the file")


# ----------------------------------------------------------------- a worker's state, set once

_WORK: dict[str, Analyse] = {}


def _init_worker(analyse: Analyse) -> None:
    _WORK["analyse"] = analyse


# The per-interview work makes hundreds of thousands of small objects (tokens, spans, mentions,
# feature dicts), few of them in cycles. With the default thresholds the collector runs every 700
# allocations and its full passes walk the models and memo tables too; measured on eval/train
# with --jobs 1 (CPU seconds): 19.3 default, 16.7 frozen with these thresholds (benchmarks/README.md).
GC_THRESHOLDS = (50_000, 20, 100)


@contextmanager
def tuned_gc():
    """Collect less often during the map, and never walk what existed before it (the models, the
    compiled rules): `gc.freeze` moves those to a generation the collector skips. The caller's
    thresholds and frozen objects are given back afterwards, so a library caller keeps its own."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


_OWN_PROCESS = {"settled": False}


def settle_own_process() -> None:
    """For cjm's own process (the console script), never a library caller's: the tuned collector
    for the whole run, as in the pool workers, and `keep_for_the_run` allowed."""
    gc.set_threshold(*GC_THRESHOLDS)
    _OWN_PROCESS["settled"] = True


def keep_for_the_run() -> bool:
    """In cjm's own process, after the analysis: what exists now (the journeys, read from the cache
    or made) lives until the process exits, so no later collection needs to walk it (a full pass
    over a thousand journeys takes 0.2-0.4 s, and writing the report triggered several). In a
    library caller's process (tests, notebooks) nothing changes. True where the heap was frozen."""
    if _OWN_PROCESS["settled"]:
        gc.freeze()
    return _OWN_PROCESS["settled"]


def _init_pool_worker(analyse: Analyse) -> None:
    """A pool worker is cjm's own process: it keeps the tuned collector for its whole life."""
    _init_worker(analyse)
    gc.freeze()  # everything forked from the parent (models, rules) is never walked again
    gc.set_threshold(*GC_THRESHOLDS)


def longest_first(transcripts: list[Transcript], batch: list[int]) -> list[int]:
    """The batch with its longest interviews first: a long one started last would leave the other
    workers idle at the end of the map."""
    return sorted(batch, key=lambda i: -sum(len(u.text) for u in transcripts[i].utterances))


def _run_one(index: int, transcript: Transcript) -> Outcome:
    return _call(_WORK["analyse"], index, transcript)


def _call(analyse: Analyse, index: int, transcript: Transcript) -> Outcome:
    """One interview's analysis as an `Outcome`: an exception in cjm becomes its problem."""
    try:
        return Outcome(index, journey=analyse(transcript))
    except Exception as exc:  # noqa: BLE001 - one interview's bug must not end the run
        return Outcome(index, problem=failure(transcript, exc))


# ----------------------------------------------------------------- the three ways to map

def run_serial(transcripts: list[Transcript], analyse: Analyse, progress: Progress | None = None) -> list[Outcome]:
    _init_worker(analyse)
    outcomes = []
    with tuned_gc():
        for i, transcript in enumerate(transcripts):
            outcomes.append(_run_one(i, transcript))
            if progress:
                progress(i + 1, len(transcripts))
    return outcomes


def _context():
    """fork where there is one: the workers start with cjm's modules and data already loaded."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def run_local(transcripts: list[Transcript], analyse: Analyse, jobs: int,
              progress: Progress | None = None) -> list[Outcome]:
    """A process pool of `jobs` workers; see the module docstring for what a dead worker costs."""
    if jobs <= 1 or len(transcripts) < 2:
        return run_serial(transcripts, analyse, progress)
    warm_up({t.language for t in transcripts})
    results: dict[int, Outcome] = {}
    breaks: dict[int, int] = {}
    pending = list(range(len(transcripts)))
    while pending:
        alone = [i for i in pending if breaks.get(i, 0) >= 2]
        together = [i for i in pending if breaks.get(i, 0) < 2]
        batches = [together] if together else []
        batches += [[i] for i in alone]
        for batch in batches:
            broken = _pool_map(transcripts, batch, analyse, min(jobs, len(batch)), results, progress)
            if broken:
                unfinished = [i for i in batch if i not in results]
                for i in unfinished:
                    breaks[i] = breaks.get(i, 0) + 1
                if len(batch) == 1 and unfinished:
                    i = batch[0]
                    results[i] = Outcome(i, problem=Problem(transcripts[i].source, WORKER_DIED))
                    _report(progress, results, transcripts)
                break  # re-plan: the unfinished ones go round again
        pending = [i for i in range(len(transcripts)) if i not in results]
    return [results[i] for i in range(len(transcripts))]


def warm_up(languages: set[str]) -> None:
    """Load the language pipelines and natasha's parser in this process before the workers fork,
    so that every worker starts with them (shared pages) instead of loading its own."""
    from .nlp import pipeline
    from .syntax import _models

    for language in languages:
        pipeline(language)
    if "ru" in languages:
        _models()


def _report(progress: Progress | None, results: dict, transcripts: list) -> None:
    if progress:
        progress(len(results), len(transcripts))


def _pool_map(transcripts, batch, analyse, jobs, results, progress) -> bool:
    """Run `batch` in a new pool, filling `results`; True when a worker died on the way."""
    with ProcessPoolExecutor(max_workers=jobs, mp_context=_context(), initializer=_init_pool_worker,
                             initargs=(analyse,)) as pool:
        futures = [pool.submit(_run_one, i, transcripts[i]) for i in longest_first(transcripts, batch)]
        return _gather(futures, results, transcripts, progress)


def _gather(futures, results: dict[int, Outcome], transcripts: list[Transcript], progress: Progress | None) -> bool:
    """Each outcome into `results` as it comes; True when a worker died on the way (the pool is broken)."""
    try:
        for future in as_completed(futures):
            outcome = future.result()
            results[outcome.index] = outcome
            _report(progress, results, transcripts)
    except BrokenProcessPool:
        return True
    return False


def run_dask(transcripts: list[Transcript], analyse: Analyse, scheduler: str | None,
             progress: Progress | None = None) -> list[Outcome]:
    """The same map on a Dask cluster: `scheduler` is its address (tcp://host:8786), or an
    in-process `distributed.Client`'s cluster when given as a `Client`."""
    try:
        from distributed import Client, as_completed as dask_completed
    except ImportError:
        from .errors import UsageError

        raise UsageError("the dask executor needs dask's distributed scheduler: pip install 'cjm[dask]'") from None
    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        work = client.scatter(analyse, broadcast=True)
        futures = [client.submit(_call, work, i, t, key=f"cjm-{i}-{id(transcripts)}", pure=False)
                   for i, t in enumerate(transcripts)]
        index = {f.key: i for i, f in enumerate(futures)}
        results: dict[int, Outcome] = {}
        for future in dask_completed(futures):
            i = index[future.key]
            try:
                results[i] = future.result()
            except Exception as exc:  # noqa: BLE001 - a worker lost (KilledWorker) costs one interview
                results[i] = Outcome(i, problem=Problem(transcripts[i].source,
                                                        f"{WORKER_DIED} ({type(exc).__name__})"))
            _report(progress, results, transcripts)
        return [results[i] for i in range(len(transcripts))]
    finally:
        if client is not scheduler:
            client.close()


def forks_at_once(count: int, jobs: int | None, executor: str = "local") -> bool:
    """Whether `start` forks its workers at once and lets the caller go on: a local pool of two or
    more processes with no more interviews than workers (a re-run after an edit or two). There the
    parent's warm-up would share nothing worth its wait; with more interviews `run`'s warm-up before
    the fork (pipelines and rules loaded once, shared by every worker) pays."""
    workers = jobs or default_jobs()
    return executor == "local" and 0 < count <= workers and workers > 1 and "fork" in multiprocessing.get_all_start_methods()


def _warm_imports() -> None:
    """What a worker spends its first half second on: spaCy and the tag stage's modules, and
    pymorphy3's dictionaries."""
    from . import journey, tag  # noqa: F401 (imported for their side effect: loaded modules)
    from .nlp import morph_analyzer

    morph_analyzer()


def _warm_worker(conn) -> None:
    """A `WarmPool`'s process: import what tagging needs, then analyse the one interview it may be
    sent, or end where it is sent nothing (the pipe closed) or is stopped."""
    # SIGTERM ends it whatever the caller's process installed: a server's or a test runner's handler
    # raises SystemExit, which a library's `except BaseException` around an import can swallow, and
    # the worker then waits for a task that never comes (`close` hung on it under the mutation runner)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        _warm_imports()
        analyse, index, transcript = conn.recv()
    except (EOFError, OSError, KeyboardInterrupt):
        return
    conn.send(_call(analyse, index, transcript))


STOP_WAIT = 2.0  # seconds a stopped warm worker has to end before it is killed


def _send_quietly(conn, message) -> None:
    try:
        conn.send(message)
    except OSError:  # the worker is already gone: its outcome is None
        pass


class WarmPool:
    """One worker forked before the caller knows what it will tag (a re-run's caller reads the
    folder and computes its cache keys meanwhile, ~0.5 s at N = 1,000), already importing what
    tagging needs. `start` gives it the interview where there is exactly one to tag (the re-run
    after an edit). Otherwise, or where nothing is to be tagged, `close` stops it at once: a plain
    forked process on a pipe of its own, not a pool, so that stopping it mid-import neither leaves
    a lock held in a queue shared with this process nor makes the exit wait for its imports (a
    cached run of twelve interviews took 0.84 s waiting, 0.55 s without)."""

    def __init__(self) -> None:
        context = _context()
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_warm_worker, args=(child,), daemon=True)
        self.process.start()
        child.close()

    @classmethod
    def begin(cls, jobs: int | None, executor: str = "local") -> WarmPool | None:
        """A warm worker where `start` would fork one for a single interview (else None)."""
        return cls() if forks_at_once(1, jobs, executor) else None

    def submit(self, analyse: Analyse, transcript: Transcript) -> Callable[[], Outcome | None]:
        """Send the worker its interview; what is returned gives its outcome, or None where the
        worker died on the way. The sending runs in a thread: the task (the model, ~4 MB) fills the
        pipe, which the worker empties only once its imports are done, and the caller has its
        cached journeys to read meanwhile (it waited 0.08 s at N = 1,000)."""
        process, conn = self.process, self.conn
        self.process = None
        sending = threading.Thread(target=_send_quietly, args=(conn, (analyse, 0, transcript)), daemon=True)
        sending.start()

        def outcome() -> Outcome | None:
            sending.join()
            try:
                return conn.recv()
            except (EOFError, OSError):
                return None
            finally:
                conn.close()
                process.join()

        return outcome

    def close(self) -> None:
        """Stop the worker unless it was given an interview: SIGTERM, and SIGKILL if it is still
        there after `STOP_WAIT` seconds (caught before its own default was restored)."""
        if self.process is not None:
            self.process.terminate()
            self.process.join(STOP_WAIT)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()
            self.conn.close()
            self.process = None


def start(transcripts: list[Transcript], analyse: Analyse, *, executor: str = "local", jobs: int | None = None,
          scheduler=None, progress: Progress | None = None, warm: WarmPool | None = None) -> Callable[[], list[Outcome]]:
    """`run`, begun now and collected by calling what it returns. Where `forks_at_once`, the
    interviews go to workers at once (a single one to `warm`'s worker, where given, else to workers
    forked here), which tag while the caller reads its cached journeys (a re-run's tagging of the
    edited interview and its reading of the thousand others then overlap); otherwise everything
    happens when collected. A dead worker costs what it does in `run`: the interviews it left are
    run again, each in a pool of its own, and one that breaks that too is skipped with the reason."""
    if warm is not None and len(transcripts) == 1:
        pending = warm.submit(analyse, transcripts[0])

        def collect_warm() -> list[Outcome]:
            results: dict[int, Outcome] = {}
            if (outcome := pending()) is not None:
                results[0] = outcome
                _report(progress, results, transcripts)
            return _collected(transcripts, analyse, progress, results)

        return collect_warm
    if warm is not None:
        warm.close()
    if not forks_at_once(len(transcripts), jobs, executor):
        return lambda: run(transcripts, analyse, executor=executor, jobs=jobs, scheduler=scheduler, progress=progress)
    pool = ProcessPoolExecutor(max_workers=len(transcripts), mp_context=_context(),
                               initializer=_init_pool_worker, initargs=(analyse,))
    futures = [pool.submit(_run_one, i, t) for i, t in enumerate(transcripts)]

    def collect() -> list[Outcome]:
        results: dict[int, Outcome] = {}
        try:
            _gather(futures, results, transcripts, progress)
        finally:
            pool.shutdown()
        return _collected(transcripts, analyse, progress, results)

    return collect


def _collected(transcripts: list[Transcript], analyse: Analyse, progress: Progress | None,
               results: dict[int, Outcome]) -> list[Outcome]:
    """The outcomes in order, once those a dead worker left are run again, each alone (and one
    that breaks that pool too is skipped with the reason)."""
    for i in [i for i in range(len(transcripts)) if i not in results]:
        if _pool_map(transcripts, [i], analyse, 1, results, progress) and i not in results:
            results[i] = Outcome(i, problem=Problem(transcripts[i].source, WORKER_DIED))
            _report(progress, results, transcripts)
    return [results[i] for i in range(len(transcripts))]


def run(transcripts: list[Transcript], analyse: Analyse, *, executor: str = "local", jobs: int | None = None,
        scheduler=None, progress: Progress | None = None) -> list[Outcome]:
    """Map `analyse` over the transcripts; one `Outcome` per transcript, in their order."""
    if executor == "dask":
        return run_dask(transcripts, analyse, scheduler, progress)
    if executor != "local":
        raise ValueError(f"unknown executor {executor!r}: one of {', '.join(EXECUTORS)}")
    return run_local(transcripts, analyse, jobs or default_jobs(), progress)
