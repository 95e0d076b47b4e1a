"""One fast matcher for the codebook's token patterns, in place of spaCy's `Matcher`.

spaCy's `Matcher` walks every pattern over every token and, for patterns with optional tokens and
`...` gaps, updates a predicate cache for every partial match it keeps alive: on the sample series
it was two thirds of the whole run (48 M cache updates for 2,400 utterances). The codebook's
patterns are simple — a required word first, then words, optional words (`?`) and gaps of up to
three tokens — so they can be indexed by the word they start with: at each token only the patterns
whose first word can match it are tried, and a regular expression is evaluated once per distinct
token norm, not once per token.

`PatternMatcher` takes the same pattern dictionaries (`rules.compile_token` builds them) and
answers as `Matcher.__call__` does: a list of `(key hash, start, end)` over a `Doc` or `Span`, in
token offsets of that doclike, every distinct match (every start and every end a pattern can
reach). `tests/test_matching.py` checks it against spaCy's `Matcher` on the whole corpus.

The rules of one language are ONE `PatternMatcher`: every family (labels, cues, lexicons, events,
tone) is a named group of it, and `group(name)` gives a view that answers like a matcher of that
group alone. A sentence is scanned once, for every group together, the first time any view asks;
the others read the result kept on the doc. (Thirteen separate matchers each walked every sentence:
a third of the tag stage's time went to those walks.)
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Iterable

from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from .nlp import SUMMARY_KEY

LEMMA, LOWER, NORM = "LEMMA", "LOWER", "NORM"
OPTIONAL = "?"
MEMO_SIZE = 500_000  # distinct token keys remembered per matcher (a long run stays bounded)
STEM_ALTERNATIVE = re.compile(r"^(?P<stem>[^\\\s()|?*+\[\]{}^$.]+)\\S\*$")
SCANS = "cjm_scans"  # doc.user_data key: (matcher serial, span bounds) -> matches by group
_serials = itertools.count()
ALL = "\x00all"  # the scan's key for every group's matches in order, with their group (no group is named so)


@dataclass(frozen=True)
class Spec:
    """One pattern token: what it checks, and whether it may be left out or is a gap of n tokens."""

    attr: str | None  # LEMMA | LOWER | NORM, None for a gap
    words: frozenset[str] = frozenset()  # LEMMA / LOWER: the values it accepts
    regex: re.Pattern | None = None  # NORM: the expression the token's norm must match
    optional: bool = False
    gap: int = 0  # a wildcard of 0..gap tokens


def parse_spec(token: dict) -> Spec:
    """A Matcher token dictionary (the subset the codebook compiles to) -> a `Spec`."""
    op = token.get("OP")
    attrs = [k for k in token if k != "OP"]
    if not attrs:
        match = re.fullmatch(r"\{0,(\d+)\}", op or "")
        if not match:
            raise ValueError(f"unsupported wildcard {token!r}")
        return Spec(None, gap=int(match.group(1)))
    if len(attrs) != 1 or op not in (None, OPTIONAL):
        raise ValueError(f"unsupported pattern token {token!r}")
    attr = attrs[0]
    value = token[attr]
    if attr in (LEMMA, LOWER) and isinstance(value, dict) and set(value) == {"IN"}:
        return Spec(attr, words=frozenset(value["IN"]), optional=op == OPTIONAL)
    if attr == NORM and isinstance(value, dict) and set(value) == {"REGEX"}:
        return Spec(attr, regex=re.compile(value["REGEX"]), optional=op == OPTIONAL)
    raise ValueError(f"unsupported pattern token {token!r}")


def index_words(spec: Spec) -> tuple[set[str], set[str]] | None:
    """(whole words, stems) a token's lemma, form or norm part must equal or start with for this
    first spec to match; None when no such words can be read off it (it is then tried everywhere)."""
    if spec.attr in (LEMMA, LOWER):
        return set(spec.words), set()
    body = spec.regex.pattern
    prefix, suffix = r"(?:^| )(?:", r")(?: |$)"
    if not (body.startswith(prefix) and body.endswith(suffix)):
        return None
    words: set[str] = set()
    stems: set[str] = set()
    for alternative in body[len(prefix):-len(suffix)].split("|"):
        stem = STEM_ALTERNATIVE.match(alternative)
        if stem:
            stems.add(stem.group("stem"))
            continue
        if alternative.startswith(r"\S+ "):  # the form half of a Russian norm
            alternative = alternative[len(r"\S+ "):]
        word = re.sub(r"\\(.)", r"\1", alternative)
        if re.escape(word) != alternative:  # anything but an escaped literal: give up indexing
            return None
        words.add(word)
    return words, stems


def token_keys(doclike: Doc | Span) -> tuple[tuple[str, str, str], ...]:
    """(lemma, lower, norm) of every token, as the parse gathered them (`cjm.nlp.WordSummary`)
    once per doc, whatever the number of matchers and sentences that ask; read off the tokens
    for a doc that did not come through cjm's pipeline."""
    doc = doclike.doc if isinstance(doclike, Span) else doclike
    summary = doc.user_data.get(SUMMARY_KEY)
    keys = summary.match_keys if summary is not None and len(summary.match_keys) == len(doc) else \
        tuple((t.lemma_, t.lower_, t.norm_) for t in doc)
    return keys[doclike.start:doclike.end] if isinstance(doclike, Span) else keys


class PatternMatcher:
    """A drop-in for `spacy.matcher.Matcher` over the codebook's pattern subset (see module doc)."""

    def __init__(self, vocab: Vocab, validate: bool = False) -> None:
        self.vocab = vocab
        self._serial = next(_serials)
        self._patterns: list[tuple[int, tuple[Spec, ...], str]] = []  # (key hash, specs, group)
        self._group_sizes: dict[str, int] = {}
        self._by_word: dict[str, list[int]] = {}  # lemma / lower / norm part -> pattern indexes
        self._by_stem: dict[str, list[int]] = {}
        self._everywhere: list[int] = []
        self._plain: set[int] = set()  # patterns of required words only
        self._regex_memo: dict[tuple[int, str], bool] = {}
        self._candidates_memo: dict[tuple[str, str, str], list[int]] = {}
        self._stem_lengths: list[int] = []

    def __len__(self) -> int:
        return len(self._patterns)

    def add(self, key: str, patterns: Iterable[list[dict]], group: str = "") -> None:
        """Add patterns under `key` (as `Matcher.add`), in a named group (see `group`)."""
        key_hash = self.vocab.strings.add(key)
        self._group_sizes.setdefault(group, 0)
        for pattern in patterns:
            specs = tuple(parse_spec(token) for token in pattern)
            if not specs or specs[0].attr is None or specs[0].optional:
                raise ValueError(f"a pattern must start with a required word: {pattern!r}")
            index = len(self._patterns)
            self._patterns.append((key_hash, specs, group))
            self._group_sizes[group] += 1
            if all(spec.attr is not None and not spec.optional for spec in specs):
                self._plain.add(index)
            self._candidates_memo.clear()
            found = index_words(specs[0])
            if found is None:
                self._everywhere.append(index)
                continue
            words, stems = found
            for word in words:
                self._by_word.setdefault(word, []).append(index)
            for stem in stems:
                self._by_stem.setdefault(stem, []).append(index)
        self._stem_lengths = sorted({len(s) for s in self._by_stem})

    def __call__(self, doclike: Doc | Span) -> list[tuple[int, int, int]]:
        """Every group's matches, as `Matcher.__call__` answers."""
        return list(dict.fromkeys(m[1:] for m in self.scan(doclike)[ALL]))

    def group(self, name: str) -> "MatcherGroup":
        """A view that answers like a matcher holding this group's patterns alone."""
        self._group_sizes.setdefault(name, 0)
        return MatcherGroup(self, name)

    def group_size(self, name: str) -> int:
        return self._group_sizes.get(name, 0)

    def scan(self, doclike: Doc | Span) -> dict[str, list[tuple[int, int, int]]]:
        """The matches of every group in one walk over the tokens, kept on the doc: a second
        question about the same sentence (another group, another pass) reads them."""
        doc = doclike.doc if isinstance(doclike, Span) else doclike
        where = (self._serial, doclike.start, doclike.end) if isinstance(doclike, Span) else (self._serial,)
        scans = doc.user_data.setdefault(SCANS, {})
        if where not in scans:
            scans[where] = self._walk(token_keys(doclike))
        return scans[where]

    def _walk(self, tokens: list[tuple[str, str, str]]) -> dict[str, list[tuple[int, int, int]]]:
        found: dict[tuple[str, int, int, int], int] = {}
        for start in range(len(tokens)):
            for index in self._candidates(tokens[start]):
                key_hash, specs, group = self._patterns[index]
                # (the first spec accepts this token: `_candidates` checked it)
                if index in self._plain:  # required words only: one way to match, no search
                    end = start + len(specs)
                    if end <= len(tokens) and all(self._accepts(specs[i], tokens[start + i])
                                                  for i in range(1, len(specs))):
                        found.setdefault((group, key_hash, start, end), len(found))
                    continue
                for end in self._ends(specs, 1, start + 1, tokens):
                    found.setdefault((group, key_hash, start, end), len(found))
        ordered = sorted(found, key=lambda m: (m[2], m[3], found[m]))
        by_group: dict = {ALL: ordered}
        for group, key_hash, start, end in ordered:
            by_group.setdefault(group, []).append((key_hash, start, end))
        return by_group

    def _candidates(self, token: tuple[str, str, str]) -> list[int]:
        """The patterns whose first spec accepts this token (the index narrows, the spec decides),
        remembered per distinct token."""
        hits = self._candidates_memo.get(token)
        if hits is None:
            if len(self._candidates_memo) > MEMO_SIZE:
                self._candidates_memo.clear()
            hits = self._candidates_memo[token] = self._find_candidates(token)
        return hits

    def _find_candidates(self, token: tuple[str, str, str]) -> list[int]:
        lemma, lower, norm = token
        keys = {lemma, lower, *norm.split(" ")}
        hits: set[int] = set(self._everywhere)
        for word in keys:
            hits.update(self._by_word.get(word, ()))
            for length in self._stem_lengths:
                if length > len(word):
                    break
                hits.update(self._by_stem.get(word[:length], ()))
        return [index for index in sorted(hits) if self._accepts(self._patterns[index][1][0], token)]

    def _accepts(self, spec: Spec, token: tuple[str, str, str]) -> bool:
        if spec.attr == LEMMA:
            return token[0] in spec.words
        if spec.attr == LOWER:
            return token[1] in spec.words
        memo_key = (id(spec.regex), token[2])
        hit = self._regex_memo.get(memo_key)
        if hit is None:
            if len(self._regex_memo) > MEMO_SIZE:
                self._regex_memo.clear()
            hit = self._regex_memo[memo_key] = spec.regex.search(token[2]) is not None
        return hit

    def _ends(self, specs: tuple[Spec, ...], i: int, position: int, tokens) -> set[int]:
        """Every token offset where the specs from `i` on can end, starting at `position`: the set
        of positions the match may have reached, carried spec by spec (a gap widens it, an optional
        word keeps it and adds the advanced ones, a required word advances it)."""
        positions = {position}
        n = len(tokens)
        for spec in specs[i:]:
            if spec.attr is None:
                positions = {p + skip for p in positions for skip in range(spec.gap + 1) if p + skip <= n}
            else:
                advanced = {p + 1 for p in positions if p < n and self._accepts(spec, tokens[p])}
                positions = positions | advanced if spec.optional else advanced
            if not positions:
                break
        return positions


@dataclass(frozen=True)
class MatcherGroup:
    """One family of a `PatternMatcher` (the cues, the lost-deal phrases ...), called like a matcher."""

    matcher: PatternMatcher
    name: str

    def __call__(self, doclike: Doc | Span) -> list[tuple[int, int, int]]:
        return self.matcher.scan(doclike).get(self.name, [])

    def __len__(self) -> int:
        return self.matcher.group_size(self.name)
