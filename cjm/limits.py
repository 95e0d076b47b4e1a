"""Every hard limit on untrusted input, in one place, with the reason for its default.

Transcripts, front matter and codebooks come from clients and colleagues. Each limit below keeps
one input from freezing or exhausting a run (the README's "Limits" section lists them); a refused
input is a message naming the file and line, never a traceback. Limits a user could need to
raise are read from an environment variable `CJM_<NAME>` (e.g. `CJM_MAX_FILE_MB=50`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace

from .errors import UsageError

ENV_PREFIX = "CJM_"


@dataclass(frozen=True)
class Limits:
    # A transcript file larger than this is skipped unread (an hour's interview is ~100 KB; a 1.8 MB file
    # peaked at 380 MB and memory grows with the text, so 5 MB keeps a run well under 2 GB).
    max_file_mb: float = 5.0
    # spaCy never sees a longer text: a longer utterance is split at sentence ends (its E088 is at 1,000,000).
    max_utterance_chars: int = 20_000
    # spaCy's tokenizer is quadratic on runs of punctuation ('[[[', '«««', '$$$'): longer runs are cut.
    max_symbol_run: int = 32
    # ...and on long words it peels affixes off one by one ("'s's's..."): longer words are broken.
    max_word_chars: int = 200
    # Utterances in one file (the longest interviews have ~200; each costs ~7 KB through tagging):
    # a file of 50,000 one-word turns took 370 MB and minutes, so more is refused before tagging.
    max_utterances: int = 5_000
    # A speaker label is a name; a longer one is cut (it also reaches spaCy as a role hint).
    max_label_chars: int = 200
    # YAML (front matter, codebooks): text size, nesting depth, values after expanding aliases.
    max_yaml_kb: int = 2048
    max_yaml_depth: int = 50
    max_yaml_values: int = 200_000
    # Codebook phrases (labels, cues and lexicons together; the shipped codebook has about 1,200):
    # matching time grows with them, so a codebook above this is refused before anything is tagged.
    max_codebook_phrases: int = 5_000
    # A journeys.json or gold file read by `cjm evaluate`.
    max_json_mb: float = 200.0

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def max_yaml_bytes(self) -> int:
        return self.max_yaml_kb * 1024

    @property
    def max_json_bytes(self) -> int:
        return int(self.max_json_mb * 1024 * 1024)


DEFAULTS = Limits()


def env_name(field_name: str) -> str:
    return ENV_PREFIX + field_name.upper()


def current_limits(environ: dict[str, str] | None = None) -> Limits:
    """The defaults, with any `CJM_<NAME>` environment variable applied (read at each call, so a
    test or a wrapper script can set one)."""
    environ = os.environ if environ is None else environ
    changes: dict[str, float | int] = {}
    for item in fields(Limits):
        raw = environ.get(env_name(item.name))
        if raw is None or not raw.strip():
            continue
        kind = float if item.type in ("float", float) else int
        try:
            value = kind(raw.strip())
        except ValueError:
            raise UsageError(f"{env_name(item.name)}={raw!r} is not a number",
                             hint=f"give a positive number (default {getattr(DEFAULTS, item.name)})") from None
        if not value > 0 or value != value or value == float("inf"):
            raise UsageError(f"{env_name(item.name)}={raw!r} must be a positive number",
                             hint=f"the default is {getattr(DEFAULTS, item.name)}")
        changes[item.name] = value
    return replace(DEFAULTS, **changes) if changes else DEFAULTS


def how_to_raise(field_name: str) -> str:
    """The hint of a refusal: which variable raises the limit."""
    return f"raise the limit with the environment variable {env_name(field_name)}"
