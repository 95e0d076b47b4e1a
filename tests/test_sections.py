"""The report's sections as plain data (cjm/sections.py), built from hand-built journeys: names in
the report's language, numbers left as numbers, every count linked to its quotes. No HTML here."""

from __future__ import annotations

import dataclasses

import pytest

from cjm.aggregate import build_tables
from cjm.codebook import load_codebook
from cjm.flowchart import overlaps
from cjm.sections import CompareSection, EvidenceBook, Sections, ShareCell, SpreadCell, mood_points

import render_fixture as fixture  # tests/render_fixture.py: the hand-built journeys of tests/data/render


@pytest.fixture(scope="module")
def built():
    codebook = load_codebook()
    journeys = sorted(fixture.load_journeys(), key=lambda j: j.id)
    tables = build_tables(journeys, codebook)
    book = EvidenceBook({j.id: f"{j.id}.html" for j in journeys}, "ru")
    return Sections(journeys, codebook, tables, "ru", book), tables, book


def walk(value):
    """Every value inside a section, dataclasses and containers opened."""
    if dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            yield from walk(getattr(value, f.name))
    elif isinstance(value, dict):
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from walk(v)
    else:
        yield value


def test_map_columns_keep_numbers_as_numbers_and_names_in_russian(built):
    sections, tables, book = built
    group = sections.group("referral", tables.groups["referral"])
    assert group.name == "Рекомендации" and [c.name for c in group.columns][0] == "Не знает"
    for column, cell in zip(group.columns, tables.groups["referral"].cells):
        assert column.days == cell.days_median and column.mood == cell.mood  # raw: the filters format them
        assert column.interviews.value == cell.interviews
        assert (column.interviews.href != "") == bool(cell.refs)
    blocks = {b.id for b in book.blocks}
    assert all(c.interviews.href.split("#")[1] in blocks for c in group.columns if c.interviews.href)


def test_a_branching_group_has_a_flow_chart_with_every_count_linked(built):
    sections, tables, book = built
    cold = sections.group("cold_inbound", tables.groups["cold_inbound"])
    assert cold.flow is not None and not cold.paths
    flows = tables.groups["cold_inbound"].flows
    assert sorted(int(k) for k in flows["count"]) == sorted(int(lb.text.replace("↩ ", "")) for lb in cold.flow.labels)
    blocks = {b.id for b in book.blocks}
    assert all(lb.href.split("#")[1] in blocks for lb in cold.flow.labels)
    assert cold.flow.caption.startswith(f"n = {cold.n};") and "интервью" in cold.flow.caption  # n and the unit
    assert not overlaps(cold.flow)


def test_comparison_cells_hold_counts_and_spreads(built):
    sections, tables, _ = built
    compare = sections.comparison()
    assert isinstance(compare, CompareSection) and compare.a_name == "Холодные входящие"
    conversion = compare.rows[0]
    assert isinstance(conversion.a, ShareCell) and (conversion.a.k, conversion.a.n) == (1, 3)
    assert conversion.p == pytest.approx(1.0) and conversion.noise
    cycle = [r for r in compare.rows if isinstance(r.a, SpreadCell) and r.a.unit == "days"][0]
    assert cycle.a.n == len(tables.comparison.cycle_days.a) and cycle.test == "тест Манна–Уитни"


def test_roles_stalls_advice_and_findings_are_plain_data(built):
    sections, tables, _ = built
    referral = sections.group("referral", tables.groups["referral"])
    assert referral.roles and all(isinstance(r.order, float) and r.role for r in referral.roles)
    stalls = sections.stalls()
    assert {s.interview for s in stalls} == set(tables.interviews.loc[~tables.interviews["bought"], "interview"])
    assert all(s.outcome in ("остановилась", "проиграна") for s in stalls)
    findings = sections.findings()
    assert findings[-1].id == "compare" and all(r.quotes.href for b in findings for r in b.rows)
    everything = [sections.comparison(), stalls, sections.advice(), findings, referral]
    for value in walk(everything):  # text only: no markup is made here, no NaN reaches the page
        assert not (isinstance(value, str) and ("<" in value and ">" in value)), value
        assert not (isinstance(value, float) and value != value), "NaN in a section"


def test_mood_curve_meets_half_way():
    points = mood_points([0.5, None, -0.5, 0.0])
    assert points[0].y == 29.0 and points[0].right is None and points[0].tone == "pos"
    assert points[1].y is None and points[2].tone == "neg" and points[2].right == 60.5
