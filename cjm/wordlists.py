"""The shipped word lists both the tag stage and the report read, in a module without spaCy: the
report's tables need only their limits, and importing `cjm.rules` would load spaCy for that."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml


SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml where PyYAML has it: cjm's own file


@lru_cache(maxsize=1)
def sentiment_lexicon() -> dict:
    """The word lists of `cjm/data/sentiment.yaml` (tone, pains, questions, stage time), loaded once."""
    text = (resources.files("cjm") / "data" / "sentiment.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
