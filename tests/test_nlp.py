"""The language pipelines: lemmas, parts of speech, norms and past tense, remembered per token text."""

from __future__ import annotations

import pytest

from cjm import nlp
from cjm.nlp import pipeline, russian_analysis

RU = "Мы ждали три часа, потом ещё пять часов. Ждём ответа!"
EN = "We signed it. I'd gone there, he walked home and we sign today."


def analysis(doc):
    past_at = nlp.word_summary(doc).past_at
    return [(t.text, t.lemma_, t.pos_, t.norm_, t.i in past_at) for t in doc]


@pytest.fixture
def cold(monkeypatch):
    """Empty token memos, so that a parse computes every token itself."""
    monkeypatch.setattr(nlp, "_TOKEN_MEMO", {"ru": {}, "en": {}})


def test_russian_memo_gives_the_analysis_of_each_token(cold):
    first = analysis(pipeline("ru")(RU))
    assert nlp._TOKEN_MEMO["ru"]  # the texts are remembered ...
    assert analysis(pipeline("ru")(RU)) == first  # ... and a second parse reads the same from them
    tokens = {text: rest for text, *rest in first}
    # pymorphy3's normal form differs from the form: "часов" -> "час", with the form kept in the norm
    assert tokens["часов"][0] == russian_analysis("часов")[0] == "час"
    assert tokens["часов"][2] == "час часов"
    assert tokens["ждали"][3] is True and tokens["Ждём"][3] is False  # past tense only where it is past
    assert tokens[","] == [",", "PUNCT", ",", False]  # punctuation keeps its text


def test_english_memo_gives_the_lookup_lemma_lower_case_and_the_past(cold):
    first = analysis(pipeline("en")(EN))
    assert analysis(pipeline("en")(EN)) == first
    tokens = {text: rest for text, *rest in first}
    assert tokens["signed"][0] == "sign" and tokens["signed"][3] is True
    assert tokens["sign"][3] is False  # the base form is no past
    assert tokens["'d"][0] == "'d"  # the clitic stays itself ("I'd gone": had, not would)
    assert tokens["We"][0] == "we" and tokens["We"][2] == "we we"


def test_a_full_memo_is_emptied_and_still_answers_right(cold, monkeypatch):
    expected = analysis(pipeline("ru")(RU))
    monkeypatch.setattr(nlp, "_TOKEN_MEMO", {"ru": {}, "en": {}})
    monkeypatch.setattr(nlp, "TOKEN_MEMO_SIZE", 3)
    assert analysis(pipeline("ru")(RU)) == expected
    assert len(nlp._TOKEN_MEMO["ru"]) <= 3


def test_the_parse_keeps_a_summary_equal_to_one_made_from_the_tokens_afresh(cold):
    doc = pipeline("ru")("Светлана ждала пять часов и всё. Ёлка")
    kept = doc.user_data[nlp.SUMMARY_KEY]
    del doc.user_data[nlp.SUMMARY_KEY]
    assert nlp.word_summary(doc) == kept  # the memo's answers are those of the tokens themselves
    assert kept.content == ("светлана", "ждать", "пять", "час", "елка")  # "и", "всё" carry no meaning
    assert kept.names == {"светлана"} and "часов" in kept.words and "час" in kept.words
    assert kept.past_at == (1,) and kept.past
    assert kept.keys[3] == ("часов", "час") and kept.keys[0] == ("светлана",) and kept.keys[6] == ()  # "." has no key


def test_past_between_reads_the_span_only():
    doc = pipeline("en")("We talk now. We signed it later.")  # "signed" is token 5
    assert nlp.past_between(doc, 4, 6) and nlp.past_between(doc, 0, len(doc))
    assert not nlp.past_between(doc, 0, 5) and not nlp.past_between(doc, 6, len(doc))
    assert not nlp.word_summary(pipeline("en")("We talk now.")).past


def test_a_hand_made_doc_is_summarised_from_its_tokens_when_read():
    import spacy

    doc = spacy.blank("en")("Karen paid")
    assert nlp.word_summary(doc).names == {"karen"} and nlp.word_summary(doc).past
    assert nlp.SUMMARY_KEY not in doc.user_data  # (its tokens' norms are not the pipeline's: the matcher reads them)


def test_word_count_splits_at_any_white_space():
    from cjm.nlp import word_count

    assert word_count("We paid  the\ninvoice,\tthen waited.") == 6
    assert word_count("") == 0 and word_count("   ") == 0
