"""Plain-text phrase matching: words with their lemmas, and the codebook's phrase syntax."""

from __future__ import annotations

from cjm.textmatch import Hit, PhraseList, Word, words


def test_words_carry_the_lemma_the_tag_stage_gives():
    ws = words("Ждали пять часов, потом подписали.", "ru")
    assert [w.form for w in ws] == ["ждали", "пять", "часов", "потом", "подписали"]
    assert ws[2] == Word("часов", "час", 11, 16)  # the normal form, not the form
    assert words("We signed it", "en")[1].lemma == "sign"
    assert words("in 2.5 days", "en")[1] == Word("2.5", "2.5", 3, 6)  # numbers are their own lemma


def test_a_phrase_matches_any_form_of_its_words_but_not_another_word():
    found = PhraseList(["подписать ... договор"], "ru")
    assert found.find("Мы подписали наконец договор.") == [Hit(0, 3, 28)]  # "подписали наконец договор"
    assert found.find("Мы обсуждали договор.") == []
