"""The report's sections as plain data, before any HTML: findings, stalled deals, advice.

Each item holds ids, numbers, its test and the references (`Ref`) or interview ids it was counted
from; `render` names the ids in the report's language and formats the numbers (sentence templates
live in `cjm/data/ui.yaml`). Built from the tables of `aggregate` only, so it is tested without a page.

The findings follow the mechanism the domain articles describe for each channel group: who makes
first contact, who filters and by what, who decides, the order in which the roles enter, the
median cycle and steps, where deals stall; then the differences between the compared groups,
each with its test and "within noise" where p >= 0.05 or nothing could be tested.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pandas as pd

from .aggregate import BOUGHT, NOISE_P, Comparison, GroupTables, Ref, Tables, _refs
from .model import ROLE, STAGE

FILTERING_ROLE = "gatekeeper"  # the role that filters suppliers for the decision maker
DECIDING_ROLES = ("big_boss", "treasurer")  # who takes the decision, who approves its budget
DECISION_STAGES = ("motivated", BOUGHT)
FILTER_EVENTS = ("request_price", "compare_suppliers", "ran_trial", "negotiate")  # what a filter looks at


@dataclass
class Finding:
    """One sentence of the findings: `key` names its template in ui.yaml, `values` fill it."""

    key: str
    group: str  # channel group id; "" for the comparison
    values: dict
    k: int  # interviews the sentence counts
    n: int  # interviews it was counted in
    test: str = ""  # "" (a count, k of n), "Fisher" or "Mann–Whitney"
    p: float | None = None
    refs: list[Ref] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)

    @property
    def noise(self) -> bool:
        """Within noise: a test that found no difference, or none possible (a count alone is no test)."""
        return bool(self.test) and (self.p is None or self.p >= NOISE_P)


def group_findings(gid: str, g: GroupTables, tables: Tables) -> list[Finding]:
    """The mechanism of one channel group, in the order an owner asks about it."""
    out: list[Finding] = []
    n = g.n
    if not n:
        return out
    frame = tables.interviews[tables.interviews["interview"].isin(g.interviews)]
    events = tables.events[tables.events["interview"].isin(g.interviews)]
    roles = events[events["kind"] == ROLE]
    # who makes first contact
    known = frame[frame["first_contact_role"].notna()]
    if len(known):
        counts = Counter(known["first_contact_role"])
        role, k = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ids = sorted(known.loc[known["first_contact_role"] == role, "interview"])
        out.append(Finding("finding_first_contact", gid, {"role": role}, k, n, ids=ids))
    # who filters, and by what
    filters = roles[roles["label"] == FILTERING_ROLE]
    if not filters.empty:
        ids = sorted(filters["interview"].unique())
        je = tables.journey_events
        by = je[je["interview"].isin(ids) & je["event"].isin(FILTER_EVENTS)] if je is not None else pd.DataFrame()
        values = {"role": FILTERING_ROLE}
        if not by.empty:
            per_event = by.groupby("event")["interview"].nunique().sort_values(ascending=False, kind="stable")
            values["event"] = per_event.index[0]
            values["event_k"] = int(per_event.iloc[0])
        out.append(Finding("finding_filter" if "event" in values else "finding_filter_plain", gid, values,
                           len(ids), n, refs=_refs(filters)[:12]))
    # who decides: the role named at the decision and payment stages in most interviews
    deciding = roles[roles["label"].isin(DECIDING_ROLES) & roles["stage"].isin(DECISION_STAGES)]
    if not deciding.empty:
        per_role = deciding.groupby("label")["interview"].nunique()
        role = min(per_role.items(), key=lambda kv: (-kv[1], DECIDING_ROLES.index(kv[0])))[0]
        rows = deciding[deciding["label"] == role]
        out.append(Finding("finding_decides", gid, {"role": role}, int(per_role[role]), n, refs=_refs(rows)[:12]))
    # the order in which roles enter
    dmu = g.dmu[g.dmu["interviews"] >= max(1, (n + 1) // 2)] if not g.dmu.empty else g.dmu
    if len(dmu) >= 2:
        order = list(dmu.sort_values(["median_order", "role"], kind="stable")["role"])
        refs = sorted({r for rs in dmu["refs"] for r in rs})
        out.append(Finding("finding_order", gid, {"roles": order}, int(dmu["interviews"].min()), n, refs=refs[:12]))
    # median cycle and steps
    cycles = [float(v) for v in g.cycle_days["cycle_days"]]
    steps = [int(v) for v in g.steps["steps"] if v]
    if cycles:
        out.append(Finding("finding_cycle", gid, {"days": statistics.median(cycles),
                                                  "steps": statistics.median(steps) if steps else None},
                           len(cycles), n, ids=sorted(g.cycle_days["interview"])))
    # where deals stall
    stalled = g.funnel[g.funnel["stalled_here"] > 0]
    if not stalled.empty:
        row = stalled.sort_values("stalled_here", ascending=False, kind="stable").iloc[0]
        out.append(Finding("finding_stall", gid, {"stage": row["stage"]}, int(row["stalled_here"]), n,
                           ids=list(row["stalled_ids"])))
    else:
        bought = sorted(frame.loc[frame["bought"], "interview"])
        out.append(Finding("finding_all_bought", gid, {}, len(bought), n, ids=bought))
    return out


def comparison_findings(c: Comparison | None) -> list[Finding]:
    """The differences between the compared groups, every one with its test."""
    if c is None or not c.a_ids or not c.b_ids:
        return []
    out = [Finding("finding_cmp_conversion", "", {"a": c.a, "b": c.b, "a_k": c.conversion.a_k, "a_n": c.conversion.a_n,
                                                  "b_k": c.conversion.b_k, "b_n": c.conversion.b_n},
                   c.conversion.a_k + c.conversion.b_k, len(c.a_ids) + len(c.b_ids), "Fisher", c.conversion.p,
                   ids=sorted(c.conversion.a_ids + c.conversion.b_ids))]
    for share in sorted(c.first_contact, key=lambda s: (s.p if s.p is not None else 2, s.key))[:2]:
        out.append(Finding("finding_cmp_first_contact", "", {"a": c.a, "b": c.b, "role": share.key,
                                                             "a_k": share.a_k, "a_n": share.a_n,
                                                             "b_k": share.b_k, "b_n": share.b_n},
                           share.a_k + share.b_k, share.a_n + share.b_n, "Fisher", share.p,
                           ids=sorted(share.a_ids + share.b_ids)))
    for spread, key in ((c.cycle_days, "finding_cmp_cycle"), (c.steps, "finding_cmp_steps")):
        if spread.a and spread.b:
            out.append(Finding(key, "", {"a": c.a, "b": c.b, "a_median": statistics.median(spread.a),
                                         "b_median": statistics.median(spread.b),
                                         "a_n": len(spread.a), "b_n": len(spread.b)},
                               len(spread.a) + len(spread.b), len(c.a_ids) + len(c.b_ids), "Mann–Whitney", spread.p,
                               ids=sorted(spread.a_ids + spread.b_ids)))
    return out


# --------------------------------------------------------------------------- stalled deals, advice

@dataclass
class Stall:
    """One deal that did not reach a purchase: where it stopped, and what the client said of why."""

    interview: str
    group: str
    stage: str | None
    outcome: str  # stalled | lost
    reasons: list[Ref]  # pains, objections and negative sentences of the stage it stopped at (or later)


class _ToldRow(NamedTuple):
    """The columns of a sentences row that `stalls` reads (those of `aggregate._Row` and the stage)."""

    interview: str
    utterance: Any
    sentence: Any
    quote: Any
    start: Any
    stage: Any


def stalls(tables: Tables, journeys_outcome: dict[str, str | None], codebook, limit: int = 3) -> list[Stall]:
    """Every interview that did not buy, by stage, with the reasons told (pains, objections,
    negative sentences) at its furthest stage, else anywhere after the first contact."""
    order = {s: i for i, s in enumerate(codebook.ids(STAGE))}
    out = []
    frame = tables.interviews[~tables.interviews["bought"]]
    se = tables.sentences
    told_all = se[(se["pain"] | (se["tone"] < 0))] if not se.empty else se
    by_interview: dict[str, list[_ToldRow]] = {}  # plain rows: a frame's filter per interview costs a millisecond
    if not told_all.empty:
        for values in zip(*(told_all[c].tolist() for c in _ToldRow._fields)):
            by_interview.setdefault(values[0], []).append(_ToldRow(*values))
    for row in frame.itertuples(index=False):
        told = by_interview.get(row.interview, [])  # its pains and negative sentences, in order
        stage = row.furthest_stage if isinstance(row.furthest_stage, str) else None
        here = [r for r in told if isinstance(r.stage, str) and r.stage == stage] if stage else []
        later = [r for r in told if order.get(r.stage, 0) >= 1]
        reasons = _refs(here)[:limit] or _refs(later)[-limit:]
        outcome = journeys_outcome.get(row.interview) or "stalled"
        out.append(Stall(row.interview, row.channel_group or "", stage, "lost" if outcome == "lost" else "stalled",
                         reasons))
    return sorted(out, key=lambda s: (order.get(s.stage, 99), s.interview))


@dataclass
class Advice:
    """What clients say the supplier should change: answers to "what would you advise?" and
    sentences of advice, per interview."""

    interview: str
    group: str
    refs: list[Ref]


def advice(tables: Tables, limit: int = 3) -> list[Advice]:
    rows = tables.advice
    if rows is None or rows.empty:
        return []
    out = []
    for interview, group in rows.groupby("interview", sort=True):
        out.append(Advice(interview, str(group["channel_group"].iloc[0] or ""), _refs(group)[:limit]))
    return out
