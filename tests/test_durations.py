"""Durations and dates in speech, both languages."""

import pytest

from cjm.codebook import load_codebook
from cjm.durations import days_between, find_durations, find_months


@pytest.fixture(scope="module")
def lexicon():
    return load_codebook().lexicons["durations"]


@pytest.mark.parametrize("text, days", [
    ("месяца через три оплатили", 90), ("недели две думали", 14), ("месяца два с половиной", 75),
    ("ушло недель семь", 49), ("полгода тянулось", 180), ("примерно через четыре месяца", 120),
    ("полтора месяца", 45), ("через месяц", 30),
    ("about six weeks", 42), ("it took us two months", 60), ("a month and a half", 45),
    ("roughly ten weeks", 70), ("a couple of months", 60), ("nine and a half months, near enough", 285),
    ("two and a half weeks", 17.5),
])
def test_durations(lexicon, text, days):
    lang = "ru" if any("а" <= ch <= "я" for ch in text) else "en"
    assert max(d.days for d in find_durations(text, lang, lexicon)) == days


@pytest.mark.parametrize("text, lang, spans", [
    ("от заявки до оплаты — месяц и три недели", "ru", [(51, "месяц и три недели")]),
    ("два месяца и две недели", "ru", [(74, "два месяца и две недели")]),
    ("It was two months and a week, all told.", "en", [(67, "two months and a week")]),
    ("a year and two months", "en", [(425, "a year and two months")]),
    # not one duration: the smaller first, other words between, or a list
    ("неделю и два месяца", "ru", [(7, "неделю"), (60, "два месяца")]),
    ("the demos took two weeks and legal a month", "en", [(14, "two weeks"), (30, "a month")]),
    ("две недели, месяц", "ru", [(14, "две недели"), (30, "месяц")]),
    ("a week of demos, then a week and a week of the pilot", "en",
     [(7, "a week"), (7, "a week"), (7, "a week")]),
])
def test_a_duration_in_two_units_is_their_sum(lexicon, text, lang, spans):
    assert [(d.days, d.text) for d in find_durations(text, lang, lexicon)] == spans


@pytest.mark.parametrize("text, lang", [("sixty-five thousand a year", "en"), ("тысяч шестьдесят в месяц уходит", "ru"),
                                        ("two hundred dollars per month", "en")])
def test_rates_are_not_durations(lexicon, text, lang):
    assert find_durations(text, lang, lexicon) == []


def test_month_dates_both_languages(lexicon):
    ru = find_months("в конце января созвонились, а оплатили в середине марта", "ru", lexicon)
    assert [(m.month, m.day) for m in ru] == [(1, 25), (3, 15)]
    assert days_between(ru[0], ru[1]) == 50
    en = find_months("we first talked in early May and paid at the end of June", "en", lexicon)
    assert [(m.month, m.day) for m in en] == [(5, 5), (6, 25)]


def test_may_the_verb_is_not_a_month(lexicon):
    assert find_months("we may sign later", "en", lexicon) == []


def test_across_new_year(lexicon):
    a, b = find_months("в декабре начали, в феврале оплатили", "ru", lexicon)
    assert days_between(a, b) == 60


@pytest.mark.parametrize("text, lang, days", [
    ("Я недели две по авансу торговался.", "ru", [14]),
    ("От звонка до аванса месяца два с половиной.", "ru", [75]),
    ("Через месяц оплатили.", "ru", [30]),
    ("Три недели переписывались.", "ru", [21]),
    ("It took about six weeks.", "en", [42]),
    ("Our QA lead ran a trial for two weeks.", "en", [14]),
    ("It stalled for three months.", "en", [90]),
    ("В первую неделю всё было тихо.", "ru", []),
    ("They put the price up twice in one year.", "en", []),
    ("Раз в год мы проводим ревизию.", "ru", []),
])
def test_durations_in_sentences(lexicon, text, lang, days):
    """The same parser serves the cycle length and the report's time-per-stage lane."""
    assert [d.days for d in find_durations(text, lang, lexicon)] == pytest.approx(days)


@pytest.mark.parametrize("text, lang, dates", [
    ("May sixth.", "en", [(5, 6)]), ("Signed March twentieth, about.", "en", [(3, 20)]),
    ("on the ninth of December", "en", [(12, 9)]), ("the twenty-third of May", "en", [(5, 23)]),
    ("Their installer came in mid-August", "en", [(8, 15)]),
    ("Двадцать восьмого мая, кажется.", "ru", [(5, 28)]), ("Оплатили девятого.", "ru", [(0, 9)]),
])
def test_dates_with_ordinal_days(lexicon, text, lang, dates):
    from cjm.durations import find_dates

    assert [(m.month, m.day) for m in find_dates(text, lang, lexicon)] == dates


@pytest.mark.parametrize("text, lang", [("we may go", "en"), ("аванс по третьего этапа", "ru"), ("the first order", "en")])
def test_no_date_without_a_month_or_a_lone_russian_day(lexicon, text, lang):
    from cjm.durations import find_dates

    assert find_dates(text, lang, lexicon) == []


def test_find_months_keeps_its_count_without_ordinals(lexicon):
    assert find_months("May sixth.", "en", lexicon) == []  # (the tagger's features read this count)
    assert [m.day for m in find_months("mid-August", "en", lexicon)] == []
