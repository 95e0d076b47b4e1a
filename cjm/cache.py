"""A cache of analysed interviews, so that a re-run redoes only what changed.

An entry is one interview's `Journey`, keyed by everything its labels depend on: the transcript as
read (its text, speakers, id, language and metadata — so a changed file, a `--language` or a
`--redact` changes the key), the codebook's content, the model's bytes and cjm's own code and data
files (any edit of cjm, not only a version bump). A key that differs in any of these is a miss:
no stale label can be served. Entries are pickles written atomically (temporary file, then
rename) under the cache folder, which is the user's own (`~/.cache/cjm` by default).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from .model import Journey, Transcript

ENV_DIR = "CJM_CACHE_DIR"


def default_dir() -> Path:
    """$CJM_CACHE_DIR, else $XDG_CACHE_HOME/cjm, else ~/.cache/cjm."""
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cjm"


def canonical(value: Any) -> Any:
    """A JSON-able form of dataclasses, dicts, sets and tuples with a fixed order."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (set, frozenset)):
        return sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True, default=str))
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def fingerprint(value: Any) -> str:
    return hashlib.sha256(json.dumps(canonical(value), sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of every file of the cjm package (code, codebook, shipped model, UI strings)."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def run_fingerprint(codebook: Any, model: Any, rules_only: bool) -> str:
    """What every interview of one run shares: the codebook, the model (or none), cjm's code."""
    model_part = None if model is None else fingerprint({"blobs": getattr(model, "blobs", {}),
                                                         "meta": getattr(model, "meta", {})})
    return fingerprint({"codebook": codebook, "model": model_part, "rules_only": rules_only,
                        "code": code_fingerprint()})


def entry_key(transcript: Transcript, run: str) -> str:
    return fingerprint({"transcript": transcript, "run": run})


@dataclasses.dataclass
class JourneyCache:
    """Journeys on disk by key; unreadable entries count as misses and are replaced."""

    folder: Path
    hits: int = 0
    misses: int = 0

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.pickle"

    def get(self, key: str) -> Journey | None:
        path = self.path(key)
        try:
            with path.open("rb") as handle:
                journey = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
            self.misses += 1
            return None
        if not isinstance(journey, Journey):
            self.misses += 1
            return None
        self.hits += 1
        return journey

    def put(self, key: str, journey: Journey) -> None:
        """Store atomically; a cache that cannot be written only costs speed, never the run."""
        path = self.path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False, suffix=".tmp") as handle:
                pickle.dump(journey, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(handle.name, path)
        except OSError:
            try:
                os.unlink(handle.name)
            except (OSError, UnboundLocalError):
                pass
