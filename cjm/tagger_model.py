"""The learned tagger: a linear-chain CRF over an interview's utterances for stages, and two
binary classifiers (CRFs over one-item sequences, i.e. logistic regression) that accept or
reject the role and channel candidates the evidence puts forward; a third (`channel_told`, over the
channels and "none") reads the words of an utterance that tells the discovery, for the channel a
discovery told without a channel's name reads as (an older model lacks it, and still works).

The stage CRF's labels are story states: a stage, or "none@X", no stage told while the story is at X
(learn.story_states); they are summed back to stages and "no stage" whenever the model answers. A
second stage CRF (`stages2`), trained only with `{"stack": True}` (a design eval/tools/select_model.py
compares; not in the shipped model: it did not beat the single CRF), reads the first one's answers
over the whole story and gives the final one (features.stacked_features).

A last binary member (`first_contact`, cjm.first_contact) weighs each role of a decoded interview
as the one who made the first contact; `cjm learn` trains it on its calibration folds' unseen
decodes, so a model trained without them (fewer than five interviews) leaves the choice to the rules.

A model is one zip file: the crfsuite models (`stages2`, `channel_told` and `first_contact` where
trained) and `meta.json` (cjm and feature version, training parameters and interviews, the
calibration tables). It is read into memory once and never written at run time; the default one
ships inside the wheel (`cjm/data/tagger.zip`).
"""

from __future__ import annotations

import json
from bisect import bisect_left
import tempfile
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import pycrfsuite

from .errors import UsageError
from .first_contact import MEMBER as FIRST_CONTACT
from .model import NONE, TOLD_CHANNEL  # noqa: F401  (NONE: the stage models' label for "no stage")

YES, NO = "yes", "no"
STORY_STATE = "@"  # "none@interested": no stage told here, the story being at `interested` (see learn.story_states)
MEMBERS = ("stages", "roles", "channels")
STACKED = "stages2"  # the optional second stage model, reading the first one's answers (features.stacked_features)
# TOLD_CHANNEL (cjm.model): the member telling which channel a discovery's words tell (features.told_channel_features)
# FIRST_CONTACT (cjm.first_contact): who made the first contact, over the decoded interview's roles
OPTIONAL = (STACKED, TOLD_CHANNEL, FIRST_CONTACT)  # members a model may lack (an older model has neither of the last two)
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    # L2 only (c1 = 0): with a few thousand utterances, L1 dropped word features that held
    # (eval/tools/select_model.py, 5-fold cross-validation on the training interviews; README).
    "stages": {"c1": 0.0, "c2": 0.5, "max_iterations": 150, "feature.possible_transitions": True},
    # the second stage model: 60 iterations keep `cjm learn` within its minute and lose nothing
    # measurable by cross-validation (eval/cv-log.md)
    "stages2": {"c1": 0.0, "c2": 0.5, "max_iterations": 60, "feature.possible_transitions": True},
    "roles": {"c1": 0.0, "c2": 1.0, "max_iterations": 150},
    "channels": {"c1": 0.0, "c2": 1.0, "max_iterations": 150},
    # a classifier over channels and "none" (one-item sequences): c2 0.3, 1 and 3 gave fallback
    # channels within two interviews of each other by 5-fold CV on the 201 (eval/cv-log.md)
    TOLD_CHANNEL: {"c1": 0.0, "c2": 1.0, "max_iterations": 150},
    # one candidate role per item; c2 0.3, 1, 3, 10 gave first contact 0.692, 0.697, 0.672, 0.657 on
    # the saved 5-fold CV of the 201 and 0.642, 0.657, 0.662, 0.657 by folder (eval/cv-fields-log.md)
    FIRST_CONTACT: {"c1": 0.0, "c2": 1.0, "max_iterations": 150},
}


@dataclass
class TaggerModel:
    """The three trained models (crfsuite bytes) and what is known of them."""

    blobs: dict[str, bytes]
    meta: dict[str, Any] = field(default_factory=dict)
    source: str = "<memory>"

    def tagger(self, member: str) -> pycrfsuite.Tagger:
        return self._opened[0][member]

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the opened taggers (C objects): a worker opens them again from the bytes."""
        state = dict(self.__dict__)
        state.pop("_opened", None)
        return state

    @cached_property
    def _opened(self) -> tuple[dict[str, pycrfsuite.Tagger], frozenset[str]]:
        """The opened taggers, and the one-item members without transition weights (`accept`): found
        out once, when the model is first used (a few ms), not on some interview's time."""
        taggers = {}
        for member in MEMBERS + OPTIONAL:
            if member not in self.blobs:  # a stage-only model, as cross-fitting trains
                continue
            tagger = pycrfsuite.Tagger()
            tagger.open_inmemory(self.blobs[member])
            taggers[member] = tagger
        alone = frozenset(member for member in ("roles", "channels", TOLD_CHANNEL, FIRST_CONTACT)
                          if member in taggers and not taggers[member].info().transitions)
        return taggers, alone

    def stage_marginals(self, rows: list[dict[str, float]]) -> tuple[list[str], list[dict[str, float]]]:
        """The best stage sequence (Viterbi) and each utterance's probability of every label: the
        second stage model's, reading the first one's, where the model has one."""
        first = self.first_stage_marginals(rows)
        if STACKED not in self.blobs or not rows:
            return first
        from .features import stacked_features

        return self.first_stage_marginals(stacked_features(rows, first, self.meta.get("stage_order", [])), STACKED)

    def first_stage_marginals(self, rows: list[dict[str, float]], member: str = "stages"
                              ) -> tuple[list[str], list[dict[str, float]]]:
        """One stage model's answer, its story states summed back to stages and "no stage"."""
        if not rows:
            return [], []
        tagger = self.tagger(member)
        labels = tagger.labels()
        keys = [(label, collapsed_label(label)) for label in labels]  # summed in `collapsed`'s order
        marginal = tagger.marginal

        def summed(position: int) -> dict[str, float]:  # `collapsed` of the position's marginals, as read
            out: dict[str, float] = {}
            for label, key in keys:
                out[key] = out.get(key, 0.0) + marginal(label, position)
            return out

        if not self.meta.get("sequence", True):  # the per-utterance baseline: each row on its own
            best, marginals = [], []
            for row in rows:
                best.append(tagger.tag([row])[0])
                marginals.append(summed(0))
        else:
            best = tagger.tag(rows)
            marginals = [summed(i) for i in range(len(rows))]
        return [collapsed_label(b) for b in best], marginals

    def stage_labels(self) -> set[str]:
        """The stages the stage model was trained on (its labels but "no stage" and its story states)."""
        return {collapsed_label(label) for label in self.tagger("stages").labels()} - {NONE}

    def accept(self, member: str, rows: list[dict[str, float]]) -> list[float]:
        """P(yes) for each candidate of a binary member (roles, channels)."""
        tagger = self.tagger(member)
        if YES not in tagger.labels():  # trained on candidates that were all rejected
            return [0.0 for _ in rows]
        if not rows:
            return []
        if member in self._opened[1]:
            # Trained on sequences of one candidate, the member has no transition weights, so a
            # sequence of all the candidates factorises: each position's marginal is the
            # candidate's own. One sequence is one call into crfsuite instead of one per candidate.
            tagger.set(rows)
            return [tagger.marginal(YES, i) for i in range(len(rows))]
        out = []
        for row in rows:
            tagger.set([row])
            out.append(tagger.marginal(YES, 0))
        return out

    def told_channels(self, rows: list[dict[str, float]]) -> list[dict[str, float]]:
        """For each row (`features.told_channel_features`), P(channel) of every channel the
        classifier knows, "no channel" left out; nothing where the model has no such member."""
        if TOLD_CHANNEL not in self.blobs or not rows:
            return [{} for _ in rows]
        tagger = self.tagger(TOLD_CHANNEL)
        labels = [label for label in tagger.labels() if label != NONE]
        if TOLD_CHANNEL in self._opened[1]:  # no transition weights: each position's marginal is its own
            tagger.set(rows)
            return [{label: tagger.marginal(label, i) for label in labels} for i in range(len(rows))]
        out = []
        for row in rows:
            tagger.set([row])
            out.append({label: tagger.marginal(label, 0) for label in labels})
        return out

    def threshold(self, name: str, default: float | None) -> float | None:
        """A decision threshold chosen by cross-validation at training time ("stage_none", "role", "channel")."""
        return (self.meta.get("thresholds") or {}).get(name, default)

    def calibrated(self, name: str, p: float | None) -> float | None:
        """The probability as measured by cross-validation at training time (isotonic map), where known."""
        points = self._calibration.get(name)
        return p if p is None or not points else round(interpolate(points[0], p, points[1]), 4)

    def calibrated_all(self, name: str, probabilities: dict[str, float]) -> dict[str, float]:
        """`calibrated` of each value (an utterance's stage marginals: one map looked up for all)."""
        points = self._calibration.get(name)
        if not points:
            return dict(probabilities)
        ys, xs = points
        return {label: round(interpolate(ys, p, xs), 4) for label, p in probabilities.items()}

    @cached_property
    def _calibration(self) -> dict[str, tuple[list[list[float]], list[float]]]:
        """Each isotonic map with its x values, for the binary search (a few probabilities per utterance)."""
        return {name: (points, [x for x, _ in points])
                for name, points in (self.meta.get("calibration") or {}).items() if points}


def collapsed_label(label: str) -> str:
    """A story state ("none@interested") is no stage told: the label the rest of cjm knows."""
    return label.split(STORY_STATE, 1)[0]


def collapsed(marginal: dict[str, float]) -> dict[str, float]:
    """The probability of each stage or none, summed over the story states that mean it."""
    out: dict[str, float] = {}
    for label, p in marginal.items():
        key = collapsed_label(label)
        out[key] = out.get(key, 0.0) + p
    return out


PRIOR_WEIGHT = 2.0  # pseudo-forecasts at the overall frequency in every block: one miss is not "0%"


def isotonic_points(pairs: list[tuple[float, bool]], max_points: int = 40) -> list[list[float]]:
    """Pool adjacent violators: a non-decreasing map forecast -> observed frequency, as (x, y) points.

    Each block's frequency is shrunk towards the overall one by `PRIOR_WEIGHT` pseudo-forecasts:
    with 77 interviews, a block of one wrong forecast would otherwise map to 0% (with thousands of
    utterances the shrinkage changes nothing that shows)."""
    grouped: dict[float, list[float]] = {}  # one forecast value, one frequency: ties pooled first
    for p, hit in pairs:
        grouped.setdefault(p, [0.0, 0.0])
        grouped[p][0] += hit
        grouped[p][1] += 1
    overall = sum(hits for hits, _ in grouped.values()) / max(1.0, sum(n for _, n in grouped.values()))

    def shrunk(block: list[float]) -> float:
        return (block[1] + PRIOR_WEIGHT * overall) / (block[2] + PRIOR_WEIGHT)

    blocks: list[list[float]] = []  # [sum_p, sum_hits, n]
    for p, (hits, n) in sorted(grouped.items()):
        blocks.append([p * n, hits, n])
        # pooled on the shrunk frequencies, the ones the map gives: shrinking after pooling could
        # put a big block above a small one after it (the map would fall)
        while len(blocks) > 1 and shrunk(blocks[-2]) >= shrunk(blocks[-1]):
            last = blocks.pop()
            blocks[-1] = [a + b for a, b in zip(blocks[-1], last)]
    points = [[round(block[0] / block[2], 4), round(shrunk(block), 4)] for block in blocks]
    step = max(1, len(points) // max_points)  # every step-th block (under 2 × max_points), and the last
    return points[::step] + ([points[-1]] if (len(points) - 1) % step else [])


def interpolate(points: list[list[float]], p: float, xs: list[float] | None = None) -> float:
    """The map's value at p: linear between the points around it (at a tie of x, the first y),
    clamped outside them. `xs`: the points' x values, where the caller keeps them."""
    xs = [x for x, _ in points] if xs is None else xs
    if p <= xs[0]:
        return points[0][1]
    at = bisect_left(xs, p)  # the first point with x >= p
    if at == len(xs):
        return points[-1][1]
    (x0, y0), (x1, y1) = points[at - 1], points[at]
    return y0 if x1 == x0 else y0 + (y1 - y0) * (p - x0) / (x1 - x0)


def ordered(rows: list[dict[str, float]]) -> list[dict[str, float]]:
    """Features in sorted order, for training: crfsuite numbers them in order of appearance, and
    the model file must not depend on how the rows were made.

    Decoding reads the rows as made: crfsuite sums a row's weights in the order given, and the
    feature builders (`features`, `story_features`) add their keys in an order that depends on
    nothing but the interview (no set is iterated unsorted; tests/test_features.py runs them
    under two hash seeds), so a probability's last digit is the same in every process. Sorting
    every row again was a sixth of the model's decoding time."""
    return [{key: row[key] for key in sorted(row)} for row in rows]  # (sorting the keys alone is faster)


def train_member(member: str, sequences: list[tuple[list[dict[str, float]], list[str]]],
                 params: dict[str, Any] | None = None) -> bytes:
    """Train one crfsuite model; L-BFGS from zero weights is deterministic, so a seed is implied."""
    trainer = pycrfsuite.Trainer(verbose=False)
    for xseq, yseq in sequences:
        if xseq:  # features sorted: crfsuite numbers them in order of appearance, and the file must not vary
            trainer.append(ordered(xseq), yseq)
    trainer.set_params({**DEFAULT_PARAMS[member], **(params or {})})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{member}.crfsuite"
        trainer.train(str(path))
        return path.read_bytes()


def save_model(model: TaggerModel, path: str | Path) -> Path:
    """Write the model as one zip file, with a fixed member order and date (the same bytes twice)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member in MEMBERS + OPTIONAL:
            if member in model.blobs:
                archive.writestr(zipfile.ZipInfo(f"{member}.crfsuite", date_time=(2020, 1, 1, 0, 0, 0)),
                                 model.blobs[member])
        archive.writestr(zipfile.ZipInfo("meta.json", date_time=(2020, 1, 1, 0, 0, 0)),
                         json.dumps(model.meta, ensure_ascii=False, indent=1, sort_keys=True))
    return path


def load_model(path: str | Path, *, check: bool = True) -> TaggerModel:
    """Read a model file; anything that is not one is a clear error naming the file. `check=False`
    leaves out `check_features` (the caller runs it, or knows it passed: see `pipeline.resolve_model`)."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            blobs = {member: archive.read(f"{member}.crfsuite") for member in MEMBERS}
            for member in OPTIONAL:
                if f"{member}.crfsuite" in archive.namelist():
                    blobs[member] = archive.read(f"{member}.crfsuite")
            meta = json.loads(archive.read("meta.json").decode("utf-8"))
    except (OSError, KeyError, zipfile.BadZipFile, ValueError) as exc:
        raise UsageError(f"{path}: not a cjm model ({exc}); train one with 'cjm learn'") from None
    model = TaggerModel(blobs, meta, str(path))
    if check:
        check_features(model)
    try:
        model._opened  # noqa: B018  (open now: a damaged member fails here, not mid-run)
    except (ValueError, OSError) as exc:
        raise UsageError(f"{path}: a model member cannot be read ({exc}); train it again with 'cjm learn'") from None
    return model


def check_features(model: TaggerModel) -> None:
    """A model trained on another version of the features would answer nonsense: a clear error."""
    from .features import FEATURE_VERSION  # here: cjm.features loads spaCy, which a cached run does without

    version = model.meta.get("feature_version")
    if version not in (None, FEATURE_VERSION):
        raise UsageError(f"{model.source}: trained on features of version {version}, this cjm reads "
                         f"version {FEATURE_VERSION}; train it again with 'cjm learn'")


def default_model_path() -> Path:
    return Path(str(resources.files("cjm") / "data" / "tagger.zip"))


_DEFAULT: list[TaggerModel] = []


def default_model(*, check: bool = True) -> TaggerModel | None:
    """The model shipped in the wheel, loaded once; None where the package holds none."""
    if not _DEFAULT:
        path = default_model_path()
        if not path.exists():
            return None
        _DEFAULT.append(load_model(path, check=False))
    if check:
        check_features(_DEFAULT[0])
    return _DEFAULT[0]
