"""Aggregate: per-interview journeys -> tidy pandas tables, the numbers the report shows.

Everything here is data (DataFrames and plain dataclasses); `render` only formats it. Every count
keeps the references (`Ref`: interview, utterance, sentence) it was counted from, so the report can
link each number back to its quotes. Nothing here parses text: journey events, sentence tone,
pains, questions and stated durations were recorded by the tag stage (`evidence.record_for_report`)
and are only counted here.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, NamedTuple

import pandas as pd

from .cache import Pieces
from .errors import UsageError
from .model import CHANNEL, ROLE, STAGE, Journey, TaggedUtterance
from .significance import fisher_exact_p, mann_whitney_p
from .wordlists import sentiment_lexicon

BOUGHT = "bought"
STALLED = "stalled"
NOISE_P = 0.05  # a difference with p >= this is shown as "within noise"

EVENT_COLUMNS = ["interview", "channel", "channel_group", "utterance", "sentence", "kind", "label", "stage",
                 "role", "channel_label", "quote", "speaker", "start", "mention", "span_start", "span_end"]


# --------------------------------------------------------------------------- references

@dataclass(frozen=True, order=True)
class Ref:
    """Where a number came from: one sentence of one respondent utterance."""

    interview: str
    utterance: int
    sentence: int | None = None
    quote: str = field(default="", compare=False)
    start: float | None = field(default=None, compare=False)


def _ref(row: Any) -> Ref:
    """The reference of one row (an `itertuples` row) of an events or sentences table."""
    sentence = None if pd.isna(row.sentence) else int(row.sentence)
    start = None if row.start is None or pd.isna(row.start) else float(row.start)
    return Ref(row.interview, int(row.utterance), sentence, str(row.quote), start)


def _refs(rows: pd.DataFrame | Iterable[Any]) -> list[Ref]:
    """Unique, ordered references for the rows of an events or sentences table (a frame, or rows of
    its `itertuples`); of rows with the same sentence the first gives the quote and the start."""
    if isinstance(rows, pd.DataFrame):  # the columns read once (itertuples makes a tuple per row)
        rows = (_Row(*values) for values in zip(*(rows[c].tolist() for c in _Row._fields)))
    seen: dict[tuple, Ref] = {}
    for row in rows:
        sentence = None if pd.isna(row.sentence) else int(row.sentence)
        key = (row.interview, int(row.utterance), sentence)
        if key not in seen:
            seen[key] = _ref(row)
    return sorted(seen.values())


class _Row(NamedTuple):
    """The columns of an events or sentences row that `_ref` reads."""

    interview: str
    utterance: Any
    sentence: Any
    quote: Any
    start: Any


# --------------------------------------------------------------------------- word lists

def lexicon() -> dict[str, Any]:
    """The word lists of `cjm/data/sentiment.yaml` (read by the tag stage, which records what
    they find; here only the limits are read)."""
    return sentiment_lexicon()


# --------------------------------------------------------------------------- the tidy tables

def _sentence_of(tagged: TaggedUtterance, index: int | None) -> str:
    text = tagged.utterance.text
    if index is None or not tagged.sentences or index >= len(tagged.sentences):
        return text.strip()
    start, end = tagged.sentences[index]
    return text[start:end].strip()


def _sorted_journeys(journeys: list[Journey]) -> list[Journey]:
    return sorted(journeys, key=lambda j: j.id)


def _stage_order(codebook) -> dict[str, int]:
    return {stage: i for i, stage in enumerate(codebook.ids(STAGE))}


def events_table(journeys: list[Journey], codebook) -> pd.DataFrame:
    """One row per labelled mention of a respondent utterance; role and channel rows carry the stage
    of the same sentence (else of the utterance), exploded, so roles by stage is a plain groupby."""
    order = _stage_order(codebook)
    kind_order = {STAGE: 0, ROLE: 1, CHANNEL: 2}
    rows: list[dict] = []
    for journey in _sorted_journeys(journeys):
        for tagged in journey.utterances:
            utt = tagged.utterance
            if utt.is_interviewer:
                continue
            mentions = sorted(tagged.mentions, key=lambda m: (m.sentence, m.start, kind_order.get(m.kind, 9), m.label))
            items: list[tuple[str, str, int | None, Any]] = [(m.kind, m.label, m.sentence, m) for m in mentions]
            mentioned = {(m.kind, m.label) for m in mentions}
            for kind in (STAGE, ROLE, CHANNEL):  # labels without a span still count (utterance level)
                for label in tagged.labels(kind):
                    if (kind, label) not in mentioned:
                        items.append((kind, label, None, None))
            utt_stages = sorted(tagged.stages, key=lambda s: order.get(s, 99))
            for kind, label, sentence, mention in items:
                if kind == STAGE:
                    stages = [label]
                else:
                    same = sorted({m.label for m in mentions if m.kind == STAGE and m.sentence == sentence},
                                  key=lambda s: order.get(s, 99)) if sentence is not None else []
                    stages = same or utt_stages or [None]
                for stage in stages:
                    rows.append({
                        "interview": journey.id, "channel": journey.channel, "channel_group": journey.channel_group,
                        "utterance": utt.n, "sentence": sentence, "kind": kind, "label": label, "stage": stage,
                        "role": label if kind == ROLE else None,
                        "channel_label": label if kind == CHANNEL else None,
                        "quote": _sentence_of(tagged, sentence), "speaker": utt.speaker, "start": utt.start,
                        "mention": mention.text if mention else None,
                        "span_start": mention.start if mention else None,
                        "span_end": mention.end if mention else None,
                    })
    frame = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    frame["sentence"] = frame["sentence"].astype("Int64")
    frame["span_start"] = frame["span_start"].astype("Int64")
    frame["span_end"] = frame["span_end"].astype("Int64")
    frame["start"] = frame["start"].astype("Float64")
    return frame.reset_index(drop=True)


def sentences_table(journeys: list[Journey], codebook) -> pd.DataFrame:
    """One row per respondent sentence and stage it speaks of (its own stage mentions, else the
    utterance's stages), with what the tag stage recorded of it: tone, pain, question, stated
    durations. The base of the mood, pains, questions and time lanes."""
    order = _stage_order(codebook)
    max_days = lexicon().get("max_stage_days", 365)
    rows = []
    for journey in _sorted_journeys(journeys):
        cycle_utts = set(journey.cycle_evidence or [])
        for tagged in journey.utterances:
            utt = tagged.utterance
            if utt.is_interviewer:
                continue
            spans = tagged.sentences or [(0, len(utt.text))]
            utt_stages = sorted(tagged.stages, key=lambda s: order.get(s, 99))
            notes = {n.sentence: n for n in tagged.notes}
            for index, (a, b) in enumerate(spans):
                text = utt.text[a:b].strip()
                if not text:
                    continue
                own = sorted({m.label for m in tagged.mentions if m.kind == STAGE and m.sentence == index},
                             key=lambda s: order.get(s, 99))
                stages = own or utt_stages
                if not stages:  # a sentence of no stage makes no row: nothing to count for it
                    continue
                note = notes.get(index)
                roles = sorted({m.label for m in tagged.mentions if m.kind == ROLE and m.sentence == index})
                channels = sorted({m.label for m in tagged.mentions if m.kind == CHANNEL and m.sentence == index})
                days = 0.0 if utt.n in cycle_utts else float(sum(
                    d.days for d in tagged.durations if d.sentence == index and d.days <= max_days))
                for stage in stages:
                    rows.append({
                        "interview": journey.id, "channel_group": journey.channel_group, "utterance": utt.n,
                        "sentence": index if tagged.sentences else None, "stage": stage, "quote": text,
                        "start": utt.start, "own_stage": bool(own),
                        "roles": list(roles), "channels": list(channels),
                        "positive": note.positive if note else 0, "negative": note.negative if note else 0,
                        "tone": note.tone if note else 0, "pain": bool(note and note.pain),
                        "question": bool(note and note.question), "days": days,
                        "advice": tagged.asked == ADVICE_ASKED or "advice" in tagged.cues,
                    })
    columns = ["interview", "channel_group", "utterance", "sentence", "stage", "quote", "start", "own_stage",
               "roles", "channels", "positive", "negative", "tone", "pain", "question", "days", "advice"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["sentence"] = frame["sentence"].astype("Int64")
    return frame


ADVICE_ASKED = "advice"  # TaggedUtterance.asked of an answer to "what would you advise?"


def advice_table(journeys: list[Journey]) -> pd.DataFrame:
    """One row per sentence of advice to the supplier: the answers to "what would you advise?"
    (the tag stage set their mentions apart, so they have no stage) and sentences of advice."""
    rows = []
    for journey in _sorted_journeys(journeys):
        for tagged in journey.utterances:
            utt = tagged.utterance
            if utt.is_interviewer or not (tagged.asked == ADVICE_ASKED or "advice" in tagged.cues):
                continue
            for index, (a, b) in enumerate(tagged.sentences or [(0, len(utt.text))]):
                text = utt.text[a:b].strip()
                if len(text.split()) >= MIN_ADVICE_WORDS:
                    rows.append({"interview": journey.id, "channel_group": journey.channel_group, "utterance": utt.n,
                                 "sentence": index if tagged.sentences else None, "quote": text, "start": utt.start})
    frame = pd.DataFrame(rows, columns=["interview", "channel_group", "utterance", "sentence", "quote", "start"])
    frame["sentence"] = frame["sentence"].astype("Int64")
    return frame


MIN_ADVICE_WORDS = 4  # "Нет, всё хорошо." is no advice


def journey_events_table(journeys: list[Journey], codebook) -> pd.DataFrame:
    """One row per journey event told as happening (negated and hypothetical ones were set apart by
    the tag stage and are not here). An action sits at its codebook stage ("signed" is bought
    wherever it is told); a touchpoint at the stage its utterance tells, else at its own."""
    order = _stage_order(codebook)
    labels = {label.id: label for label in codebook.events}
    rows = []
    for journey in _sorted_journeys(journeys):
        for tagged in journey.utterances:
            if tagged.utterance.is_interviewer:
                continue
            utt_stages = sorted(tagged.stages, key=lambda s: order.get(s, 99))
            for m in tagged.events:
                label = labels.get(m.label)
                if label is None:
                    continue
                stage = label.stage if label.lane == "action" or not utt_stages else utt_stages[0]
                rows.append({"interview": journey.id, "channel_group": journey.channel_group,
                             "utterance": tagged.n, "sentence": m.sentence, "event": m.label, "lane": label.lane,
                             "stage": stage, "text": m.text, "quote": _sentence_of(tagged, m.sentence),
                             "start": tagged.utterance.start})
    columns = ["interview", "channel_group", "utterance", "sentence", "event", "lane", "stage", "text", "quote",
               "start"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["sentence"] = frame["sentence"].astype("Int64")
    return frame


# --------------------------------------------------------------------------- per interview

def stage_path(journey: Journey, codebook) -> list[str]:
    """The journey's ordered stages with back-steps (derived by `cjm.journey` when not set)."""
    if journey.stage_path:
        return list(journey.stage_path)
    respondent = [t for t in journey.utterances if not t.utterance.is_interviewer]
    if not any(t.stages for t in respondent):  # no stage told: no path (and no need to load the tag stage)
        return []
    from .journey import stage_path as journey_stage_path  # here: cjm.journey loads spaCy (the tag stage's modules)

    return journey_stage_path(respondent, codebook.ids(STAGE))


def furthest(journey: Journey, codebook) -> str | None:
    if journey.furthest_stage:
        return journey.furthest_stage
    order = _stage_order(codebook)
    path = stage_path(journey, codebook)
    return max(path, key=lambda s: order.get(s, -1)) if path else None


_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y", "%Y/%m/%d", "%d %B %Y", "%B %d, %Y", "%b %d, %Y",
                 "%d %b %Y")


def iso_date(value: Any) -> str | None:
    """A metadata date as ISO text (YAML gives dates or strings in any local format), else None."""
    import datetime as dt

    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    text = str(value or "").strip()
    if not text:  # no date (most interviews): nine failed parses would cost 0.14 s per thousand
        return None
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).strftime("%Y-%m-%d")
        except ValueError:
            continue
    return None


def interviews_table(journeys: list[Journey], codebook) -> pd.DataFrame:
    """One row per interview: the derived fields the overview and the comparison count."""
    rows = []
    for journey in _sorted_journeys(journeys):
        path = journey_path(stage_path(journey, codebook), codebook.ids(STAGE)[-1])
        far = furthest(journey, codebook)
        meta = journey.transcript.metadata or {}
        date = meta.get("date")
        rows.append({
            "interview": journey.id, "language": journey.transcript.language, "channel": journey.channel,
            "channel_group": journey.channel_group, "channel_source": journey.channel_source,
            "furthest_stage": far, "bought": codebook.reached_purchase(far), "first_contact_role": journey.first_contact_role,
            "roles": list(journey.roles), "cycle_days": journey.cycle_days, "steps": len(path),
            "back_steps": sum(1 for a, b in zip(path, path[1:])
                              if codebook.stage_index(b) < codebook.stage_index(a)) if path else 0,
            "path": path, "date": iso_date(date), "source": journey.transcript.source,
            "utterances": len(journey.utterances), "notes": list(journey.transcript.notes),
        })
    columns = ["interview", "language", "channel", "channel_group", "channel_source", "furthest_stage", "bought",
               "first_contact_role", "roles", "cycle_days", "steps", "back_steps", "path", "date", "source",
               "utterances", "notes"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["cycle_days"] = frame["cycle_days"].astype("Float64")
    frame["bought"] = frame["bought"].astype(bool)  # an empty frame would otherwise index by columns
    frame["steps"] = frame["steps"].astype(int)
    return frame


def journey_path(path: list[str], final: str = BOUGHT) -> list[str]:
    """The path up to the first arrival at the final stage (`bought` in the default codebook):
    what follows (use, reorders, after-sales talk) is that stage by the contract, not a step of the
    journey. (The hourglass's final stage is the referral, so its map goes on past the purchase.)"""
    return path[:path.index(final) + 1] if final in path else list(path)


BACK = "back"


def flow_links(path: list[str], bought: bool, furthest_stage: str | None, codebook) -> list[tuple[str, str, str]]:
    """The Sankey links of one journey as (source, target, kind). The main flow is the journey's
    progress (each new furthest stage; a skipped stage is a long link), so the chart reads left to
    right; a back-step is drawn as a link from the stage where it happened to a `back:<stage>` node,
    and a journey that did not buy ends in a `stalled:<furthest stage>` sink. Nothing is dropped."""
    order = _stage_order(codebook)
    path = journey_path(path, codebook.ids(STAGE)[-1])
    links: list[tuple[str, str, str]] = []
    high: str | None = None
    for previous, stage in zip([None] + path, path):
        if high is None or order.get(stage, -1) > order.get(high, -1):
            if high is not None:
                skip = order.get(stage, 0) > order.get(high, 0) + 1
                links.append((high, stage, "skip" if skip else "forward"))
            high = stage
        elif previous is not None and order.get(stage, -1) < order.get(previous, -1):
            link = (previous, f"{BACK}:{stage}", BACK)
            if link not in links:
                links.append(link)
    if path and not bought:
        links.append((furthest_stage or high or path[-1], f"{STALLED}:{furthest_stage or high}", "stall"))
    return links


# --------------------------------------------------------------------------- per group

@dataclass
class Item:
    """A counted thing in a map cell (an action, a touchpoint, a role) with its evidence."""

    key: str
    text: str
    interviews: int
    refs: list[Ref]


@dataclass
class Cell:
    """One stage column of one group's journey map: the lanes of the classic CJM grid."""

    stage: str
    interviews: int  # interviews that speak of this stage
    refs: list[Ref]
    actions: list[Item]
    touchpoints: list[Item]  # key "channel:<id>" or "event:<id>"
    roles: list[Item]
    questions: list[Ref]
    pains: list[Ref]  # pains and objections (never a sentence of positive tone)
    pains_n: int  # interviews that tell one here
    praise: list[Ref]  # sentences of positive tone
    mood: float | None  # -1 .. 1, mean sentence tone; None under MIN_MOOD_SENTENCES toned sentences
    mood_n: int  # sentences with a tone
    mood_refs: list[Ref]
    days_median: float | None
    days_n: int  # interviews that state a duration here
    days_refs: list[Ref]
    quotes: list[Ref]


@dataclass
class GroupTables:
    """The tables of one channel group (or "all")."""

    group: str
    interviews: list[str]
    transitions: pd.DataFrame  # source, target, kind, steps, count (interviews), interviews
    flows: pd.DataFrame  # the Sankey: source, target, kind, count, interviews
    funnel: pd.DataFrame  # stage, reached, stalled_here, n
    roles_by_stage: pd.DataFrame  # stage, role, interviews
    first_contact: pd.DataFrame  # role, interviews, share
    cycle_days: pd.DataFrame  # interview, cycle_days
    steps: pd.DataFrame  # interview, steps, back_steps
    cells: list[Cell]
    dmu: pd.DataFrame  # role, interviews, first, median_order, entry_stage, approves, pays, refs

    @property
    def n(self) -> int:
        return len(self.interviews)


def _items(counter: dict[str, set], texts: dict[str, Counter], refs: dict[str, list[Ref]], limit: int) -> list[Item]:
    ranked = sorted(counter, key=lambda k: (-len(counter[k]), k))[:limit]
    return [Item(key=k, text=texts[k].most_common(1)[0][0] if texts.get(k) else k, interviews=len(counter[k]),
                 refs=sorted(set(refs[k]))) for k in ranked]


def _pick_quotes(rows: pd.DataFrame, limit: int = 3) -> list[Ref]:
    """Representative sentences: a sentence that itself names the stage, of readable length, with a
    role or channel, one per interview first; ties broken by position so the choice is stable."""
    if rows.empty:
        return []
    scored = []
    for row in rows.itertuples(index=False):
        length = len(row.quote)
        score = 2 * bool(row.own_stage) + bool(row.roles or row.channels) + (40 <= length <= 220) + (length >= 25)
        scored.append((-score, row.interview, row.utterance, -1 if pd.isna(row.sentence) else row.sentence, row))
    scored.sort(key=lambda t: t[:4])
    chosen, seen_interviews, seen_keys = [], set(), set()
    for pass_ in (0, 1):
        for *_, row in scored:
            key = (row.interview, row.utterance, row.sentence)
            if key in seen_keys or (pass_ == 0 and row.interview in seen_interviews):
                continue
            chosen.append(row)
            seen_keys.add(key)
            seen_interviews.add(row.interview)
            if len(chosen) == limit:
                break
        if len(chosen) == limit:
            break
    return _refs(chosen)


MIN_MOOD_SENTENCES = 3  # under this many toned sentences a stage's mood is "not enough evidence"


def _cells(events: pd.DataFrame, sentences: pd.DataFrame, journey_events: pd.DataFrame, cycles: dict[str, float],
           codebook, limit: int = 5) -> list[Cell]:
    """The map's columns: per stage, the journey events (what the client did, where they met the
    supplier) counted per interview, the roles, pains, questions, mood and time spent."""
    cells = []
    first_stage = codebook.ids(STAGE)[0]
    for stage in codebook.ids(STAGE):
        ev = events[events["stage"] == stage]
        se = sentences[sentences["stage"] == stage]
        je = journey_events[journey_events["stage"] == stage]

        def counted(rows: pd.DataFrame, key_of) -> list[Item]:
            counter: dict[str, set] = defaultdict(set)
            refs: dict[str, list[Ref]] = defaultdict(list)
            for row in rows.itertuples(index=False):
                key = key_of(row)
                counter[key].add(row.interview)
                refs[key].append(_ref(row))
            return _items(counter, {}, refs, limit)

        actions = counted(je[je["lane"] == "action"], lambda r: r.event)
        touch_rows = je[je["lane"] == "touchpoint"]
        touch_items = counted(ev[ev["kind"] == CHANNEL], lambda r: f"channel:{r.label}") + \
            counted(touch_rows, lambda r: f"event:{r.event}")
        touch_items = sorted(touch_items, key=lambda i: (-i.interviews, i.key))[:limit]
        r_counter: dict[str, set] = defaultdict(set)
        r_refs: dict[str, list[Ref]] = defaultdict(list)
        for row in ev[ev["kind"] == ROLE].itertuples(index=False):
            r_counter[row.label].add(row.interview)
            r_refs[row.label].append(_ref(row))
        role_order = {r: i for i, r in enumerate(codebook.ids(ROLE))}
        role_items = sorted(_items(r_counter, {}, r_refs, 99), key=lambda i: (-i.interviews, role_order.get(i.key, 99)))
        # mood: the mean tone (-1, 0, +1) of the sentences that have one
        toned = se[se["tone"] != 0] if not se.empty else se
        scores = [int(v) for v in toned["tone"]] if not toned.empty else []
        # time spent: per interview, the durations its sentences of this stage state about a step;
        # none before contact (life with the old supplier), none longer than the interview's cycle
        timed = se[(se["days"] > 0)] if stage != first_stage and not se.empty else se.iloc[0:0]
        per_interview = timed.groupby("interview")["days"].sum() if not timed.empty else pd.Series(dtype=float)
        kept = [i for i, d in per_interview.items() if cycles.get(i) is None or d <= cycles[i]]
        per_interview = per_interview[per_interview.index.isin(kept)]
        timed = timed[timed["interview"].isin(kept)]
        pains = se[se["pain"]] if not se.empty else se
        praise = se[se["tone"] > 0] if not se.empty else se
        cells.append(Cell(
            stage=stage, interviews=int(pd.concat([ev["interview"], se["interview"], je["interview"]]).nunique()),
            refs=_refs(se) if not se.empty else _refs(ev),
            actions=actions, touchpoints=touch_items, roles=role_items,
            questions=_refs(se[se["question"]])[:limit] if not se.empty else [],
            pains=_refs(pains)[:limit], pains_n=int(pains["interview"].nunique()) if not pains.empty else 0,
            praise=_refs(praise)[:limit],
            mood=round(statistics.fmean(scores), 2) if len(scores) >= MIN_MOOD_SENTENCES else None,
            mood_n=len(scores), mood_refs=_refs(toned),
            days_median=float(per_interview.median()) if len(per_interview) else None,
            days_n=int(len(per_interview)), days_refs=_refs(timed),
            quotes=_pick_quotes(se),
        ))
    return cells


def _transitions(frame: pd.DataFrame, codebook) -> pd.DataFrame:
    """Every stage-to-stage step of the paths (back-steps included), with the stall at the end:
    `steps` counts steps, `count` the interviews that made them."""
    order = _stage_order(codebook)
    steps: Counter = Counter()
    ids: dict[tuple[str, str], set] = defaultdict(set)
    for row in frame.itertuples(index=False):
        path = list(row.path)
        pairs = list(zip(path, path[1:]))
        if path and not row.bought:
            far = row.furthest_stage if isinstance(row.furthest_stage, str) else path[-1]
            pairs.append((path[-1], f"{STALLED}:{far}"))
        for pair in pairs:
            steps[pair] += 1
            ids[pair].add(row.interview)

    def kind(a: str, b: str) -> str:
        if b.startswith(STALLED + ":"):
            return "stall"
        ia, ib = order.get(a, 0), order.get(b, 0)
        return BACK if ib < ia else ("skip" if ib > ia + 1 else ("forward" if ib > ia else "stay"))

    rows = [{"source": a, "target": b, "kind": kind(a, b), "steps": steps[(a, b)], "count": len(ids[(a, b)]),
             "interviews": sorted(ids[(a, b)])} for (a, b) in steps]
    columns = ["source", "target", "kind", "steps", "count", "interviews"]
    out = pd.DataFrame(rows, columns=columns)
    if out.empty:
        return out
    out["_a"] = out["source"].map(lambda k: order.get(k, 99))
    out["_b"] = out["target"].map(lambda k: order.get(k.split(":")[-1], 99) + (0.5 if ":" in k else 0))
    return out.sort_values(["_a", "_b"]).drop(columns=["_a", "_b"]).reset_index(drop=True)


def _flows(frame: pd.DataFrame, codebook) -> pd.DataFrame:
    """The Sankey's links (see `flow_links`), counted in interviews."""
    ids: dict[tuple[str, str, str], set] = defaultdict(set)
    for row in frame.itertuples(index=False):
        far = row.furthest_stage if isinstance(row.furthest_stage, str) else None
        for link in flow_links(list(row.path), bool(row.bought), far, codebook):
            ids[link].add(row.interview)
    rows = [{"source": a, "target": b, "kind": k, "count": len(v), "interviews": sorted(v)}
            for (a, b, k), v in sorted(ids.items())]
    return pd.DataFrame(rows, columns=["source", "target", "kind", "count", "interviews"])


def _funnel(frame: pd.DataFrame, codebook) -> pd.DataFrame:
    order = _stage_order(codebook)
    rows = []
    for stage in codebook.ids(STAGE):
        reached = frame[frame["furthest_stage"].map(lambda s: order.get(s, -1) >= order[stage])]
        stalled = frame[(frame["furthest_stage"] == stage) & ~frame["bought"]]
        rows.append({"stage": stage, "reached": len(reached), "reached_ids": sorted(reached["interview"]),
                     "stalled_here": len(stalled), "stalled_ids": sorted(stalled["interview"]), "n": len(frame)})
    return pd.DataFrame(rows)


def _dmu(events: pd.DataFrame, codebook) -> pd.DataFrame:
    """Who enters the journey in which order: first appearance of each role per interview."""
    roles = events[events["kind"] == ROLE].sort_values(["interview", "utterance", "sentence", "span_start"],
                                                       na_position="last", kind="stable")
    order = _stage_order(codebook)
    entries: dict[str, list[tuple[int, str | None, Ref]]] = defaultdict(list)
    at_stage: dict[tuple[str, str], set] = defaultdict(set)
    for interview, group in roles.groupby("interview", sort=True):
        seen: list[str] = []
        for row in group.itertuples(index=False):
            if isinstance(row.stage, str):
                at_stage[(row.label, row.stage)].add(interview)
            if row.label in seen:
                continue
            seen.append(row.label)
            entries[row.label].append((len(seen), row.stage if isinstance(row.stage, str) else None, _ref(row)))
    rows = []
    for role in codebook.ids(ROLE):
        if role not in entries:
            continue
        ranks = [rank for rank, _, _ in entries[role]]
        stages = [s for _, s, _ in entries[role] if s]
        entry_stage = min(Counter(stages).most_common(), key=lambda kv: (-kv[1], order.get(kv[0], 99)))[0] if stages else None
        rows.append({"role": role, "interviews": len(ranks), "first": sum(1 for r in ranks if r == 1),
                     "median_order": float(statistics.median(ranks)), "entry_stage": entry_stage,
                     "approves": len(at_stage.get((role, codebook.stage_playing("decision")), set())),
                     "pays": len(at_stage.get((role, codebook.stage_playing("purchase")), set())),
                     "refs": sorted(ref for _, _, ref in entries[role])})
    frame = pd.DataFrame(rows, columns=["role", "interviews", "first", "median_order", "entry_stage", "approves",
                                        "pays", "refs"])
    return frame.sort_values(["median_order", "role"], kind="stable").reset_index(drop=True)


def transitions_table(interviews: pd.DataFrame, codebook) -> pd.DataFrame:
    """Every stage-to-stage step of the interviews' paths, stalls included (an `interviews_table`
    in): the hand-off's transitions sheet and the event log's check read the report's own counts."""
    return _transitions(interviews, codebook)


def roles_table(events: pd.DataFrame, codebook) -> pd.DataFrame:
    """The decision-making unit of the interviews in an `events_table`: who enters in which order."""
    return _dmu(events, codebook)


def group_tables(group: str, interviews: pd.DataFrame, events: pd.DataFrame, sentences: pd.DataFrame,
                 codebook, journey_events: pd.DataFrame | None = None) -> GroupTables:
    ids = sorted(interviews["interview"])
    ev = events[events["interview"].isin(ids)]
    se = sentences[sentences["interview"].isin(ids)]
    if journey_events is None:
        journey_events = journey_events_table([], codebook)
    je = journey_events[journey_events["interview"].isin(ids)]
    cycles = {row.interview: float(row.cycle_days) for row in interviews.itertuples(index=False)
              if not pd.isna(row.cycle_days)}
    roles_stage = (ev[(ev["kind"] == ROLE) & ev["stage"].notna()].groupby(["stage", "role"])["interview"]
                   .nunique().rename("interviews").reset_index())
    fc = interviews["first_contact_role"].fillna("unknown").value_counts()
    first_contact = pd.DataFrame({"role": fc.index, "interviews": fc.values})
    first_contact["share"] = first_contact["interviews"] / max(len(ids), 1)
    first_contact = first_contact.sort_values(["interviews", "role"], ascending=[False, True]).reset_index(drop=True)
    return GroupTables(
        group=group, interviews=ids, transitions=_transitions(interviews, codebook),
        flows=_flows(interviews, codebook),
        funnel=_funnel(interviews, codebook), roles_by_stage=roles_stage, first_contact=first_contact,
        cycle_days=interviews.loc[interviews["cycle_days"].notna(), ["interview", "cycle_days"]].reset_index(drop=True),
        steps=interviews[["interview", "steps", "back_steps"]].reset_index(drop=True),
        cells=_cells(ev, se, je, cycles, codebook), dmu=_dmu(ev, codebook))


# --------------------------------------------------------------------------- comparison

class Tested:
    """A difference with its test's p value: "within noise" where no test could be run or p >= NOISE_P."""

    p: float | None

    @property
    def noise(self) -> bool:
        return self.p is None or self.p >= NOISE_P


@dataclass
class Share(Tested):
    """k of n on each side, with Fisher's exact p."""

    key: str
    a_k: int
    a_n: int
    b_k: int
    b_n: int
    p: float | None
    a_ids: list[str] = field(default_factory=list)
    b_ids: list[str] = field(default_factory=list)


@dataclass
class Spread(Tested):
    """A numeric field (days, steps) on both sides: median, quartiles, n, Mann-Whitney p."""

    key: str
    a: list[float]
    b: list[float]
    p: float | None
    a_ids: list[str] = field(default_factory=list)
    b_ids: list[str] = field(default_factory=list)

    @staticmethod
    def describe(values: list[float]) -> dict[str, float | None]:
        if not values:
            return {"median": None, "q1": None, "q3": None, "min": None, "max": None}
        s = pd.Series(values, dtype=float)
        return {"median": float(s.median()), "q1": float(s.quantile(0.25)), "q3": float(s.quantile(0.75)),
                "min": float(s.min()), "max": float(s.max())}


@dataclass
class Comparison:
    """Two groups or channels side by side, each difference with its test."""

    a: str
    b: str
    a_kind: str  # group | channel
    b_kind: str
    a_ids: list[str]
    b_ids: list[str]
    conversion: Share
    first_contact: list[Share]
    roles_by_stage: dict[str, pd.DataFrame]  # side -> stage x role share of interviews
    cycle_days: Spread
    steps: Spread


def fisher(a_k: int, a_n: int, b_k: int, b_n: int) -> float | None:
    """Fisher's exact test for two shares; None when a side is empty."""
    if a_n == 0 or b_n == 0:
        return None
    return fisher_exact_p(a_k, a_n, b_k, b_n)


def mann_whitney(a: list[float], b: list[float]) -> float | None:
    """Two-sided Mann-Whitney U; None with fewer than two values on a side (nothing to test)."""
    if len(a) < 2 or len(b) < 2:
        return None
    return mann_whitney_p(a, b)


def _select(interviews: pd.DataFrame, key: str, codebook) -> tuple[pd.DataFrame, str]:
    if key in codebook.ids("group"):
        return interviews[interviews["channel_group"] == key], "group"
    if key in codebook.ids(CHANNEL):
        return interviews[interviews["channel"] == key], "channel"
    return interviews.iloc[0:0], "unknown"


def check_compare_keys(codebook, keys: Iterable[str]) -> None:
    """Every key of `--compare` is a channel group or a channel id of the codebook; else a
    `UsageError` that lists the valid ones (comparing against "foo, n = 0" tells nothing)."""
    valid = codebook.ids("group") + [c for c in codebook.ids(CHANNEL) if c not in codebook.ids("group")]
    unknown = [k for k in keys if k not in valid]
    if unknown:
        raise UsageError(f"--compare: unknown group or channel {', '.join(map(repr, unknown))}",
                         hint="valid: " + ", ".join(valid))


def compare(interviews: pd.DataFrame, events: pd.DataFrame, codebook, a: str, b: str) -> Comparison:
    """Side-by-side numbers for two groups or channels, each with n and a test (`cjm.significance`)."""
    check_compare_keys(codebook, (a, b))
    side_a, kind_a = _select(interviews, a, codebook)
    side_b, kind_b = _select(interviews, b, codebook)
    ids_a, ids_b = sorted(side_a["interview"]), sorted(side_b["interview"])

    def share(key: str, mask_a: pd.Series, mask_b: pd.Series) -> Share:
        ka, kb = int(mask_a.sum()), int(mask_b.sum())
        args = (ka, len(side_a), kb, len(side_b))
        return Share(key, ka, len(side_a), kb, len(side_b), fisher(*args),
                     sorted(side_a.loc[mask_a, "interview"]), sorted(side_b.loc[mask_b, "interview"]))

    conversion = share(BOUGHT, side_a["bought"].astype(bool), side_b["bought"].astype(bool))
    roles = [r for r in codebook.ids(ROLE)
             if r in set(side_a["first_contact_role"]) | set(side_b["first_contact_role"])]
    first_contact = [share(r, side_a["first_contact_role"] == r, side_b["first_contact_role"] == r) for r in roles]
    by_stage = {}
    for name, ids in (("a", ids_a), ("b", ids_b)):
        ev = events[(events["kind"] == ROLE) & events["interview"].isin(ids) & events["stage"].notna()]
        counts = ev.groupby(["stage", "role"])["interview"].nunique()
        table = pd.DataFrame(0.0, index=codebook.ids(STAGE), columns=codebook.ids(ROLE))
        for (stage, role), k in counts.items():
            if stage in table.index and role in table.columns:
                table.loc[stage, role] = k / len(ids) if ids else 0.0
        by_stage[name] = table

    def spread(column: str) -> Spread:
        va = side_a[side_a[column].notna()]
        vb = side_b[side_b[column].notna()]
        a_vals, b_vals = [float(v) for v in va[column]], [float(v) for v in vb[column]]
        p = mann_whitney(a_vals, b_vals)
        return Spread(column, a_vals, b_vals, p,
                      sorted(va["interview"]), sorted(vb["interview"]))

    return Comparison(a=a, b=b, a_kind=kind_a, b_kind=kind_b, a_ids=ids_a, b_ids=ids_b, conversion=conversion,
                      first_contact=first_contact, roles_by_stage=by_stage,
                      cycle_days=spread("cycle_days"), steps=spread("steps"))


# --------------------------------------------------------------------------- everything

@dataclass
class Tables:
    """All tables of a run: the tidy events, one row per interview, per-group tables, the comparison."""

    events: pd.DataFrame
    sentences: pd.DataFrame
    interviews: pd.DataFrame
    groups: dict[str, GroupTables]  # channel group id -> tables, in codebook order; "" = no channel
    comparison: Comparison | None
    journey_events: pd.DataFrame | None = None  # typed events told as happening (see journey_events_table)
    advice: pd.DataFrame | None = None  # sentences of advice to the supplier (see advice_table)


def build_tables(journeys: list[Journey], codebook, *,
                 compare_keys: tuple[str, str] | None = ("cold_inbound", "referral"),
                 pieces: Pieces | None = None) -> Tables:
    """Every table the report shows, built once from the journeys. With `pieces` (see
    `cjm.cache.Pieces`) a group's tables, which count that group's journeys alone, come from the
    cache where the same journeys made them before."""
    events = events_table(journeys, codebook)
    sentences = sentences_table(journeys, codebook)
    interviews = interviews_table(journeys, codebook)
    journey_events = journey_events_table(journeys, codebook)
    groups: dict[str, GroupTables] = {}
    known = codebook.ids("group")
    present = list(dict.fromkeys(interviews["channel_group"].fillna("")))
    for group in [g for g in known if g in present] + sorted(g for g in present if g not in known):
        subset = interviews[interviews["channel_group"].fillna("") == group]

        def make(group: str = group, subset: pd.DataFrame = subset) -> GroupTables:
            return group_tables(group, subset, events, sentences, codebook, journey_events)

        groups[group] = make() if pieces is None else pieces.made("group-tables", list(subset["interview"]),
                                                                  {"group": group}, make, GroupTables)
    comparison = compare(interviews, events, codebook, *compare_keys) if compare_keys else None
    return Tables(events=events, sentences=sentences, interviews=interviews, groups=groups, comparison=comparison,
                  journey_events=journey_events, advice=advice_table(journeys))
