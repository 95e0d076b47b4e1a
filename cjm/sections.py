"""The report's sections as plain data: findings, journey map, flows, comparison, roles (the
decision-making unit), stalled deals and advice, for one language.

Built from `aggregate`'s tables and `findings`' items, before any HTML: names are the codebook's in
the report's language, numbers stay numbers (days, shares, p-values, mood) for the templates'
filters to format (`render.environment`), and every count carries the anchor of its quotes on the
evidence page. Tested without a page (tests/test_sections.py); `render` adds the charts and the
templates. Like coverage.py's HTML reporter, data first, then a separate step that escapes and writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import aggregate
from . import findings as findings_mod
from . import flowchart
from .aggregate import STALLED, Cell, Ref, Tables
from .formatting import format_clock, format_days, format_number, interviews, label_name, ui_strings, ui_text
from .model import CHANNEL, EVENT, ROLE, STAGE

if TYPE_CHECKING:
    from .cache import Pieces

EVIDENCE_PAGE = "evidence.html"  # the quotes behind every number, apart from the index (its size)
INTERVIEWS = "interviews"


# --------------------------------------------------------------------------- linked numbers and quotes

@dataclass
class Quote:
    """A sentence shown in the report, linking to its utterance on the interview page."""

    interview: str
    n: int
    text: str
    href: str
    clock: str = ""


@dataclass
class Evidence:
    """The quotes behind one number; every linked number points at one of these blocks."""

    id: str
    title: str
    quotes: list[Quote]


@dataclass
class Count:
    """A number with the anchor of its evidence (empty when the number is zero)."""

    value: Any
    href: str = ""
    text: str = ""  # what the link shows instead of the value ("quotes"), when set


class EvidenceBook:
    """Names interview pages and collects the evidence blocks that the section's numbers link to
    (a block is shared when the same title and quotes repeat)."""

    def __init__(self, files: dict[str, str], lang: str):
        self.files = files
        self.lang = lang
        self.blocks: list[Evidence] = []
        self._keys: dict[tuple, str] = {}
        self._quotes: dict[tuple, Quote] = {}  # one Quote per sentence shown: the same refs recur in many counts

    def href(self, interview: str, n: int | None = None, prefix: str = f"{INTERVIEWS}/") -> str:
        anchor = f"#u-{n}" if n is not None else ""
        return f"{prefix}{self.files[interview]}{anchor}"

    def quote(self, ref: Ref) -> Quote:
        """The shown form of a reference (shared: a Quote is never changed once made)."""
        key = (ref.interview, ref.utterance, ref.quote, ref.start)
        found = self._quotes.get(key)
        if found is None:
            found = self._quotes[key] = Quote(interview=ref.interview, n=ref.utterance, text=ref.quote,
                                              href=self.href(ref.interview, ref.utterance),
                                              clock=format_clock(ref.start))
        return found

    def count(self, value: Any, title: str, refs: list[Ref] | None = None, ids: list[str] | None = None,
              text: str = "") -> Count:
        """A number linked to its evidence block; when it counts interviews, the evidence is them.
        A block is keyed by its title and quotes (interview, utterance, text); its quotes are made
        only when the block is new."""
        if refs:
            key = (title, tuple((r.interview, r.utterance, r.quote) for r in refs))
        else:
            opened = ui_strings()["open_interview"][self.lang]
            ids = sorted(ids or [])
            key = (title, tuple((i, 0, opened) for i in ids))
        if not key[1]:
            return Count(value=value, text=text)
        if key not in self._keys:
            self._add(key, title, [self.quote(r) for r in refs] if refs else
                      [Quote(interview=i, n=0, text=opened, href=self.href(i)) for i in ids])
        return Count(value=value, href=f"{EVIDENCE_PAGE}#{self._keys[key]}", text=text)

    def _add(self, key: tuple, title: str, quotes: list[Quote]) -> None:
        ident = f"ev-{len(self.blocks) + 1}"
        self._keys[key] = ident
        self.blocks.append(Evidence(id=ident, title=title, quotes=quotes))

    def adopt(self, blocks: list[Evidence]) -> dict[str, str]:
        """Take in, in their order, the blocks another book made (a cached section's): each becomes
        this book's block of the same title and quotes, added where new, so the ids are those the
        section's counts would have got here. Returns the other book's ids -> this book's."""
        moved = {}
        for block in blocks:
            key = (block.title, tuple((q.interview, q.n, q.text) for q in block.quotes))
            if key not in self._keys:
                self._add(key, block.title, block.quotes)
            moved[block.id] = self._keys[key]
        return moved


def relink(value: Any, moved: dict[str, str], seen: set[int] | None = None) -> None:
    """Point every evidence link of a section (its counts, its flow chart's labels) at the ids of
    the book its blocks were adopted into (`EvidenceBook.adopt`). Only those two types hold such
    links; each object is visited once (the chart's labels are listed twice)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, (Count, flowchart.Label)) and value.href:
        value.href = f"{EVIDENCE_PAGE}#{moved[value.href.rpartition('#')[2]]}"
    if isinstance(value, (list, tuple)):
        for item in value:
            relink(item, moved, seen)
    elif isinstance(value, dict):
        for item in value.values():
            relink(item, moved, seen)
    elif hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
        for name in value.__dataclass_fields__:
            relink(getattr(value, name), moved, seen)


# --------------------------------------------------------------------------- the sections' data

@dataclass
class FindingRow:
    text: str  # the sentence, numbers already in it
    quotes: Count
    n: int
    test: str  # the test's name in the report's language, or "count"
    p: float | None
    noise: bool
    tested: bool


@dataclass
class FindingBlock:
    id: str
    name: str
    n: int
    rows: list[FindingRow]


@dataclass
class LaneItem:
    text: str
    count: Count


@dataclass
class MapColumn:
    """One stage column of the journey map grid."""

    stage: str
    name: str
    interviews: Count
    actions: list[LaneItem]
    touchpoints: list[LaneItem]
    roles: list[LaneItem]
    questions: list[Quote]
    pains: list[Quote]
    questions_count: Count
    pains_count: Count
    mood: float | None  # mean sentence tone, −1…+1; None under 3 toned sentences
    mood_count: Count
    days: float | None  # median days told about this step; None: not known
    days_count: Count
    quotes: list[Quote]


@dataclass
class MoodPoint:
    """The mood curve inside one stage cell: y at the centre, and where the line meets each edge
    (half-way to the neighbour's y), so the cells together draw one continuous curve."""

    y: float | None
    left: float | None
    right: float | None
    tone: str


@dataclass
class Transition:
    source: str
    target: str
    kind: str
    steps: int
    count: Count


@dataclass
class PathRow:
    steps: list[str]
    stalled: bool
    count: Count


@dataclass
class RoleRow:
    """One role of a group's decision-making unit."""

    role: str
    interviews: Count
    first: int  # interviews whose story names it first
    order: float  # median order of entry
    entry: str  # the stage it usually enters at
    approves: int
    pays: int
    quote: Quote | None


@dataclass
class GroupSection:
    """One channel group: its map grid, its flow (a chart where paths branch, else the path strip)
    and its decision-making unit. `charts` is filled by `render` (Plotly figures)."""

    id: str
    name: str
    n: int
    interviews: list[tuple[str, str]]  # (id, href)
    columns: list[MapColumn]
    mood_points: list[MoodPoint]
    flow: flowchart.FlowChart | None
    transitions: list[Transition]
    paths: list[PathRow]
    roles: list[RoleRow]
    charts: dict[str, Any] = field(default_factory=dict)


@dataclass
class ShareCell:
    k: int
    n: int
    count: Count


@dataclass
class SpreadCell:
    """A distribution told as median and spread: `unit` is "days" or "steps"."""

    unit: str
    values: list[float]
    median: float | None
    q1: float | None
    q3: float | None
    low: float | None
    high: float | None
    count: Count

    @property
    def n(self) -> int:
        return len(self.values)


@dataclass
class CompareRow:
    label: str
    a: ShareCell | SpreadCell
    b: ShareCell | SpreadCell
    test: str
    p: float | None
    noise: bool


@dataclass
class CompareSection:
    a: str
    b: str
    a_name: str
    b_name: str
    a_n: Count
    b_n: Count
    rows: list[CompareRow]
    charts: dict[str, Any] = field(default_factory=dict)


@dataclass
class StallRow:
    interview: str
    href: str
    group: str
    stage: str
    outcome: str
    reasons: list[Quote]


@dataclass
class AdviceBlock:
    interview: str
    href: str
    group: str
    quotes: list[Quote]


# --------------------------------------------------------------------------- building them

def branches(flows: pd.DataFrame) -> bool:
    """Paths branch when some node leads to two different places (a stall, a back-step, a skip)."""
    return bool((flows.groupby("source")["target"].nunique() > 1).any()) if not flows.empty else False


class Sections:
    """Builds every section of the index for one language; the numbers link into `book`."""

    def __init__(self, journeys, codebook, tables: Tables, lang: str, book: EvidenceBook):
        self.journeys = journeys
        self.codebook = codebook
        self.tables = tables
        self.lang = lang
        self.book = book
        self.count = book.count
        self.quote = book.quote

    def t(self, key: str) -> str:
        return ui_text(key, self.lang)

    def name(self, kind: str, ident: str | None) -> str:
        return label_name(self.codebook, kind, ident, self.lang)

    # --- findings
    def fill(self, f: findings_mod.Finding) -> str:
        """A finding's sentence in the report's language: ids named, numbers formatted."""
        values: dict[str, Any] = {"k": f.k, "n": f.n}
        for key, value in f.values.items():
            if key == "role":
                values[key] = self.name(ROLE, value)
            elif key == "roles":
                values[key] = " → ".join(self.name(ROLE, r) for r in value)
            elif key == "stage":
                values[key] = self.name(STAGE, value)
            elif key == "event":
                values[key] = self.name(EVENT, value)
            elif key in ("a", "b"):
                kind = "group" if value in self.codebook.ids("group") else CHANNEL
                values[key] = self.name(kind, value)
            elif key in ("days", "a_median", "b_median") and f.key != "finding_cmp_steps":
                shown = [f.values.get(k) for k in ("a_median", "b_median")] if key != "days" else [value]
                values[key] = format_days(value, self.lang, max((float(v) for v in shown if v is not None), default=None))
            elif isinstance(value, float):
                values[key] = format_number(value, self.lang, 0 if float(value).is_integer() else 1)
            elif value is None:
                values[key] = self.t("not_known")
            else:
                values[key] = value
        return self.t(f.key).format(**values)

    def test_name(self, test: str) -> str:
        """A test's name in the report's language ("Fisher" -> "точный тест Фишера")."""
        return self.t({"Fisher": "test_fisher", "Mann–Whitney": "test_mann_whitney"}[test])

    def finding_row(self, f: findings_mod.Finding, where: str) -> FindingRow:
        text = self.fill(f)
        return FindingRow(text=text, quotes=self.count(f.k, f"{where}: {text}", refs=f.refs or None, ids=f.ids,
                                                       text=self.t("quotes_link")),
                          n=f.n, test=self.test_name(f.test) if f.test else self.t("count_test"),
                          p=f.p if f.test else None, noise=f.noise, tested=bool(f.test))

    def findings(self, pieces: Pieces | None = None) -> list[FindingBlock]:
        """Per group, then the comparison. With `pieces` a group's findings (which read that group's
        journeys alone) come from the cache where the same journeys made them."""
        out = []
        for gid, g in self.tables.groups.items():
            gname = self.name("group", gid or None)

            def make(gid: str = gid, g: aggregate.GroupTables = g) -> list[findings_mod.Finding]:
                return findings_mod.group_findings(gid, g, self.tables)

            found = make() if pieces is None else pieces.made("group-findings", list(g.interviews), {"group": gid},
                                                             make, list)
            rows = [self.finding_row(f, gname) for f in found]
            if rows:
                out.append(FindingBlock(gid or "none", gname, g.n, rows))
        c = self.tables.comparison
        compared = findings_mod.comparison_findings(c)
        if compared:
            out.append(FindingBlock("compare", self.t("findings_compare"), len(c.a_ids) + len(c.b_ids),
                                    [self.finding_row(f, self.t("compare")) for f in compared]))
        return out

    # --- per channel group: map, flow, roles
    def cached_group(self, gid: str, g: aggregate.GroupTables, pieces: Pieces | None) -> GroupSection:
        """`group`, from the cache where the group's journeys made it before (in this language,
        with the same page names): it is built with an evidence book of its own, whose blocks then
        join this one in their order (`EvidenceBook.adopt`, `relink`), so the ids are the ones a
        build in place gives."""
        if pieces is None:
            return self.group(gid, g)
        files = {ident: self.book.files[ident] for ident in g.interviews}

        def make() -> tuple[GroupSection, list[Evidence]]:
            own = Sections(self.journeys, self.codebook, self.tables, self.lang, EvidenceBook(self.book.files, self.lang))
            return own.group(gid, g), own.book.blocks

        section, blocks = pieces.made("group-section", list(g.interviews), {"group": gid, "lang": self.lang,
                                                                            "files": files}, make, tuple)
        relink(section, self.book.adopt(blocks))
        return section

    def group(self, gid: str, g: aggregate.GroupTables) -> GroupSection:
        gname = self.name("group", gid or None)
        columns = [self.map_column(gname, cell) for cell in g.cells]
        transitions = [Transition(self.node_name(row.source), self.node_name(row.target), row.kind, int(row.steps),
                                  self.count(int(row.count),
                                             f"{gname}: {self.node_name(row.source)} → {self.node_name(row.target)}",
                                             ids=list(row.interviews)))
                       for row in g.transitions.itertuples(index=False)]
        return GroupSection(id=gid or "none", name=gname, n=g.n,
                            interviews=[(i, self.book.href(i)) for i in g.interviews], columns=columns,
                            mood_points=mood_points([c.mood for c in columns]), flow=self.flow(gname, g),
                            transitions=transitions, paths=[] if branches(g.flows) else self.path_strip(g),
                            roles=self.roles(gname, g))

    def map_column(self, gname: str, cell: Cell) -> MapColumn:
        sname = self.name(STAGE, cell.stage)
        where = f"{gname} · {sname}"

        def items(things: list[aggregate.Item], kind: str) -> list[LaneItem]:
            out = []
            for item in things:
                if kind == "touch":
                    kind_, _, ident = item.key.partition(":")
                    text = self.name(CHANNEL, ident) if kind_ == "channel" else self.name(EVENT, ident)
                elif kind == ROLE:
                    text = self.name(ROLE, item.key)
                else:
                    text = self.name(EVENT, item.key)
                out.append(LaneItem(text=text, count=self.count(item.interviews, f"{where}: {text}", refs=item.refs)))
            return out

        return MapColumn(
            stage=cell.stage, name=sname,
            interviews=self.count(cell.interviews, f"{where}: {self.t('interviews')}", refs=cell.refs),
            actions=items(cell.actions, "action"), touchpoints=items(cell.touchpoints, "touch"),
            roles=items(cell.roles, ROLE),
            questions=[self.quote(r) for r in cell.questions[:2]], pains=[self.quote(r) for r in cell.pains[:2]],
            questions_count=self.count(len(cell.questions), f"{where}: {self.t('questions')}", refs=cell.questions),
            pains_count=self.count(len(cell.pains), f"{where}: {self.t('pains')}", refs=cell.pains),
            mood=cell.mood, mood_count=self.count(cell.mood_n, f"{where}: {self.t('mood')}", refs=cell.mood_refs),
            days=cell.days_median,
            days_count=self.count(cell.days_n, f"{where}: {self.t('time_spent')}", refs=cell.days_refs),
            quotes=[self.quote(r) for r in cell.quotes])

    def node_name(self, key: str) -> str:
        kind, _, stage = key.rpartition(":")
        if kind == STALLED:
            return f"{self.t('stalled_at')} {self.name(STAGE, stage)}"
        if kind == aggregate.BACK:
            return f"↩ {self.t('back_to')} {self.name(STAGE, stage)}"
        return self.name(STAGE, stage)

    def flow(self, gname: str, g: aggregate.GroupTables) -> flowchart.FlowChart | None:
        """The flow chart, only where paths branch (some stage leads to two places)."""
        flows = g.flows
        if flows.empty or not branches(flows):
            return None
        through: dict[str, set] = {}
        for row in flows.itertuples(index=False):
            through.setdefault(row.source, set()).update(row.interviews)
            through.setdefault(row.target, set()).update(row.interviews)
        inputs = []
        for row in flows.itertuples(index=False):
            source, target = self.node_name(row.source), self.node_name(row.target)
            count = self.count(int(row.count), f"{gname}: {source} → {target}", ids=list(row.interviews))
            inputs.append(flowchart.FlowInput(
                row.source, row.target, row.kind, int(row.count), count.href,
                f"{source} → {target} ({self.t('kind_' + row.kind)}): {interviews(int(row.count), self.lang)}"))
        stages = [(s, self.name(STAGE, s)) for s in self.codebook.ids(STAGE)]
        titles = {key: f"{self.node_name(key)}: {interviews(len(ids), self.lang)}" for key, ids in through.items()}
        chart = flowchart.layout(stages, inputs, g.n, self.t("stalled"),
                                 {k: len(v) for k, v in through.items()}, titles)
        chart.caption = self.t("flow_caption").format(n=g.n)
        return chart

    def path_strip(self, g: aggregate.GroupTables) -> list[PathRow]:
        """Where paths do not branch: each distinct path in full, with its interviews."""
        frame = self.tables.interviews[self.tables.interviews["interview"].isin(g.interviews)]
        paths: dict[tuple, list[str]] = {}
        for row in frame.itertuples(index=False):
            steps = tuple(row.path) + (() if row.bought or not row.path else (STALLED,))
            paths.setdefault(steps, []).append(row.interview)
        out = []
        for steps, ids in sorted(paths.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            names = [self.t("stalled") if s == STALLED else self.name(STAGE, s) for s in steps]
            out.append(PathRow(names, bool(steps) and steps[-1] == STALLED,
                               self.count(len(ids), " → ".join(names), ids=ids)))
        return out

    def roles(self, gname: str, g: aggregate.GroupTables) -> list[RoleRow]:
        return [RoleRow(role=self.name(ROLE, row.role),
                        interviews=self.count(int(row.interviews), f"{gname}: {self.name(ROLE, row.role)}",
                                              refs=list(row.refs)),
                        first=int(row.first), order=float(row.median_order), entry=self.name(STAGE, row.entry_stage),
                        approves=int(row.approves), pays=int(row.pays),
                        quote=self.quote(row.refs[0]) if row.refs else None)
                for row in g.dmu.itertuples(index=False)]

    # --- the comparison
    def comparison(self) -> CompareSection | None:
        c = self.tables.comparison
        if c is None:
            return None
        kinds = {"group": "group", "channel": CHANNEL, "unknown": "group"}
        a_name, b_name = self.name(kinds[c.a_kind], c.a), self.name(kinds[c.b_kind], c.b)

        def share_row(label: str, s: aggregate.Share) -> CompareRow:
            return CompareRow(label, ShareCell(s.a_k, s.a_n, self.count(s.a_k, f"{a_name}: {label}", ids=s.a_ids)),
                              ShareCell(s.b_k, s.b_n, self.count(s.b_k, f"{b_name}: {label}", ids=s.b_ids)),
                              self.test_name("Fisher"), s.p, s.noise)

        def spread_row(label: str, s: aggregate.Spread, unit: str) -> CompareRow:
            cells = []
            for values, ids, name in ((s.a, s.a_ids, a_name), (s.b, s.b_ids, b_name)):
                d = aggregate.Spread.describe(values) if values else {}
                cells.append(SpreadCell(unit, list(values), d.get("median"), d.get("q1"), d.get("q3"), d.get("min"),
                                        d.get("max"), self.count(len(values), f"{name}: {label}", ids=ids)))
            return CompareRow(label, cells[0], cells[1], self.test_name("Mann–Whitney"), s.p, s.noise)

        rows = [share_row(self.t("conversion"), c.conversion)]
        rows += [share_row(f"{self.t('first_contact')}: {self.name(ROLE, s.key)}", s) for s in c.first_contact]
        rows.append(spread_row(self.t("cycle_days"), c.cycle_days, "days"))
        rows.append(spread_row(self.t("steps"), c.steps, "steps"))
        return CompareSection(a=c.a, b=c.b, a_name=a_name, b_name=b_name,
                              a_n=self.count(len(c.a_ids), a_name, ids=c.a_ids),
                              b_n=self.count(len(c.b_ids), b_name, ids=c.b_ids), rows=rows)

    # --- stalled deals, advice
    def stalls(self) -> list[StallRow]:
        outcomes = {j.id: j.outcome for j in self.journeys}
        return [StallRow(st.interview, self.book.href(st.interview), self.name("group", st.group or None),
                         self.name(STAGE, st.stage), self.t(f"outcome_{st.outcome}"),
                         [self.quote(r) for r in st.reasons])
                for st in findings_mod.stalls(self.tables, outcomes, self.codebook)]

    def advice(self) -> list[AdviceBlock]:
        return [AdviceBlock(a.interview, self.book.href(a.interview), self.name("group", a.group or None),
                            [self.quote(r) for r in a.refs]) for a in findings_mod.advice(self.tables)]


def mood_points(moods: list[float | None]) -> list[MoodPoint]:
    """The y (0 top … 100 bottom, 50 = neutral) of each stage's mood, with the edges half-way to
    the neighbours' so that the cells draw one line."""
    ys = [None if m is None else round(50 - 42 * m, 1) for m in moods]
    points = []
    for i, y in enumerate(ys):
        prev = ys[i - 1] if i > 0 else None
        nxt = ys[i + 1] if i + 1 < len(ys) else None
        tone = "" if y is None else ("pos" if y < 45 else ("neg" if y > 55 else ""))
        points.append(MoodPoint(y=y, left=None if y is None or prev is None else round((prev + y) / 2, 1),
                                right=None if y is None or nxt is None else round((nxt + y) / 2, 1), tone=tone))
    return points
