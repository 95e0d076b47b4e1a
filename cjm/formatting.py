"""Words and numbers in the report's language: the UI strings of `cjm/data/ui.yaml` and the number,
date and p-value formats. Shared by `sections` (which writes finding sentences) and `render` (whose
jinja2 filters are these functions), so neither imports the other."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import pandas as pd

from .safeyaml import load_shipped


@lru_cache(maxsize=1)
def ui_strings() -> dict[str, dict[str, str]]:
    """UI strings per key and language, from `cjm/data/ui.yaml`."""
    return load_shipped("ui.yaml")


def ui_text(key: str, lang: str) -> str:
    """One UI string in `lang`, English where it has no translation."""
    entry = ui_strings()[key]
    return entry.get(lang) or entry["en"]


def label_name(codebook: Any, kind: str, ident: str | None, lang: str) -> str:
    """A codebook label's name in `lang`; "unknown" where there is none (None, NaN, "")."""
    if ident is None or not isinstance(ident, str) or ident in ("", "unknown"):  # None, NaN
        return ui_text("unknown", lang)
    return codebook.name(kind, ident, lang)


# --------------------------------------------------------------------------- number formatting

def format_number(value: Any, lang: str, digits: int = 0) -> str:
    """1 234,5 in Russian (narrow no-break space, decimal comma), 1,234.5 in English."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "—"
    text = f"{float(value):,.{digits}f}"
    if lang == "ru":
        text = text.replace(",", "\u202f").replace(".", ",")
    return text


def format_percent(value: Any, lang: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    number = format_number(100 * float(value), lang)
    return f"{number}\u00a0%" if lang == "ru" else f"{number}%"


def format_days(value: Any, lang: str, scale: float | None = None) -> str:
    """Days as a reader says them: days below two months, months below two years, then years.

    `scale` (the largest of the values shown together) picks the unit instead of the value itself,
    so that numbers side by side share one unit: "51 days vs 76 days", not "51 days vs 2.5 months"."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "—"
    days = float(value)
    words = ui_strings()["units"]
    unit_of = days if scale is None or (isinstance(scale, float) and math.isnan(scale)) else float(scale)
    if unit_of < 60:
        return f"{format_number(days, lang)}\u00a0{words['days'][lang]}"
    if unit_of < 730:
        return f"{format_number(days / 30.4, lang, 1)}\u00a0{words['months'][lang]}"
    return f"{format_number(days / 365, lang, 1)}\u00a0{words['years'][lang]}"


def format_p(value: Any, lang: str) -> str:
    if value is None:
        return "—"
    if value < 0.001:
        return "p\u00a0<\u00a0" + format_number(0.001, lang, 3)
    return "p\u00a0=\u00a0" + format_number(value, lang, 2)


def format_clock(seconds: Any) -> str:
    if seconds is None or seconds is pd.NA or (isinstance(seconds, float) and math.isnan(seconds)):
        return ""
    total = int(round(float(seconds)))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def format_mood(value: float | None, lang: str) -> str:
    if value is None:
        return "—"
    sign = "+" if value > 0 else ("−" if value < 0 else "")
    return sign + format_number(abs(value), lang, 2)


def format_share(k: int, n: int, lang: str) -> str:
    """k/n and its percentage: 3/4 · 75 %."""
    return f"{k}/{n} · {format_percent(k / n, lang) if n else '—'}"


def format_spread(unit: str, values: list, median, q1, q3, low, high, lang: str) -> str:
    """A median with its spread, as much as n allows: quartiles from 4 values, the range from 2."""
    scale = max((float(v) for v in values), default=None)  # one unit for the median and its spread

    def fmt(v):
        return format_days(v, lang, scale) if unit == "days" else format_number(v, lang, 1 if v and v % 1 else 0)

    n = len(values)
    if not n:
        return f"— · n={n}"
    if n >= 4:
        iqr = ui_strings()["iqr"][lang]
        return f"{fmt(median)} · {iqr} {fmt(q1)}–{fmt(q3)} · n={n}"
    if n >= 2:
        return f"{fmt(median)} · {fmt(low)}–{fmt(high)} · n={n}"
    return f"{fmt(median)} · n={n}"


def interviews(k: int, lang: str) -> str:
    """"1 interview", "4 interviews" ("интервью" does not change in Russian)."""
    key = "n_interview_one" if k == 1 else "n_interviews"
    return f"{k}\u00a0{ui_strings()[key][lang]}"
