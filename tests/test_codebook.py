"""Codebooks: the default matches the contract's ids; user codebooks extend or fail with a location."""

from pathlib import Path

import pytest
import yaml

from cjm.codebook import load_codebook
from cjm.errors import CodebookError
from cjm.rules import validate_patterns

DATA = Path(__file__).parent / "data" / "codebooks"
CONTRACT_LABELS = Path(__file__).resolve().parents[2] / "shared" / "contract" / "labels.yaml"


def test_default_ids_match_the_contract():
    if not CONTRACT_LABELS.exists():
        pytest.skip("shared/contract/labels.yaml is not beside the repository")
    contract = yaml.safe_load(CONTRACT_LABELS.read_text(encoding="utf-8"))
    book = load_codebook()
    assert book.ids("stage") == [s["id"] for s in contract["stages"]]
    assert book.ids("role") == [r["id"] for r in contract["roles"]]
    assert {c.id: c.group for c in book.channels} == {c["id"]: c["group"] for c in contract["channels"]}


def test_every_label_has_patterns_in_both_languages():
    book = load_codebook()
    for label in book.stages + book.roles + book.channels:
        assert label.patterns.get("ru") and label.patterns.get("en"), label.id
        assert label.name("ru") and label.name("en")
    validate_patterns(book)


def test_user_codebook_extends_the_default():
    book = load_codebook(DATA / "extend.yaml")
    assert "telegram_bot" in book.ids("channel")
    assert book.group_of("telegram_bot") == "cold_inbound"
    motivated = book.get("stage", "motivated")
    assert "тест-драйв*" in motivated.patterns["ru"]
    assert len(motivated.patterns["ru"]) > 1  # the default phrases are still there
    validate_patterns(book)


def test_yaml_error_names_file_and_line():
    with pytest.raises(CodebookError) as caught:
        load_codebook(DATA / "bad_yaml.yaml")
    assert caught.value.path.endswith("bad_yaml.yaml")
    assert caught.value.line is not None and 3 <= caught.value.line <= 4


def test_unknown_ids_are_all_reported():
    with pytest.raises(CodebookError) as caught:
        load_codebook(DATA / "unknown_group.yaml")
    message = str(caught.value)
    assert "no_such_label" in message
    assert "unknown_group.yaml" in message


def test_unknown_group_is_reported(tmp_path):
    path = tmp_path / "book.yaml"
    path.write_text("extends: default\nchannels:\n  - {id: billboard, group: outdoor}\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="unknown group 'outdoor'"):
        load_codebook(path)


def _phrases(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _phrases(value)
    elif isinstance(node, list):
        for value in node:
            if isinstance(value, str):
                yield value
            else:
                yield from _phrases(value)


def test_alternatives_are_per_token_in_the_shipped_codebook():
    """'a b|c d' means a, then b-or-c, then d: an alternative that repeats a word of its own token
    ("procurement|procurement officer") or of its neighbour was meant as a whole phrase and is wrong."""
    from cjm.codebook import default_codebook_path

    data = yaml.safe_load(default_codebook_path().read_text(encoding="utf-8"))
    suspicious = []
    for phrase in _phrases({k: data[k] for k in ("stages", "roles", "channels", "cues")} | {"lexicons": {
            k: v for k, v in data["lexicons"].items() if k != "durations"}}):
        tokens = [t for t in phrase.lstrip("~<").split() if t != "..."]
        for left, right in zip(tokens, tokens[1:]):
            if set(left.split("|")) & set(right.split("|")):
                suspicious.append(phrase)
    assert suspicious == []


@pytest.mark.parametrize("section", ["situation", "advice_questions", "cycle_cues", "cycle_questions"])
def test_a_bad_phrase_in_any_lexicon_section_is_reported(tmp_path, section):
    """Every section is compiled before errors are raised: none is skipped, none raises a traceback."""
    path = tmp_path / "book.yaml"
    path.write_text(f"extends: default\nlexicons:\n  {section}:\n    ru: ['...']\n", encoding="utf-8")
    with pytest.raises(CodebookError, match=section):
        validate_patterns(load_codebook(path))


# --- wrong types, extends cycles, size (issue 12) --------------------------------------------------

def write_book(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("body, line, words", [
    ("channels:\n  - id: billboard\n    group: [x]\n", 4, "'group' must be a text, not a list"),
    ("stages: 5\n", 2, "'stages' must be a list of entries with an 'id', not the number 5"),
    ("drop: 5\n", 2, "'drop' must be a list of label ids, not the number 5"),
    ("stages:\n  - id: informed\n    name: [a, b]\n", 4, "'name' must be a text or {ru: ..., en: ...}"),
    ("lexicons: {durations: 5}\n", 2, "lexicons.durations must map a language"),
    ("lexicons:\n  durations:\n    en: {units: {week: seven}}\n", 4, "lexicons.durations.en.units must map words to numbers"),
    ("lexicons: {min_cycle_days: soon}\n", 2, "lexicons.min_cycle_days must be a number of days"),
    ("lexicons: {first_contact_priority: big_boss}\n", 2, "lexicons.first_contact_priority must be a list"),
    ("lexicons:\n  questions:\n    informed: [how]\n", 4, "lexicons.questions.informed must map a language"),
    ("cues: {negation: {ru: 5}}\n", 2, "cues.negation.ru must be a list of non-empty strings"),
    ("stages:\n  - id: informed\n    beats: interested\n", 4, "'beats' must be a list of label ids"),
    ("stages:\n  - id: informed\n    requires_past: maybe\n", 4, "'requires_past' must be true or false"),
    ("stages:\n  - id: informed\n    patterns: [a]\n", 4, "'patterns' must map a language"),
    ("stages:\n  - id: informed\n    patterns: {en: [a, 5]}\n", 4, "a list holding other values"),
    ("stages:\n  - id: [informed]\n", 3, "needs an 'id' (a text), not a list"),
    ("stages:\n  - just a phrase\n", 3, "is a mapping with an 'id', not the text"),
    ("stages:\n  - id: informed\n    grup: x\n", 4, "unknown key 'grup'"),
    ("stags: []\n", 2, "unknown key 'stags'"),
    ("stages:\n  - id: informed\n    means: {a: b}\n", 4, "'means' maps ru and en to a text"),
    ("stages:\n  - id: informed\n    means: [a, b]\n", 4, "'means' must be a text or {ru: ..., en: ...}"),
    ("roles:\n  - id: guru\n    group: referral\n", 4, "only channels have a 'group'"),
    ("extends: [default]\n", 1, "'extends' must be 'default' or a codebook file"),
    ("stages:\n  - id: informed\n    plays: paying\n", 4, "'plays' of 'informed' must be one of before_contact"),
    ("roles:\n  - id: guru\n    plays: purchase\n", 4, "(stages only)"),
    ("qualification: 5\n", 2, "'qualification' must map a family (bant, temperature)"),
    ("qualification:\n  bant:\n  - id: budget\n    roles: big_boss\n", 5, "'roles' must be a list of ids"),
    ("qualification:\n  bant:\n  - id: budget\n    group: money\n", 5, "unknown key 'group'"),
    ("lexicons:\n  advice_questions:\n    replace: maybe\n", 4, "'replace' must be true or false"),
])
def test_wrong_types_are_validation_messages_with_line(tmp_path, body, line, words):
    text = body if body.startswith("extends") else "extends: default\n" + body
    path = write_book(tmp_path, "book.yaml", text)
    with pytest.raises(CodebookError) as caught:
        load_codebook(path)
    error = caught.value
    assert words in error.message, error.message
    assert error.path == str(path) and error.line == line and f"line {line}:" in error.message


def test_every_wrong_entry_is_reported_at_once(tmp_path):
    path = write_book(tmp_path, "book.yaml", "extends: default\ndrop: 5\nstages: 5\nlexicons: {durations: 5}\n")
    with pytest.raises(CodebookError) as caught:
        load_codebook(path)
    assert [part.split(":")[0] for part in caught.value.message.split("; ")] == ["line 2", "line 3", "line 4"]


def test_a_known_group_and_a_single_drop_id_still_work(tmp_path):
    path = write_book(tmp_path, "book.yaml", "extends: default\ndrop: marketplace\nchannels:\n"
                                             "  - id: billboard\n    group: cold_inbound\n    patterns: {en: [billboard]}\n")
    book = load_codebook(path)
    assert "marketplace" not in book.ids("channel") and book.group_of("billboard") == "cold_inbound"


def test_extends_naming_itself_is_an_error(tmp_path):
    path = write_book(tmp_path, "self.yaml", "extends: self.yaml\nstages:\n  - id: informed\n")
    with pytest.raises(CodebookError, match="'extends' names this codebook itself") as caught:
        load_codebook(path)
    assert caught.value.line == 1


def test_extends_cycle_is_an_error(tmp_path):
    write_book(tmp_path, "a.yaml", "extends: b.yaml\n")
    write_book(tmp_path, "b.yaml", "extends: ./a.yaml\n")
    with pytest.raises(CodebookError, match=r"'extends' makes a cycle \(a.yaml -> b.yaml -> a.yaml\)"):
        load_codebook(tmp_path / "a.yaml")


def test_extends_another_codebook_file(tmp_path):
    write_book(tmp_path, "team.yaml", "extends: default\nchannels:\n  - id: billboard\n    group: cold_inbound\n"
                                      "    patterns: {en: [billboard]}\n")
    write_book(tmp_path, "mine.yaml", "extends: team.yaml\nstages:\n  - id: motivated\n    patterns: {ru: [тест-драйв*]}\n")
    book = load_codebook(tmp_path / "mine.yaml")
    assert "billboard" in book.ids("channel") and "тест-драйв*" in book.get("stage", "motivated").patterns["ru"]
    with pytest.raises(CodebookError, match="which is not a codebook file"):
        load_codebook(write_book(tmp_path, "missing.yaml", "extends: nowhere.yaml\n"))


def test_user_lexicons_merge_deeply(tmp_path):
    path = write_book(tmp_path, "book.yaml", "extends: default\nlexicons:\n  durations:\n    en:\n"
                                             "      units: {fortnight: 14}\n")
    durations = load_codebook(path).lexicons["durations"]["en"]
    assert durations["units"]["fortnight"] == 14 and durations["units"]["week"] == 7 and durations["numbers"]


def test_a_lexicon_section_with_replace_is_swapped_not_extended(tmp_path):
    default = load_codebook().lexicons["advice_questions"]
    swapped = load_codebook(write_book(tmp_path, "swap.yaml", "extends: default\nlexicons:\n  advice_questions:\n"
                                       "    replace: true\n    en: [any advice]\n")).lexicons["advice_questions"]
    added = load_codebook(write_book(tmp_path, "add.yaml", "extends: default\nlexicons:\n  advice_questions:\n"
                                     "    en: [any advice]\n")).lexicons["advice_questions"]
    assert swapped == {"en": ["any advice"]}
    assert added["en"] == default["en"] + ["any advice"] and added["ru"] == default["ru"] and "replace" not in added


def test_alias_bomb_in_lexicons_is_refused(tmp_path):
    levels = "".join(f"  l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 10))
    path = write_book(tmp_path, "bomb.yaml", "extends: default\nlexicons:\n  l0: &l0 [a, a, a, a, a, a, a, a, a]\n"
                      + levels)
    with pytest.raises(CodebookError, match="alias bomb") as caught:
        load_codebook(path)
    assert caught.value.line is not None


def test_self_referencing_alias_is_refused(tmp_path):
    with pytest.raises(CodebookError, match="contains itself"):
        load_codebook(write_book(tmp_path, "self.yaml", "extends: default\nlexicons:\n  a: &a [*a]\n"))


def test_non_finite_numbers_are_not_numbers(tmp_path):
    path = write_book(tmp_path, "nan.yaml", "extends: default\nlexicons: {max_cycle_days: .inf}\n")
    with pytest.raises(CodebookError, match=r"max_cycle_days must be a number of days, not the text '.inf'"):
        load_codebook(path)


def test_codebook_size_is_limited_before_compiling(tmp_path, monkeypatch):
    phrases = "\n".join(f"      - phrase{i} word{i}" for i in range(6000))
    path = write_book(tmp_path, "big.yaml", f"extends: default\nstages:\n  - id: informed\n    patterns:\n      en:\n{phrases}\n")
    with pytest.raises(CodebookError, match=r"phrases, more than the limit of 5,000") as caught:
        load_codebook(path)
    assert "CJM_MAX_CODEBOOK_PHRASES" in caught.value.hint
    monkeypatch.setenv("CJM_MAX_CODEBOOK_PHRASES", "20000")
    assert len(load_codebook(path).get("stage", "informed").patterns["en"]) > 6000


def test_cjm_s_own_codebooks_read_by_the_c_loader_equal_the_bounded_loader_s(tmp_path, monkeypatch):
    """The default codebook and the presets are read by libyaml (fast); a user's file never is."""
    from cjm import codebook as module
    from cjm.safeyaml import load_yaml

    own = [module.default_codebook_path(), *sorted(module.presets_dir().glob("*.yaml"))]
    for path in own:
        assert module.shipped(path)
        assert module.read_yaml(path) == load_yaml(path.read_text(encoding="utf-8-sig"), loader=module._LineLoader)
    copy = tmp_path / "codebook.yaml"
    copy.write_text(own[0].read_text(encoding="utf-8"), encoding="utf-8")
    assert not module.shipped(copy)
    bounded: list[str] = []
    real = module.load_yaml
    monkeypatch.setattr(module, "load_yaml", lambda text, **kw: bounded.append(text) or real(text, **kw))
    module.read_yaml(own[0])
    assert bounded == []  # cjm's own file: libyaml
    module.read_yaml(copy)
    assert len(bounded) == 1  # a user's file: the bounded loader
