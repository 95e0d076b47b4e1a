"""The report in a real browser: Debian's headless chromium driven by Playwright for Python.

Nothing is installed or downloaded at run time: Playwright is pointed at /usr/bin/chromium
(`apt-get install chromium`, done by .ci/run). Every page is loaded from file://; the test asserts
no console errors, no failed or remote requests, and that every Plotly chart drew its SVG, then saves
a screenshot per page and prints the folder.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from cjm.codebook import load_codebook
from cjm.render import write_report

import render_fixture as fixture  # tests/render_fixture.py: the hand-built journeys of tests/data/render

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CJM_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (Python) is not installed: pip install playwright")



@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        except sync_api.Error as exc:  # a broken browser install is an environment problem, said clearly
            pytest.skip(f"chromium at {CHROMIUM} does not start: {exc}")
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots_dir() -> Path:
    folder = Path(os.environ.get("CJM_SCREENSHOTS") or tempfile.mkdtemp(prefix="cjm-screenshots-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _report(tmp: Path, lang: str) -> Path:
    out = tmp / f"report-{lang}"
    write_report(fixture.load_journeys(), fixture.problems(), load_codebook(), out, lang=lang)
    return out


SAMPLE = Path(__file__).parent.parent / "interviews"


def _sample_report(tmp: Path, lang: str) -> Path:
    """The whole output folder of `cjm report interviews -o OUT --lang LANG` for the sample series
    (HTML, assets, journeys.json, events.csv), through the real pipeline."""
    from click.testing import CliRunner

    from cjm.cli import cli

    if not any(SAMPLE.glob("*.txt")):
        pytest.skip("no sample series in interviews/")
    out = tmp / f"sample-{lang}"
    result = CliRunner().invoke(cli, ["report", str(SAMPLE), "-o", str(out), "--lang", lang])
    assert result.exit_code == 0, result.output
    assert (out / "journeys.json").is_file() and (out / "events.csv").is_file()
    return out


@pytest.mark.parametrize("source, lang", [("fixture", "ru"), ("fixture", "en"), ("sample", "ru")])
def test_every_page_renders_offline(browser, tmp_path, shots_dir, source, lang):
    out = _report(tmp_path, lang) if source == "fixture" else _sample_report(tmp_path, lang)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert size < 6_000_000, f"report is {size} bytes"  # the whole folder, decimal MB (the target)
    pages = [out / "index.html", out / "evidence.html", out / "method.html"] + sorted((out / "interviews").glob("*.html"))
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    failed: list[str] = []
    remote: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("requestfailed", lambda req: failed.append(req.url))
    page.on("request", lambda req: remote.append(req.url) if not req.url.startswith(("file:", "data:", "blob:")) else None)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    charts = 0
    for path in pages:
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        page.wait_for_selector("body[data-charts=ready]" if path.name == "index.html" else "body",
                               timeout=15_000)
        # the text is painted before plotly.js (deferred, then unpacked) draws the charts; how fast is
        # the benchmarks' business (a timed assert here would fail on a busy machine, not on a slow page)
        page.evaluate("() => new Promise(requestAnimationFrame)")  # let the page paint at least once
        assert len(page.query_selector_all(".js-plotly-plot")) == len(page.query_selector_all("div.plot"))
        plots = page.query_selector_all(".js-plotly-plot")
        for plot in plots:
            assert plot.query_selector("svg") is not None, f"{path.name}: a chart did not render"
        charts += len(plots)
        page.screenshot(path=str(shots_dir / f"{source}-{lang}-{path.stem}.png"), full_page=True)
    assert not errors, errors
    assert not failed, failed
    assert not remote, remote
    assert not dialogs, "a script from the transcript ran"
    assert charts >= 5  # sankeys, funnel, comparison, decision-making unit
    print(f"\nscreenshots: {shots_dir} ({source}-{lang}-*.png, report {size} bytes)")


def test_number_links_jump_to_evidence(browser, tmp_path):
    out = _report(tmp_path, "en")
    page = browser.new_page()
    page.goto((out / "index.html").as_uri())
    link = page.query_selector("#map a.n")
    target = link.get_attribute("href")
    link.click()
    page.wait_for_load_state("load")
    assert page.url.endswith(target)
    assert page.query_selector("#" + target.split("#")[1] + " a") is not None


def test_every_finding_links_to_its_quotes(browser, tmp_path):
    out = _sample_report(tmp_path, "en")
    page = browser.new_page()
    page.goto((out / "index.html").as_uri())
    links = [a.get_attribute("href") for a in page.query_selector_all("#findings li.finding a.n")]
    assert len(links) >= 10 and len(links) == len(page.query_selector_all("#findings li.finding"))
    for href in links:
        page.goto((out / href.split("#")[0]).as_uri() + "#" + href.split("#")[1])
        block = page.query_selector("#" + href.split("#")[1])
        assert block is not None and len(block.query_selector_all("li a")) >= 1, href  # lands on quotes
        assert page.evaluate("() => document.querySelector(':target') && document.querySelector(':target').id") \
            == href.split("#")[1]
        top = block.bounding_box()["y"]
        assert 0 <= top < 900, f"{href}: the quotes are not on screen ({top} px)"
        quote = block.query_selector("li a")
        target = quote.get_attribute("href")  # and each quote opens its utterance
        page.goto((out / target.split("#")[0]).as_uri() + ("#" + target.split("#")[1] if "#" in target else ""))
        if "#" in target:
            assert page.query_selector("#" + target.split("#")[1]) is not None, target


def test_flow_chart_counts_link_to_their_interviews(browser, tmp_path):
    out = _sample_report(tmp_path, "ru")
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto((out / "index.html").as_uri())
    labels = page.query_selector_all("svg.flow a.fl-n")
    assert labels, "no flow chart in the sample"
    evidence = (out / "evidence.html").read_text(encoding="utf-8")
    for label in labels:
        href = label.get_attribute("href")
        assert href and href.startswith("evidence.html#ev-"), href
        assert f'id="{href.split("#")[1]}"' in evidence
        count = label.query_selector("text").text_content().replace("↩", "").strip()
        assert count.isdigit() and int(count) >= 1


# Visible text a reader sees, outside what the interviews themselves say (quotes, transcripts, names
# and values from the files): chart strings included (axis titles, ticks, legends, hover texts).
VISIBLE = r"""() => {
  const skip = 'blockquote, .utt-text, code, script, style, #cjm-data, .src, .ev li, .speaker, table.kv td';
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const el = node.parentElement;
    if (el && !el.closest(skip) && node.textContent.trim()) out.push(node.textContent.trim());
  }
  for (const el of document.querySelectorAll('[title], [aria-label], svg title'))
    if (!el.closest(skip)) out.push(el.getAttribute('title') || el.getAttribute('aria-label') || el.textContent);
  for (const d of document.querySelectorAll('div.plot[data-figure]')) {
    const texts = (v, key) => {
      if (typeof v === 'string') { if (/text|title|name|label|template/.test(key)) out.push(v.replace(/%\{[^}]*\}|<[^>]*>/g, ' ')); }
      else if (Array.isArray(v)) v.forEach(x => texts(x, key));
      else if (v && typeof v === 'object') for (const k in v) if (!/^(x|y|z|font|color.*|.*format|legendgroup|textposition|textinfo|.*mode|type|.*anchor|.*ref|side)$/.test(k)) texts(v[k], k);
    };
    texts(JSON.parse(d.getAttribute('data-figure')), '');
  }
  return out; }"""
ALLOWED_LATIN = {"BANT", "cjm", "Google", "Ads", "PDF", "CRM", "URL", "IQR", "UTF"}  # names, not words


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_one_language(browser, tmp_path, lang):
    """Every word cjm writes in a Russian report is Russian, and in an English one English: labels,
    table headers, chart axes and hover texts, metadata keys, channel meanings, cjm's messages."""
    import re

    out = _sample_report(tmp_path, lang)
    pages = [out / "index.html", out / "method.html", out / "evidence.html"] + sorted((out / "interviews").glob("*.html"))
    page = browser.new_page()
    foreign: dict[str, str] = {}
    pattern = re.compile(r"\b[A-Za-z][A-Za-z']{2,}\b" if lang == "ru" else r"[А-Яа-яЁё]{3,}")
    for path in pages:
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        for text in page.evaluate(VISIBLE):
            for word in pattern.findall(text):
                if word not in ALLOWED_LATIN:
                    foreign.setdefault(word, f"{path.name}: {text[:80]}")
    assert not foreign, foreign


# Every text of every chart (Plotly's SVG and cjm's flow charts), as the browser drew it: no two
# boxes meet, and none reaches outside its chart (a clipped label).
OVERLAPS = """() => {
  const out = [];
  for (const plot of document.querySelectorAll('.js-plotly-plot, svg.flow')) {
    const frame = plot.getBoundingClientRect();
    const boxes = [...plot.querySelectorAll('text')].filter(t => t.textContent.trim())
      .map(t => [t.textContent, t.getBoundingClientRect()]).filter(([, r]) => r.width > 0 && r.height > 0);
    for (const [text, r] of boxes) {
      if (r.left < frame.left - 1 || r.right > frame.right + 1 || r.top < frame.top - 1 || r.bottom > frame.bottom + 1)
        out.push((plot.id || 'chart') + ' clipped: ' + text);
    }
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const [ta, a] = boxes[i], [tb, b] = boxes[j];
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 2 && h > 2) out.push((plot.id || 'chart') + ': ' + ta + ' / ' + tb);
    }
  }
  return out; }"""


@pytest.mark.parametrize("lang", ["ru", "en"])
@pytest.mark.parametrize("width, bound", [(1400, 15_000), (390, None)])
def test_sample_index_fits(browser, tmp_path, width, bound, lang):
    """Under 15,000 px tall at 1,400 px; no horizontal overflow at 390 px; chart texts never overlap
    nor leave their chart, at either width."""
    out = _sample_report(tmp_path, lang)
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto((out / "index.html").as_uri())
    page.wait_for_selector("body[data-charts=ready]", timeout=30_000)
    assert not errors, errors
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if bound:
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height < bound, f"index is {height} px tall"
    overlaps = page.evaluate(OVERLAPS)
    assert page.query_selector_all("svg.flow"), "the sample's branching groups draw their flow charts"
    assert not overlaps, overlaps


def test_markup_in_an_id_makes_no_request_and_no_element(browser, tmp_path):
    """Plotly reads <a>, <span style> in labels: an id holding them must stay text in every chart."""
    journeys = fixture.load_journeys()
    hostile = '<span style="cursor:url(https://x.test/c.png)">s</span><a href="https://x.test/">a</a>'
    for journey in journeys:
        if journey.id == "en-e":
            journey.transcript.id = hostile + "en-e"
    out = tmp_path / "hostile"
    write_report(journeys, [], load_codebook(), out, lang="en")
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    remote: list[str] = []
    page.on("request", lambda req: remote.append(req.url) if not req.url.startswith(("file:", "data:", "blob:")) else None)
    page.goto((out / "index.html").as_uri())
    page.wait_for_selector("body[data-charts=ready]", timeout=30_000)
    for plot in page.query_selector_all(".js-plotly-plot"):
        plot.hover()
    assert page.evaluate("document.querySelectorAll('.js-plotly-plot a, .js-plotly-plot [style*=\"cursor:url\"]').length") == 0
    assert not remote, remote


def test_escaped_transcript_shows_text(browser, tmp_path):
    out = _report(tmp_path, "en")
    page = browser.new_page()
    page.goto((out / "interviews" / "en-e.html").as_uri())
    assert "<script>alert(1)</script>" in page.inner_text("#u-2")
    assert page.evaluate("document.querySelectorAll('#transcript script').length") == 0

