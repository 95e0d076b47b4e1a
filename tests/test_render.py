"""Render: the HTML report from hand-built journeys, parsed (links, anchors, escaping, offline)."""

from __future__ import annotations

import base64
import gzip
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from cjm import render
from cjm.codebook import load_codebook
from cjm.model import Mention
from cjm.render import format_days, format_number, format_percent, write_report

import render_fixture as fixture  # tests/render_fixture.py: the hand-built journeys of tests/data/render


class Page(HTMLParser):
    """Collects ids, links, script/style sources and the text of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.links: list[str] = []
        self.sources: list[tuple[str, str]] = []  # (tag, url)
        self.text: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])
        if tag in ("script", "img", "iframe") and attrs.get("src"):
            self.sources.append((tag, attrs["src"]))
        if tag == "link" and attrs.get("href"):
            self.sources.append((tag, attrs["href"]))
        self._in_script = tag == "script" and not attrs.get("src")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.inline_scripts.append(data)
        else:
            self.text.append(data)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def codebook():
    return load_codebook()


@pytest.fixture(scope="module")
def report(tmp_path_factory, codebook):
    out = tmp_path_factory.mktemp("report")
    paths = write_report(fixture.load_journeys(), fixture.problems(), codebook, out, lang="ru")
    return out, paths


def html_pages(out: Path) -> list[Path]:
    return [out / "index.html", out / "evidence.html", out / "method.html"] + sorted((out / "interviews").glob("*.html"))


def test_writes_index_interview_pages_and_one_plotly(report):
    out, paths = report
    assert (out / "index.html") in paths
    assert len(list((out / "interviews").glob("*.html"))) == 7
    assert sorted(p.name for p in (out / "assets").iterdir()) == ["plotly.gz.js", "report.css"]
    assert 1_000_000 < (out / "assets" / "plotly.gz.js").stat().st_size < 2_500_000  # packed, not 4.8 MB
    for path in html_pages(out):
        text = path.read_text(encoding="utf-8")
        assert len(re.findall(r'src="[^"]*plotly', text)) <= 1
        assert "plotly.min.js" not in text
        assert "cdn.plot.ly" not in text
    assert '<script defer src="assets/plotly.gz.js"></script>' in (out / "index.html").read_text(encoding="utf-8")


def test_packed_plotly_is_the_whole_bundle(report):
    """The asset unpacks to exactly the plotly.min.js plotly.py ships: one base64 string of gzip."""
    from plotly.offline import get_plotlyjs

    out, _ = report
    text = (out / "assets" / "plotly.gz.js").read_text(encoding="ascii")
    strings = re.findall(r'"([A-Za-z0-9+/=]{100000,})"', text)
    assert len(strings) == 1
    assert gzip.decompress(base64.b64decode(strings[0])) == get_plotlyjs().encode("utf-8")
    assert "DecompressionStream(\"gzip\")" in text and "window.cjmPlotly" in text
    code = text.replace(strings[0], "").replace("https://github.com/plotly/plotly.js", "")
    assert not re.search(r"(https?:)?//[a-z]", code)  # the loader itself names no other location


def test_stale_unpacked_plotly_is_removed(tmp_path, codebook):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "plotly.min.js").write_text("old", encoding="utf-8")
    write_report(fixture.load_journeys(), [], codebook, tmp_path, lang="en")
    assert not (tmp_path / "assets" / "plotly.min.js").exists()
    assert (tmp_path / "assets" / "plotly.gz.js").is_file()


def test_every_link_and_anchor_resolves(report):
    out, _ = report
    parsed = {path.resolve(): parse(path) for path in html_pages(out)}
    checked = 0
    for path, page in parsed.items():
        assert len(page.ids) == len(set(page.ids)), f"duplicate ids in {path.name}"
        for href in page.links:
            parts = urlsplit(href)
            assert not parts.scheme, f"{path.name}: external link {href}"
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            assert target.exists(), f"{path.name}: {href} -> missing file"
            if parts.fragment:
                assert parts.fragment in parsed[target].ids, f"{path.name}: {href} -> missing anchor"
            checked += 1
    assert checked > 100


def test_no_network_sources(report):
    out, _ = report
    for path in html_pages(out):
        text = path.read_text(encoding="utf-8")
        page = parse(path)
        for tag, url in page.sources:
            assert not re.match(r"(https?:)?//", url), f"{path.name}: <{tag}> loads {url}"
        assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", text), path.name  # no remote CSS or fonts


def test_script_in_transcript_is_escaped(report):
    out, _ = report
    for path in html_pages(out):
        text = path.read_text(encoding="utf-8")
        assert "<script>alert(1)</script>" not in text, path.name
        assert "<b>Acme</b>" not in text
    page = (out / "interviews" / "en-e.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown as text, in the transcript and the speaker
    assert "&lt;b&gt;Acme&lt;/b&gt; &amp; Co" in page  # metadata escaped too
    evidence = (out / "evidence.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in evidence  # the quote behind a number
    for script in parse(out / "index.html").inline_scripts:
        assert "alert(1)" not in script  # report data for scripts is escaped JSON, never raw text


def test_highlighted_spans_cover_mentions(report):
    out, _ = report
    text = (out / "interviews" / "ru-a.html").read_text(encoding="utf-8")
    assert re.search(r'<mark class="m k-channel k-stage"[^>]*>Через Гену Шубина</mark>', text)
    assert re.search(r'<mark class="m k-role"[^>]*>Главный бухгалтер</mark>', text)
    assert 'id="u-6"' in text and "00:05:53" in text


def test_segments_split_overlaps_and_keep_text(codebook):
    builder = render.Builder([], [], codebook, render.aggregate.build_tables([], codebook), "en", None)
    text = "ab <x> cd"
    mentions = [Mention("stage", "informed", 0, 6, "ab <x>", 0), Mention("role", "user", 3, 9, "<x> cd", 0)]
    segments = builder.segments(text, mentions, [])
    assert "".join(s.text for s in segments) == text
    assert [(s.text, s.kinds) for s in segments] == [("ab ", ["stage"]), ("<x>", ["role", "stage"]), (" cd", ["role"])]


def test_suppressed_mentions_are_marked_and_plain_text_is_not(codebook):
    """A negated mention (even one at the very start) is shown as suppressed; text no mention
    covers is plain, and a segment under a kept mention is not suppressed."""
    builder = render.Builder([], [], codebook, render.aggregate.build_tables([], codebook), "en", None)
    text = "never visited; then we paid"
    negated = [Mention("stage", "interested", 0, 13, "never visited", 0)]
    kept = [Mention("stage", "bought", 23, 27, "paid", 0)]
    segments = builder.segments(text, kept, negated)
    assert [(s.text, s.kinds, s.suppressed) for s in segments] == [
        ("never visited", [], True), ("; then we ", [], False), ("paid", ["stage"], False)]
    assert "(" in segments[0].title and segments[1].title == ""


def test_overview_lists_problems_notes_and_numbers_link_to_evidence(report):
    out, _ = report
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "interviews/broken.docx" in index and "файл Word повреждён или это не .docx (BadZipFile)" in index
    assert "сохраните заново как .docx" in index and "в файле нет говорящих" in index  # cjm's messages in Russian
    assert "30.08.2024 – 14.01.2025" in index
    page = parse(out / "index.html")
    evidence = [link for link in page.links if link.startswith("evidence.html#ev-")]
    assert len(evidence) > 50
    for key in ("fig-flow-cold_inbound", "fig-flow-referral", "fig-funnel", "fig-compare-roles",
                "fig-dmu-referral"):
        assert key in page.ids
    assert "в пределах шума" in index


def test_deterministic_output(tmp_path, codebook):
    journeys = fixture.load_journeys()
    a = write_report(journeys, [], codebook, tmp_path / "a", lang="en")
    b = write_report(list(reversed(journeys)), [], codebook, tmp_path / "b", lang="en")
    assert len(a) == len(b) and len(a) > 1
    for pa, pb in zip(a, b):
        assert pa.relative_to(tmp_path / "a") == pb.relative_to(tmp_path / "b")
        assert pa.read_bytes() == pb.read_bytes(), pa.name


def test_english_ui_and_number_formats(tmp_path, codebook):
    write_report(fixture.load_journeys(), [], codebook, tmp_path, lang="en")
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in index and "Customer journey map" in index
    assert "Decision maker" in index and "Бигбосс" not in index
    assert "within noise" in index
    assert format_number(1234.5, "ru", 1) == "1\u202f234,5" and format_number(1234.5, "en", 1) == "1,234.5"
    assert format_percent(0.5, "ru") == "50\u00a0%" and format_percent(0.5, "en") == "50%"
    assert format_days(14, "en") == "14\u00a0days" and format_days(75, "ru") == "2,5\u00a0мес."


def test_size_budget(report):
    out, _ = report
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert total < 6_000_000


SAMPLE = Path(__file__).parent.parent / "interviews"


def test_sample_report_folder_under_6_mb(tmp_path):
    """The issue's target: the whole folder `cjm report interviews -o OUT` writes for the sample series
    (HTML, assets, journeys.json, events.csv) stays under 6 MB (decimal)."""
    if not any(SAMPLE.glob("*.txt")):
        pytest.skip("no sample series in interviews/")
    from click.testing import CliRunner

    from cjm.cli import cli

    out = tmp_path / "report"
    result = CliRunner().invoke(cli, ["report", str(SAMPLE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {"index.html", "journeys.json", "events.csv", "plotly.gz.js", "report.css"} <= {p.name for p in files}
    total = sum(p.stat().st_size for p in files)
    assert total < 6_000_000, f"report folder is {total} bytes"


def test_empty_report(tmp_path, codebook):
    paths = write_report([], fixture.problems(), codebook, tmp_path, lang="en")
    assert (tmp_path / "index.html") in paths
    assert "broken.docx" in (tmp_path / "index.html").read_text(encoding="utf-8")


def test_templates_found_through_the_package():
    folder = render.templates_dir()
    assert (folder / "base.html").exists() and (folder / "index.html").exists()


def test_uncertain_labels_are_marked_and_a_spanless_model_label_marks_no_text(codebook):
    from cjm.model import TaggedUtterance, Utterance

    builder = render.Builder([], [], codebook, render.aggregate.build_tables([], codebook), "en", None)
    item = TaggedUtterance(utterance=Utterance(2, "R", "We paid. It went fine."), stages=["bought"], roles=["user"],
                           mentions=[Mention("stage", "bought", 0, 8, "We paid.", 0),
                                     Mention("role", "user", 0, 8, "We paid.", 0, origin="model")],
                           probabilities={"stage": {"bought": 0.91}, "role": {"user": 0.695}})
    view = builder.utterance_view(item)
    assert view.labels == [("stage", "Bought", "91%", False), ("role", "User", "70%", False)]  # shown as 70%: not under
    item.probabilities["role"]["user"] = 0.55
    assert builder.utterance_view(item).labels[1] == ("role", "User", "55%", True)
    assert [(s.text, s.kinds) for s in view.segments] == [("We paid.", ["stage"]), (" It went fine.", [])]
    rules_only = TaggedUtterance(utterance=Utterance(2, "R", "We paid."), stages=["bought"])
    assert builder.utterance_view(rules_only).labels == [("stage", "Bought", "", False)]  # no model, no mark


def test_plotly_text_escapes_label_markup():
    from cjm.render import plotly_text

    hostile = '<span style="cursor:url(https://x.test/a.png)">a</span><a href="https://x.test">b</a>&<br>'
    out = plotly_text(hostile)
    assert "<" not in out and ">" not in out
    assert out.startswith("&lt;span style=") and "&amp;&lt;br&gt;" in out
    assert plotly_text("Бигбосс (ЛПР)") == "Бигбосс (ЛПР)"  # plain text is untouched


def test_every_chart_string_is_escaped(tmp_path, codebook):
    """An id holding Plotly markup reaches the figures only as entities."""
    journeys = fixture.load_journeys()
    journeys[0].transcript.id = '<a href="https://x.test/">x</a>'
    write_report(journeys, [], codebook, tmp_path, lang="en")
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    for figure in re.findall(r'data-figure="([^"]*)"', html):
        import html as html_lib

        text = html_lib.unescape(figure)
        assert "<a" not in text and "<span" not in text, text[:200]


def test_compare_with_an_unknown_id_is_an_error(tmp_path, codebook):
    from cjm.errors import UsageError

    with pytest.raises(UsageError, match="valid: cold_inbound"):
        write_report(fixture.load_journeys(), [], codebook, tmp_path, lang="en", compare=("cold_inbound", "foo"))


def test_no_nan_none_or_empty_cell(report):
    out, _ = report
    for path in [out / "index.html", out / "evidence.html", out / "method.html"]:
        html = path.read_text(encoding="utf-8")
        body = re.sub(r'data-(figure|json)="[^"]*"', "", html)
        text = re.sub(r"<[^>]+>", " ", body)
        assert not re.search(r"\b(nan|None|NaN)\b", text), path.name
        assert not re.search(r"<td[^>]*>\s*</td>", body), path.name


def test_entries_passed_over_by_design_are_not_listed_as_unreadable(tmp_path):
    """A gold/ folder beside the transcripts is named as passed over, in the report's language,
    not among the files that could not be read."""
    from cjm.pipeline import analyse
    from cjm.render import write_report

    series = tmp_path / "series"
    (series / "gold").mkdir(parents=True)
    sample = Path(__file__).resolve().parents[1] / "interviews" / "ru-01.txt"
    (series / "ru-01.txt").write_text(sample.read_text(encoding="utf-8"), encoding="utf-8")
    (series / "broken.pdf").write_bytes(b"%PDF-1.4 nothing")
    result = analyse(series, rules_only=True)
    write_report(result.journeys, result.problems, result.codebook, tmp_path / "out", lang="ru")
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    problems = page[page.index('class="grid-table problems"'):page.index("</table>", page.index('class="grid-table problems"'))]
    assert "broken.pdf" in problems and "gold" not in problems
    assert "Не транскрипты, пропущены намеренно" in page and f"<code>{series / 'gold'}</code>" in page


def test_flow_chart_escapes_every_text():
    """The flow chart is cjm's own SVG: a codebook name or title holding markup stays text."""
    from cjm.flowchart import FlowInput, layout

    hostile = '<script>alert(1)</script><a href="https://x.test">'
    chart = layout([("a", hostile), ("b", "B")], [FlowInput("a", "b", "forward", 2, "evidence.html#ev-1", hostile),
                                                   FlowInput("b", "stalled:b", "stall", 1, "", hostile)],
                   2, hostile, {"a": 2, "b": 2, "stalled:b": 1}, {"a": hostile})
    chart.caption = hostile
    svg = str(render.environment("en").get_template("partials/flowchart.html").module.flowchart(chart, "g"))
    assert "<script" not in svg and "<a href=\"https://x.test\"" not in svg
    assert "&lt;script&gt;" in svg and 'href="evidence.html#ev-1"' in svg
    lines = sum(len(b.lines) for b in chart.boxes)
    assert svg.count("<text") == lines + len(chart.boxes) + len(chart.links)  # names, box counts, link counts


def test_days_shown_together_share_one_unit():
    """A comparison or a spread names one unit: 51 days beside 76 days is told in months for both,
    and a value on its own keeps its own unit."""
    from cjm.formatting import format_spread

    assert format_days(51, "en", scale=76) == "1.7\u00a0months" and format_days(76, "en", scale=76) == "2.5\u00a0months"
    assert format_days(51, "en") == "51\u00a0days" and format_days(51, "en", scale=59) == "51\u00a0days"
    assert format_days(400, "en", scale=800) == "1.1\u00a0years"
    spread = format_spread("days", [20, 30, 45, 90], 37.5, 27.5, 56.25, 20, 90, "en")
    assert spread.count("months") == 3 and "days" not in spread
    assert format_spread("days", [20, 30], 25, None, None, 20, 30, "en") == "25\u00a0days · 20\u00a0days–30\u00a0days · n=2"


def test_a_channel_read_from_how_the_discovery_is_told_says_so(codebook):
    from cjm.model import Journey, TaggedUtterance, Transcript, Utterance

    builder = render.Builder([], [], codebook, render.aggregate.build_tables([], codebook), "en", None)
    item = TaggedUtterance(utterance=Utterance(2, "R", "Through Gareth, two stalls down from us."), stages=["informed"],
                           probabilities={"stage": {"informed": 0.8}, "channel": {},
                                          "channel_told": {"referral": 0.55, "partner": 0.2}})
    journey = Journey(transcript=Transcript(id="t", source="t.txt", language="en", utterances=[item.utterance]),
                      utterances=[item], channel="referral", channel_source="detected", channel_evidence=2)
    assert builder.channel_source(journey) == "detected in the text: from how the discovery is told (no channel is named)"
    item.probabilities["channel"] = {"referral": 0.3}  # a channel phrase was there, below its threshold
    assert builder.channel_source(journey) == "detected in the text"
    journey.channel_source, journey.channel = "metadata", "referral"
    assert builder.channel_source(journey) == "metadata (CRM)"
    journey.channel_source = None
    assert builder.channel_source(journey) == "—"
