"""Negation scope from a dependency parse (natasha's Russian syntax model, shipped in its wheel).

The clause heuristic of `tag` puts a whole clause under a "не"; the parse tells which words the
negated verb actually governs ("мы не стали ждать и сразу заказали пробную партию"). It runs only
on the few sentences that hold both a negation cue and a match: natasha's syntax runs at a small
fraction of the tokenizer's speed (see benchmarks/).

With a run's cache (`keep_parses`), each sentence's parse is also kept on disk, keyed by its text,
natasha's versions and cjm's code: a re-run after an edit parses only the sentences it has not seen,
and does not load natasha's models (about half a second) when there are none; where it needs them,
it loads them from their pickle in the cache.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .cache import JourneyCache

NEGATORS = frozenset({"не", "ни", "нет", "никогда", "ничего"})
# A coordinated or subordinate predicate has its own polarity: "не стали ждать и сразу заказали".
OWN_CLAUSE_RELATIONS = frozenset({"conj", "parataxis", "advcl", "ccomp", "acl", "acl:relcl"})


@lru_cache(maxsize=1)
def _models():
    """natasha's segmenter and syntax parser, loaded once per process; with a run's cache, from the
    pickle of them kept there (0.1 s) rather than from natasha's files (0.3-0.5 s), so a re-run whose
    edit needs one new parse does not pay the whole load."""
    from natasha import NewsEmbedding, NewsSyntaxParser, Segmenter
    from threadpoolctl import threadpool_limits

    # natasha's matrices are small: one BLAS thread is faster than OpenBLAS's spinning pool (11.2 s
    # -> 8.7 s on eval/train), and worker processes (--jobs) would otherwise fight over the cores
    threadpool_limits(limits=1, user_api="blas")
    store = _STORE[0] if _STORE else None
    key = _models_key() if store is not None else ""
    found = store.load(MODELS_KIND, key) if store is not None else None
    if isinstance(found, tuple) and len(found) == 2 and isinstance(found[0], Segmenter) \
            and isinstance(found[1], NewsSyntaxParser):
        return found
    models = Segmenter(), NewsSyntaxParser(NewsEmbedding())
    if store is not None:
        store.store(MODELS_KIND, key, models)
    return models


def _models_key() -> str:
    """What the pickled models depend on: natasha's packages, numpy (their arrays) and Python."""
    import sys

    import numpy

    from .cache import fingerprint

    return fingerprint({"models": _versions(), "numpy": numpy.__version__, "python": sys.version})


CACHE_SIZE = 4096
_parses: dict[str, tuple[tuple[int, int, str, int, str], ...]] = {}
_STORE: list[JourneyCache] = []  # the run's cache, where it has one (set by `keep_parses`)
STORE_KIND = "syntax"
MODELS_KIND = "natasha"


def keep_parses(cache: JourneyCache | None) -> None:
    """Keep parses in `cache` (None: in memory only) from now on, in this process and the workers
    it forks."""
    _STORE[:] = [cache] if cache is not None else []


def keep_parses_in(folder: Path) -> None:
    """`keep_parses` in the cache at `folder`, in a worker that did not inherit it (one forked
    before the run set it: `cjm.executor.WarmPool`); a process already keeping them there keeps
    its own cache object (whose figures the run reads)."""
    if not (_STORE and Path(_STORE[0].folder) == Path(folder)):
        from .cache import JourneyCache

        keep_parses(JourneyCache(Path(folder)))


@lru_cache(maxsize=1)
def _versions() -> dict[str, str]:
    """What a parse depends on besides its text and cjm's code: the parser and its models."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("natasha", "slovnet", "navec", "razdel"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = ""
    return found


def _stored_key(text: str) -> str:
    from .cache import code_fingerprint, fingerprint

    return fingerprint({"parse": text, "versions": _versions(), "code": code_fingerprint()})


def _from_store(texts: list[str]) -> list[str]:
    """Put the stored parses of `texts` into memory; return the texts that have none."""
    if not _STORE:
        return texts
    missing = []
    for text in texts:
        found = _STORE[0].load(STORE_KIND, _stored_key(text))
        if isinstance(found, tuple):
            _remember(text, found)
        else:
            missing.append(text)
    return missing


def _remember(text: str, tokens: tuple) -> None:
    if len(_parses) >= CACHE_SIZE:
        _parses.clear()
    _parses[text] = tokens


def parse(text: str) -> tuple[tuple[int, int, str, int, str], ...]:
    """(start, stop, lower text, head index or -1, relation) for every token of a Russian text."""
    if text not in _parses:
        parse_many([text])
    return _parses[text]


def parse_many(texts: list[str]) -> None:
    """Parse several texts in one batch of natasha's parser (3-4x faster than one at a time; the
    same parses: padding is masked) and keep them for `parse`."""
    todo = _from_store(list(dict.fromkeys(t for t in texts if t not in _parses)))
    if not todo:
        return
    from natasha import Doc  # here: natasha is imported only when a sentence must be parsed
    from natasha.doc import inject_syntax, offset_syntax, sent_words

    segmenter, parser = _models()
    docs = []
    for text in todo:
        doc = Doc(text)
        doc.segment(segmenter)
        docs.append(doc)
    markups = iter(parser.map([sent_words(sent) for doc in docs for sent in doc.sents]))
    for text, doc in zip(todo, docs):
        tokens = []
        for sent_id, sent in enumerate(doc.sents, 1):
            inject_syntax(sent.tokens, next(markups).tokens)
            offset_syntax(sent_id, sent.tokens)
            index = {t.id: i + len(tokens) for i, t in enumerate(sent.tokens)}
            tokens.extend((t.start, t.stop, t.text.lower(), index.get(t.head_id, -1), t.rel) for t in sent.tokens)
        _remember(text, tuple(tokens))
        if _STORE:
            _STORE[0].store(STORE_KIND, _stored_key(text), tuple(tokens))


def negated_spans(text: str, spans: list[tuple[int, int]]) -> list[bool]:
    """For each (start, end) character span of `text`: is it governed by a negated word?"""
    tokens = parse(text)
    negated_heads = {head for _, _, word, head, _ in tokens if word in NEGATORS and head >= 0}
    negated_heads |= {i for i, token in enumerate(tokens) if token[2] == "нет"}  # "тендера нет"
    result = []
    for start, end in spans:
        inside = [i for i, (a, b, _, _, _) in enumerate(tokens) if a < end and start < b]
        hit = False
        for i in inside:
            seen = set()
            while i >= 0 and i not in seen:
                if i in negated_heads:
                    hit = True
                    break
                seen.add(i)
                if tokens[i][4] in OWN_CLAUSE_RELATIONS:
                    break
                i = tokens[i][3]
            if hit:
                break
        result.append(hit)
    return result
