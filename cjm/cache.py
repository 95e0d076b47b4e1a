"""A cache of analysed interviews, so that a re-run redoes only what changed.

An entry is one interview's `Journey`, keyed by everything its labels depend on: the transcript as
read (its text, speakers, id, language and metadata — so a changed file, a `--language` or a
`--redact` changes the key), the codebook's content, the model's bytes and cjm's own code and data
files (any edit of cjm, not only a version bump). A key that differs in any of these is a miss:
no stale label can be served. Entries are pickles written atomically (temporary file, then
rename) under the cache folder, which is the user's own (`~/.cache/cjm` by default).

Beside the journeys the same folder keeps what a re-run would otherwise redo for unchanged
interviews (`JourneyCache.load` / `store`, each kind in its own subfolder): the transcripts as read
(keyed by the file's bytes, its path, the options and cjm's code), each interview's page and its
part of journeys.json (`Pieces`: keyed by the interview's entry key, so by everything its journey
depends on, plus the templates and the render options; also each channel group's tables, index
section and findings, keyed by the group's journeys), charts (`memo`, keyed by their
arguments) and natasha's negation parses (`cjm.syntax`, keyed by the sentence). Everything is a
function of its key, so a hit gives the same bytes an uncached run writes.

The folder stays under a size limit (`tidy`, called by the command line after each run;
$CJM_CACHE_MAX_MB, default 2 GB): the least recently used files go first, never one the run read or
wrote, and only files cjm itself names (a key, jinja2's compiled templates) are ever deleted.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
import os
import pickle
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
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


_PLAIN = (str, int, float, bool, type(None))


@lru_cache(maxsize=None)
def _field_names(cls: type) -> tuple[str, ...] | None:
    """A dataclass's field names (None for any other type): looked up once per class, since
    `canonical` walks every utterance of every transcript for the cache keys."""
    if not dataclasses.is_dataclass(cls):
        return None
    return tuple(f.name for f in dataclasses.fields(cls))


def canonical(value: Any) -> Any:
    """A JSON-able form of dataclasses, dicts, sets and tuples with a fixed order."""
    if type(value) in _PLAIN:  # the common case first (the same results as the checks below)
        return value
    names = _field_names(type(value))
    if names is not None:
        return {name: canonical(getattr(value, name)) for name in names}
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


def folder_fingerprint(root: Path) -> str:
    """A hash of every file under `root` (names and bytes, in a fixed order)."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of every file of the cjm package (code, codebook, shipped model, UI strings)."""
    return folder_fingerprint(Path(__file__).resolve().parent)


@lru_cache(maxsize=1)
def templates_fingerprint() -> str:
    """A hash of the report's templates: in a checkout they live beside the package, outside
    `code_fingerprint`, and a cached page must change when they do."""
    from .render import templates_dir

    return folder_fingerprint(templates_dir())


def bytes_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while many cached objects are unpickled: each load makes
    thousands of objects and would trigger a collection that walks all of them, for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
    written: int = 0  # bytes this process stored (for the size estimate, see `tidy`)
    used: set[str] = dataclasses.field(default_factory=set)  # files this process read or wrote

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.pickle"

    def has_journeys(self) -> bool:
        """Whether any journey is stored (entries live in two-letter folders by key prefix)."""
        return self.folder.is_dir() and any(p.is_dir() for p in self.folder.glob("??"))

    def has(self, key: str) -> bool:
        """Whether an entry is stored under the key (it may still fail to load: `get` tells)."""
        return self.path(key).is_file()

    def get(self, key: str) -> Journey | None:
        path = self.path(key)
        self.used.add(str(path))
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
        self._write(self.path(key), journey)

    def piece_path(self, kind: str, key: str) -> Path:
        return self.folder / kind / key[:2] / f"{key}.pickle"

    def load(self, kind: str, key: str) -> Any | None:
        """A stored piece of another kind (not counted in hits and misses), or None."""
        path = self.piece_path(kind, key)
        self.used.add(str(path))
        try:
            with path.open("rb") as handle:
                return pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return None

    def store(self, kind: str, key: str, value: Any) -> None:
        self._write(self.piece_path(kind, key), value)

    def _write(self, path: Path, value: Any) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False, suffix=".tmp") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
                size = handle.tell()
            os.replace(handle.name, path)
            self.written += size
            self.used.add(str(path))
        except OSError:
            try:
                os.unlink(handle.name)
            except (OSError, UnboundLocalError):
                pass


@dataclasses.dataclass
class Pieces:
    """Per-interview parts of the outputs (an interview's page, its part of journeys.json), each
    stored under the entry key of the interview it shows: that key covers the transcript, the
    codebook, the model, the review and cjm's code, so a part is reused only for the very journey
    it was made from. `extra` adds what else the part depends on (the report's language, the
    page's file name); the templates are always part of the key."""

    cache: JourneyCache
    keys: dict[str, str]  # journey id -> entry key

    def one(self, kind: str, ident: str, extra: Any, make: Callable[[], Any], expect: type = bytes) -> Any:
        """The part `make()` builds for one interview (bytes: a page, its part of journeys.json),
        from the cache where it was made before."""
        return self.made(kind, [ident], extra, make, expect)

    def made(self, kind: str, idents: list[str], extra: Any, make: Callable[[], Any], expect: type) -> Any:
        """What `make()` builds from these interviews' journeys alone (a page, a group's tables):
        stored under their entry keys; built afresh when any of them has none."""
        entries = [self.keys.get(ident) for ident in idents]
        if any(entry is None for entry in entries):
            return make()
        key = fingerprint({"kind": kind, "entries": sorted(entries), "extra": extra,
                           "templates": templates_fingerprint()})
        found = self.cache.load(kind, key)
        if isinstance(found, expect):
            return found
        made = make()
        self.cache.store(kind, key, made)
        return made


def memo(cache: JourneyCache | None, kind: str, args: Any, compute: Callable[[], Any]) -> Any:
    """`compute()` stored under its arguments (and cjm's code): the report's charts, whose figure
    code would import plotly's graph objects on a run that changed nothing they show."""
    if cache is None:
        return compute()
    key = fingerprint({"kind": kind, "args": args, "code": code_fingerprint()})
    found = cache.load(kind, key)
    if isinstance(found, tuple) and len(found) == 1:
        return found[0]
    value = compute()
    cache.store(kind, key, (value,))
    return value


# --------------------------------------------------------------------------- the cache's size

ENV_MAX_MB = "CJM_CACHE_MAX_MB"
DEFAULT_MAX_MB = 2048
ESTIMATE_FILE = "size.json"  # the bytes the cache holds, as last counted plus what runs wrote since
FRESH_TEMP_SECONDS = 3600
KEEP_SHARE = 0.8  # a pruned cache is brought down to this share of its limit, so the next run does not prune again
# the only files cjm ever writes under the cache folder, and so the only ones it ever deletes there:
# entries (a sha256 key), jinja2's compiled templates, the temporary files of interrupted writes
_OWN_FILE = re.compile(r"[0-9a-f]{64}\.pickle|__jinja2_[0-9a-f]{40}\.cache|tmp\w+\.tmp")


def max_bytes() -> int | None:
    """The cache's size limit: $CJM_CACHE_MAX_MB megabytes (0: no limit), else 2 GB."""
    raw = os.environ.get(ENV_MAX_MB, "").strip()
    try:
        megabytes = float(raw) if raw else DEFAULT_MAX_MB
    except ValueError:
        from .errors import UsageError

        raise UsageError(f"${ENV_MAX_MB} must be a number of megabytes, not {raw!r}",
                         hint=f"e.g. {ENV_MAX_MB}=4096, or 0 for no limit") from None
    return int(megabytes * 1_000_000) if megabytes > 0 else None


@dataclasses.dataclass
class Usage:
    """What the cache folder holds: cjm's files, in bytes, and by kind (the first folder level:
    two hex letters are the journeys themselves)."""

    files: int = 0
    bytes: int = 0
    kinds: dict[str, list[int]] = dataclasses.field(default_factory=dict)  # kind -> [files, bytes]


def own_files(folder: Path) -> Iterator[tuple[str, os.stat_result]]:
    """Every file cjm wrote under the cache folder (path, stat); anything else there is left alone."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]
        for name in files:
            if _OWN_FILE.fullmatch(name):
                path = os.path.join(root, name)
                try:
                    info = os.lstat(path)
                except OSError:  # removed meanwhile (another run pruning)
                    continue
                if stat.S_ISREG(info.st_mode):
                    yield path, info


def usage(folder: Path) -> Usage:
    found = Usage()
    for path, info in own_files(folder):
        parts = Path(path).relative_to(folder).parts
        kind = "journeys" if len(parts) == 2 and len(parts[0]) == 2 else parts[0]
        found.files += 1
        found.bytes += info.st_size
        counts = found.kinds.setdefault(kind, [0, 0])
        counts[0] += 1
        counts[1] += info.st_size
    return found


def prune(cache: JourneyCache, limit: int) -> tuple[int, int, int]:
    """Where cjm's files under the cache folder take more than `limit` bytes, delete the least
    recently used (by modification time) until they take `KEEP_SHARE` of it, never one this run
    read or wrote. What this run used is first touched, so the next prune sees it as recent.
    Returns (files deleted, bytes freed, bytes left)."""
    now = time.time()
    entries = []
    for path, info in own_files(cache.folder):
        mtime = info.st_mtime
        if path in cache.used:
            with suppress(OSError):
                os.utime(path, (now, now))
            mtime = now
        entries.append((mtime, info.st_size, path))
    total = sum(size for _, size, _ in entries)
    removed = freed = 0
    if total > limit:
        for mtime, size, path in sorted(entries):
            if total - freed <= limit * KEEP_SHARE:
                break
            if path in cache.used or (path.endswith(".tmp") and now - mtime < FRESH_TEMP_SECONDS):
                continue  # (a young temporary file may be another run's write in progress)
            with suppress(OSError):
                os.unlink(path)
                removed += 1
                freed += size
    _write_estimate(cache.folder, total - freed)
    return removed, freed, total - freed


def tidy(cache: JourneyCache, limit: int | None = None) -> tuple[int, int, int] | None:
    """After a run: add what it stored to the cache's size estimate and prune where the estimate
    passes the limit (`max_bytes()` unless given). The folder is walked only then, or where no
    estimate exists yet, so a run that wrote little costs one small file. The estimate misses what
    forked workers stored (natasha's parses, ~5 KB an interview) until the next walk recounts it.
    Returns `prune`'s figures where it ran, else None."""
    limit = max_bytes() if limit is None else limit
    if limit is None or not cache.folder.is_dir():
        return None
    known = _read_estimate(cache.folder)
    walked = known is None
    total = usage(cache.folder).bytes if walked else known + cache.written
    if total > limit:
        return prune(cache, limit)
    if walked or cache.written:
        _write_estimate(cache.folder, total)
    return None


def clear(folder: Path) -> tuple[int, int]:
    """Delete every file cjm wrote under the cache folder, and the folders they leave empty;
    anything else there stays. Returns (files deleted, bytes freed)."""
    removed = freed = 0
    emptied: set[Path] = set()
    for path, info in list(own_files(folder)):
        with suppress(OSError):
            os.unlink(path)
            removed += 1
            freed += info.st_size
            emptied.add(Path(path).parent)
    with suppress(OSError):
        os.unlink(folder / ESTIMATE_FILE)
    root = Path(folder)
    for place in sorted(emptied | {p.parent for p in emptied if p.parent != root}, key=lambda p: -len(p.parts)):
        with suppress(OSError):
            os.rmdir(place)  # only where empty, and only a folder cjm's files were in (or their kind's)
    return removed, freed


def _read_estimate(folder: Path) -> int | None:
    try:
        value = json.loads((folder / ESTIMATE_FILE).read_text(encoding="utf-8"))["bytes"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, int) and value >= 0 else None


def _write_estimate(folder: Path, size: int) -> None:
    from .output import atomic_write_text

    with suppress(OSError):  # an estimate that cannot be written only means a walk next time
        atomic_write_text(folder / ESTIMATE_FILE, json.dumps({"bytes": size}))
