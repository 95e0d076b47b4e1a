"""Render: journeys + tables -> a self-contained, offline HTML report (index + one page per interview).

The sections' content is built first as plain data (`cjm.sections`: findings, map, flows, comparison,
roles, stalls, advice; the flow chart's geometry in `cjm.flowchart`); the `Builder` adds the Plotly
charts, the overview and the interview pages (`IndexPage`, `InterviewPage`); one jinja2 environment
(autoescape on, number formats as filters) then templates it. No HTML is built here: transcript text is split into
segments and the template escapes each one. Plotly figures go into the page as JSON with stable div
ids (built in `cjm.charts`, see `charts.as_chart` for why not `to_html`); plotly.js is written once to `assets/`, packed (gzip +
base64 in a small script, see `plotly_asset`), and loaded by a relative path, so opening the report
makes no network request. Output is deterministic.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import jinja2
import pandas as pd

from . import aggregate, charts
from .aggregate import STALLED, Ref, Tables
from .formatting import (format_clock, format_days, format_mood, format_number, format_p,  # noqa: F401 (re-exported)
                         format_percent, format_share, format_spread, interviews, label_name, ui_strings, ui_text)
from .cache import memo
from .charts import Chart, plotly_text, plotly_texts  # noqa: F401 (re-exported)
from .messages import translate
from .output import write_or_link
from .model import CHANNEL, ROLE, STAGE, TOLD_CHANNEL, Journey, Problem
from .sections import (EVIDENCE_PAGE, INTERVIEWS, AdviceBlock, CompareSection, Count, Evidence,  # noqa: F401
                       EvidenceBook, FindingBlock, GroupSection, Quote, Sections, ShareCell, StallRow, branches)

if TYPE_CHECKING:
    from .cache import Pieces

ASSETS = "assets"
PLOTLY_JS = "plotly.gz.js"  # plotly.min.js, gzip-compressed, as base64 in a script that unpacks it
OLD_PLOTLY_JS = "plotly.min.js"  # what earlier versions wrote unpacked (4.8 MB); removed when found
METHOD_PAGE = "method.html"
PALETTE = ["#2f6f9f", "#3f8fbf", "#5aa9c9", "#7cc0c4", "#2e9d6e"]  # unaware -> bought
STALL_COLOR = "#c8553d"


# --------------------------------------------------------------------------- locating templates & strings

def templates_dir() -> Path:
    """`cjm/templates` inside an installed wheel, else the top-level `templates/` of a checkout."""
    packaged = resources.files("cjm") / "templates"
    if packaged.is_dir():
        return Path(str(packaged))
    import cjm

    return Path(cjm.__file__).resolve().parent.parent / "templates"


# --------------------------------------------------------------------------- the report context

@dataclass
class InterviewRow:
    id: str
    href: str
    language: str
    group: str
    channel: str
    outcome: str
    bought: bool
    first_contact: str
    cycle: str
    steps: int
    date: str
    notes: list[str]


@dataclass
class IndexPage:
    """Everything index.html shows, already computed and formatted for one language."""

    lang: str
    title: str
    n: int
    date_range: str
    languages: list[tuple[str, Count]]
    by_group: list[dict]
    outcomes: list[tuple[str, Count]]
    interviews: list[InterviewRow]
    problems: list[Problem]
    notes: list[tuple[str, str, str]]  # (interview, href, note)
    groups: list[GroupSection]
    funnel: Chart
    compare: CompareSection | None
    method: list[dict]
    evidence: list[Evidence]
    stages: list[tuple[str, str]]
    qualification: dict | None = None  # lead qualification per channel group (`qualification_view`)
    reviewed: str = ""  # "N of M utterances reviewed", where a person reviewed any
    findings: list[FindingBlock] = field(default_factory=list)  # per group, then the comparison
    stalls: list[StallRow] = field(default_factory=list)
    advice: list[AdviceBlock] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # entries not read by design (gold/, reviewed/, hidden files)


@dataclass
class Segment:
    """A run of transcript text with the labels that cover it (empty: plain text)."""

    text: str
    kinds: list[str]
    title: str
    suppressed: bool = False


@dataclass
class UtteranceView:
    n: int
    anchor: str
    speaker: str
    clock: str
    is_interviewer: bool
    segments: list[Segment]
    labels: list[tuple[str, str, str, bool]]  # (kind, name, probability as text or "", uncertain)
    reviewed: bool = False  # the labels are a person's (cjm review)


@dataclass
class InterviewPage:
    lang: str
    id: str
    title: str
    metadata: list[tuple[str, str]]
    derived: list[tuple[str, str, str]]  # (label, value, href of evidence)
    path: list[dict]
    strip: list[dict]
    strip_utterances: list[dict]
    utterances: list[UtteranceView]
    notes: list[str]
    source: str
    reviewed: str = ""


# --------------------------------------------------------------------------- builders

UNCERTAIN = 0.7  # a label the model gives less than this is shown as uncertain


SLUG_MAX = 80  # characters (ASCII) of a page's name before ".html": far under every file system's limit
_HASHED_SLUG = re.compile(r".*-[0-9a-f]{12}")
_RESERVED_NAMES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}


def slug(ident: str) -> str:
    """A file name for an interview id: ASCII letters, digits, dot, dash, underscore, at most
    SLUG_MAX characters. An id that is already such a name is kept as it is; any other (changed
    by the cleaning, too long, a Windows device name) gets a hash of the id as a suffix, so two
    ids never share a name and a name is the same in every run."""
    import hashlib

    cleaned = re.sub(r"[^\w.-]+", "_", ident, flags=re.ASCII).strip("._-")
    if (cleaned and cleaned == ident and len(cleaned) <= SLUG_MAX and not _HASHED_SLUG.fullmatch(cleaned)
            and cleaned.split(".")[0].upper() not in _RESERVED_NAMES):
        return cleaned
    digest = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    head = cleaned[:SLUG_MAX - len(digest) - 4].strip("._-") or "interview"
    if head.split(".")[0].upper() in _RESERVED_NAMES:  # Windows reads "nul.txt-…" as the device too
        head = f"id_{head}"
    return f"{head}-{digest}"


class Builder:
    """Builds the page dataclasses for one language; collects evidence blocks as it goes."""

    def __init__(self, journeys: list[Journey], problems: list[Problem], codebook, tables: Tables, lang: str,
                 compare_keys: tuple[str, str] | None, pieces: Pieces | None = None):
        self.journeys = sorted(journeys, key=lambda j: j.id)
        self.pieces = pieces  # the cached parts: group sections and findings, charts (see `chart`)
        self.cache = pieces.cache if pieces is not None else None
        self.problems = list(problems)
        self.codebook = codebook
        self.tables = tables
        self.lang = lang
        self.compare_keys = compare_keys
        self.files = self._file_names()
        self.book = EvidenceBook(self.files, lang)
        self.evidence = self.book.blocks
        self.sections = Sections(self.journeys, codebook, tables, lang, self.book)
        self.href, self.quote, self.count = self.book.href, self.book.quote, self.book.count
        self.by_id = {j.id: j for j in self.journeys}

    # --- helpers
    def t(self, key: str) -> str:
        return ui_text(key, self.lang)

    def date(self, iso: str) -> str:
        """ISO dates as the language writes them: 17.10.2024 in Russian, 2024-10-17 in English."""
        year, month, day = iso.split("-")
        return f"{day}.{month}.{year}" if self.lang == "ru" else iso

    def name(self, kind: str, ident: str | None) -> str:
        return label_name(self.codebook, kind, ident, self.lang)

    def _file_names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        used: set[str] = set()
        for journey in self.journeys:
            base = slug(journey.id)
            candidate, k = base, 2
            while candidate.lower() in used:
                candidate, k = f"{base}-{k}", k + 1
            used.add(candidate.lower())
            names[journey.id] = f"{candidate}.html"
        return names

    # --- the index page
    def index(self) -> IndexPage:
        frame = self.tables.interviews
        stage_names = [(s, self.name(STAGE, s)) for s in self.codebook.ids(STAGE)]
        dates = sorted(d for d in frame["date"] if isinstance(d, str) and d)
        first, last = (self.date(dates[0]), self.date(dates[-1])) if dates else ("—", "—")
        date_range = first if first == last else f"{first} – {last}"
        languages = [(lang, self.count(int(k), f"{self.t('language')}: {lang}",
                                       ids=list(frame.loc[frame["language"] == lang, "interview"])))
                     for lang, k in frame["language"].value_counts().sort_index().items()]
        by_group = []
        for group in list(self.tables.groups):
            sub = frame[frame["channel_group"].fillna("") == group]
            channels = []
            for channel, k in sub["channel"].fillna("").value_counts().sort_index().items():
                ids = list(sub.loc[sub["channel"].fillna("") == channel, "interview"])
                channels.append({"name": self.name(CHANNEL, channel or None),
                                 "count": self.count(int(k), self.name(CHANNEL, channel or None), ids=ids)})
            bought = sub[sub["bought"]]
            by_group.append({"id": group, "name": self.name("group", group or None),
                             "count": self.count(len(sub), self.name("group", group or None), ids=list(sub["interview"])),
                             "bought": self.count(len(bought), f"{self.name('group', group or None)}: {self.t('bought')}",
                                                  ids=list(bought["interview"])),
                             "channels": channels})
        outcomes = []
        bought = frame[frame["bought"]]
        outcomes.append((self.t("bought"), self.count(len(bought), self.t("bought"), ids=list(bought["interview"]))))
        for stage in self.codebook.ids(STAGE):
            stalled = frame[(frame["furthest_stage"] == stage) & ~frame["bought"]]
            if len(stalled):
                label = f"{self.t('stalled_at')} {self.name(STAGE, stage)}"
                outcomes.append((label, self.count(len(stalled), label, ids=list(stalled["interview"]))))
        unknown = frame[frame["furthest_stage"].isna()]
        if len(unknown):
            outcomes.append((self.t("no_stage"), self.count(len(unknown), self.t("no_stage"), ids=list(unknown["interview"]))))
        rows = []
        notes = []
        for row in frame.itertuples(index=False):
            outcome = self.t("bought") if row.bought else (
                f"{self.t('stalled_at')} {self.name(STAGE, row.furthest_stage)}" if row.furthest_stage else self.t("no_stage"))
            rows.append(InterviewRow(
                id=row.interview, href=self.href(row.interview), language=row.language,
                group=self.name("group", row.channel_group), channel=self.name(CHANNEL, row.channel),
                outcome=outcome, bought=bool(row.bought), first_contact=self.name(ROLE, row.first_contact_role),
                cycle=format_days(row.cycle_days, self.lang), steps=int(row.steps), date=self.date(row.date) if isinstance(row.date, str) else "—",
                notes=[translate(note, self.lang) for note in row.notes]))
            notes.extend((row.interview, self.href(row.interview), translate(note, self.lang)) for note in row.notes)
        groups = []
        for gid, g in self.tables.groups.items():
            section = self.sections.cached_group(gid, g, self.pieces)
            section.charts["dmu"] = self.dmu_chart(gid or "none", g)
            groups.append(section)
        findings = self.sections.findings(self.pieces)  # after the groups: the evidence blocks keep their order
        compare = self.sections.comparison()
        if compare is not None:
            c = self.tables.comparison
            compare.charts = {"heatmap": self.heatmap(c, compare.a_name, compare.b_name),
                              "spread": self.spread_chart(c, compare.a_name, compare.b_name)}
        page = IndexPage(
            lang=self.lang, title=self.t("report_title"), n=len(frame), date_range=date_range, languages=languages,
            by_group=by_group, outcomes=outcomes, interviews=rows, notes=notes,
            problems=[Problem(q.source, translate(q.message, self.lang), q.line, translate(q.hint, self.lang) or None)
                      for q in self.problems if not q.ignored],  # cjm's messages in the report's language
            ignored=[q.source for q in self.problems if q.ignored],
            groups=groups, funnel=self.funnel_chart(), compare=compare, method=self.method(),
            evidence=[], stages=stage_names, findings=findings, stalls=self.sections.stalls(),
            advice=self.sections.advice())
        page.qualification = self.qualification_view()
        page.evidence = self.evidence
        page.reviewed = self.reviewed_line(self.journeys)
        return page

    def reviewed_line(self, journeys: list[Journey]) -> str:
        done = sum((j.review or {}).get("utterances_reviewed", 0) for j in journeys)
        total = sum((j.review or {}).get("respondent_utterances", 0) for j in journeys)
        return self.t("reviewed_count").format(done=done, total=total) if done else ""

    # --- charts (cjm.charts; each cached under its arguments where the run has a cache)
    def chart(self, make: Callable[..., Chart], **args: Any) -> Chart:
        """`make(lang, **args)`, or the same chart from the cache: `args` are all it shows."""
        if self.cache is None:
            return make(self.lang, **args)
        key = {"chart": make.__name__, "lang": self.lang, "args": args, "plotly": charts.plotly_version()}
        return memo(self.cache, "chart", key, lambda: make(self.lang, **args))

    def funnel_chart(self) -> Chart:
        """Share of each group's interviews that reached each stage (furthest stage), with k/n."""
        groups = [(self.name("group", gid or None), int(g.n), [int(v) for v in g.funnel["reached"]])
                  for gid, g in self.tables.groups.items()]
        return self.chart(charts.funnel, stage_names=[self.name(STAGE, s) for s in self.codebook.ids(STAGE)],
                          groups=groups, title=[self.t("share_reached_1"), self.t("share_reached_2")])

    def dmu_chart(self, gid: str, g: aggregate.GroupTables) -> Chart | None:
        if g.dmu.empty:
            return None
        frame = g.dmu
        return self.chart(charts.dmu, div_id=f"fig-dmu-{gid}", n=int(g.n),
                          role_names=[self.name(ROLE, r) for r in frame["role"]],
                          orders=[float(v) for v in frame["median_order"]], counts=[int(k) for k in frame["interviews"]],
                          axis_title=[self.t("entry_order"), f"n = {interviews(g.n, self.lang)}"])

    # --- comparison
    def qualification_view(self) -> dict | None:
        """BANT and temperature per channel group (`cjm.qualification.by_group`), each count linked to its quotes."""
        from .qualification import BANT, TEMPERATURE, by_group

        families = self.codebook.families
        groups = by_group(self.journeys, self.codebook)
        if not groups or not (families.get(BANT) or families.get(TEMPERATURE)):
            return None
        bant, temperature = families.get(BANT, []), families.get(TEMPERATURE, [])

        def refs(found) -> list[Ref]:
            return sorted(Ref(i, s.n, s.sentence, s.quote) for i, s in found)

        rows = []
        for g in groups:
            gname = self.name("group", g.group)
            cells = []
            for label in bant:
                found = g.bant.get(label.id, [])
                stage, median = g.bant_stage.get(label.id), g.bant_median_n.get(label.id)
                cells.append({"count": self.count(len(found), f"{gname}: {label.name(self.lang)}", refs=refs(found),
                                                  text=f"{len(found)}/{g.n}"),
                              "stage": self.name(STAGE, stage) if stage else "",
                              "median": format_number(median, self.lang, 1 if median and median % 1 else 0)})
            temps = [self.count(len(g.temperature.get(label.id, [])), f"{gname}: {label.name(self.lang)}",
                                refs=refs(g.temperature.get(label.id, [])),
                                text=f"{len(g.temperature.get(label.id, []))}/{g.n}") for label in temperature]
            temps.append(self.count(len(g.unknown_temperature), f"{gname}: {self.t('unknown')}",
                                    ids=g.unknown_temperature, text=f"{len(g.unknown_temperature)}/{g.n}"))
            rows.append({"name": gname, "n": self.count(g.n, gname, ids=g.interviews), "bant": cells,
                         "temperature": temps})
        return {"rows": rows, "bant_names": [label.name(self.lang) for label in bant],
                "temperature_names": [label.name(self.lang) for label in temperature] + [self.t("unknown")]}

    def heatmap(self, c: aggregate.Comparison, a_name: str, b_name: str) -> Chart:
        return self.chart(charts.roles_heatmap, titles=[f"{a_name} (n = {len(c.a_ids)})", f"{b_name} (n = {len(c.b_ids)})"],
                          role_names=[self.name(ROLE, r) for r in self.codebook.ids(ROLE)],
                          stage_names=[self.name(STAGE, s) for s in self.codebook.ids(STAGE)],
                          sides=[(c.roles_by_stage[side].values.tolist(), len(ids))
                                 for side, ids in (("a", c.a_ids), ("b", c.b_ids))])

    def spread_chart(self, c: aggregate.Comparison, a_name: str, b_name: str) -> Chart:
        panels = [[(name, [float(v) for v in values], list(ids), color)
                   for name, values, ids, color in ((a_name, s.a, s.a_ids, "#2f6f9f"), (b_name, s.b, s.b_ids, "#e07b39"))]
                  for s in (c.cycle_days, c.steps)]
        return self.chart(charts.spread, titles=[f"{self.t('cycle_days')}, {self.t('units_days')}", self.t("steps")],
                          panels=panels)

    def method(self) -> list[dict]:
        out = []
        for kind, title in ((STAGE, "stages"), (ROLE, "roles"), ("group", "groups"), (CHANNEL, "channels")):
            items = []
            for label in self.codebook.labels(kind):
                extra = self.name("group", label.group) if kind == CHANNEL else ""
                items.append({"id": label.id, "name": label.name(self.lang), "means": label.meaning(self.lang) or "—",
                              "extra": extra})
            out.append({"title": self.t(title), "entries": items, "kind": kind})
        return out

    # --- interview pages
    def channel_source(self, journey: Journey) -> str:
        """Where the channel came from; a channel weighed from how the discovery is told, with no
        channel named anywhere (the model's `channel_told` alone), says so: an owner should know
        it was read between the lines."""
        if not journey.channel_source:
            return "—"
        source = self.t(f"source_{journey.channel_source}")
        evidence = next((u for u in journey.utterances if u.n == journey.channel_evidence), None)
        if journey.channel_source == "detected" and evidence is not None and journey.channel is not None \
                and journey.channel not in evidence.probabilities.get(CHANNEL, {}) \
                and journey.channel in evidence.probabilities.get(TOLD_CHANNEL, {}):
            return f"{source}: {self.t('source_words')}"
        return source

    def interview(self, journey: Journey) -> InterviewPage:
        order = {s: i for i, s in enumerate(self.codebook.ids(STAGE))}
        t = journey.transcript
        metadata = [(self.meta_key(str(k)), str(v)) for k, v in (t.metadata or {}).items() if v not in (None, "")]
        path = aggregate.stage_path(journey, self.codebook)
        first_utt: dict[str, int] = {}
        for tagged in journey.utterances:
            for stage in tagged.stages:
                first_utt.setdefault(stage, tagged.n)

        def ev(n: int | None) -> str:
            return f"#u-{n}" if n else ""

        def sure(text: str, name: str) -> str:
            p = journey.confidence.get(name)
            return f"{text} · {format_percent(p, self.lang)}" if isinstance(p, float) else text

        derived = [
            (self.t("channel"), sure(self.name(CHANNEL, journey.channel), "channel"), ev(journey.channel_evidence)),
            (self.t("channel_group"), self.name("group", journey.channel_group), ""),
            (self.t("channel_source"), self.channel_source(journey), ""),
            (self.t("furthest_stage"), sure(self.name(STAGE, aggregate.furthest(journey, self.codebook)), "furthest_stage"),
             ev(first_utt.get(aggregate.furthest(journey, self.codebook) or ""))),
            (self.t("outcome"), self.t(journey.outcome) if journey.outcome else "—", ""),
            (self.t("first_contact"), sure(self.name(ROLE, journey.first_contact_role), "first_contact_role"),
             ev(journey.first_contact_evidence)),
            (self.t("roles"), ", ".join(self.name(ROLE, r) for r in journey.roles) or "—", ""),
            (self.t("cycle_days"), format_days(journey.cycle_days, self.lang),
             ev(journey.cycle_evidence[0] if journey.cycle_evidence else None)),
            (self.t("language"), t.language, ""),
            (self.t("source_file"), t.source, ""),
        ]
        steps = []
        visits: dict[str, int] = {}
        previous = None
        for stage in path:
            visits[stage] = visits.get(stage, 0) + 1
            back = previous is not None and order.get(stage, 0) < order.get(previous, 0)
            steps.append({"stage": stage, "name": self.name(STAGE, stage), "back": back, "visit": visits[stage],
                          "color": PALETTE[min(order.get(stage, 0), len(PALETTE) - 1)]})
            previous = stage
        bought = self.codebook.reached_purchase(aggregate.furthest(journey, self.codebook))
        if path and not bought:
            steps.append({"stage": STALLED, "name": self.t("stalled"), "back": False, "visit": 1, "color": STALL_COLOR})
        respondent = [u for u in journey.utterances if not u.utterance.is_interviewer]
        strip = [{"stage": s, "name": self.name(STAGE, s), "color": PALETTE[min(i, len(PALETTE) - 1)],
                  "cells": [s in u.stages for u in respondent]} for i, s in enumerate(self.codebook.ids(STAGE))]
        strip_utts = [{"n": u.n, "href": f"#u-{u.n}"} for u in respondent]
        utterances = [self.utterance_view(u) for u in journey.utterances]
        return InterviewPage(lang=self.lang, id=journey.id, title=f"{self.t('interview')} {journey.id}",
                             metadata=metadata, derived=derived, path=steps, strip=strip,
                             strip_utterances=strip_utts, utterances=utterances, notes=[translate(note, self.lang) for note in t.notes],
                             source=t.source,
                             reviewed=self.reviewed_line([journey]))

    def meta_key(self, key: str) -> str:
        """A front-matter key in the report's language where ui.yaml knows it (`meta_<key>`)."""
        entry = ui_strings().get(f"meta_{key.lower()}")
        return (entry.get(self.lang) or entry["en"]) if isinstance(entry, dict) else key

    def utterance_view(self, tagged) -> UtteranceView:
        utt = tagged.utterance
        labels = [self.label_chip(tagged, kind, label)
                  for kind in (STAGE, ROLE, CHANNEL) for label in tagged.labels(kind)]
        return UtteranceView(n=utt.n, anchor=f"u-{utt.n}", speaker=utt.speaker or "—", clock=format_clock(utt.start),
                             is_interviewer=utt.is_interviewer,
                             segments=self.segments(utt.text, tagged.mentions, tagged.suppressed), labels=labels,
                             reviewed=tagged.reviewed)

    def label_chip(self, tagged, kind: str, label: str) -> tuple[str, str, str, bool]:
        """A label with the model's probability; below `UNCERTAIN` it is marked for a second look."""
        p = tagged.probabilities.get(kind, {}).get(label)
        uncertain = p is not None and round(100 * p) < round(100 * UNCERTAIN)  # as shown: "70 %" is not under 70
        return kind, self.name(kind, label), "" if p is None else format_percent(p, self.lang), uncertain

    def segments(self, text: str, mentions, suppressed) -> list[Segment]:
        """Split text at every mention boundary; each piece knows the labels covering it. The template
        escapes each piece, so no transcript text is ever marked safe."""
        spans = [(m.start, m.end, m, False) for m in mentions if 0 <= m.start < m.end <= len(text)
                 and m.origin not in ("model", "review")]  # a label given with no phrase behind it marks no text
        spans += [(m.start, m.end, m, True) for m in suppressed if 0 <= m.start < m.end <= len(text)]
        cuts = sorted({0, len(text)} | {s for s, _, _, _ in spans} | {e for _, e, _, _ in spans})
        out: list[Segment] = []
        for a, b in zip(cuts, cuts[1:]):
            covering = [(m, sup) for s, e, m, sup in spans if s <= a and b <= e]
            kinds = sorted({m.kind for m, sup in covering if not sup})
            title = "; ".join(
                f"{self.t('kind_' + m.kind)}: {self.name(m.kind, m.label)}" + (f" ({self.t('suppressed')})" if sup else "")
                for m, sup in covering)
            out.append(Segment(text=text[a:b], kinds=kinds, title=title,
                               suppressed=bool(covering) and all(sup for _, sup in covering)))
        return out


# --------------------------------------------------------------------------- the environment

@lru_cache(maxsize=8)
def environment(lang: str, bytecode_dir: str | None = None) -> jinja2.Environment:
    """The one jinja2 environment: autoescape on, templates from the package, formatters as filters.
    With `bytecode_dir` the compiled templates are kept there (jinja2 checks each against its
    template's source), so a later run does not compile them again."""
    cache = jinja2.FileSystemBytecodeCache(bytecode_dir) if bytecode_dir else None
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())), bytecode_cache=cache,
                             autoescape=True,  # every template, whatever its extension (.html, .js, .css)
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True)
    env.filters["num"] = lambda v, digits=0: format_number(v, lang, digits)
    env.filters["pct"] = lambda v: format_percent(v, lang)
    env.filters["days"] = lambda v: format_days(v, lang)
    env.filters["pval"] = lambda v: format_p(v, lang)
    env.filters["clock"] = format_clock
    env.filters["mood"] = lambda v: format_mood(v, lang)
    env.filters["cell"] = lambda c: (format_share(c.k, c.n, lang) if isinstance(c, ShareCell) else
                                     format_spread(c.unit, c.values, c.median, c.q1, c.q3, c.low, c.high, lang))
    env.filters["svgnum"] = lambda v: f"{float(v):g}"  # coordinates of the flow chart, as SVG reads them
    env.globals["t"] = lambda key: ui_text(key, lang)
    return env




def majority_language(journeys: list[Journey]) -> str:
    langs = [j.transcript.language for j in journeys if j.transcript.language in ("ru", "en")]
    return max(sorted(set(langs)), key=langs.count) if langs else "en"


def report_data(journeys: list[Journey], tables: Tables) -> str:
    """The per-interview summary as JSON for scripts in the page: `<`, `>` and `&` escaped, so no
    transcript text can close the script element."""
    rows = tables.interviews[["interview", "channel_group", "channel", "furthest_stage", "cycle_days"]]
    records = [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in rows.to_dict("records")]
    text = json.dumps(records, ensure_ascii=False, sort_keys=True)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def write_report(journeys: list[Journey], problems: list[Problem], codebook, out_dir, *, lang: str | None = "ru",
                 compare: tuple[str, str] | None = ("cold_inbound", "referral"),
                 tables: Tables | None = None, pieces: Pieces | None = None,
                 previous: str | Path | None = None) -> list[Path]:
    """Write OUT/index.html, OUT/interviews/<id>.html and OUT/assets/plotly.gz.js; return the paths.

    With `pieces` (see `cjm.cache.Pieces`) an interview page made before for the same journey, in
    the same language and under the same file name, is taken from the cache instead of built.
    `previous`: the report folder this one will replace (`cjm.output.staged_folder`); a file that
    would be written with the bytes it already has there is hard-linked from it instead."""
    out = Path(out_dir)

    def like(path: Path) -> Path | None:  # the same file in the folder being replaced
        return Path(previous) / path.relative_to(out) if previous else None

    def _write(path: Path, text: str) -> Path:
        return write_or_link(path, text.encode("utf-8"), like(path))

    lang = lang or majority_language(journeys)
    if lang not in ("ru", "en"):
        lang = "en"
    tables = tables or aggregate.build_tables(journeys, codebook, compare_keys=compare)
    builder = Builder(journeys, problems, codebook, tables, lang, compare, pieces)
    env = environment(lang, bytecode_folder(pieces))
    written: list[Path] = []
    (out / ASSETS).mkdir(parents=True, exist_ok=True)
    (out / INTERVIEWS).mkdir(parents=True, exist_ok=True)
    written.append(_write_plotly(out / ASSETS / PLOTLY_JS, pieces, like(out / ASSETS / PLOTLY_JS)))
    stale = out / ASSETS / OLD_PLOTLY_JS
    if stale.is_file():  # an earlier cjm's unpacked copy would put the folder over its size budget again
        stale.unlink()
    written.append(_write(out / ASSETS / "report.css", env.get_template("partials/style.css").render()))
    index = builder.index()
    page = env.get_template("index.html").render(page=index, lang=lang, root="", data=report_data(journeys, tables),
                                                 problems=problems, plotly=f"{ASSETS}/{PLOTLY_JS}")
    written.append(_write(out / "index.html", page))
    for name, template in ((EVIDENCE_PAGE, "evidence.html"), (METHOD_PAGE, "method.html")):  # apart: the index stays short
        html = env.get_template(template).render(page=index, lang=lang, root="", plotly=None)
        written.append(_write(out / name, html))
    for journey in builder.journeys:
        name = builder.files[journey.id]

        def make(journey: Journey = journey) -> bytes:
            return interview_html(builder, journey, env).encode("utf-8")

        data = make() if pieces is None else pieces.one("page", journey.id, {"lang": lang, "file": name}, make)
        path = out / INTERVIEWS / name
        written.append(write_or_link(path, data, like(path)))
    return written


def interview_html(builder: Builder, journey: Journey, env: jinja2.Environment) -> str:
    """One interview's page: it shows that journey alone, in the builder's language."""
    view = builder.interview(journey)
    return env.get_template("interview.html").render(page=view, lang=builder.lang, root="../", plotly=None)


def bytecode_folder(pieces: Pieces | None) -> str | None:
    """Where compiled templates are kept: beside the run's cache, where it has one."""
    if pieces is None:
        return None
    folder = pieces.cache.folder / "jinja"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return str(folder)


@lru_cache(maxsize=1)
def _packed_plotly() -> tuple[str, str, int]:
    """(version, base64 of the gzip-compressed plotly.min.js, its size in bytes). gzip with mtime 0,
    so the same plotly.py gives the same bytes; computed once per process (about 0.2 s)."""
    from plotly.offline import get_plotlyjs

    source = get_plotlyjs().encode("utf-8")
    found = re.search(rb"plotly\.js v([0-9A-Za-z.+-]+)", source[:500])
    version = found.group(1).decode("ascii") if found else "(version unknown)"
    packed = base64.b64encode(gzip.compress(source, compresslevel=9, mtime=0)).decode("ascii")
    return version, packed, len(source)


def cached_plotly_asset(pieces: Pieces) -> str:
    from plotly.offline import get_plotlyjs

    from .cache import bytes_key, fingerprint, templates_fingerprint

    key = fingerprint({"plotly": bytes_key(get_plotlyjs().encode("utf-8")), "templates": templates_fingerprint()})
    found = pieces.cache.load("plotly", key)
    if isinstance(found, str):
        return found
    asset = plotly_asset()
    pieces.cache.store("plotly", key, asset)
    return asset


def plotly_asset() -> str:
    """The one shared plotly.js asset: a script holding plotly.min.js gzip-compressed and
    base64-encoded (about 1.96 MB instead of 4.8 MB). In the page, DecompressionStream("gzip")
    inflates it and it runs from a blob: URL; `window.cjmPlotly` is the promise the chart script
    waits for (templates/partials/plotly.js, charts.js). A `<script src>` from a relative path is
    the one way to load local code from file:// (fetch and XHR of file: URLs are blocked), hence
    the script wrapper rather than a .gz file."""
    version, packed, size = _packed_plotly()
    return environment("en").get_template("partials/plotly.js").render(version=version, size=size, data=packed)


def _write_plotly(path: Path, pieces: Pieces | None = None, like: Path | None = None) -> Path:
    """plotly.js once, packed, as a local file the index page loads by a relative path (no CDN).
    With `pieces` the packed asset is kept in the cache, keyed by plotly.js's own bytes (packing
    it costs a few tenths of a second). `like`: see `cjm.output.write_or_link`."""
    data = (plotly_asset() if pieces is None else cached_plotly_asset(pieces)).encode("utf-8")
    if not path.is_file() or path.read_bytes() != data:
        write_or_link(path, data, like)
    return path
