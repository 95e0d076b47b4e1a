"""Render's escaping and naming, unit by unit and fast (no report is written): the JSON for the
page's scripts, the text Plotly reads, the jinja2 environment, the highlighted segments, the page
names. A break here puts transcript text into a page as markup, or two interviews in one file."""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace

import pandas as pd
import pytest

from cjm import render
from cjm.codebook import load_codebook
from cjm.model import Mention
from cjm.render import SLUG_MAX, plotly_text, plotly_texts, report_data, slug


@pytest.fixture(scope="module")
def builder():
    book = load_codebook()
    return render.Builder([], [], book, render.aggregate.build_tables([], book), "en", None)


def tables(*rows):
    columns = ["interview", "channel_group", "channel", "furthest_stage", "cycle_days"]
    return SimpleNamespace(interviews=pd.DataFrame(list(rows), columns=columns + ["mood"]))


# --------------------------------------------------------------------------- report_data

def test_report_data_escapes_what_could_close_the_script_element():
    text = report_data([], tables(["</script><b>a&b</b>", "referral", "x>y", "bought", 12.0, 0.5]))
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\\u003c/script\\u003e\\u003cb\\u003ea\\u0026b" in text and "x\\u003ey" in text
    assert json.loads(text) == [{"interview": "</script><b>a&b</b>", "channel_group": "referral", "channel": "x>y",
                                 "furthest_stage": "bought", "cycle_days": 12.0}]  # the same data for the scripts


def test_report_data_keeps_plain_text_and_turns_missing_values_into_null():
    text = report_data([], tables(["ru-01", "referral", "referral", "bought", float("nan"), 0.1],
                                  ["Иванов", None, None, "informed", 3.0, None]))
    assert json.loads(text) == [
        {"interview": "ru-01", "channel_group": "referral", "channel": "referral", "furthest_stage": "bought",
         "cycle_days": None},
        {"interview": "Иванов", "channel_group": None, "channel": None, "furthest_stage": "informed", "cycle_days": 3.0}]
    assert "Иванов" in text  # not \u-escaped: only the three markup characters are
    assert text.index('"channel"') < text.index('"cycle_days"') < text.index('"interview"')  # sorted keys: stable


# --------------------------------------------------------------------------- plotly_text

@pytest.mark.parametrize("raw, shown", [("<b>", "&lt;b&gt;"), ("a & b", "a &amp; b"), ("&lt;", "&amp;lt;"),
                                        ("x > y", "x &gt; y"), ("1 < 2", "1 &lt; 2"), ("plain", "plain"),
                                        (3, "3"), (None, "None")])
def test_plotly_text_turns_each_markup_character_into_an_entity(raw, shown):
    assert plotly_text(raw) == shown


def test_plotly_texts_escapes_every_value_in_order():
    assert plotly_texts(["<a>", "b", 2]) == ["&lt;a&gt;", "b", "2"]
    assert plotly_texts(pd.Series(["x&y"])) == ["x&amp;y"]
    assert plotly_texts([]) == []


# --------------------------------------------------------------------------- the environment

def test_the_environment_escapes_every_value_in_html_and_text_templates():
    env = render.environment("en")
    for name in ("page.html", "page.j2", "notes.txt"):
        template = env.from_string("{{ value }}")
        template.name = name
        assert template.render(value="<b>&") == "&lt;b&gt;&amp;", name
    assert env.autoescape is True


def test_the_environment_refuses_an_unknown_name_and_formats_numbers_in_its_language():
    import jinja2

    with pytest.raises(jinja2.UndefinedError):
        render.environment("en").from_string("{{ missing }}").render()
    en, ru = render.environment("en"), render.environment("ru")
    assert en.from_string("{{ 1234567 | num }}").render() == render.format_number(1234567, "en")
    assert ru.from_string("{{ 1234567 | num }}").render() == render.format_number(1234567, "ru")
    assert en.from_string("{{ 1234567 | num }}").render() != ru.from_string("{{ 1234567 | num }}").render()
    assert en.from_string("{{ 0.5 | pct }}").render() == render.format_percent(0.5, "en")
    assert ru.from_string("{{ 30 | days }}").render() == render.format_days(30, "ru")
    assert en.from_string("{{ 0.04 | pval }}").render() == render.format_p(0.04, "en")
    assert en.from_string("{{ t('unknown') }}").render() == render.ui_strings()["unknown"]["en"]
    assert ru.from_string("{{ t('unknown') }}").render() == render.ui_strings()["unknown"]["ru"]
    assert render.ui_strings()["unknown"]["en"] != render.ui_strings()["unknown"]["ru"]


def test_templates_keep_a_trailing_newline_and_trim_block_lines():
    env = render.environment("en")
    assert env.from_string("{% if true %}\n  a\n{% endif %}\n").render() == "  a\n"


# --------------------------------------------------------------------------- segments

def test_segments_cover_the_text_exactly_once_at_every_mention_boundary(builder):
    text = "we met at a show, then we paid"
    mentions = [Mention("channel", "exhibition", 10, 16, "a show", 0), Mention("stage", "bought", 26, 30, "paid", 0)]
    segments = builder.segments(text, mentions, [])
    assert [(s.text, s.kinds, s.suppressed) for s in segments] == [
        ("we met at ", [], False), ("a show", ["channel"], False), (", then we ", [], False), ("paid", ["stage"], False)]
    assert segments[1].title == f"{builder.t('kind_channel')}: {builder.name('channel', 'exhibition')}"
    assert segments[0].title == ""


def test_a_mention_at_the_very_start_or_end_is_shown_and_one_outside_the_text_is_not(builder):
    text = "paid"
    whole = builder.segments(text, [Mention("stage", "bought", 0, 4, "paid", 0)], [])
    assert [(s.text, s.kinds) for s in whole] == [("paid", ["stage"])]
    for bad in (Mention("stage", "bought", 2, 9, "x", 0), Mention("stage", "bought", -1, 2, "x", 0),
                Mention("stage", "bought", 3, 3, "", 0)):
        assert [(s.text, s.kinds) for s in builder.segments(text, [bad], [])] == [("paid", [])], bad
        assert [(s.text, s.suppressed) for s in builder.segments(text, [], [bad])] == [("paid", False)], bad


def test_labels_given_with_no_phrase_behind_them_mark_no_text(builder):
    text = "we paid"
    for origin in ("model", "review"):
        spanless = Mention("stage", "bought", 3, 7, "paid", 0, origin=origin)
        assert [(s.text, s.kinds) for s in builder.segments(text, [spanless], [])] == [("we paid", [])]
    carried = Mention("stage", "bought", 3, 7, "paid", 0, origin="carried")
    assert [(s.text, s.kinds) for s in builder.segments(text, [carried], [])] == [("we ", []), ("paid", ["stage"])]


def test_text_under_a_kept_and_a_suppressed_mention_is_not_suppressed(builder):
    text = "not paid"
    kept = [Mention("stage", "bought", 4, 8, "paid", 0)]
    negated = [Mention("stage", "bought", 0, 8, "not paid", 0)]
    segments = builder.segments(text, kept, negated)
    assert [(s.text, s.kinds, s.suppressed) for s in segments] == [("not ", [], True), ("paid", ["stage"], False)]
    assert f"({builder.t('suppressed')})" in segments[0].title and segments[1].title.count(";") == 1


# --------------------------------------------------------------------------- page names

def test_a_name_of_exactly_the_longest_length_is_kept_and_one_longer_is_hashed():
    assert slug("a" * SLUG_MAX) == "a" * SLUG_MAX
    longer = slug("a" * (SLUG_MAX + 1))
    assert longer != "a" * (SLUG_MAX + 1) and len(longer) <= SLUG_MAX
    assert longer.endswith("-" + hashlib.sha256(("a" * (SLUG_MAX + 1)).encode()).hexdigest()[:12])


def test_a_hashed_name_keeps_as_much_of_the_id_as_leaves_room_for_a_collision_number():
    long = slug("v" * 300)
    assert long.startswith("v" * 60) and len(long + "-99") == SLUG_MAX  # "-2" ... "-99" still fit
    assert len(slug("v" * 300 + "x") + "-99") == SLUG_MAX


def test_an_id_that_looks_like_a_hashed_name_is_hashed_again():
    hashed = slug("a b")
    assert slug(hashed) != hashed  # else the id "a_b-<hash>" and the id "a b" would share a page
    assert slug("ru-01-2024") == "ru-01-2024"  # a dash and digits alone are no hash


@pytest.mark.parametrize("ident", ["CON", "nul", "com1", "LPT9.html", "aux.txt"])
def test_windows_device_names_never_name_a_page(ident):
    name = slug(ident)
    assert name != ident and name.split(".")[0].upper() not in ("CON", "NUL", "COM1", "LPT9", "AUX")
    assert slug("console") == "console" and slug("nuller.txt") == "nuller.txt"


def test_an_id_cleaned_to_nothing_is_an_interview_with_its_hash():
    assert slug("???") == "interview-" + hashlib.sha256("???".encode()).hexdigest()[:12]
    assert slug("a?") == "a-" + hashlib.sha256("a?".encode()).hexdigest()[:12]


def test_two_interviews_whose_names_differ_only_in_case_get_two_pages():
    journeys = [SimpleNamespace(id=i) for i in ("Ru-01", "ru-01", "RU-01")]
    names = render.Builder._file_names(SimpleNamespace(journeys=journeys))
    assert names == {"Ru-01": "Ru-01.html", "ru-01": "ru-01-2.html", "RU-01": "RU-01-3.html"}
    assert len({n.lower() for n in names.values()}) == 3  # a case-insensitive file system keeps all three
