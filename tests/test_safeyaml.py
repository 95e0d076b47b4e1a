"""The bounded YAML loader: what a hostile or broken document does, refused with a line, in
bounded time and memory; ordinary YAML reads as PyYAML's safe loader reads it."""

from __future__ import annotations

import tracemalloc

import pytest
import yaml

from cjm.limits import Limits
from cjm.safeyaml import YamlError, load_yaml


def bomb(levels: int = 9, width: int = 9) -> str:
    """The billion laughs: each level a list of `width` aliases of the level below."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def refused(text: str, **limits: int) -> YamlError:
    with pytest.raises(YamlError) as info:
        load_yaml(text, limits=Limits(**limits) if limits else None)
    return info.value


def test_alias_bomb_is_refused_before_it_expands() -> None:
    tracemalloc.start()
    error = refused(bomb())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "expand to more than" in error.message and error.line is not None
    assert peak < 20 * 1024 * 1024  # 9 ** 10 values were never built


def test_a_few_aliases_are_fine() -> None:
    data = load_yaml("base: &base [a, b]\nother: *base\nmerged: {<<: {x: 1}, y: 2}\n")
    assert data == {"base": ["a", "b"], "other": ["a", "b"], "merged": {"x": 1, "y": 2}}
    assert "expand" in refused(bomb(levels=3, width=9), max_yaml_values=500).message


@pytest.mark.parametrize("text, line", [("a: &a [*a]\n", 1), ("x: 1\nb: &b {c: [1, *b]}\n", 2),
                                        ("- &l\n  - *l\n", 2)])
def test_self_referencing_alias_is_refused(text: str, line: int) -> None:
    error = refused(text)
    assert "contains itself" in error.message and error.line == line


@pytest.mark.parametrize("text", ["x: " + "[" * 5000, "x: " + "{a: " * 5000, "x: " + "[a, " * 100_000,
                                  "".join("  " * i + "- \n" for i in range(200))])
def test_nesting_is_bounded(text: str) -> None:
    assert "nested more than 50 levels" in refused(text).message


def test_nesting_within_the_limit_reads() -> None:
    assert load_yaml("x: " + "[" * 10 + "]" * 10) == {"x": [[[[[[[[[[]]]]]]]]]]}


def test_non_finite_numbers_stay_text() -> None:
    data = load_yaml("a: .nan\nb: -.inf\nc: .Inf\nd: 1.0e+400\ne: 1.5\nf: 3\n")
    assert data == {"a": ".nan", "b": "-.inf", "c": ".Inf", "d": "1.0e+400", "e": 1.5, "f": 3}


@pytest.mark.parametrize("text, words", [
    ("x: !!python/object/apply:os.system [ls]", "constructor"), ("x: !!set {a, b}", "constructor"),
    ("x: !!binary aGVsbG8=", "constructor"), ("date: 2024-13-45", "month must be in 1..12"),
    ("n: " + "9" * 5000, "cannot read"), ("a: *missing", "undefined alias"), ("a: [b\nc: d", None),
])
def test_unreadable_values_are_errors_with_a_line(text: str, words: str | None) -> None:
    error = refused(text)
    assert error.line is not None
    if words:
        assert words in error.message


def test_size_is_bounded() -> None:
    error = refused("x: " + "a" * 3000, max_yaml_kb=2)
    assert "more than the limit of 2 KB" in error.message and "CJM_MAX_YAML_KB" in error.hint


def test_ordinary_documents_read_as_pyyaml_reads_them() -> None:
    text = "id: ru-07\nchannel: referral\ndate: 2024-03-14\ntags: [a, b]\nnested: {k: [1, 2.5, null, true]}\n"
    assert load_yaml(text) == yaml.safe_load(text)


def test_control_characters_are_an_error_with_their_line() -> None:
    error = refused("a: 1\nb: \x1b\n")
    assert "control character (#x001b)" in error.message and error.line == 2
