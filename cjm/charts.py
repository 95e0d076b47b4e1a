"""The report's Plotly charts as pure functions of plain values (names, counts, shares, values).

Each function takes everything its figure shows as arguments, so a chart can be cached under its
arguments (`render.Builder.chart`, through `cjm.cache.memo`): a re-run whose counts did not change
takes the figure's JSON from the cache and does not import plotly at all (importing it and building
the figures' validators costs a few tenths of a second). plotly is imported inside the functions
for that reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
GROUP_COLORS = ["#2f6f9f", "#e07b39", "#6a9f58", "#8e6bb8", "#b8860b", "#777777"]


@dataclass
class Chart:
    """A Plotly figure as JSON (escaped by the template into a data attribute) and its stable div id."""

    id: str
    figure: str
    height: int


def plotly_text(value: Any) -> str:
    """A string for any Plotly label, hover text, title or tick: Plotly reads a pseudo-HTML in
    them (<a href>, <span style>, <br>, <b>), so an interview id or a codebook name could make
    links, styles or requests. `&`, `<` and `>` become entities, which Plotly shows as text."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plotly_texts(values) -> list[str]:
    return [plotly_text(v) for v in values]


def plotly_version() -> str:
    """Part of every chart's cache key: another plotly.py may write other JSON for the same figure."""
    from importlib.metadata import version

    return version("plotly")


def layout(fig, lang: str, height: int, **extra: Any):
    settings = dict(template="none", height=height, margin=dict(l=10, r=10, t=30, b=10),
                    separators=", " if lang == "ru" else ".,",  # 0,5 and 1 000 in Russian ticks
                    font=dict(family=FONT, size=12, color="#1d2733"), paper_bgcolor="white", plot_bgcolor="white")
    settings.update(extra)
    fig.update_layout(**settings)
    fig.update_xaxes(automargin=True)  # the "none" template drops automargin: labels would be cut
    fig.update_yaxes(automargin=True)
    return fig


def as_chart(fig, div_id: str) -> Chart:
    """A figure as data for the page. Chosen instead of `fig.to_html(include_plotlyjs=False)`:
    to_html emits a script that needs plotly.js already parsed, so plotly.js would block the
    first paint (about 1.5 s cold). Here plotly.js loads with `defer` and a small script in
    the template draws each chart from its escaped JSON after the page is shown."""
    return Chart(id=div_id, figure=fig.to_json(), height=int(fig.layout.height or 320))


def funnel(lang: str, stage_names: list[str], groups: list[tuple[str, int, list[int]]], title: list[str]) -> Chart:
    """Share of each group's interviews that reached each stage (furthest stage), with k/n.
    Horizontal bars: stage names and counts stay apart at any width. `groups`: (name, n, reached
    per stage); `title`: the axis title's two lines."""
    import plotly.graph_objects as go  # here: see the module docstring

    fig = go.Figure()
    for i, (name, n, reached) in enumerate(groups):
        fig.add_trace(go.Bar(
            y=plotly_texts(stage_names), x=[r / max(n, 1) for r in reached],
            orientation="h", name=plotly_text(f"{name} (n = {n})"),
            text=[f"{r}/{n}" for r in reached], textposition="outside", cliponaxis=False,
            textfont=dict(size=10), hovertemplate="%{y}: %{text}<extra>%{fullData.name}</extra>",
            marker_color=GROUP_COLORS[i % len(GROUP_COLORS)]))
    height = 120 + len(stage_names) * max(1, len(groups)) * 15
    layout(fig, lang, height, barmode="group", bargap=0.25, bargroupgap=0.05,
           xaxis=dict(tickformat=".0%", range=[0, 1.18], gridcolor="#e6e9ee",
                      title=plotly_text(title[0]) + "<br>" + plotly_text(title[1])),
           yaxis=dict(autorange="reversed"),
           legend=dict(orientation="h", y=1.0, yanchor="bottom", x=0), margin=dict(l=10, r=10, t=10, b=10))
    return as_chart(fig, "fig-funnel")


def dmu(lang: str, div_id: str, n: int, role_names: list[str], orders: list[float], counts: list[int],
        axis_title: list[str]) -> Chart:
    """Who enters the journey in which order: each role's median order of entry, sized by the
    interviews that name it (of `n`)."""
    import plotly.graph_objects as go  # here: see the module docstring

    fig = go.Figure(go.Scatter(
        x=orders, y=plotly_texts(role_names), mode="markers+text",
        # at most 30 px, under the 34 px row pitch: two roles' dots never cover each other
        marker=dict(size=[10 + 20 * k / max(n, 1) for k in counts], color="#2f6f9f", opacity=0.8,
                    sizemode="diameter"),
        text=[f"{k}/{n}" for k in counts], textposition="middle right",
        hovertemplate="%{y}: %{x} <extra></extra>"))
    top = max(max(orders), 2.0)
    layout(fig, lang, 70 + 34 * len(orders),
           xaxis=dict(title=plotly_text(axis_title[0]) + "<br>" + plotly_text(axis_title[1]),
                      range=[0.5, top + 1.5], dtick=1, gridcolor="#e6e9ee"),
           yaxis=dict(autorange="reversed"), showlegend=False)
    fig.update_layout(margin=dict(l=10, r=10, t=10, b=40))
    return as_chart(fig, div_id)


def roles_heatmap(lang: str, titles: list[str], role_names: list[str], stage_names: list[str],
                  sides: list[tuple[list[list[float]], int]]) -> Chart:
    """The comparison's roles by stage: for each side (its stage x role shares, its n) a heatmap."""
    import plotly.graph_objects as go  # here: see the module docstring
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=2, cols=1, subplot_titles=tuple(plotly_texts(titles)),
                        shared_xaxes=True, vertical_spacing=0.1)  # stacked: titles never collide
    roles = plotly_texts(role_names)
    stages = plotly_texts(stage_names)
    for col, (z, n) in enumerate(sides, start=1):  # rows: stages, columns: roles (upright role names never overlap)
        text = [[f"{round(v * n)}/{n}" if v else "" for v in row] for row in z]
        fig.add_trace(go.Heatmap(z=z, x=roles, y=stages, zmin=0, zmax=1, colorscale="Blues",
                                 showscale=(col == 2), text=text, texttemplate="%{text}", textfont=dict(size=9),
                                 hovertemplate="%{y} · %{x}: %{z:.0%}<extra></extra>",
                                 colorbar=dict(tickformat=".0%", len=0.9, thickness=12)), row=col, col=1)
    layout(fig, lang, 520)
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(margin=dict(l=10, r=10, t=40, b=10))
    fig.update_xaxes(tickangle=-90)
    fig.update_annotations(font=dict(size=13))
    return as_chart(fig, "fig-compare-roles")


def spread(lang: str, titles: list[str], panels: list[list[tuple[str, list[float], list[str], str]]]) -> Chart:
    """The comparison's cycle days and steps: per panel, each side's (name, values, ids, colour) as a box."""
    import plotly.graph_objects as go  # here: see the module docstring
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=tuple(plotly_texts(titles)), horizontal_spacing=0.12)
    for col, sides in enumerate(panels, start=1):
        for name, values, ids, color in sides:
            fig.add_trace(go.Box(y=values, name=plotly_text(f"{name} (n = {len(values)})"), boxpoints="all", jitter=0.3,
                                 pointpos=0, marker_color=color, text=plotly_texts(ids), showlegend=(col == 1),
                                 legendgroup=plotly_text(name),
                                 hovertemplate="%{text}: %{y}<extra></extra>"), row=1, col=col)
    layout(fig, lang, 340, legend=dict(orientation="h", y=-0.08))
    fig.update_layout(margin=dict(l=10, r=10, t=40, b=10))
    fig.update_xaxes(showticklabels=False)  # the groups are named in the legend: long names never collide
    fig.update_yaxes(gridcolor="#e6e9ee", rangemode="tozero")
    return as_chart(fig, "fig-compare-spread")
