"""Hand-off: a run's journeys written in the formats the next tools read (`cjm export`).

qdpx (REFI-QDA: QualCoder, NVivo, ATLAS.ti, MAXQDA), xlsx (Excel), xes and ocel (process mining:
pm4py, ProM, Celonis, ...), json (the contract's journeys.json). Each writer lives in its own
module; this one picks the writer and says in one line what was written.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .errors import UsageError

if TYPE_CHECKING:  # the CLI imports FORMATS at start: no spaCy for that
    from .pipeline import RunResult

FORMATS = {"qdpx": ".qdpx", "xlsx": ".xlsx", "xes": ".xes", "ocel": ".jsonocel", "json": ".json"}


def format_of(fmt: str | None, path: Path | None) -> str | None:
    """The format asked for, else the one the output file's extension names (None: neither says)."""
    suffix = path.suffix.lower() if path else ""
    return fmt or next((name for name, extension in FORMATS.items() if suffix == extension), None)


def export_run(result: RunResult, fmt: str, path: Path, *, lang: str | None = None, name: str = "cjm") -> str:
    """Write the run in one format; return what was written, counted (for the one-line message)."""
    from .qdpx import majority_language

    journeys, book = result.journeys, result.codebook
    lang = lang or majority_language(journeys)
    if fmt == "qdpx":
        from .qdpx import build_project, write_qdpx

        project = build_project(journeys, book, lang=lang, name=name, problems=result.problems)
        write_qdpx(project, path)
        return (f"{len(project.sources)} source(s), {sum(c.codable for c in project.codes)} codes, "
                f"{len(project.segments)} coded segment(s)")
    if fmt == "xlsx":
        from .xlsx import workbook_tables, write_xlsx

        tables = workbook_tables(journeys, book, result.problems)
        write_xlsx(journeys, book, path, tables=tables.items())
        return ", ".join(f"{sheet}: {len(frame)} row(s)" for sheet, frame in tables.items())
    if fmt in ("xes", "ocel"):
        from .eventlog import journey_events, write_ocel, write_xes

        events = sum(len(journey_events(j, book)) for j in journeys)
        if fmt == "xes":
            write_xes(journeys, book, path, result.problems)
            return f"{events} stage step(s) in {len(journeys)} trace(s)"
        write_ocel(journeys, book, path, lang=lang)
        return f"{events} stage step(s), {len(journeys)} interview(s)"
    if fmt == "json":
        from .export import write_journeys

        write_journeys(journeys, result.problems, path)
        return f"{len(journeys)} interview(s)"
    raise UsageError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
