"""Negation scope from natasha's dependency parse (Russian)."""

import pytest

from cjm.syntax import negated_spans


@pytest.mark.parametrize("sentence, words, negated", [
    ("На выставку мы в тот год не поехали.", "выставку", True),
    ("Тендера мы не объявляли, взяли напрямую.", "Тендера", True),
    ("Образцы нам так и не прислали.", "Образцы", True),
    ("Никакого тендера не было.", "тендера", True),
    ("Мы не стали ждать и сразу заказали пробную партию.", "пробную партию", False),  # its own predicate
    ("Цена была не самая низкая, но мы оплатили счет.", "оплатили", False),
    ("Я не помню точно, когда мы оплатили счет.", "оплатили", False),  # a subordinate clause
])
def test_negation_reaches_only_what_the_negated_verb_governs(sentence, words, negated):
    start = sentence.index(words)
    assert negated_spans(sentence, [(start, start + len(words))]) == [negated]
