"""Durations and month dates at their edges: each rule with a text that must give the figure and one that must not."""

import pytest

from cjm.codebook import load_codebook
from cjm.durations import MonthMention, days_between, find_durations, find_months, number_value


@pytest.fixture(scope="module")
def lexicon():
    return load_codebook().lexicons["durations"]


def days(text, lang, lexicon):
    return [(d.days, d.text) for d in find_durations(text, lang, lexicon)]


@pytest.mark.parametrize("text, lang, expected", [
    ("It took six weeks.", "en", [(42, "six weeks")]),
    ("It took 2.5 months.", "en", [(75, "2.5 months")]),
    ("It took 2,5 months.", "en", [(75, "2,5 months")]),
    ("About a couple of months.", "en", [(60, "couple of months")]),
    ("A month and a half later.", "en", [(45, "A month and a half")]),
    ("A month later we paid.", "en", [(30, "A month")]),
    ("Месяца через три оплатили.", "ru", [(90, "Месяца через три")]),
    ("Недели две тестировали.", "ru", [(14, "Недели две")]),
    ("Месяца два с половиной.", "ru", [(75, "Месяца два с половиной")]),
    ("Два с половиной месяца.", "ru", [(75, "Два с половиной месяца")]),
    ("Месяц с половиной думали.", "ru", [(45, "Месяц с половиной")]),
    ("Через месяц оплатили.", "ru", [(30, "месяц")]),
    ("Полгода думали.", "ru", [(180, "Полгода")]),
])
def test_durations_of_every_shape(lexicon, text, lang, expected):
    assert days(text, lang, lexicon) == expected


@pytest.mark.parametrize("text, lang", [
    ("We paid sixty thousand a year.", "en"), ("We paid 500 a month.", "en"), ("We paid per month.", "en"),
    ("Twice in one month they came.", "en"), ("Платили сорок тысяч в месяц.", "ru"),
    ("Months went by.", "en"), ("Дважды за месяц приезжали.", "ru"),
])
def test_rates_frequencies_and_bare_plural_units_are_no_duration(lexicon, text, lang):
    assert days(text, lang, lexicon) == []


def test_an_amount_before_a_year_is_a_rate_but_a_plain_a_year_is_a_duration(lexicon):
    assert days("A year later we paid.", "en", lexicon) == [(365, "A year")]
    assert days("Ten thousand a year.", "en", lexicon) == []


def test_number_value():
    lex = {"numbers": {"три": 3}}
    assert number_value("3", lex) == 3.0 and number_value("2,5", lex) == 2.5 and number_value("три", lex) == 3
    assert number_value("3a", lex) is None and number_value("пять", lex) is None


def test_month_parts_and_days(lexicon):
    found = find_months("В конце января созвонились, а 5 марта оплатили.", "ru", lexicon)
    assert [(m.month, m.day) for m in found] == [(1, 25), (3, 5)]
    found = find_months("We met on March 3 and paid in early May.", "en", lexicon)
    assert [(m.month, m.day, m.text) for m in found] == [(3, 3, "March"), (5, 5, "early May")]
    assert find_months("We may pay.", "en", lexicon) == []
    assert [(m.month, m.day) for m in find_months("In May we paid.", "en", lexicon)] == [(5, 15)]
    assert [(m.month, m.day) for m in find_months("May 20 we paid.", "en", lexicon)] == [(5, 20)]
    assert [(m.month, m.day) for m in find_months("On 40 March.", "en", lexicon)] == [(3, 15)]


def test_days_between_with_thirty_day_months():
    def m(month, day):
        return MonthMention(month, day, 0, 1, "x")

    assert days_between(m(1, 15), m(3, 15)) == 60
    assert days_between(m(3, 10), m(3, 20)) == 10
    assert days_between(m(3, 20), m(3, 10)) == 350  # the next year's March
    assert days_between(m(11, 15), m(2, 15)) == 90
    assert days_between(m(3, 15), m(3, 15)) == 0
