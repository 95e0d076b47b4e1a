"""The stage-flow chart as geometry: boxes, bands, arcs and their count labels, laid out in Python.

Plotly's Sankey draws no label on a link and lets node labels run over bands and off the chart on
small series, so the flow is drawn as a plain SVG instead (templates/partials/flowchart.svg). This
module only computes where everything goes; the template escapes every text. The layout is made so
that no two labels can overlap, whatever the data:

- one column per stage of the codebook, a box per stage on one row, with its name and the number
  of interviews through it; forward steps are horizontal bands between neighbouring boxes, their
  count in the gap between the boxes;
- skips and back-steps are arcs above the row. Arcs whose column spans overlap get different
  levels (interval colouring), so two labels on one level are at least a column apart and labels
  on different levels at least `LEVEL` apart in height;
- stalls are vertical bands down to a red box under the stage where the journey stopped; the band's
  count sits in the gap between the two boxes, where nothing else is drawn.
Text widths are estimated (`CHAR_W`, generous for Cyrillic) only to wrap stage names; the browser
test measures the rendered boxes.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

COL = 150  # column pitch (SVG units = CSS px at full width)
BOX_W = 110
MARGIN = 10
FONT = 12
LINE = 15  # line height of a stage name
CHAR_W = 7.4  # estimated width of one character at FONT (wide Cyrillic letters included)
LEVEL = 28  # height between arc levels; a label is LABEL_H tall, so labels of two levels never meet
LABEL_H = 18
STALL_GAP = 56  # between a stage box and its stall box
MAX_LINES = 3
ARROW = 12  # length of an arrowhead
COLORS = {"stage": ["#2f6f9f", "#3f8fbf", "#4aa0b8", "#4fae9b", "#2e9d6e"], "stall": "#c8553d",
          "forward": "#8fb3cf", "skip": "#8fb3cf", "back": "#e68c28", "stall_link": "#e2a393", "empty": "#b8c2cc"}


@dataclass(frozen=True)
class FlowInput:
    """One link of the flow: stage ids (or `stalled:<stage>` / `back:<stage>` targets), its kind
    (forward, skip, back, stall), the interviews it counts, and where its quotes are."""

    source: str
    target: str
    kind: str
    count: int
    href: str = ""
    title: str = ""


@dataclass
class Label:
    """A count drawn on the chart: a text centred at (x, y) on a white pill of width w."""

    x: float
    y: float
    w: float
    text: str
    href: str = ""
    title: str = ""
    h: float = LABEL_H


@dataclass
class Box:
    key: str
    kind: str  # stage | stall
    x: float
    y: float
    w: float
    h: float
    lines: list[str]
    count: int
    color: str
    title: str
    empty: bool = False  # a stage no interview of the group reached


@dataclass
class Link:
    kind: str
    d: str  # the SVG path
    width: float
    color: str
    label: Label
    arrow: bool = False


@dataclass
class FlowChart:
    width: float
    height: float
    boxes: list[Box]
    links: list[Link]
    n: int
    caption: str = ""
    levels: int = 0
    labels: list[Label] = field(default_factory=list)  # every label, for tests and the template


def wrap(name: str, width: float = BOX_W - 12) -> list[str]:
    """A stage name in lines that fit the box (estimated), at most MAX_LINES, the last one cut with …"""
    chars = max(4, int(width // CHAR_W))
    lines = textwrap.wrap(name, chars, break_long_words=True, break_on_hyphens=True) or [""]
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES]
        lines[-1] = lines[-1][:chars - 1].rstrip() + "…"
    return lines


def label_width(text: str) -> float:
    return 12 + CHAR_W * len(text)


def _levels(spans: list[tuple[int, int]]) -> list[int]:
    """Interval colouring: each arc gets the lowest level where no arc's span overlaps its own
    (sharing an end column is no overlap). Shorter arcs first, so they stay close to the boxes."""
    order = sorted(range(len(spans)), key=lambda i: (spans[i][1] - spans[i][0], spans[i]))
    taken: dict[int, list[tuple[int, int]]] = {}
    out = [0] * len(spans)
    for i in order:
        a, b = spans[i]
        level = 0
        while any(a < y and x < b for x, y in taken.get(level, [])):
            level += 1
        taken.setdefault(level, []).append((a, b))
        out[i] = level
    return out


def layout(stages: list[tuple[str, str]], flows: list[FlowInput], n: int, stalled_name: str,
           through: dict[str, int], titles: dict[str, str] | None = None) -> FlowChart:
    """The chart of one channel group. `stages`: (id, name) in codebook order; `through`: the
    interviews through each stage box and each `stalled:<stage>` box."""
    titles = titles or {}
    col = {s: i for i, (s, _) in enumerate(stages)}

    def stage_of(key: str) -> str:
        return key.rpartition(":")[2]

    arcs = [f for f in flows if f.kind in ("skip", "back") or
            (f.kind == "forward" and abs(col.get(stage_of(f.target), 0) - col.get(f.source, 0)) != 1)]
    spans = [tuple(sorted((col.get(f.source, 0), col.get(stage_of(f.target), 0)))) for f in arcs]
    levels = _levels(spans)
    n_levels = (max(levels) + 1) if levels else 0
    name_lines = max(len(wrap(name)) for _, name in stages) if stages else 1
    box_h = 14 + LINE * name_lines + 22
    top = MARGIN + (n_levels * LEVEL + LABEL_H // 2 + 6 if n_levels else 0)
    bottom = top + box_h
    stalls = [f for f in flows if f.kind == "stall"]
    stall_h = 14 + LINE + 22
    height = bottom + (STALL_GAP + stall_h if stalls else 0) + MARGIN
    width = 2 * MARGIN + len(stages) * COL - (COL - BOX_W)

    def x_of(stage: str) -> float:
        return MARGIN + col.get(stage, 0) * COL

    boxes: list[Box] = []
    for i, (sid, name) in enumerate(stages):
        k = through.get(sid, 0)
        boxes.append(Box(sid, "stage", x_of(sid), top, BOX_W, box_h, wrap(name), k,
                         COLORS["empty"] if not k else COLORS["stage"][min(i, len(COLORS["stage"]) - 1)],
                         titles.get(sid, name), empty=not k))

    def thickness(count: int) -> float:  # a band between boxes
        return round(3 + 15 * count / max(n, 1), 1)

    def line(count: int) -> float:  # an arc or a stall: thinner than its arrowhead
        return round(2 + 7 * count / max(n, 1), 1)

    links: list[Link] = []
    mid = top + box_h / 2
    for f in flows:
        if f in arcs or f.kind == "stall":
            continue
        x1, x2 = x_of(f.source) + BOX_W, x_of(f.target)
        label = Label((x1 + x2) / 2, mid, label_width(str(f.count)), str(f.count), f.href, f.title)
        links.append(Link(f.kind, f"M{x1:g},{mid:g} H{x2:g}", thickness(f.count), COLORS["forward"], label))
    for f, level in zip(arcs, levels):
        s, t = f.source, stage_of(f.target)
        forward = col.get(t, 0) > col.get(s, 0)
        x1 = x_of(s) + BOX_W / 2 + (18 if forward else -18)
        x2 = x_of(t) + BOX_W / 2 + (-18 if forward else 18)
        apex = top - (level + 1) * LEVEL
        ctrl = top - (level + 1) * LEVEL * 4 / 3  # a cubic whose middle point is at `apex`
        text = ("↩ " if f.kind == "back" else "") + str(f.count)
        label = Label((x1 + x2) / 2, apex, label_width(text), text, f.href, f.title)
        end = top - ARROW  # the arrowhead's tip touches the box
        links.append(Link(f.kind, f"M{x1:g},{top:g} C{x1:g},{ctrl:g} {x2:g},{ctrl:g} {x2:g},{end:g}",
                          line(f.count), COLORS["back" if f.kind == "back" else "skip"], label, arrow=True))
    for f in stalls:
        stage = stage_of(f.target)
        x = x_of(stage) + BOX_W / 2
        y2 = bottom + STALL_GAP
        label = Label(x, bottom + STALL_GAP / 2, label_width(str(f.count)), str(f.count), f.href, f.title)
        links.append(Link("stall", f"M{x:g},{bottom:g} V{y2 - ARROW:g}", line(f.count), COLORS["stall_link"], label,
                          arrow=True))
        k = through.get(f.target, f.count)
        boxes.append(Box(f.target, "stall", x_of(stage), y2, BOX_W, stall_h, wrap(stalled_name), k, COLORS["stall"],
                         titles.get(f.target, stalled_name)))
    return FlowChart(width=width, height=height, boxes=boxes, links=links, n=n, levels=n_levels,
                     labels=[link.label for link in links])


def overlaps(chart: FlowChart) -> list[tuple[str, str]]:
    """Pairs of texts whose (estimated) boxes meet: count labels with each other and with box texts."""
    rects: list[tuple[str, float, float, float, float]] = []
    for label in chart.labels:
        rects.append((label.text, label.x - label.w / 2, label.y - label.h / 2, label.x + label.w / 2,
                      label.y + label.h / 2))
    for box in chart.boxes:
        rects.append((" ".join(box.lines), box.x, box.y, box.x + box.w, box.y + box.h))
    out = []
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            if min(a[3], b[3]) - max(a[1], b[1]) > 0 and min(a[4], b[4]) - max(a[2], b[2]) > 0:
                out.append((a[0], b[0]))
    return out
