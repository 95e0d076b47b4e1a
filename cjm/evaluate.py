"""Accuracy against hand-annotated interviews (contract section 4).

Utterance level: precision, recall and F1 per stage, role and channel label, micro-averaged per
kind, and Cohen's kappa for stages (every utterance x stage decision, pooled). Interview level:
accuracy of channel, channel group, furthest stage, first-contact role, and cycle days within 25%.
Only respondent utterances are scored: the contract gives interviewer turns no labels.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError, UsageError
from .limits import current_limits, how_to_raise

KINDS = {"stages": "stage", "roles": "role", "channels": "channel"}
INTERVIEW_FIELDS = ("channel", "channel_group", "furthest_stage", "first_contact_role", "cycle_days")
CYCLE_TOLERANCE = 0.25


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: set, gold: set, label: str) -> None:
        self.tp += label in predicted and label in gold
        self.fp += label in predicted and label not in gold
        self.fn += label not in predicted and label in gold

    def scores(self) -> dict[str, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {"precision": p, "recall": r, "f1": f, "support": self.tp + self.fn}


@dataclass
class Evaluation:
    labels: dict[str, dict[str, Counts]] = field(default_factory=dict)  # kind -> label -> counts
    interview: dict[str, list[bool]] = field(default_factory=dict)
    kappa: dict[str, float] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    misaligned: list[str] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"utterance": {}, "interview": {}, "kappa": self.kappa,
                               "missing": self.missing, "misaligned": self.misaligned, "interviews": self.details}
        for kind, per_label in self.labels.items():
            micro = Counts(sum(c.tp for c in per_label.values()), sum(c.fp for c in per_label.values()),
                           sum(c.fn for c in per_label.values()))
            out["utterance"][kind] = {"micro": micro.scores(),
                                      "labels": {k: c.scores() for k, c in per_label.items()}}
        for name, hits in self.interview.items():
            out["interview"][name] = {"accuracy": sum(hits) / len(hits) if hits else 0.0, "n": len(hits)}
        return out


def load_json(path: Path) -> Any:
    """Strict JSON (no NaN or Infinity) within the size limit; any problem is an `InputError`."""
    limits = current_limits()
    try:
        size = path.stat().st_size
        if size > limits.max_json_bytes:
            raise InputError(f"the file is {size / (1024 * 1024):.0f} MB, more than the limit of "
                             f"{limits.max_json_mb:g} MB", path=str(path), hint=how_to_raise("max_json_mb"))
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", path=str(path)) from None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", path=str(path), line=exc.lineno) from None
    except RecursionError:
        raise InputError("not valid JSON for cjm: nested too deeply", path=str(path),
                         hint="give the journeys.json that cjm wrote, or a gold file") from None
    except ValueError as exc:
        raise InputError(f"not strict JSON: {exc}", path=str(path), hint="numbers must be finite") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _what(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value[:30]!r}"
    return {list: "a list", dict: "an object", type(None): "null"}.get(type(value), type(value).__name__)


def check_interview(entry: Any, where: str, source: str) -> None:
    """One interview of journeys.json, or one gold file: the shape the scoring reads (contract
    sections 3 and 4); anything else is an `InputError` saying where and what is expected."""
    def wrong(place: str, expected: str, value: Any) -> InputError:
        return InputError(f"{place} must be {expected}, not {_what(value)}", path=source,
                          hint="give the journeys.json that cjm wrote, and gold files in the contract's format")

    if not isinstance(entry, dict):
        raise wrong(where, "an object with 'id' and 'utterances'", entry)
    if not isinstance(entry.get("id"), (str, int)) or isinstance(entry.get("id"), bool):
        raise wrong(f"{where}.id", "a text", entry.get("id"))
    utterances = entry.get("utterances")
    if not isinstance(utterances, list):
        raise wrong(f"{where}.utterances", "a list", utterances)
    for name in ("channel", "channel_group", "furthest_stage", "first_contact_role"):
        if entry.get(name) is not None and not isinstance(entry[name], str):
            raise wrong(f"{where}.{name}", "a label id or null", entry[name])
    days = entry.get("cycle_days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, (int, float))):
        raise wrong(f"{where}.cycle_days", "a number of days or null", days)
    for i, utterance in enumerate(utterances):
        place = f"{where}.utterances[{i}]"
        if not isinstance(utterance, dict):
            raise wrong(place, "an object with 'n'", utterance)
        if isinstance(utterance.get("n"), bool) or not isinstance(utterance.get("n"), int):
            raise wrong(f"{place}.n", "the utterance number", utterance.get("n"))
        if utterance.get("text") is not None and not isinstance(utterance["text"], str):
            raise wrong(f"{place}.text", "a text", utterance["text"])
        for kind in KINDS:
            labels = utterance.get(kind)
            if labels is not None and not (isinstance(labels, list) and all(isinstance(x, str) for x in labels)):
                raise wrong(f"{place}.{kind}", "a list of label ids", labels)


def load_journeys(path: Path) -> dict:
    """A run's journeys.json, checked for the shape the scoring reads."""
    document = load_json(path)
    if not isinstance(document, dict) or not isinstance(document.get("interviews"), list):
        raise InputError("not a journeys.json: expected an object with an 'interviews' list", path=str(path),
                         hint="give the journeys.json that 'cjm journeys' or 'cjm report' wrote")
    for i, entry in enumerate(document["interviews"]):
        check_interview(entry, f"interviews[{i}]", str(path))
    return document


def load_gold(gold: str | Path) -> dict[str, dict]:
    """Hand annotations by interview id: *.gold.json files, or the *.reviewed.json that `cjm review`
    stores (a reviewed file holds only the utterances and fields a person checked)."""
    folder = Path(gold)
    files = sorted(folder.glob("*.gold.json")) + sorted(folder.glob("*.reviewed.json")) if folder.is_dir() else [folder]
    if not files:
        raise UsageError(f"no *.gold.json files in {folder}")
    result = {}
    for path in files:
        entry = load_json(path)
        if not isinstance(entry, dict) or "id" not in entry or "utterances" not in entry:
            raise InputError("a gold file needs 'id' and 'utterances'", path=str(path))
        check_interview(entry, "the gold file", str(path))
        result[str(entry["id"])] = entry
    return result


def cycle_match(predicted: Any, gold: Any) -> bool:
    if gold is None or predicted is None:
        return gold is None and predicted is None
    return abs(float(predicted) - float(gold)) <= CYCLE_TOLERANCE * max(float(gold), 1.0)


def cohen_kappa(pairs: list[tuple[bool, bool]]) -> float:
    """Kappa of two annotators' yes/no decisions."""
    n = len(pairs)
    if not n:
        return 0.0
    agree = sum(a == b for a, b in pairs) / n
    pa, pb = sum(a for a, _ in pairs) / n, sum(b for _, b in pairs) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return 1.0 if expected == 1 else (agree - expected) / (1 - expected)


def evaluate(journeys: str | Path | dict, gold: str | Path | dict[str, dict], *,
             stage_ids: list[str] | None = None) -> Evaluation:
    """Compare a run's journeys.json with a folder of gold files (or gold entries by id)."""
    document = journeys if isinstance(journeys, dict) else load_journeys(Path(journeys))
    predicted = {str(i["id"]): i for i in document.get("interviews", [])}
    golds = gold if isinstance(gold, dict) else load_gold(gold)
    result = Evaluation(labels={kind: {} for kind in KINDS})
    stage_pairs: dict[str, list[tuple[bool, bool]]] = {}
    for ident, g in sorted(golds.items()):
        p = predicted.get(ident)
        if p is None:
            result.missing.append(ident)
        p_utts = {u["n"]: u for u in (p or {}).get("utterances", [])}
        for gu in g["utterances"]:
            if gu.get("is_interviewer"):
                continue
            pu = p_utts.get(gu["n"], {})
            if p is not None and pu and gu.get("text") and pu.get("text") and \
                    gu["text"].split()[:3] != pu["text"].split()[:3]:
                result.misaligned.append(f"{ident}#{gu['n']}")
            for kind in KINDS:
                gold_set, pred_set = set(gu.get(kind) or []), set(pu.get(kind) or [])
                for label in gold_set | pred_set:
                    result.labels[kind].setdefault(label, Counts()).add(pred_set, gold_set, label)
                if kind == "stages":
                    for stage in stage_ids or sorted(gold_set | pred_set | {"unaware", "informed", "interested", "motivated", "bought"}):
                        stage_pairs.setdefault(stage, []).append((stage in pred_set, stage in gold_set))
        row = {"id": ident}
        for name in INTERVIEW_FIELDS:
            if name not in g:  # a reviewed file without the interview's fields checked
                continue
            gv, pv = g.get(name), (p or {}).get(name)
            hit = cycle_match(pv, gv) if name == "cycle_days" else pv == gv
            result.interview.setdefault(name, []).append(bool(hit) and p is not None)
            row[name] = {"gold": gv, "predicted": pv, "ok": bool(hit) and p is not None}
        result.details.append(row)
    all_pairs = [pair for pairs in stage_pairs.values() for pair in pairs]
    result.kappa = {"stages": cohen_kappa(all_pairs)} | {s: cohen_kappa(v) for s, v in sorted(stage_pairs.items())}
    return result


def format_report(evaluation: Evaluation) -> str:
    """The figures as a plain-text table for the terminal."""
    data = evaluation.as_dict()
    lines = []
    for kind, block in data["utterance"].items():
        m = block["micro"]
        lines.append(f"{kind:<10} micro  P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}  (n={m['support']})")
        for label, s in sorted(block["labels"].items(), key=lambda kv: -kv[1]["support"]):
            lines.append(f"  {label:<16} P {s['precision']:.3f}  R {s['recall']:.3f}  F1 {s['f1']:.3f}  (n={s['support']})")
    lines.append(f"stage kappa (pooled) {data['kappa'].get('stages', 0):.3f}")
    lines.append("interview level:")
    for name, block in data["interview"].items():
        suffix = " (within 25%)" if name == "cycle_days" else ""
        lines.append(f"  {name:<20} {block['accuracy']:.3f}  (n={block['n']}){suffix}")
    if data["missing"]:
        lines.append("missing from the run: " + ", ".join(data["missing"]))
    if data["misaligned"]:
        lines.append(f"utterance text differs from gold at {len(data['misaligned'])} place(s): "
                     + ", ".join(data["misaligned"][:10]))
    return "\n".join(lines)


STAGE_ORDER = ("unaware", "informed", "interested", "motivated", "bought")
NO_STAGE = "—"


def primary(stages: list[str] | None) -> str:
    """An utterance's furthest stage, for the confusion matrix (few utterances hold two)."""
    known = [s for s in stages or [] if s in STAGE_ORDER]
    return max(known, key=STAGE_ORDER.index) if known else NO_STAGE


def stage_confusion(journeys: dict, golds: dict[str, dict]) -> dict[str, dict[str, int]]:
    """gold stage -> predicted stage -> utterances (the furthest stage of each, '—' for none)."""
    predicted = {str(i["id"]): {u["n"]: u for u in i.get("utterances", [])} for i in journeys.get("interviews", [])}
    table: dict[str, dict[str, int]] = {g: {p: 0 for p in STAGE_ORDER + (NO_STAGE,)} for g in STAGE_ORDER + (NO_STAGE,)}
    for ident, gold in golds.items():
        run = predicted.get(ident, {})
        for gu in gold["utterances"]:
            if gu.get("is_interviewer"):
                continue
            g, p = primary(gu.get("stages")), primary(run.get(gu["n"], {}).get("stages"))
            table.setdefault(g, {}).setdefault(p, 0)
            table[g][p] += 1
    return table


def bootstrap(journeys: dict, golds: dict[str, dict], *, samples: int = 1000, seed: int = 0) -> dict[str, tuple[float, float]]:
    """95% intervals of the headline figures, resampling interviews (the unit that varies)."""
    import random

    ids = sorted(golds)
    single = {i: evaluate(journeys, {i: golds[i]}) for i in ids}
    rng = random.Random(seed)
    draws: dict[str, list[float]] = {}
    for _ in range(samples):
        pick = [rng.choice(ids) for _ in ids]
        for kind in KINDS:
            c = Counts()
            for i in pick:
                for counts in single[i].labels[kind].values():
                    c.tp, c.fp, c.fn = c.tp + counts.tp, c.fp + counts.fp, c.fn + counts.fn
            draws.setdefault(f"{kind} micro-F1", []).append(c.scores()["f1"])
        for name in INTERVIEW_FIELDS:
            hits = [single[i].interview[name][0] for i in pick if name in single[i].interview]
            if hits:  # (a reviewed file may leave a field unchecked)
                draws.setdefault(name, []).append(sum(hits) / len(hits))
    return {name: (sorted(v)[int(0.025 * len(v))], sorted(v)[min(len(v) - 1, int(0.975 * len(v)))])
            for name, v in draws.items()}


def format_comparison(results: dict[str, tuple[Evaluation, dict]], confusion: dict[str, dict[str, dict[str, int]]]) -> str:
    """Several runs (rules-only, model) side by side: per-label P/R/F1, intervals, the stage confusion."""
    names = list(results)
    data = {name: ev.as_dict() for name, (ev, _) in results.items()}
    lines = ["figure".ljust(28) + "".join(f"{n:>26}" for n in names)]

    def cell(name: str, value: float, key: str) -> str:
        low, high = results[name][1].get(key, (None, None))
        text = f"{value:.3f}" + (f" [{low:.2f}–{high:.2f}]" if low is not None else "")
        return f"{text:>26}"

    for kind in KINDS:
        lines.append(f"{kind + ' micro P/R/F1':<28}" + "".join(
            f"{'%.3f / %.3f / %.3f' % tuple(data[n]['utterance'][kind]['micro'][k] for k in ('precision', 'recall', 'f1')):>26}"
            for n in names))
        lines.append(f"{'  F1 with 95% interval':<28}" + "".join(
            cell(n, data[n]["utterance"][kind]["micro"]["f1"], f"{kind} micro-F1") for n in names))
        labels = sorted({label for n in names for label in data[n]["utterance"][kind]["labels"]})
        for label in labels:
            row = []
            for n in names:
                s = data[n]["utterance"][kind]["labels"].get(label)
                row.append(f"{'%.2f / %.2f / %.2f (%d)' % (s['precision'], s['recall'], s['f1'], s['support']) if s else '-':>26}")
            lines.append(f"    {label:<24}" + "".join(row))
    lines.append(f"{'stage kappa (pooled)':<28}" + "".join(f"{data[n]['kappa'].get('stages', 0):>26.3f}" for n in names))
    for name in INTERVIEW_FIELDS:
        if all(name in data[n]["interview"] for n in names):  # none where no annotation checks the field
            lines.append(f"{name:<28}" + "".join(cell(n, data[n]["interview"][name]["accuracy"], name) for n in names))
    for n in names:
        table = confusion[n]
        lines.append(f"\nstage confusion, {n} (rows: gold, columns: predicted; '—' no stage)")
        columns = list(STAGE_ORDER) + [NO_STAGE]
        lines.append(" " * 12 + "".join(f"{c[:10]:>11}" for c in columns))
        for g in columns:
            lines.append(f"{g[:12]:<12}" + "".join(f"{table.get(g, {}).get(p, 0):>11}" for p in columns))
    return "\n".join(lines)


CALIBRATION_BINS = 10


def calibration(journeys: dict, golds: dict[str, dict]) -> dict[str, dict]:
    """How well the model's probabilities match how often it is right, per kind.

    Every (utterance, label) the model gave a probability is one forecast; it comes true where
    the gold has that label (for stages, "none" comes true on an utterance with no stage).
    Returns the expected calibration error (ECE: the mean gap between forecast and frequency,
    weighted by the forecasts in each tenth) and the table of tenths.
    """
    out: dict[str, dict] = {}
    for kind, pairs in forecasts(journeys, golds).items():
        bins: list[list[tuple[float, bool]]] = [[] for _ in range(CALIBRATION_BINS)]
        for p, happened in pairs:
            bins[min(CALIBRATION_BINS - 1, int(p * CALIBRATION_BINS))].append((p, happened))
        table = [{"from": i / CALIBRATION_BINS, "n": len(b), "forecast": sum(p for p, _ in b) / len(b),
                  "observed": sum(h for _, h in b) / len(b)} for i, b in enumerate(bins) if b]
        ece = sum(row["n"] * abs(row["forecast"] - row["observed"]) for row in table) / len(pairs)
        out[kind] = {"ece": ece, "forecasts": len(pairs), "bins": table}
    return out


def forecasts(journeys: dict, golds: dict[str, dict]) -> dict[str, list[tuple[float, bool]]]:
    """Every probability a run gave, with whether it came true in the gold: per label kind, and per
    interview field ("journey.channel", ...: the field's confidence, true where the field is right)."""
    predicted_interviews = {str(i["id"]): i for i in journeys.get("interviews", [])}
    predicted = {str(i["id"]): {u["n"]: u for u in i.get("utterances", [])} for i in journeys.get("interviews", [])}
    found: dict[str, list[tuple[float, bool]]] = {}
    for ident, gold in golds.items():
        run = predicted.get(ident, {})
        for gu in gold["utterances"]:
            if gu.get("is_interviewer"):
                continue
            probs = run.get(gu["n"], {}).get("probabilities") or {}
            for kind, key in (("stage", "stages"), ("role", "roles"), ("channel", "channels")):
                truth = set(gu.get(key) or [])
                for label, p in (probs.get(kind) or {}).items():
                    happened = (not truth) if label == "none" else label in truth
                    found.setdefault(kind, []).append((float(p), happened))
        confidence = (predicted_interviews.get(ident) or {}).get("confidence") or {}
        for name, value in confidence.items():
            if not isinstance(value, (int, float)) or name not in gold:
                continue
            p_value = predicted_interviews[ident].get(name)
            right = cycle_match(p_value, gold.get(name)) if name == "cycle_days" else p_value == gold.get(name)
            found.setdefault(f"journey.{name}", []).append((float(value), bool(right)))
    return found
