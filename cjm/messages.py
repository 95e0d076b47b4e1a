"""cjm's own messages (files not read, notes on transcripts) in the report's language.

cjm writes its messages in English (terminal, journeys.json, the CLI's errors); the catalogue
`cjm/data/messages.yaml` holds each one's English template and its translation, as gettext keys a
catalogue by the source text. A template's `{name}` matches any text, which is looked up again
(a kind of file, a line number list), so "this is a PDF document, not a transcript" becomes
"это документ PDF, а не расшифровка". A message the catalogue does not know is shown as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .safeyaml import load_shipped

_FIELD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Template:
    pattern: re.Pattern
    target: dict[str, str]  # language -> template
    names: tuple[str, ...]


@lru_cache(maxsize=1)
def catalogue() -> tuple[list[Template], dict[str, str]]:
    """The templates, longest literal text first (so the most specific wins), and the terms."""
    data = load_shipped("messages.yaml")
    templates = []
    for entry in data["messages"]:
        en = entry["en"]
        parts = _FIELD.split(en)  # literal, name, literal, name, ...
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
        templates.append(Template(re.compile(regex, re.S), {k: v for k, v in entry.items()},
                                  tuple(parts[1::2])))
    templates.sort(key=lambda t: -len(_FIELD.sub("", t.target["en"])))
    return templates, dict(data.get("terms") or {})


def translate(text: str | None, lang: str) -> str:
    """The message in `lang` (English is returned as written)."""
    if not text or lang == "en":
        return text or ""
    found = _translate(text, lang, depth=0)
    return text if found is None else found


def known(text: str, lang: str = "ru") -> bool:
    """Whether the catalogue translates this message (tests list the misses)."""
    return _translate(text, lang, depth=0) is not None


def _translate(text: str, lang: str, depth: int) -> str | None:
    templates, terms = catalogue()
    if text in terms and lang == "ru":
        return terms[text]
    for template in templates:
        if lang not in template.target:
            continue
        match = template.pattern.fullmatch(text)
        if not match:
            continue
        values = {name: _value(match.group(name), lang, depth) for name in template.names}
        return _FIELD.sub(lambda m: values[m.group(1)], template.target[lang])
    return None


def _value(text: str, lang: str, depth: int) -> str:
    """A placeholder's text: translated when the catalogue knows it (also part by part)."""
    if depth > 3:
        return text
    whole = _translate(text, lang, depth + 1)
    if whole is not None:
        return whole
    if ", " in text:
        parts = [_translate(p, lang, depth + 1) for p in text.split(", ")]
        if any(p is not None for p in parts):
            return ", ".join(p if p is not None else q for p, q in zip(parts, text.split(", ")))
    return text
