"""The whole run as one library call: folder in, journeys (and the problems met) out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from . import executor as executors
from .cache import JourneyCache, entry_key, fingerprint, paused_gc, run_fingerprint
from .codebook import LANGS, Codebook, load_codebook
from .ingest import read_folder
from .model import STAGE, Journey, Problem, Transcript
from .tagger_model import TaggerModel, check_features, default_model, load_model
from .review import ReviewMatch, load_reviews, match_review, review_path, review_summary, reviewed_utterances, use_review

# The tag and journey stages (cjm.tag, cjm.journey, cjm.rules) load spaCy, natasha and pymorphy3:
# they are imported where an interview is tagged, so a run whose interviews all come from the cache
# never loads them.


@dataclass
class RunResult:
    journeys: list[Journey]
    problems: list[Problem]
    codebook: Codebook
    inputs: list[str] = field(default_factory=list)  # every file looked at, read or not
    notes: list[str] = field(default_factory=list)  # run-level remarks (the model set aside, ...)
    keys: dict[str, str] = field(default_factory=dict)  # journey id -> cache entry key (with a cache)
    cache: JourneyCache | None = None  # the run's cache, for the parts of the outputs (see cjm.cache.Pieces)


def analyse(folder: str | Path, *, codebook: str | Path | Codebook | None = None,
            language: str | None = None, redact: bool = False,
            model: TaggerModel | str | Path | None = None, rules_only: bool = False,
            use_reviews: bool = True, jobs: int | None = 1, executor: str = "local", scheduler: Any = None,
            cache_dir: str | Path | None = None, progress: executors.Progress | None = None,
            warm: executors.WarmPool | None = None) -> RunResult:
    """Ingest, tag and derive the journey of every interview in a folder (or one file).

    The labels come from `model` (a path or a loaded one; default: the model shipped with cjm),
    or from the rules alone with `rules_only`. A person's corrections stored beside the
    interviews (`reviewed/`, see cjm.review) win over both unless `use_reviews` is off.
    The per-interview work runs in `jobs` processes (None: one per core) or on a Dask cluster
    (`executor="dask"`, `scheduler` its address); with `cache_dir`, interviews analysed before
    with the same codebook, model, review and cjm are read from the cache instead (see `cjm.cache`).
    `warm`: a worker the caller forked earlier (`warm_worker`) and stops afterwards, else one is
    forked here where a re-run is likely, and stopped here (`cjm.executor.start` stops either as
    soon as it is not given an interview).
    """
    own_warm = warm_worker(cache_dir, jobs, executor) if warm is None else None
    try:
        book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
        cache = JourneyCache(Path(cache_dir)) if cache_dir else None
        validate_codebook(book, cache)
        tagger = None if rules_only else resolve_model(model, cache)
        notes: list[str] = []
        if tagger is not None and tagger.stage_labels() != set(book.ids(STAGE)):
            notes.append(model_mismatch(tagger, book))
            tagger = None
        return _analyse_read(folder, book, cache, tagger, notes, language=language, redact=redact,
                             use_reviews=use_reviews, jobs=jobs, executor=executor, scheduler=scheduler,
                             progress=progress, warm=warm or own_warm)
    finally:
        if own_warm is not None:
            own_warm.close()


def warm_worker(cache_dir: str | Path | None, jobs: int | None, executor: str = "local") -> executors.WarmPool | None:
    """With a filled cache a re-run usually tags one interview: a worker forked now imports what
    tagging needs while this process goes on (`cjm.executor.WarmPool`). The command line forks it
    before it imports the report's own modules (pandas, jinja2: 0.25 s), so both import at once."""
    if not cache_dir or not JourneyCache(Path(cache_dir)).has_journeys():
        return None
    return executors.WarmPool.begin(jobs, executor)


def _analyse_read(folder: str | Path, book: Codebook, cache: JourneyCache | None, tagger: TaggerModel | None,
                  notes: list[str], *, language: str | None, redact: bool, use_reviews: bool, jobs: int | None,
                  executor: str, scheduler: Any, progress: executors.Progress | None,
                  warm: executors.WarmPool | None) -> RunResult:
    """`analyse` from reading the folder on."""
    transcripts, problems = read_folder(folder, language=language, cache=cache)  # raises when nothing is readable
    for transcript in transcripts:  # (before the cache keys are taken: a set-aside model's note is in them)
        transcript.notes.extend(notes)
    reviews, unreadable = load_reviews(folder) if use_reviews else ({}, [])
    problems += [Problem(str(path), f"{why}: its corrections were not used") for path, why in unreadable]
    if Path(folder).is_dir():
        orphans = sorted(set(reviews) - {t.id for t in transcripts})
        problems += [Problem(str(review_path(folder, ident)), "a review of an interview that is not in the folder: "
                             "not used") for ident in orphans]
    matches = {t.id: match_review(reviews[t.id], t.utterances, book) for t in transcripts if t.id in reviews}
    if redact:  # (the reviews were matched first: they know the text as it was written)
        from .redact import redact_transcripts

        transcripts = redact_transcripts(transcripts)
    journeys, failed, keys = analyse_keyed(transcripts, book, tagger, reviews=matches, jobs=jobs, executor=executor,
                                           scheduler=scheduler, cache=cache, progress=progress, warm=warm)
    problems = problems + failed
    inputs = sorted({t.source for t in transcripts} | {p.source for p in problems})
    return RunResult(journeys=journeys, problems=problems, codebook=book, inputs=inputs, notes=notes, keys=keys,
                     cache=cache)


def validate_codebook(codebook: Codebook, cache: JourneyCache | None) -> None:
    """Compile every phrase of the codebook in every language, so a bad one fails before any file
    is read. A codebook that passed with this cjm before is not compiled again only to be checked
    (a marker in the cache; the rules are then compiled when an interview needs them)."""
    if cache is not None and cache.load("checked", checked_key(codebook)) is True:
        return
    from .qualification import validate_families
    from .rules import validate_patterns

    validate_patterns(codebook)
    validate_families(codebook)
    if cache is not None:
        cache.store("checked", checked_key(codebook), True)


def checked_key(codebook: Codebook) -> str:
    from .cache import code_fingerprint

    return fingerprint({"codebook": codebook, "code": code_fingerprint()})


def model_mismatch(model: TaggerModel, codebook: Codebook) -> str:
    """Why the model is set aside: it can only answer with the stages it was trained on."""
    return (f"labelled by the codebook's rules: the model ({Path(model.source).name}) knows the stages "
            f"{', '.join(sorted(model.stage_labels()))}, this codebook has {', '.join(codebook.ids(STAGE))} "
            f"(train one for it with 'cjm learn --codebook')")


def analyse_all(transcripts: list[Transcript], codebook: Codebook, model: TaggerModel | None, *,
                reviews: dict[str, ReviewMatch] | None = None, jobs: int | None = 1, executor: str = "local", scheduler: Any = None,
                cache: JourneyCache | None = None,
                progress: executors.Progress | None = None) -> tuple[list[Journey], list[Problem]]:
    """The journeys of the transcripts, in their order, and the problems of those that failed:
    cached ones read, the others mapped over the executor (and then cached)."""
    journeys, problems, _ = analyse_keyed(transcripts, codebook, model, reviews=reviews, jobs=jobs, executor=executor,
                                          scheduler=scheduler, cache=cache, progress=progress)
    return journeys, problems


def analyse_keyed(transcripts: list[Transcript], codebook: Codebook, model: TaggerModel | None, *,
                  reviews: dict[str, ReviewMatch] | None = None, jobs: int | None = 1, executor: str = "local",
                  scheduler: Any = None, cache: JourneyCache | None = None,
                  progress: executors.Progress | None = None, warm: executors.WarmPool | None = None
                  ) -> tuple[list[Journey], list[Problem], dict[str, str]]:
    """`analyse_all`, and each journey's cache entry key by its id (empty without a cache): the
    key the outputs' per-interview parts are cached under. `warm`: a worker forked earlier
    (`cjm.executor.WarmPool`), given the interview where exactly one is to tag."""
    from .syntax import keep_parses

    keep_parses(cache)  # natasha's parses too are kept in the run's cache (see cjm.syntax)
    keys: list[str] = []
    if cache is not None:
        run_key = run_fingerprint(codebook, model, model is None)
        keys = [entry_key(t, run_key + fingerprint((reviews or {}).get(t.id))) for t in transcripts]
    stored = {i for i, key in enumerate(keys) if cache.has(key)}  # (no keys without a cache)
    todo = [i for i in range(len(transcripts)) if i not in stored]
    # (a local worker may have been forked before `keep_parses`: the warm one; Dask's may not share the disk)
    parses = cache.folder if cache is not None and executor == "local" else None
    work = partial(analyse_reviewed, codebook=codebook, model=model, reviews=reviews or {}, parses=parses)
    collect = start_tagging([transcripts[i] for i in todo], codebook, work, executor, jobs, scheduler, progress, warm)
    known: dict[int, Journey] = {}
    if cache is not None:  # (while the workers `start_tagging` forked tag the others)
        with paused_gc():
            known = {i: j for i in sorted(stored) if (j := cache.get(keys[i])) is not None}
    outcomes = collect()
    unreadable = [i for i in sorted(stored) if i not in known]  # an entry that would not load: tagged now
    if unreadable:
        todo += unreadable
        outcomes += executors.run([transcripts[i] for i in unreadable], work, executor=executor, jobs=jobs,
                                  scheduler=scheduler, progress=progress)
    problems: list[Problem] = []
    for i, outcome in zip(todo, outcomes):
        if outcome.journey is not None:
            known[i] = outcome.journey
            if cache is not None:
                cache.put(keys[i], outcome.journey)
        elif outcome.problem is not None:
            problems.append(outcome.problem)
    by_id = {known[i].id: keys[i] for i in known} if cache is not None else {}
    return [known[i] for i in sorted(known)], problems, by_id


def start_tagging(transcripts: list[Transcript], codebook: Codebook, work: Callable[[Transcript], Journey],
                  executor: str, jobs: int | None, scheduler: Any, progress: executors.Progress | None,
                  warm: executors.WarmPool | None = None) -> Callable[[], list[executors.Outcome]]:
    """The map over the interviews to tag, begun (see `cjm.executor.start`). Where several are
    mapped by workers forked later, the codebook's rules are compiled here first, so every worker
    starts with them (see validate_codebook)."""
    if len(transcripts) > 1 and not executors.forks_at_once(len(transcripts), jobs, executor):
        from .rules import get_rules

        for lang in sorted({t.language for t in transcripts} & set(LANGS)):
            get_rules(codebook, lang)
    return executors.start(transcripts, work, executor=executor, jobs=jobs, scheduler=scheduler, progress=progress,
                           warm=warm)


def analyse_reviewed(transcript: Transcript, codebook: Codebook, model: TaggerModel | None,
                     reviews: dict[str, ReviewMatch], parses: Path | None = None) -> Journey:
    """One interview's journey with its stored review, if any (the executor's unit of work).
    `parses`: the run's cache folder, for natasha's parses in a worker that did not inherit it."""
    if parses is not None:
        from .syntax import keep_parses_in

        keep_parses_in(parses)
    return analyse_transcript(transcript, codebook, model, reviews.get(transcript.id))


def analyse_transcript(transcript: Transcript, codebook: Codebook, model: TaggerModel | None = None,
                       review: ReviewMatch | None = None) -> Journey:
    from .journey import derive_journey
    from .tag import tag_transcript

    tagged = tag_transcript(transcript, codebook, model)
    if review is not None:  # a person's labels go in before the journey fields are derived from them
        tagged = reviewed_utterances(transcript, tagged, review)
    journey = derive_journey(transcript, tagged, codebook, model)
    journey = calibrate_journey(journey, model) if model is not None else journey
    journey.review = review_summary(journey, review)
    return use_review(journey, review, codebook) if review is not None else journey


def calibrate_journey(journey: Journey, model: TaggerModel) -> Journey:
    """The fields' raw confidence -> how often such a field was right in cross-validation."""
    journey.confidence = {name: {k: model.calibrated("role", v) for k, v in value.items()} if name == "roles"
                          else model.calibrated(f"journey.{name}", value)
                          for name, value in journey.confidence.items()}
    return journey


def resolve_model(model: TaggerModel | str | Path | None, cache: JourneyCache | None = None) -> TaggerModel | None:
    """A loaded model, the one at a path, or the shipped default (None where cjm ships none).

    Whether the model was trained on this cjm's features is checked once per model and cjm (a
    marker in `cache`, as for the codebook): the check imports the feature code, so spaCy."""
    if isinstance(model, TaggerModel):
        return model
    loaded = load_model(model, check=False) if model is not None else default_model(check=False)
    if loaded is not None:
        key = checked_model_key(loaded)
        if cache is None or cache.load("checked", key) is not True:
            check_features(loaded)
            if cache is not None:
                cache.store("checked", key, True)
    return loaded


def checked_model_key(model: TaggerModel) -> str:
    from .cache import code_fingerprint

    return fingerprint({"model-check": run_fingerprint(None, model, False), "code": code_fingerprint()})
