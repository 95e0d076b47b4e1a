"""The command line: a thin click layer, one library call per command.

Errors cjm raises on purpose (`CjmError`) become one-line messages with the file, the line and
what to do; exit code 1 for those, 2 for wrong usage (click's convention).
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from pathlib import Path

import click

from . import __version__
from .errors import CjmError
from .handoff import FORMATS as HANDOFF_FORMATS
from .model import Problem

LANGUAGE_CHOICE = click.Choice(["ru", "en"])


def codebook_option(func):
    return click.option("--codebook", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                        help="Your own codebook (YAML). With 'extends: default' it adds to the shipped one.")(func)


def input_options(func):
    """Options every command that reads interviews shares."""
    func = codebook_option(func)
    func = click.option("--language", type=LANGUAGE_CHOICE,
                        help="Language of every transcript (default: front matter, else detected).")(func)
    func = click.option("--redact", is_flag=True,
                        help="Replace person names, phones and e-mails with placeholders in every output.")(func)
    func = click.option("--strict", is_flag=True, help="Exit non-zero when any file could not be read.")(func)
    func = click.option("--model", "model", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                        help="A tagger model trained with 'cjm learn' (default: the one shipped with cjm).")(func)
    func = click.option("--rules-only", is_flag=True, help="Label by the codebook's rules alone, without the model.")(func)
    return func


def run_options(func):
    """How the per-interview work runs: processes, a Dask cluster, the cache, the progress bar."""
    func = click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
                        help="Worker processes for the per-interview work (default: one per core).")(func)
    func = click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
                        help="Where the per-interview work runs: local processes, or a Dask cluster.")(func)
    func = click.option("--scheduler", metavar="ADDRESS",
                        help="The Dask scheduler's address (tcp://host:8786), with --executor dask.")(func)
    func = click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="Where analysed interviews are cached (default: $CJM_CACHE_DIR, else ~/.cache/cjm).")(func)
    func = click.option("--no-cache", is_flag=True, help="Analyse every interview again; read and write no cache.")(func)
    func = click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary lines (errors still show).")(func)
    return func


def training_jobs_option(func):
    return click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
                        help="Processes training the cross-validation's folds (default: one per core); "
                             "the result is the same with any number.")(func)


def run_settings(options: dict) -> dict:
    """The `run_options` as `pipeline.analyse` keywords."""
    from .cache import default_dir, max_bytes

    if options["executor"] == "dask" and not options["scheduler"]:
        raise click.BadParameter("give the scheduler's address, e.g. tcp://10.0.0.5:8786", param_hint="--scheduler")
    if options["scheduler"] and options["executor"] != "dask":
        raise click.BadParameter("--scheduler goes with --executor dask", param_hint="--scheduler")
    if not options["no_cache"]:
        max_bytes()  # a $CJM_CACHE_MAX_MB that is no number fails now, not after the run
    return {"jobs": options["jobs"], "executor": options["executor"], "scheduler": options["scheduler"],
            "cache_dir": None if options["no_cache"] else (options["cache_dir"] or default_dir()),
            "progress": None if options["quiet"] else ProgressBar()}


def tidy_cache(options: dict, result) -> None:
    """After the outputs are written: keep the cache under its size limit (see `cjm.cache.tidy`)."""
    if result.cache is None:
        return
    from .cache import max_bytes, tidy

    limit = max_bytes()
    if limit is None:
        return
    pruned = tidy(result.cache, limit)
    if pruned is None:
        return
    removed, freed, kept = pruned
    if removed:
        say(options, f"cache:  {removed} least recently used file(s) deleted ({freed / 1e6:.0f} MB), "
                     f"{kept / 1e6:.0f} MB kept in {result.cache.folder}")
    if kept > limit:  # all of it this run's: nothing more may go
        click.secho(f"note: this run alone keeps {kept / 1e6:.0f} MB in the cache, over its limit of "
                    f"{limit / 1e6:.0f} MB: raise $CJM_CACHE_MAX_MB", fg="yellow", err=True)


@contextlib.contextmanager
def early_warm_worker(settings: dict):
    """The warm worker of a re-run (`cjm.pipeline.warm_worker`), forked before the command imports
    pandas and the report's modules: on the sample series an edit re-run waited 0.8 s for it after
    its own work was done. Stopped on the way out if no interview was given to it."""
    from .pipeline import warm_worker

    warm = warm_worker(settings["cache_dir"], settings["jobs"], settings["executor"])
    try:
        yield warm
    finally:
        if warm is not None:
            warm.close()


def output_pieces(result):
    """The cached per-interview parts of the outputs, where the run had a cache (see cjm.cache.Pieces)."""
    from .cache import Pieces

    return Pieces(result.cache, result.keys) if result.cache is not None else None


class ProgressBar:
    """A progress bar on the terminal for runs that last over a second; nothing when stderr is not
    a terminal."""

    DELAY_S = 1.0

    def __init__(self) -> None:
        import time

        self.clock = time.monotonic
        self.started = self.clock()
        self.bar = None
        self.shown = 0

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if self.clock() - self.started < self.DELAY_S or not sys.stderr.isatty() or done >= total:
                return
            self.bar = click.progressbar(length=total, label="analysing interviews", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done
        if done >= total:
            self.bar.__exit__(None, None, None)


def say(options: dict, message: str) -> None:
    """A summary line, unless --quiet."""
    if not options.get("quiet"):
        click.echo(message)


def reports_errors(func):
    """Turn cjm's own errors into a clean message instead of a traceback."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except CjmError as exc:
            for problem in getattr(exc, "problems", None) or []:  # nothing readable: say why for each file
                click.secho(f"skipped {problem}", fg="yellow", err=True)
            raise click.ClickException(str(exc)) from None
    return wrapper


def echo_problems(problems: list[Problem], strict: bool) -> None:
    for problem in problems:  # ignored: not read by design (gold/, hidden files), listed but not an error
        click.secho(f"{'ignored' if problem.ignored else 'skipped'} {problem}", fg="yellow", err=True)
    failed = [p for p in problems if not p.ignored]
    if failed and strict:
        raise click.ClickException(f"{len(failed)} file(s) could not be read (--strict)")


def skipped_count(problems: list[Problem]) -> str:
    ignored = sum(p.ignored for p in problems)
    return f"{len(problems) - ignored} skipped" + (f", {ignored} ignored" if ignored else "")


def echo_notes(notes: list[str]) -> None:
    for note in notes:
        click.secho(f"note: {note}", fg="yellow", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cjm")
def cli() -> None:
    """cjm turns in-depth B2B customer interviews into Customer Journey Maps.

    \b
    Typical run:
      cjm report interviews/ -o reports/     # HTML report + journeys.json + events.csv
      cjm evaluate reports/journeys.json interviews/gold/
    """


@cli.command()
@click.argument("folder", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True, help="Folder for index.html, journeys.json and events.csv.")
@click.option("--lang", type=LANGUAGE_CHOICE, help="Language of the report (default: that of most interviews).")
@click.option("--compare", default="cold_inbound,referral", show_default=True,
              help="Two channel groups or channels to set side by side, comma-separated.")
@click.option("--pdf", is_flag=True, help="Also print the report to OUT/report.pdf (needs a headless chromium).")
@input_options
@run_options
@reports_errors
def report(folder: Path, out: Path, lang: str | None, compare: str, codebook: Path | None, language: str | None,
           redact: bool, strict: bool, model: Path | None, rules_only: bool, pdf: bool = False, **run) -> None:
    """Build the journey map report for a folder of interview transcripts.

    Example: cjm report interviews/ -o reports/ --lang en
    """
    pair = tuple(part.strip() for part in compare.split(",") if part.strip())
    if len(pair) != 2:
        raise click.BadParameter("give two groups or channels, e.g. cold_inbound,referral", param_hint="--compare")
    settings = run_settings(run)
    with early_warm_worker(settings) as warm:  # (before the imports below: they take 0.25 s)
        from .aggregate import build_tables, check_compare_keys
        from .codebook import load_codebook
        from .export import write_events_csv, write_journeys
        from .output import claim_folder, staged_folder
        from .pipeline import analyse
        from .render import write_report

        book = load_codebook(codebook)
        check_compare_keys(book, pair)  # before the interviews are read: an unknown id fails at once
        if pdf:
            from .pdf import find_browser, write_pdf

            if find_browser() is None:
                write_pdf(out / "index.html", out / "report.pdf")  # raises the error that says what to install
        with claim_folder(out) as target:  # checked and locked before the analysis; swapped in whole after it
            result = analyse(folder, codebook=book, language=language, redact=redact, model=model,
                             rules_only=rules_only, warm=warm, **settings)
            from .executor import keep_for_the_run

            keep_for_the_run()  # (only in cjm's own process: see `cjm.executor.settle_own_process`)
            pieces = output_pieces(result)
            tables = build_tables(result.journeys, result.codebook, compare_keys=pair, pieces=pieces)
            with staged_folder(target, shown=out) as staging:
                write_journeys(result.journeys, result.problems, staging / "journeys.json", pieces)
                write_events_csv(tables.events, staging / "events.csv")
                write_report(result.journeys, result.problems, result.codebook, staging, lang=lang, compare=pair,
                             tables=tables, pieces=pieces, previous=target if target.is_dir() else None)
                if pdf:  # printed from the staged pages, so the PDF is swapped in with them
                    write_pdf(staging / "index.html", staging / "report.pdf")
    tidy_cache(run, result)
    say(run, f"{len(result.journeys)} interview(s) read, {skipped_count(result.problems)}")
    echo_notes(result.notes)
    say(run, f"report: {out / 'index.html'}")
    say(run, f"data:   {out / 'journeys.json'}, {out / 'events.csv'}")
    if pdf:
        say(run, f"pdf:    {out / 'report.pdf'}")
    echo_problems(result.problems, strict)


@cli.command()
@click.argument("folder", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), default=Path("journeys.json"),
              show_default=True, help="Where to write the contract's journeys.json ('-' for stdout).")
@click.option("--no-review", is_flag=True, help="Ignore the corrections in reviewed/ (to score the tagger against them).")
@input_options
@run_options
@reports_errors
def journeys(folder: Path, out: Path, no_review: bool, codebook: Path | None, language: str | None, redact: bool,
             strict: bool, model: Path | None, rules_only: bool, **run) -> None:
    """Write journeys.json alone (the contract output), without the HTML report.

    Example: cjm journeys interviews/ -o journeys.json
    """
    from .export import journeys_json, write_journeys
    from .output import check_target
    from .pipeline import analyse

    settings = run_settings(run)
    if str(out) != "-":
        check_target(out, folder=False)  # before the analysis, not after it
    with early_warm_worker(settings) as warm:
        result = analyse(folder, codebook=codebook, language=language, redact=redact, model=model,
                         rules_only=rules_only, use_reviews=not no_review, warm=warm, **settings)
    if str(out) == "-":
        click.echo(journeys_json(result.journeys, result.problems, output_pieces(result)))
        tidy_cache({"quiet": True}, result)  # (stdout is the JSON)
    else:
        write_journeys(result.journeys, result.problems, out, output_pieces(result))
        tidy_cache(run, result)
        say(run, f"{len(result.journeys)} interview(s) written to {out}, {skipped_count(result.problems)}")
    echo_notes(result.notes)
    echo_problems(result.problems, strict)


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the contract's JSON for this interview.")
@click.option("--all", "show_all", is_flag=True, help="Also print utterances that got no label.")
@input_options
@reports_errors
def tag(file: Path, as_json: bool, show_all: bool, codebook: Path | None, language: str | None, redact: bool,
        strict: bool, model: Path | None, rules_only: bool) -> None:
    """Show one transcript's utterances with the labels the tagger gives them.

    Example: cjm tag interviews/ru-01.txt
    """
    from .export import journey_to_dict, strict_json
    from .pipeline import analyse

    result = analyse(file, codebook=codebook, language=language, redact=redact, model=model, rules_only=rules_only)
    journey = result.journeys[0]
    if as_json:
        click.echo(strict_json(journey_to_dict(journey)))  # RFC 8259, as journeys.json
        return
    for item in journey.utterances:
        labels = item.stages + item.roles + item.channels
        if item.utterance.is_interviewer or not (labels or show_all):
            continue
        head = f"#{item.n} {item.utterance.speaker}: " + (click.style(" ".join(labels), fg="green") if labels else "—")
        click.echo(head)
        click.echo("    " + item.utterance.text[:300] + ("…" if len(item.utterance.text) > 300 else ""))
    click.echo(f"channel={journey.channel} ({journey.channel_source}) group={journey.channel_group} "
               f"furthest={journey.furthest_stage} first_contact={journey.first_contact_role} "
               f"roles={','.join(journey.roles)} cycle_days={journey.cycle_days}")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--cross-validate", "folds", type=int, metavar="K",
              help="Split the annotated interviews of the given folders into K parts by interview; tag each part "
                   "with a model trained on the others, and print rules-only and model side by side.")
@click.option("--by-folder", is_flag=True,
              help="Cross-validate with one fold per folder instead: each interview is scored by a model trained "
                   "without its folder (a series by other writers), the figure to expect on a new series.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the folds and the bootstrap.")
@training_jobs_option
@codebook_option
@reports_errors
def evaluate(paths: tuple[Path, ...], as_json: bool, folds: int | None, by_folder: bool, seed: int,
             jobs: int | None, codebook: Path | None) -> None:
    """Score a run's journeys.json against hand-annotated *.gold.json files.

    Example: cjm evaluate reports/journeys.json interviews/gold/

    With --cross-validate, give folders of annotated interviews instead:
    cjm evaluate --cross-validate 5 interviews eval/train

    With --by-folder, each folder is one fold: cjm evaluate --by-folder eval/heldout4 eval/heldout5 eval/train
    """
    from .evaluate import evaluate as run_evaluation, format_report

    if by_folder and folds is not None:
        raise click.UsageError("--by-folder makes one fold per folder: leave out --cross-validate K")
    if folds is None and not by_folder:
        if len(paths) != 2:
            raise click.UsageError("give JOURNEYS_JSON and GOLD (a folder or one *.gold.json), "
                                   "or --cross-validate K with folders of annotated interviews")
        result = run_evaluation(paths[0], paths[1])
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2) if as_json else format_report(result))
        return
    from .executor import default_jobs
    from .learn import compare_by_cross_validation

    text, figures = compare_by_cross_validation(list(paths), folds, codebook=codebook, seed=seed,
                                                jobs=jobs or default_jobs(), by_folder=by_folder)
    click.echo(json.dumps(figures, ensure_ascii=False, indent=2) if as_json else text)


@cli.command()
@click.argument("folders", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the model (a .zip file).")
@training_jobs_option
@codebook_option
@reports_errors
def learn(folders: tuple[Path, ...], out: Path, jobs: int | None, codebook: Path | None) -> None:
    """Train the tagger from annotated interviews: folders of transcripts with gold/*.gold.json beside them.

    The same folders give the same model, byte for byte. Use it with --model.

    Example: cjm learn interviews eval/train -o my-model.zip
    """
    from .executor import default_jobs
    from .learn import learn_model

    path, notes, model = learn_model(list(folders), out, codebook=codebook, jobs=jobs or default_jobs())
    for note in notes:
        click.secho(f"note: {note}", fg="yellow", err=True)
    click.echo(f"model trained on {len(model.meta['trained_on'])} interview(s), "
               f"{model.meta['utterances']} utterances: {path}")


@cli.command("export")
@click.argument("folder", type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(list(HANDOFF_FORMATS)),
              help="qdpx (QualCoder, NVivo, ATLAS.ti, MAXQDA), xlsx (Excel), xes or ocel (process mining), json "
                   "(default: from the output file's extension).")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write (default: journeys.<format>; OCEL: journeys.jsonocel).")
@click.option("--lang", type=LANGUAGE_CHOICE, help="Language of code and label names (default: that of most interviews).")
@input_options
@reports_errors
def export_command(folder: Path, fmt: str | None, out: Path | None, lang: str | None, codebook: Path | None,
                   language: str | None, redact: bool, strict: bool, model: Path | None, rules_only: bool) -> None:
    """Hand the series to the next tool: a REFI-QDA project, a workbook, or a process-mining event log.

    Example: cjm export interviews/ --format qdpx -o series.qdpx
    """
    from .handoff import export_run, format_of
    from .pipeline import analyse

    fmt = format_of(fmt, out)
    if fmt is None:
        raise click.UsageError(f"say which format to write: --format {'|'.join(HANDOFF_FORMATS)}, or an output "
                               f"file ending in {', '.join(HANDOFF_FORMATS.values())}")
    out = out or Path("journeys" + HANDOFF_FORMATS[fmt])
    result = analyse(folder, codebook=codebook, language=language, redact=redact, model=model, rules_only=rules_only)
    summary = export_run(result, fmt, out, lang=lang, name=folder.resolve().name)
    click.echo(f"{len(result.journeys)} interview(s) read, {skipped_count(result.problems)}")
    click.echo(f"{fmt}: {out} ({summary})")
    echo_problems(result.problems, strict)


@cli.command()
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of journeys.json, to validate a run's output against.

    Example: cjm schema > journeys.schema.json
    """
    from .schema import journeys_schema_text

    click.echo(journeys_schema_text(), nl=False)


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--preset", required=True, type=click.Choice(["five-step", "b2b-four-step", "hourglass"]),
              help="The journey model: five-step (default stages), b2b-four-step or hourglass.")
@reports_errors
def init(folder: Path, preset: str) -> None:
    """Start a series folder: interviews/, a codebook.yaml that extends the preset, and GUIDE.md.

    Nothing that already exists is overwritten.

    Example: cjm init acme-2025 --preset hourglass
    """
    from .scaffold import scaffold

    for path in scaffold(folder, preset):
        click.echo(f"wrote {path}")
    click.echo(f"next: put the transcripts into {folder / 'interviews'}, then "
               f"cjm report {folder / 'interviews'} --codebook {folder / 'codebook.yaml'} -o {folder / 'report'}")


@cli.command()
@click.argument("folder", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="The sheet to write: review.xlsx, or review.csv (+ review.interviews.csv beside it).")
@click.option("--apply", "sheet", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Store the corrections of a filled-in sheet in FOLDER/reviewed/ instead.")
@click.option("--language", type=LANGUAGE_CHOICE, help="Language of every transcript (default: front matter, else detected).")
@click.option("--model", "model", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A tagger model trained with 'cjm learn' (default: the one shipped with cjm).")
@click.option("--rules-only", is_flag=True, help="Suggest the codebook's rules' labels, without the model.")
@codebook_option
@reports_errors
def review(folder: Path, out: Path | None, sheet: Path | None, language: str | None, model: Path | None,
           rules_only: bool, codebook: Path | None) -> None:
    """Check and correct the tags in a spreadsheet; later runs keep the corrections.

    \b
    Example: cjm review interviews/ -o review.xlsx         # least certain utterances first
             cjm review --apply review.xlsx interviews/   # -> interviews/reviewed/<id>.reviewed.json
    """
    from .codebook import load_codebook
    from . import review as reviewing

    if (out is None) == (sheet is None):
        raise click.UsageError("give -o SHEET to write a review sheet, or --apply SHEET to store its corrections")
    if out is not None and out.suffix.lower() not in (".xlsx", ".csv"):
        raise click.BadParameter(f"{out.name}: give a name ending in .xlsx or .csv", param_hint="-o")
    book = load_codebook(codebook)
    if sheet is not None:
        done = reviewing.apply_review(sheet, folder, book)
        for note in done.notes:
            click.secho(f"note: {note}", fg="yellow", err=True)
        if not done.files:
            click.echo(f"{sheet}: no reviewed rows (mark 'ok' or fill a *_fix cell); nothing stored")
            return
        click.echo(f"{done.utterances} utterance(s) reviewed ({done.corrected} corrected), "
                   f"{done.interviews} interview row(s) reviewed: stored in {reviewing.review_folder(folder)} "
                   f"({len(done.files)} file(s))")
        return
    from .pipeline import analyse

    result = analyse(folder, codebook=book, language=language, model=model, rules_only=rules_only)
    echo_notes(result.notes)
    files = reviewing.write_review(result.journeys, result.codebook, out)
    rows = sum(j.review.get("respondent_utterances", 0) for j in result.journeys)
    done = sum(j.review.get("utterances_reviewed", 0) for j in result.journeys)
    click.echo(f"{rows} utterance(s) of {len(result.journeys)} interview(s), {done} reviewed before: "
               f"{', '.join(map(str, files))}")
    click.echo(f"fill the *_fix and ok columns, then: cjm review --apply {out} {folder}")
    echo_problems(result.problems, False)


@cli.group("cache")
def cache_group() -> None:
    """What the cache of analysed interviews holds, and emptying it.

    \b
    The cache keeps each interview's analysis and its parts of the outputs, so a re-run redoes only
    what changed. It stays under $CJM_CACHE_MAX_MB megabytes (default 2048; 0: no limit): after a
    run that passes it, the least recently used files are deleted.
    """


def cache_command(name: str):
    """A `cjm cache` subcommand, given the cache folder (--cache-dir, else the default one)."""
    def decorate(func):
        def resolve(ctx, param, value: Path | None) -> Path:
            from .cache import default_dir

            return value or default_dir()

        option = click.option("--cache-dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=None,
                              callback=resolve, help="The cache folder (default: $CJM_CACHE_DIR, else ~/.cache/cjm).")
        return cache_group.command(name)(option(reports_errors(func)))
    return decorate


@cache_command("info")
def cache_info(folder: Path) -> None:
    """Print the cache's folder, its size by kind and its limit.

    Example: cjm cache info
    """
    from .cache import max_bytes, usage

    limit = max_bytes()
    found = usage(folder) if folder.is_dir() else None
    click.echo(f"folder: {folder}")
    click.echo(f"limit:  {'none' if limit is None else f'{limit / 1e6:.0f} MB'}")
    if found is None or not found.files:
        click.echo("empty")
        return
    click.echo(f"size:   {found.bytes / 1e6:.1f} MB in {found.files} file(s)")
    for kind, (files, size) in sorted(found.kinds.items(), key=lambda kv: -kv[1][1]):
        click.echo(f"  {kind:<16} {size / 1e6:>9.1f} MB {files:>8} file(s)")


@cache_command("clear")
def cache_clear(folder: Path) -> None:
    """Delete every file cjm keeps in the cache (anything else in that folder stays).

    Example: cjm cache clear
    """
    from .cache import clear

    removed, freed = clear(folder) if folder.is_dir() else (0, 0)
    click.echo(f"{removed} file(s) deleted ({freed / 1e6:.1f} MB) from {folder}")


def main() -> None:
    """The `cjm` console script and `python -m cjm` (cjm/__main__.py)."""
    from .executor import settle_own_process

    settle_own_process()
    cli(prog_name="cjm")
