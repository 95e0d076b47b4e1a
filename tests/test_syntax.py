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


def test_parses_kept_in_the_cache_are_used_instead_of_the_parser(tmp_path, monkeypatch):
    from cjm import syntax
    from cjm.cache import JourneyCache

    seen, unseen = "Образцы нам так и не прислали.", "Тендера мы не объявляли, взяли напрямую."
    store = JourneyCache(tmp_path / "cache")
    monkeypatch.setattr(syntax, "_parses", {})
    syntax.keep_parses(store)
    try:
        syntax.parse_many([seen])
        fresh = syntax.parse(seen)
        monkeypatch.setattr(syntax, "_parses", {})  # a new run: nothing in memory
        monkeypatch.setattr(syntax, "_models", lambda: pytest.fail("the parser was loaded for a kept parse"))
        syntax.parse_many([seen])
        assert syntax.parse(seen) == fresh
        with pytest.raises(pytest.fail.Exception):  # a sentence not seen before is parsed
            syntax.parse_many([unseen])
        syntax.keep_parses(None)
        monkeypatch.setattr(syntax, "_parses", {})
        with pytest.raises(pytest.fail.Exception):  # without a cache nothing is read from it
            syntax.parse_many([seen])
    finally:
        syntax.keep_parses(None)


def test_a_kept_parse_is_keyed_by_its_text_and_natasha_s_versions(monkeypatch):
    from cjm import syntax

    key = syntax._stored_key("Мы не поехали.")
    assert syntax._stored_key("Мы не поехали!") != key
    monkeypatch.setattr(syntax, "_versions", lambda: {"natasha": "0.0"})
    assert syntax._stored_key("Мы не поехали.") != key


def test_natasha_s_models_are_kept_in_the_cache_and_parse_the_same(tmp_path, monkeypatch):
    from cjm import syntax
    from cjm.cache import JourneyCache

    sentence = "Директор не хотел менять поставщика, но бухгалтер настоял."
    store = JourneyCache(tmp_path / "cache")
    monkeypatch.setattr(syntax, "_parses", {})
    syntax.keep_parses(store)
    try:
        syntax._models.cache_clear()  # a new process: loaded from natasha's files, then kept
        syntax.parse_many([sentence])
        fresh = syntax.parse(sentence)
        assert len(list((tmp_path / "cache" / syntax.MODELS_KIND).rglob("*.pickle"))) == 1
        import natasha

        monkeypatch.setattr(natasha, "NewsEmbedding", lambda: pytest.fail("natasha's files were read again"))
        syntax._models.cache_clear()
        monkeypatch.setattr(syntax, "_parses", {})
        monkeypatch.setattr(syntax, "_from_store", lambda texts: texts)  # the parse itself is not kept
        syntax.parse_many([sentence])
        assert syntax.parse(sentence) == fresh
    finally:
        syntax.keep_parses(None)
        syntax._models.cache_clear()


def test_the_models_key_names_natasha_numpy_and_python(monkeypatch):
    from cjm import syntax

    key = syntax._models_key()
    monkeypatch.setattr(syntax, "_versions", lambda: {"navec": "0.0"})
    assert syntax._models_key() != key


def test_a_worker_forked_before_the_run_keeps_parses_in_the_run_s_cache(tmp_path):
    from cjm import syntax
    from cjm.cache import JourneyCache

    try:
        syntax.keep_parses(None)
        syntax.keep_parses_in(tmp_path / "c")
        assert syntax._STORE and syntax._STORE[0].folder == tmp_path / "c"
        own = JourneyCache(tmp_path / "c")
        syntax.keep_parses(own)
        syntax.keep_parses_in(tmp_path / "c")  # the same folder: the run's own cache object stays
        assert syntax._STORE[0] is own
        syntax.keep_parses_in(tmp_path / "other")
        assert syntax._STORE[0].folder == tmp_path / "other"
    finally:
        syntax.keep_parses(None)
