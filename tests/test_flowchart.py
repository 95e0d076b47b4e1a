"""The flow chart's layout (cjm/flowchart.py): counts on every box and link, nothing overlapping or
outside the drawing, whatever the paths."""

from __future__ import annotations

import random

from cjm.aggregate import flow_links
from cjm.codebook import load_codebook
from cjm.flowchart import BOX_W, FlowInput, layout, overlaps, wrap
from cjm.model import STAGE

STAGES = [("unaware", "Не знает"), ("informed", "Информирован"), ("interested", "Интересуется"),
          ("motivated", "Мотивирован"), ("bought", "Купил")]


def chart_of(paths: list[tuple[list[str], bool]]):
    """The chart of a group whose interviews took these paths, through aggregate's own flow links."""
    codebook = load_codebook()
    counts: dict[tuple, int] = {}
    through: dict[str, set] = {}
    for i, (path, bought) in enumerate(paths):
        for link in flow_links(path, bought, path[-1] if not bought else "bought", codebook):
            counts[link] = counts.get(link, 0) + 1
            through.setdefault(link[0], set()).add(i)
            through.setdefault(link[1], set()).add(i)
    flows = [FlowInput(a, b, kind, k, f"evidence.html#ev-{j}") for j, ((a, b, kind), k) in enumerate(sorted(counts.items()))]
    return layout(STAGES, flows, len(paths), "Остановился", {k: len(v) for k, v in through.items()}), flows


def inside(chart) -> bool:
    ok = all(0 <= lb.x - lb.w / 2 and lb.x + lb.w / 2 <= chart.width and 0 <= lb.y - lb.h / 2
             and lb.y + lb.h / 2 <= chart.height for lb in chart.labels)
    return ok and all(0 <= b.x and b.x + b.w <= chart.width and 0 <= b.y and b.y + b.h <= chart.height
                      for b in chart.boxes)


def test_every_link_and_box_carries_its_count():
    chart, flows = chart_of([(["unaware", "informed", "interested", "informed", "interested", "motivated", "bought"], True),
                             (["unaware", "interested", "motivated"], False),
                             (["unaware", "informed", "interested", "motivated", "bought"], True)])
    assert sorted(lb.text.replace("↩ ", "") for lb in chart.labels) == sorted(str(f.count) for f in flows)
    assert all(lb.href.startswith("evidence.html#ev-") for lb in chart.labels)
    stage_boxes = {b.key: b.count for b in chart.boxes if b.kind == "stage"}
    assert stage_boxes == {"unaware": 3, "informed": 2, "interested": 3, "motivated": 3, "bought": 2}
    stall = [b for b in chart.boxes if b.kind == "stall"]
    assert [(b.key, b.count) for b in stall] == [("stalled:motivated", 1)]
    assert any(lb.text == "↩ 1" for lb in chart.labels)  # the back-step interested -> informed
    assert not overlaps(chart) and inside(chart)


def test_a_straight_group_draws_no_arc_and_no_stall_row():
    chart, _ = chart_of([(["unaware", "informed", "interested", "motivated", "bought"], True)] * 2)
    assert chart.levels == 0 and all(link.kind == "forward" for link in chart.links)
    assert max(b.y + b.h for b in chart.boxes) < chart.height < 120


def test_no_two_labels_overlap_on_random_series():
    rng = random.Random(7)
    ids = [s for s, _ in STAGES]
    for _ in range(300):
        paths = []
        for _ in range(rng.randint(1, 40)):
            path, at = ["unaware"], 0
            for _ in range(rng.randint(1, 9)):
                at = max(0, min(4, at + rng.choice([-2, -1, 1, 1, 1, 2, 3])))
                path.append(ids[at])
            paths.append((path, path[-1] == "bought"))
        chart, _ = chart_of(paths)
        assert not overlaps(chart), paths
        assert inside(chart), paths


def test_long_stage_names_wrap_inside_the_box():
    lines = wrap("Принятие решения о закупке оборудования для цеха номер два")
    assert 1 < len(lines) <= 3 and lines[-1].endswith("…")
    assert all(len(line) * 7.4 <= BOX_W - 12 for line in lines)
    assert wrap("Купил") == ["Купил"]


def test_any_codebook_preset_lays_out():
    from cjm.codebook import preset_names, presets_dir

    for name in preset_names():
        book = load_codebook(presets_dir() / f"{name}.yaml")
        stages = [(s, book.name(STAGE, s, "ru")) for s in book.ids(STAGE)]
        flows = [FlowInput(a, b, "forward", 1) for a, b in zip(book.ids(STAGE), book.ids(STAGE)[1:])]
        chart = layout(stages, flows, 1, "Остановился", {s: 1 for s, _ in stages})
        assert not overlaps(chart) and inside(chart), name
