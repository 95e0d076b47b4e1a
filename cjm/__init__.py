"""cjm: Customer Journey Maps from in-depth B2B customer interviews.

The pipeline runs one way: `ingest` (files -> Transcript) -> `tag` (spaCy rules -> labelled
utterances) -> `journey` (per-interview fields) -> `aggregate` (pandas tables) -> `render` (HTML).
"""

__version__ = "0.1.0"
