"""Training the tagger from annotated interviews, and measuring it by cross-validation.

Training data are folders of transcripts with their hand annotations in `gold/` beside them (the
contract's gold shape, section 4): `interviews/`, `eval/train/`, a consultant's reviewed series.
Each transcript goes through the same evidence extraction and rules' decision as at run time, so
the model learns from exactly what it will see.
"""

from __future__ import annotations

import multiprocessing
import random
from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path
from typing import Any, Callable

from . import __version__
from .codebook import Codebook
from .errors import UsageError
from .evaluate import load_gold
from .evidence import InterviewEvidence, extract_evidence
from .features import FEATURE_VERSION, TOLD_STAGE, candidates, stacked_features, stage_features, told_channel_features
from .ingest import read_folder
from .model import CHANNEL, ROLE, STAGE, TaggedUtterance
from .nlp import pipeline
from .review import gold_with_review, load_reviews
from .rules import get_rules
from .rules_decision import decide_by_rules
from .tagger_model import FIRST_CONTACT, NO, NONE, STACKED, STORY_STATE, TOLD_CHANNEL, YES, TaggerModel, train_member

GOLD_FOLDER = "gold"


@dataclass
class Example:
    """One annotated interview, as the model sees it at run time, with its gold labels."""

    evidence: InterviewEvidence
    by_rules: list[TaggedUtterance]
    gold: dict[str, Any]

    @property
    def id(self) -> str:
        return self.evidence.transcript.id

    def gold_labels(self, n: int, kind: str) -> list[str]:
        return list(self.gold_by_n.get(n, {}).get(kind) or [])

    @cached_property
    def gold_by_n(self) -> dict[int, dict]:
        return {u["n"]: u for u in self.gold.get("utterances", [])}


def gold_folder(folder: Path) -> Path:
    return folder / GOLD_FOLDER if (folder / GOLD_FOLDER).is_dir() else folder


def has_gold(folder: Path) -> bool:
    return any(gold_folder(folder).glob("*.gold.json"))


def load_examples(folders: list[str | Path], codebook: Codebook) -> tuple[list[Example], list[str]]:
    """Every transcript of the folders that has a gold file; the notes say what could not be used."""
    examples: list[Example] = []
    notes: list[str] = []
    for folder in map(Path, folders):
        reviews, unreadable = load_reviews(folder)  # a consultant's corrections (cjm review) over the gold
        notes += [f"{path}: {why}" for path, why in unreadable]
        golds = load_gold(gold_folder(folder)) if not reviews or has_gold(folder) else {}
        transcripts, problems = read_folder(folder)
        notes += [str(p) for p in problems if not p.ignored]  # gold/ itself is no problem here
        seen = set()
        for transcript in transcripts:
            gold = golds.get(transcript.id)
            if transcript.id in reviews:
                gold, why = gold_with_review(transcript, gold, reviews[transcript.id], codebook)
                notes += why
            if gold is None:
                continue
            seen.add(transcript.id)
            evidence = extract_evidence(transcript, get_rules(codebook, transcript.language), pipeline(transcript.language))
            examples.append(Example(evidence, decide_by_rules(evidence, codebook), gold))
            misaligned = [u.n for u in transcript.utterances
                          if (g := examples[-1].gold_by_n.get(u.n)) and g.get("text")
                          and g["text"].split()[:3] != u.text.split()[:3]]
            if misaligned:
                notes.append(f"{transcript.source}: gold text differs at utterance(s) {misaligned[:5]}")
        notes += [f"{folder}: gold file {ident!r} has no transcript" for ident in sorted(set(golds) - seen)]
    if not examples:
        raise UsageError("no annotated interviews found: give folders of transcripts with gold/*.gold.json "
                         "(or wholly reviewed reviewed/*.reviewed.json) beside them")
    return examples, notes


def primary_stage(labels: list[str], order: list[str]) -> str:
    """The one stage a sequence position learns: the furthest of an utterance's stages."""
    known = [s for s in labels if s in order]
    return max(known, key=order.index) if known else NONE


def stage_sequence(example: Example, codebook: Codebook, states: str | None = None
                   ) -> tuple[list[dict[str, float]], list[str]]:
    rows = stage_features(example.evidence, example.by_rules, codebook.ids(STAGE))
    order = codebook.ids(STAGE)
    labels = [primary_stage(example.gold_labels(t.n, "stages"), order) for t in example.evidence.respondent]
    return rows, story_states(labels, order, states) if states else labels


STORY_START = "start"


def story_states(labels: list[str], order: list[str], how: str = "last") -> list[str]:
    """Gold labels with each "no stage" told where the story stands: "none@interested" after an
    utterance at `interested` (`how` "last") or once the story has reached it ("furthest").

    Most utterances tell no stage, and a first-order chain forgets the story across them; with the
    state in the label, the transitions over asides (forward moves, back-steps, stalls) are learned.
    The model collapses the states back to "no stage" when it answers (tagger_model.collapsed)."""
    out, at = [], STORY_START
    for label in labels:
        if label == NONE:
            out.append(f"{NONE}{STORY_STATE}{at}")
            continue
        out.append(label)
        if how == "furthest" and at in order and order.index(at) > order.index(label):
            continue
        at = label
    return out


def candidate_items(example: Example, kind: str, rows: list[dict[str, float]],
                    decoded: tuple[list[str], list[dict[str, float]]]) -> list[tuple[list, list[str]]]:
    gold_key = {ROLE: "roles", CHANNEL: "channels"}[kind]
    return [([c.features], [YES if c.label in example.gold_labels(c.n, gold_key) else NO])
            for c in candidates(example.evidence, example.by_rules, rows, kind, decoded)]


def told_channel_items(example: Example, rows: list[dict[str, float]]) -> list[tuple[list, list[str]]]:
    """The channel classifier's examples: each utterance the gold tells the discovery in, with
    the channel it names there or "none" (the discovery's details, told on after the channel)."""
    return [([told_channel_features(row)], [(example.gold_labels(t.n, "channels") or [NONE])[0]])
            for t, row in zip(example.evidence.respondent, rows)
            if TOLD_STAGE in example.gold_labels(t.n, "stages")]


STAGE_FOLDS = 3
# By 5-fold cross-validation on the training interviews (eval/cv-log.md, README): story states kept
# (stage F1 +0.003, furthest stage +0.026); stacking not (+0.001 more stage F1 for 30% more training).
STACK = False  # a second stage model over the first one's cross-fitted answers (features.stacked_features)
STATES = "last"  # story states in the stage labels: None, "last" or "furthest" (story_states)


def stage_training_data(stories: list[tuple[list, list[str]]], sequence: bool) -> list[tuple[list, list[str]]]:
    """The stage model's training sequences: whole stories, or, for the per-utterance baseline,
    every utterance a sequence of one (no transitions to learn)."""
    if sequence:
        return list(stories)
    return [([row], [label]) for rows, labels in stories for row, label in zip(rows, labels)]


def cross_fitted_stages(sequences: list[tuple[list, list[str]]], params: dict, k: int = STAGE_FOLDS
                        ) -> list[tuple[list[str], list[dict[str, float]]]]:
    """Each training interview's stages as decoded by a stage model that did not see it: the
    role and channel models learn from the stage answers they will get at run time, not from gold."""
    sequence = params.get("sequence", True)
    out: list[tuple[list[str], list[dict[str, float]]]] = [([], [])] * len(sequences)
    for part in range(k):
        held = [i for i in range(len(sequences)) if i % k == part]
        rest = [sequences[i] for i in range(len(sequences)) if i % k != part]
        data = stage_training_data(rest, sequence)
        model = TaggerModel({"stages": train_member("stages", data, params.get("stages"))}, {"sequence": sequence})
        for i in held:
            out[i] = model.stage_marginals(sequences[i][0])
    return out


def train(examples: list[Example], codebook: Codebook, params: dict[str, dict] | None = None) -> TaggerModel:
    """Train the stage model, the role and channel classifiers and the classifier of a discovery's
    words on these interviews (deterministic: the same data give the same model)."""
    params = params or {}
    roles, channels, told = [], [], []
    sequence = params.get("sequence", True)
    states = params.get("states", STATES) if sequence else None  # one utterance at a time has no story to track
    stories = [stage_sequence(example, codebook, states) for example in examples]
    decoded = cross_fitted_stages(stories, params) if len(examples) >= STAGE_FOLDS else \
        [([NONE] * len(rows), [{} for _ in rows]) for rows, _ in stories]
    for example, (rows, _), stages in zip(examples, stories, decoded):
        roles += candidate_items(example, ROLE, rows, stages)
        channels += candidate_items(example, CHANNEL, rows, stages)
        told += told_channel_items(example, rows)
    sequences = stage_training_data(stories, sequence)
    blobs = {"stages": train_member("stages", sequences, params.get("stages")),
             "roles": train_member("roles", roles, params.get("roles")),
             "channels": train_member("channels", channels, params.get("channels"))}
    if told:
        blobs[TOLD_CHANNEL] = train_member(TOLD_CHANNEL, told, params.get(TOLD_CHANNEL))
    if params.get("stack", STACK) and len(examples) >= STAGE_FOLDS and sequence:
        order = codebook.ids(STAGE)
        stacked = [(stacked_features(rows, stages, order), labels) for (rows, labels), stages in zip(stories, decoded)]
        blobs[STACKED] = train_member(STACKED, stacked, params.get(STACKED))
    meta = {"cjm_version": __version__, "feature_version": FEATURE_VERSION, "stage_order": codebook.ids(STAGE),
            "trained_on": sorted(e.id for e in examples), "params": params, "sequence": sequence,
            "utterances": sum(len(s[0]) for s in sequences),
            "candidates": {"roles": len(roles), "channels": len(channels)}, "discoveries": len(told)}
    return TaggerModel(blobs, meta)


def folds(examples: list[Example], k: int, seed: int = 0) -> list[list[Example]]:
    """K folds by interview, shuffled with a fixed seed, each language spread over every fold."""
    if k < 2 or k > len(examples):
        raise UsageError(f"--cross-validate needs 2 <= K <= {len(examples)} (the annotated interviews)")
    ordered = sorted(examples, key=lambda e: (e.evidence.transcript.language, e.id))
    random.Random(seed).shuffle(ordered)
    ordered.sort(key=lambda e: e.evidence.transcript.language)
    return [ordered[i::k] for i in range(k)]


def folder_folds(examples: list[Example], folders: list[str | Path]) -> list[list[Example]]:
    """One fold per folder (the deepest given folder that holds the transcript): a series written by
    other people than the rest, so each interview is scored by a model that saw none of its
    writers. Random folds put a writer's interviews on both sides and flatter the model; by folder
    the figure is what a new series can expect (README, "The figures")."""
    given = list(dict.fromkeys(Path(f).resolve() for f in folders))  # the folds in the folders' order
    deepest_first = sorted(given, key=lambda p: -len(p.parts))
    parts: dict[Path, list[Example]] = {root: [] for root in given}
    for example in examples:
        source = Path(example.evidence.transcript.source).resolve()
        root = next((r for r in deepest_first if r in source.parents), None)
        if root is not None:
            parts[root].append(example)
    found = [part for part in parts.values() if part]
    if len(found) < 2:
        raise UsageError("--by-folder needs annotated interviews in at least two of the folders")
    return found


def cross_validate(examples: list[Example], codebook: Codebook, k: int, seed: int = 0,
                   params: dict[str, dict] | None = None, tune: bool = False, jobs: int = 1,
                   parts: list[list[Example]] | None = None) -> dict[str, dict]:
    """Each interview tagged by a model that never saw it: journeys documents of rules and model.

    With `tune`, each fold's model is made exactly as `cjm learn` makes one, thresholds and
    calibration fitted by an inner cross-validation of that fold's training interviews only.
    With `jobs` > 1 the folds are trained in that many processes (`in_processes`). `parts`: the
    folds themselves (`folder_folds`) instead of K random ones.
    """
    return merged_folds(in_processes(fold_calls(examples, codebook, k, seed, params, tune, parts), jobs))


def fold_calls(examples: list[Example], codebook: Codebook, k: int, seed: int = 0,
               params: dict[str, dict] | None = None, tune: bool = False,
               parts: list[list[Example]] | None = None) -> list[Callable[[], tuple]]:
    """One call per fold, each giving that fold's (rules', model's) journeys (`fold_documents`)."""
    parts = folds(examples, k, seed) if parts is None else parts
    work = (examples, codebook, parts, params, tune)
    return [partial(fold_documents, work, i) for i in range(len(parts))]


ContactRow = tuple[dict[str, dict[str, float]], "str | None"]  # an interview's first-contact candidates, the gold role


def merged_folds(answers: list[tuple[list[dict], list[dict], list[ContactRow]]]) -> dict[str, dict]:
    documents: dict[str, dict] = {"rules": {"interviews": []}, "model": {"interviews": []}}
    for by_rules, by_model, _ in answers:
        documents["rules"]["interviews"] += by_rules
        documents["model"]["interviews"] += by_model
    return documents


def in_processes(calls: list[Callable[[], Any]], jobs: int) -> list[Any]:
    """The calls' answers in order, made in `jobs` forked processes where there are several (crfsuite
    trains on one core). The workers inherit the calls with what they hold (the parsed examples are
    never pickled); every model trained is deterministic, so the answers are those of one process."""
    if jobs <= 1 or len(calls) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [call() for call in calls]
    _CALLS[:] = calls
    try:
        with multiprocessing.get_context("fork").Pool(min(jobs, len(calls))) as pool:
            return pool.map(_call_forked, range(len(calls)), chunksize=1)
    finally:
        _CALLS.clear()


_CALLS: list[Callable[[], Any]] = []


def _call_forked(index: int) -> Any:
    return _CALLS[index]()


def fold_documents(work: tuple, index: int) -> tuple[list[dict], list[dict], list[ContactRow]]:
    """One fold: a model trained on the other folds tags this one's interviews (rules' and model's
    journeys), with each one's first-contact candidates as the model's decode gives them."""
    from .decode import decode
    from .export import journey_to_dict
    from .first_contact import candidates as contact_candidates
    from .journey import contact_story, derive_journey
    from .pipeline import calibrate_journey

    examples, codebook, parts, params, tune = work
    held = parts[index]
    rest = [e for e in examples if e not in held]
    model = train(rest, codebook, params)
    if tune and len(rest) >= CALIBRATION_FOLDS:
        tuned(model, rest, codebook, params)
    by_rules, by_model, contacts = [], [], []
    for example in held:
        transcript = example.evidence.transcript
        by_rules.append(journey_to_dict(derive_journey(transcript, example.by_rules, codebook)))
        tagged = decode(example.evidence, example.by_rules, model, codebook)
        journey = derive_journey(transcript, tagged, codebook, model)
        story = contact_story(journey, [t for t in tagged if not t.utterance.is_interviewer], codebook)
        contacts.append((contact_candidates(story), example.gold.get("first_contact_role")))
        by_model.append(journey_to_dict(calibrate_journey(journey, model)))
    return by_rules, by_model, contacts


def learn_model(folders: list[str | Path], out: str | Path, *, codebook: str | Path | None = None,
                jobs: int = 1) -> tuple[Path, list[str], TaggerModel]:
    """`cjm learn`: train on every annotated interview of the folders and write the model file.
    The final model and the calibration's folds train side by side in `jobs` processes: the same
    model whatever their number."""
    from .codebook import load_codebook
    from .tagger_model import save_model

    book = load_codebook(codebook)
    examples, notes = load_examples(folders, book)
    calibrating = len(examples) >= CALIBRATION_FOLDS
    calls = [partial(train, examples, book)] + (fold_calls(examples, book, CALIBRATION_FOLDS) if calibrating else [])
    model, *answers = in_processes(calls, jobs)
    if calibrating:
        with_tuning(model, answers, examples, book.ids(STAGE))
    return save_model(model, out), notes, model


CALIBRATION_FOLDS = 5
THRESHOLDS = [round(0.2 + 0.05 * i, 2) for i in range(13)]  # 0.20 ... 0.80


def tuned(model: TaggerModel, examples: list[Example], codebook: Codebook, params: dict[str, dict] | None = None,
          jobs: int = 1) -> TaggerModel:
    """The model trained on `examples`, taught what K-fold predictions of them (each interview
    unseen) teach: the decision thresholds that maximise micro-F1, isotonic maps from raw
    probability to how often it came true for every label kind and interview field, and the
    first-contact chooser (`with_tuning`)."""
    answers = in_processes(fold_calls(examples, codebook, CALIBRATION_FOLDS, params=params), jobs)
    return with_tuning(model, answers, examples, codebook.ids(STAGE), params)


def with_tuning(model: TaggerModel, answers: list[tuple[list[dict], list[dict], list[ContactRow]]],
                examples: list[Example], stage_order: list[str], params: dict[str, dict] | None = None) -> TaggerModel:
    """`tuned` from the folds' answers (`fold_documents`): thresholds, calibration and the
    first-contact member, trained on every interview's candidates as an unseen decode gave them.
    Its P is the field's confidence as it is (`first_contact.choose`): the folds' map of the
    rules' first contact does not apply to it."""
    model.meta["thresholds"], model.meta["calibration"] = fitted(merged_folds(answers), examples, stage_order)
    rows = [row for *_, contacts in answers for row in contacts]
    if any(gold in found for found, gold in rows):
        model.blobs[FIRST_CONTACT] = train_member(FIRST_CONTACT, contact_sequences(rows), (params or {}).get(FIRST_CONTACT))
        model.meta["calibration"].pop("journey.first_contact_role", None)
        model.meta["first_contacts"] = len(rows)
        model.__dict__.pop("_opened", None)  # opened again with the new member
    return model


def contact_sequences(rows: list[ContactRow]) -> list[tuple[list[dict[str, float]], list[str]]]:
    """One one-item sequence per candidate: yes where it is the annotated first contact."""
    return [([features], [YES if role == gold else NO]) for found, gold in rows for role, features in found.items()]


def fitted(documents: dict[str, dict], examples: list[Example], stage_order: list[str] | tuple[str, ...] = ()
           ) -> tuple[dict[str, float], dict[str, list[list[float]]]]:
    """The thresholds and calibration maps the cross-validated journeys of the examples give."""
    from .evaluate import forecasts
    from .tagger_model import isotonic_points

    golds = {e.id: e.gold for e in examples}
    thresholds = best_thresholds(documents["model"], golds, stage_order)
    calibration = {name: isotonic_points(pairs) for name, pairs in sorted(forecasts(documents["model"], golds).items())}
    return thresholds, calibration


def micro_f1(pairs: list[tuple[set, set]]) -> float:
    tp = sum(len(p & g) for p, g in pairs)
    fp = sum(len(p - g) for p, g in pairs)
    fn = sum(len(g - p) for p, g in pairs)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def best_thresholds(document: dict, golds: dict[str, dict], stage_order: list[str] | tuple[str, ...] = ()
                    ) -> dict[str, float]:
    """Per kind, the threshold on the raw probabilities under which held-out micro-F1 is highest;
    with the stages' order, the one over which an utterance keeps a second, neighbouring stage
    (`stage_second`, left out where one stage an utterance scores best)."""
    rows = []  # (probabilities, gold utterance)
    for interview in document["interviews"]:
        gold = {u["n"]: u for u in golds[interview["id"]]["utterances"]}
        rows += [(u.get("probabilities") or {}, gold.get(u["n"], {})) for u in interview["utterances"]
                 if not u.get("is_interviewer")]
    chosen: dict[str, float] = {}
    for kind, key in ((ROLE, "roles"), (CHANNEL, "channels")):
        scores = {t: micro_f1([({l for l, p in probs.get(kind, {}).items() if p >= t}, set(g.get(key) or []))
                               for probs, g in rows]) for t in THRESHOLDS}
        chosen[kind] = max(THRESHOLDS, key=lambda t: (scores[t], -abs(t - 0.5)))

    def stage_choice(probs: dict, t: float) -> set:
        stages = {s: p for s, p in probs.get(STAGE, {}).items() if s != NONE}
        if not stages or probs.get(STAGE, {}).get(NONE, 0.0) > t:
            return set()
        return {max(stages, key=stages.get)}

    scores = {t: micro_f1([(stage_choice(probs, t), set(g.get("stages") or [])) for probs, g in rows]) for t in THRESHOLDS}
    chosen["stage_none"] = max(THRESHOLDS, key=lambda t: (scores[t], -abs(t - 0.5)))
    if stage_order:
        from .decode import with_second_stage

        firsts = [(stage_choice(probs, chosen["stage_none"]), probs.get(STAGE, {}), g) for probs, g in rows]
        gain = {t: micro_f1([(with_second_stage(first, marginal, stage_order, t), set(g.get("stages") or []))
                             for first, marginal, g in firsts]) for t in THRESHOLDS + [None]}
        best = max(THRESHOLDS + [None], key=lambda t: (gain[t], t is None))
        if best is not None:
            chosen["stage_second"] = best
    return chosen


def compare_by_cross_validation(folders: list[str | Path], k: int | None, *, codebook: str | Path | None = None,
                                seed: int = 0, jobs: int = 1, by_folder: bool = False) -> tuple[str, dict]:
    """`cjm evaluate --cross-validate K` (or `--by-folder`: one fold per folder): rules-only and
    model, each interview scored unseen."""
    from .codebook import load_codebook
    from .evaluate import bootstrap, calibration, evaluate, format_comparison, stage_confusion

    book = load_codebook(codebook)
    examples, _ = load_examples(folders, book)
    parts = folder_folds(examples, folders) if by_folder else None
    k = len(parts) if parts is not None else k
    documents = cross_validate(examples, book, k, seed, tune=True, jobs=jobs, parts=parts)
    golds = {e.id: e.gold for e in examples}
    results = {name: (evaluate(doc, golds), bootstrap(doc, golds, seed=seed)) for name, doc in documents.items()}
    confusion = {name: stage_confusion(doc, golds) for name, doc in documents.items()}
    figures = {name: {"figures": ev.as_dict() | {"interviews": []}, "intervals": ci, "confusion": confusion[name]}
               for name, (ev, ci) in results.items()}
    reliability = calibration(documents["model"], golds)
    figures["model"]["calibration"] = reliability
    head = (f"{len(examples)} annotated interviews, one fold per folder ({k} folders: each scored by a model "
            f"trained on the others)\n" if by_folder else
            f"{len(examples)} annotated interviews, {k}-fold cross-validation by interview (seed {seed})\n")
    tail = "\n\ncalibration of the model's probabilities (expected calibration error, lower is better):\n" + "\n".join(
        f"  {kind:<8} ECE {block['ece']:.3f} over {block['forecasts']} forecasts; by tenth (forecast → observed): "
        + ", ".join(f"{row['forecast']:.2f}→{row['observed']:.2f} ({row['n']})" for row in block["bins"])
        for kind, block in reliability.items())
    return head + format_comparison(results, confusion) + tail, figures
