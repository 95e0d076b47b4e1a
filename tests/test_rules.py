"""Codebook phrases compiled into matchers: the pattern grammar, each with a text it must match and one it must not."""

import pytest
from spacy.matcher import Matcher

from cjm import rules
from cjm.codebook import load_codebook
from cjm.errors import CodebookError
from cjm.nlp import pipeline
from cjm.rules import compile_patterns, compile_token, split_punct, word_pieces


def matches(phrase, lang, text):
    nlp = pipeline(lang)
    matcher = Matcher(nlp.vocab)
    matcher.add("x", compile_patterns(phrase, lang))
    return [nlp(text)[s:e].text for _, s, e in matcher(nlp(text))]


@pytest.mark.parametrize("item, lang, spec", [
    ("оплатить", "ru", {"LEMMA": {"IN": ["оплатить"]}}),
    ("оплатил|счёт", "ru", {"LEMMA": {"IN": ["оплатить", "счет"]}}),  # each word's own lemma; ё is е
    ("signed", "en", {"LOWER": {"IN": ["signed"]}}),  # an inflected form: that form only
    ("sign", "en", {"LEMMA": {"IN": ["sign"]}}),  # a base form: any form
    ("=late", "en", {"LOWER": {"IN": ["late"]}}),
    ("=a|=b", "en", {"LOWER": {"IN": ["a", "b"]}}),
    ("?нам", "ru", {"LEMMA": {"IN": ["мы"]}, "OP": "?"}),
    ("рекоменд*", "ru", {"NORM": {"REGEX": r"(?:^| )(?:рекоменд\S*)(?: |$)"}}),
    ("=будет", "ru", {"NORM": {"REGEX": r"(?:^| )(?:\S+ будет)(?: |$)"}}),
    ("sign|signed", "en", {"NORM": {"REGEX": r"(?:^| )(?:sign|signed)(?: |$)"}}),
    ("pilot*|demo", "en", {"NORM": {"REGEX": r"(?:^| )(?:pilot\S*|demo)(?: |$)"}}),
    ("оплата|=будет", "ru", {"NORM": {"REGEX": r"(?:^| )(?:оплата|\S+ будет)(?: |$)"}}),
    ("*", "en", {"LEMMA": {"IN": ["*"]}}),  # a lone star is a word, not a stem
    ("?", "en", {"LEMMA": {"IN": ["?"]}}),  # so is a lone question mark
])
def test_compile_token(item, lang, spec):
    assert compile_token(item, lang) == spec


def test_russian_alternatives_keep_form_and_lemma_in_the_regex():
    spec = compile_token("оплатили|рекоменд*", "ru")
    assert spec == {"NORM": {"REGEX": r"(?:^| )(?:оплатили|оплатить|рекоменд\S*)(?: |$)"}}


@pytest.mark.parametrize("item, message", [("|", "empty alternative"), ("=", "'=' without a word"), ("a|=", "'='")])
def test_bad_tokens_are_errors(item, message):
    with pytest.raises(ValueError, match=message):
        compile_token(item, "en")


def test_compile_pattern_gaps_and_punctuation():
    assert compile_patterns("sign ... contract", "en") == [[{"LEMMA": {"IN": ["sign"]}}, {"OP": "{0,3}"},
                                                           {"LEMMA": {"IN": ["contract"]}}]]
    assert rules.GAP_TOKENS == 3
    assert compile_patterns("paid,", "en") == [[{"LOWER": {"IN": ["paid"]}}]]
    with pytest.raises(ValueError, match="no required word"):
        compile_patterns("?maybe", "en")
    with pytest.raises(ValueError, match="no required word"):
        compile_patterns("", "en")
    with pytest.raises(ValueError, match="no required word"):
        compile_patterns("...", "en")


def test_a_hyphenated_word_is_matched_as_the_pieces_the_tokenizer_makes():
    assert word_pieces("офис-менеджер", "ru") == ("офис", "-", "менеджер")
    assert word_pieces("административно-хозяйственн*", "ru") == ("административно", "-", "хозяйственн*")
    assert word_pieces("менеджер", "ru") == ("менеджер",) and word_pieces("-", "ru") == ("-",)
    assert matches("офис-менеджер", "ru", "Счёт принесла наш офис-менеджер Оля.") == ["офис-менеджер"]
    assert matches("офис-менеджер", "ru", "В офисе менеджер сказал.") == []  # the two words apart
    assert matches("co-founder", "en", "Their co-founder posts videos.") == ["co-founder"]
    assert matches("co-founder", "en", "The founder posts videos.") == []


def test_a_hyphenated_alternative_gets_a_pattern_of_its_own():
    phrase = "на zakupki|b2b-center|росэлторг"
    assert len(compile_patterns(phrase, "ru")) == 2
    assert matches(phrase, "ru", "Разместили на B2B-Center.") == ["на B2B-Center"]
    assert matches(phrase, "ru", "Разместили на Росэлторге.") == ["на Росэлторге"]
    assert matches(phrase, "ru", "Разместили на сайте.") == []


def test_split_punct():
    assert split_punct("b2b-площадка") == ["b2b-площадка"]
    assert split_punct("paid.") == ["paid"] and split_punct(",paid") == ["paid"]
    assert split_punct("?нам") == ["?нам"] and split_punct("?") == [] and split_punct(",") == []


def test_gap_matches_up_to_three_words_only():
    assert matches("запросить ... предложение", "ru", "Мы запросили у них коммерческое предложение.")
    assert not matches("запросить ... предложение", "ru", "Мы запросили у них сразу же коммерческое предложение.")
    assert matches("sign ... contract", "en", "We signed the contract.")


def test_stems_optional_tokens_and_exact_forms_match_as_written():
    assert "рекомендовал нам" in matches("рекоменд* ?нам", "ru", "Партнер рекомендовал нам вас.")
    assert matches("рекоменд* ?нам", "ru", "Партнер рекомендовал вас.") == ["рекомендовал"]
    assert not matches("рекоменд*", "ru", "Партнер посоветовал вас.")
    assert matches("=будет", "ru", "Так будет быстрее.") and not matches("=будет", "ru", "Так было быстрее.")
    assert matches("signed", "en", "We signed.") and not matches("signed", "en", "We sign.")
    assert matches("sign", "en", "We signed.") and matches("sign", "en", "They sign.")
    assert matches("=late", "en", "It was late.") and not matches("=late", "en", "Later.")
    assert matches("ран*|демо", "ru", "Раньше брали у других.") and matches("ран*|демо", "ru", "Было демо.")
    assert not matches("ран*|демо", "ru", "Было видео.")


@pytest.fixture(scope="module")
def book():
    return load_codebook()


def test_compiled_rules_know_every_label_and_their_strength(book):
    compiled = rules.get_rules(book, "en")
    assert compiled.keys["stage:bought"] == ("stage", "bought")
    assert compiled.keys["stage:bought:weak"] == ("stage", "bought") and "stage:bought:weak" in compiled.weak_keys
    assert compiled.keys["stage:bought:back"] == ("stage", "bought") and "stage:bought:back" not in compiled.weak_keys
    assert "stage:bought" not in compiled.weak_keys
    assert compiled.past_only == frozenset({("stage", "bought")})
    assert "but" in compiled.clause_words
    for matcher in ("hypothetical_idioms", "question_stages", "situation", "advice_questions", "aside_questions",
                    "cycle_cues", "cycle_questions", "lost_deal"):
        assert len(getattr(compiled, matcher)) > 0, matcher


def test_weak_and_back_phrases_are_compiled_apart(book, tmp_path):
    path = tmp_path / "book.yaml"
    path.write_text("extends: default\nstages:\n- id: interested\n  patterns:\n    en:\n"
                    "    - ~zorblax\n    - <quuxify\n    - flimflam\n", encoding="utf-8")
    custom = load_codebook(path)
    compiled = rules.compile_rules(custom, "en", pipeline("en"))
    nlp = pipeline("en")
    found = {nlp.vocab.strings[k] for text in ("zorblax", "quuxify", "flimflam") for k, _, _ in compiled.matcher(nlp(text))}
    assert {"stage:interested:weak", "stage:interested:back", "stage:interested"} <= found
    assert [nlp.vocab.strings[k] for k, _, _ in compiled.matcher(nlp("zorblax"))] == ["stage:interested:weak"]


def test_every_bad_phrase_is_reported_at_once(book, tmp_path):
    path = tmp_path / "book.yaml"
    path.write_text("extends: default\nstages:\n- id: interested\n  patterns:\n    en:\n    - a|=\n"
                    "cues:\n  negation:\n    en:\n    - '?x'\n", encoding="utf-8")
    with pytest.raises(CodebookError) as error:
        rules.validate_patterns(load_codebook(path))
    text = str(error.value)
    assert "stage 'interested' (en)" in text and "cues.negation (en)" in text and str(path) in text


def test_a_question_lexicon_for_an_unknown_stage_is_an_error(tmp_path):
    path = tmp_path / "book.yaml"
    path.write_text("extends: default\nlexicons:\n  questions:\n    nosuch:\n      en:\n      - who\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="unknown stage id 'nosuch'"):
        rules.compile_rules(load_codebook(path), "en", pipeline("en"))


def test_rules_are_compiled_once_per_codebook_and_language(book):
    first = rules.get_rules(book, "en")
    assert rules.get_rules(book, "en") is first
    assert rules.get_rules(book, "ru") is not first
    from dataclasses import replace

    other = replace(book)  # an equal codebook, another object: compiled again
    assert rules.get_rules(other, "en") is not first and rules.get_rules(other, "en") is rules.get_rules(other, "en")


def test_lemma_of_reads_the_texts_analysis():
    assert rules.lemma_of("оплатили", "ru") == "оплатить"
    assert rules.lemma_of("signed", "en") == "sign"
    assert rules.lemma_of("sign-off", "en") == "sign-off"  # several tokens: the word as written, lower case


def test_lemma_of_is_remembered_with_the_same_answer():
    assert rules.lemma_of("часов", "ru") == rules.lemma_of.__wrapped__("часов", "ru") == "час"
    assert rules.lemma_of("signed", "en") == rules.lemma_of.__wrapped__("signed", "en") == "sign"
