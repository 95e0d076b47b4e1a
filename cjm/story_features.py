"""Story features: what the stage model reads of the question an answer replies to and of what
the answer tells as happened (`features.stage_features` adds them to each utterance's row).

The codebook's stage phrases say which words name a stage; an interview tells its stages through
its questions and its events as much: "How did the trial go?" — "Really well, I used it every
day" is `motivated` without a stage word in the answer, "Did you pay for the trial?" — "Not their
fee, no" is no purchase. Per respondent utterance:
  question   the stage the question before it asks about (every stage, `story.yaml` questions),
             its kind (when, who, why, next, others, recap, yes/no), the last stage asked about
             and how many questions ago, the stage the next question asks about
  reply      a terse yes or no, with the stage its question asked about
  event      the deal's steps told in it (first contact, comparison, meeting, price, trial,
             decision, contract, payment, delivery), each as done, planned or told now, and
             whose: another supplier's story, the supplier's side, the client's "we"
  structure  the turn's place in its answer, its sentences, the question's length
  progress   the furthest and last step told so far, the steps of the turns beside it
  qcross     the question's stage crossed with the answer's rules' verdict, phrases, tense, length
`GROUPS` says which are in use (question, reply, structure: the others were measured and gave
nothing). The vocabulary is data (`cjm/data/story.yaml`); nothing here decides a label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from spacy.tokens import Doc, Span

from .evidence import FIRST_PERSON, InterviewEvidence
from .model import TaggedUtterance
from .nlp import norm_word as norm
from .nlp import past_between, word_count, word_summary
from .rules import lemma_of
from .safeyaml import load_shipped

ALL_GROUPS: frozenset[str] = frozenset({"question", "reply", "event", "structure", "progress", "qcross"})
# The groups in use. By 5-fold CV on the training interviews (eval/cv-log.md) the question carries
# the gain, structure and reply add a little; events, progress and the question × answer crosses
# added nothing (they stay for eval/tools/stage_screen.py to compare).
GROUPS: frozenset[str] = frozenset({"question", "reply", "structure"})
TERSE_WORDS = 8  # a reply this short says little by itself: the question tells what it is about
TOPIC_AGE = 3  # questions back: the last stage asked about counts this long
WE = {"ru": ("мы", "нас", "нам", "наш", "наша", "наши", "наше"), "en": ("we", "us", "our", "we've", "we'd", "we're")}


@dataclass(frozen=True)
class Cue:
    """One phrase of `story.yaml`: every word slot must occur in the text read (a question, a
    sentence), in any order; a slot is a set of words (forms or lemmas) and of stems ("тест*")."""

    family: str  # q | kind | event | plan | other
    name: str
    slots: tuple[tuple[frozenset[str], tuple[str, ...]], ...]


@dataclass(frozen=True)
class StoryRules:
    """`story.yaml` for one language: its cues indexed by a word of their first slot, the word lists."""

    by_word: dict[str, tuple[Cue, ...]]
    by_stem: dict[str, tuple[Cue, ...]]
    stem_lengths: tuple[int, ...]
    event_stage: dict[str, str]
    question_words: frozenset[str]
    yes: frozenset[str]
    no: frozenset[str]
    supplier: frozenset[str]
    # what was worked out once per word and per question text (see cues_opened_by, question_cues)
    memo_opened: dict[str, tuple[Cue, ...]] = field(default_factory=dict, compare=False, repr=False)
    memo_asked: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict, compare=False,
                                                                          repr=False)


@lru_cache(maxsize=1)
def story_data() -> dict:
    """`cjm/data/story.yaml`, read once through the safe loader."""
    return load_shipped("story.yaml")


def compile_cue(family: str, name: str, phrase: str, lang: str) -> Cue:
    """A phrase -> its word slots; Russian words also match by lemma, as the codebook's do."""
    slots = []
    for item in str(phrase).split():
        alternatives = [norm(a).lstrip("=") for a in item.strip(".,;:").split("|") if a.strip("=")]
        if not alternatives or item == "...":
            continue
        words = {a for a in alternatives if not a.endswith("*")}
        if lang == "ru":
            words |= {norm(lemma_of(w, lang)) for w in words}
        slots.append((frozenset(words), tuple(a[:-1] for a in alternatives if a.endswith("*"))))
    if not slots:
        raise ValueError(f"story.yaml: the phrase {phrase!r} has no word")
    return Cue(family, name, tuple(slots))


@lru_cache(maxsize=4)
def story_rules(lang: str) -> StoryRules:
    """Compile the story cues of one language (once per process)."""
    data = story_data()
    cues: list[Cue] = []

    def add(family: str, name: str, phrases: list | None) -> None:
        cues.extend(compile_cue(family, name, p, lang) for p in phrases or [])

    for stage, by_lang in (data.get("questions") or {}).items():
        add("q", stage, by_lang.get(lang))
    for kind, by_lang in (data.get("question_kinds") or {}).items():
        add("kind", kind, by_lang.get(lang))
    for event, spec in (data.get("events") or {}).items():
        add("event", event, spec.get(lang))
    add("plan", "plan", (data.get("plans") or {}).get(lang))
    add("other", "other", ((data.get("actors") or {}).get("other") or {}).get(lang))
    by_word: dict[str, list[Cue]] = {}
    by_stem: dict[str, list[Cue]] = {}
    for cue in cues:
        words, stems = cue.slots[0]
        for w in words:
            by_word.setdefault(w, []).append(cue)
        for stem in stems:
            by_stem.setdefault(stem, []).append(cue)

    def words(*path: str) -> frozenset[str]:
        node = data
        for step in path:
            node = (node or {}).get(step) or {}
        return frozenset(norm(str(w)) for w in node.get(lang) or []) if isinstance(node, dict) else frozenset()

    return StoryRules({w: tuple(c) for w, c in by_word.items()}, {s: tuple(c) for s, c in by_stem.items()},
                      tuple(sorted({len(s) for s in by_stem})),
                      {e: str(s.get("stage")) for e, s in (data.get("events") or {}).items()},
                      words("question_words"), words("replies", "yes"), words("replies", "no"),
                      words("actors", "supplier"))


def positions(tokens: Doc | Span) -> dict[str, list[int]]:
    """Each form and lemma of the tokens -> where it stands (token index in the doc): read off the
    keys the parse kept (`WordSummary.keys`), not off the tokens again."""
    doc = tokens if isinstance(tokens, Doc) else tokens.doc
    start, end = (0, len(doc)) if tokens is doc else (tokens.start, tokens.end)
    found: dict[str, list[int]] = {}
    for i, keys in enumerate(word_summary(doc).keys[start:end], start):
        for key in keys:
            found.setdefault(key, []).append(i)
    return found


def slot_at(slot: tuple[frozenset[str], tuple[str, ...]], where: dict[str, list[int]]) -> list[int]:
    words, stems = slot
    out = [i for w in words if w in where for i in where[w]]
    if stems:
        out += [i for key, at in where.items() if key.startswith(stems) for i in at]
    return out


KEY_MEMO_SIZE = 100_000
QUESTION_FAMILIES = frozenset({"q", "kind"})  # what a question is read for


def cues_opened_by(rules: StoryRules, key: str) -> tuple[Cue, ...]:
    """The cues whose first slot a word (form or lemma) fills: by the word itself or by a stem.
    Remembered per word: speech repeats its words, and the stems are looked up at every length."""
    memo = rules.memo_opened
    found = memo.get(key)
    if found is None:
        if len(memo) >= KEY_MEMO_SIZE:
            memo.clear()
        opened = list(rules.by_word.get(key, ()))
        for n in rules.stem_lengths:
            if len(key) >= n:
                opened += rules.by_stem.get(key[:n], ())
        found = memo[key] = tuple(opened)
    return found


def matched(rules: StoryRules, tokens, families: frozenset[str] | None = None) -> list[tuple[Cue, int]]:
    """The cues (of `families`, or all) whose every slot occurs among the tokens, each with where
    its first slot stands."""
    where = positions(tokens)
    candidates: dict[int, Cue] = {}
    memo = rules.memo_opened
    for key in where:
        opened = memo.get(key)
        for cue in cues_opened_by(rules, key) if opened is None else opened:
            if families is None or cue.family in families:
                candidates[id(cue)] = cue
    out = []
    for cue in candidates.values():
        first = slot_at(cue.slots[0], where)
        if first and all(slot_at(slot, where) for slot in cue.slots[1:]):
            out.append((cue, min(first)))
    return out


FIRST_WORD = re.compile(r"[\w'-]+")


def first_word(text: str) -> str:
    found = FIRST_WORD.search(text.lower())
    return found.group() if found else ""


def question_cues(rules: StoryRules, text: str, doc: Doc | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The stages a question asks about and its kinds (yes/no: a question sentence without a
    question word), each in sorted order, as the features made from them must be (`features.stage_rows`).
    `doc` is the parse of `text`: what it holds is remembered per text, since an interview guide
    repeats its questions (and `doc.text` would walk every token again)."""
    if doc is None:
        return (), ()
    memo = rules.memo_asked
    known = memo.get(text)
    if known is None:
        if len(memo) >= KEY_MEMO_SIZE:
            memo.clear()
        known = memo[text] = asked_in(rules, text, doc)
    return known


def cue_names(rules: StoryRules, doc: Doc, families: frozenset[str]) -> set[tuple[str, str]]:
    """(family, name) of each cue of `families` whose every slot occurs in the doc: what `matched`
    finds, without where (a question is read for what it asks, not for where it says it)."""
    keys = set().union(*word_summary(doc).keys)
    found: set[tuple[str, str]] = set()
    memo = rules.memo_opened
    for key in keys:
        opened = memo.get(key)  # `cues_opened_by`, its memo read here: most words open no cue
        for cue in cues_opened_by(rules, key) if opened is None else opened:  # the first slot holds `key`
            if cue.family in families and (cue.family, cue.name) not in found and \
                    all(slot_filled(slot, keys) for slot in cue.slots[1:]):
                found.add((cue.family, cue.name))
    return found


def slot_filled(slot: tuple[frozenset[str], tuple[str, ...]], keys: set[str]) -> bool:
    words, stems = slot
    return not words.isdisjoint(keys) or bool(stems) and any(key.startswith(stems) for key in keys)


def asked_in(rules: StoryRules, text: str, doc: Doc) -> tuple[tuple[str, ...], tuple[str, ...]]:
    found = cue_names(rules, doc, QUESTION_FAMILIES)
    stages = {name for family, name in found if family == "q"}
    kinds = {name for family, name in found if family == "kind"}
    sents = list(doc.sents)
    asking = [s for s in sents if text[s.start_char:s.end_char].rstrip().endswith("?")] or sents[-1:]
    lowered = word_summary(doc).match_keys  # per token (lemma, lower case, norm): no Token made
    if asking and not any(norm(lowered[i][1]) in rules.question_words for i in range(asking[-1].start, asking[-1].end)):
        kinds.add("yesno")
    return tuple(sorted(stages)), tuple(sorted(kinds))


def sentence_events(rules: StoryRules, doc: Doc, lang: str) -> list[tuple[str, str, str]]:
    """(event, how told, who) for each event phrase: done (a past verb near it), plan or now;
    another supplier's (in its sentence), the supplier side's ("they", "your") or ours ("we", the
    nearest before it), or unsaid. Read in a window around the phrase: one sentence often holds
    two steps by two sides ("we ran a trial and they installed it")."""
    out = []
    me = set(FIRST_PERSON.get(lang, ())) | set(WE.get(lang, ()))
    for sent in doc.sents:
        found = matched(rules, sent)
        events = [(cue.name, at) for cue, at in found if cue.family == "event"]
        if not events:
            continue
        plans = [at for cue, at in found if cue.family == "plan"]
        other = any(cue.family == "other" for cue, _ in found)
        seen = set()
        for event, at in sorted(events):
            lo, hi = max(sent.start, at - ACTOR_WINDOW), min(sent.end, at + TENSE_AFTER)
            how = "plan" if any(lo <= p < hi for p in plans) else \
                "done" if past_between(doc, lo, hi) else "now"
            who = "other" if other else next(
                ("supplier" if norm(t.text) in rules.supplier else "we" for t in reversed(doc[lo:at])
                 if norm(t.text) in rules.supplier or t.lower_ in me), "none")
            if (event, how, who) not in seen:
                seen.add((event, how, who))
                out.append((event, how, who))
    return out


ACTOR_WINDOW = 6  # tokens before an event word where its doer and its tense are looked for
TENSE_AFTER = 4  # and tokens after it ("заказ пришёл", "the delivery arrived")


def respondent_turns(evidence: InterviewEvidence) -> list[tuple[TaggedUtterance, TaggedUtterance | None, int, int]]:
    """Each respondent utterance with the last question before it, how many respondent turns
    came between, and the question's number in the interview."""
    out = []
    question, since, asked = None, 0, -1
    for item in evidence.tagged:
        if item.utterance.is_interviewer:
            question, since, asked = item, 0, asked + 1
            continue
        if not item.utterance.text:
            continue
        out.append((item, question, since, asked))
        since += 1
    return out


def story_rows(evidence: InterviewEvidence, groups: frozenset[str] | None = None) -> list[dict[str, float]]:
    """One dict of story features per respondent utterance, in `evidence.respondent`'s order."""
    groups = GROUPS if groups is None else groups
    if not groups:
        return [{} for _ in evidence.respondent]
    lang = evidence.transcript.language
    rules = story_rules(lang)
    questions = [t for t in evidence.tagged if t.utterance.is_interviewer and t.utterance.text]
    cues = {q.n: question_cues(rules, q.utterance.text, evidence.docs.get(q.n)) for q in questions}
    number = {q.n: i for i, q in enumerate(questions)}
    rows = []
    turns = respondent_turns(evidence)
    told = [sentence_events(rules, evidence.docs[t.n], lang) if t.n in evidence.docs else [] for t, _, _, _ in turns] \
        if groups & {"event", "progress"} else []
    for i, (item, question, since, _) in enumerate(turns):
        f: dict[str, float] = {}
        doc = evidence.docs.get(item.n)
        stages, kinds = cues.get(question.n, ((), ())) if question is not None else ((), ())
        if "question" in groups:
            f.update(question_block(questions, cues, number, question, since, stages, kinds))
        if "reply" in groups and since == 0:
            f.update(reply_block(rules, item, stages, kinds))
        if "event" in groups:
            for event, how, who in told[i]:
                stage = rules.event_stage.get(event, "")
                f[f"s:ev={event}"] = 1.0
                f[f"s:ev={event}|{how}"] = 1.0
                f[f"s:ev={event}|{who}"] = 1.0
                f[f"s:evs={stage}|{how}|{who}"] = 1.0
        if "structure" in groups:
            f[f"s:turn={min(since, 2)}"] = 1.0
            if doc is not None:
                f[f"s:sents={min(3, len(item.sentences or list(doc.sents)))}"] = 1.0  # (evidence kept them)
            if question is not None:
                f[f"s:qlen={min(3, word_count(question.utterance.text) // 8)}"] = 1.0
        if "progress" in groups:
            f.update(progress_block(rules, told, i))
        rows.append(f)
    return rows


def done_stages(rules: StoryRules, events: list[tuple[str, str, str]]) -> set[str]:
    """The stages of the steps told as this client's, done or told now (not planned, not another supplier's)."""
    return {rules.event_stage.get(e, "") for e, how, who in events if how != "plan" and who != "other"}


def progress_block(rules: StoryRules, told: list[list[tuple[str, str, str]]], i: int) -> dict[str, float]:
    """Where the told steps put the story: the furthest step's stage so far, the last one, and
    the steps of the turns just before and after."""
    order = list(STAGE_ORDER)
    f: dict[str, float] = {}
    reached = [order.index(s) for j in range(i) for s in done_stages(rules, told[j]) if s in order]
    f[f"s:evfar={order[max(reached)] if reached else 'none'}"] = 1.0
    last = next((done_stages(rules, told[j]) for j in range(i - 1, -1, -1) if done_stages(rules, told[j])), set())
    for stage in sorted(last) or ["none"]:
        f[f"s:evlast={stage}"] = 1.0
    for j, tag in ((i - 1, "p"), (i + 1, "n")):
        if 0 <= j < len(told):
            for stage in sorted(done_stages(rules, told[j])):
                f[f"s:{tag}ev={stage}"] = 1.0
    return f


STAGE_ORDER = ("unaware", "informed", "interested", "motivated", "bought")  # the contract's stages, in order


def question_block(questions: list[TaggedUtterance], cues: dict[int, tuple[tuple[str, ...], tuple[str, ...]]],
                   number: dict[int, int], question: TaggedUtterance | None, since: int,
                   stages: tuple[str, ...], kinds: tuple[str, ...]) -> dict[str, float]:
    """The question's stage cues and kinds, the topic asked about before, the next question's."""
    f: dict[str, float] = {}
    if question is None:
        return {"s:q=none": 1.0}
    tag = "s:q" if since == 0 else "s:qc"  # directly answered, or a further turn of the same answer
    for stage in stages or ("none",):
        f[f"{tag}={stage}"] = 1.0
    for kind in kinds:
        f[f"s:qk={kind}"] = 1.0
        for stage in stages:
            f[f"s:qk={kind}|{stage}"] = 1.0
    at = number[question.n]
    for age in range(1, TOPIC_AGE + 1):  # the last stage asked about before this question
        if at - age < 0:
            break
        earlier = cues[questions[at - age].n][0]
        if earlier:
            for stage in earlier:
                f[f"s:topic={stage}"] = 1.0
                f[f"s:topic={stage}|{age}"] = 1.0
            break
    if at + 1 < len(questions):
        for stage in cues[questions[at + 1].n][0]:
            f[f"s:nq={stage}"] = 1.0
    return f


def reply_block(rules: StoryRules, item: TaggedUtterance, stages: tuple[str, ...], kinds: tuple[str, ...]
                ) -> dict[str, float]:
    """A terse answer's yes or no, with what the question asked: it inherits the question's stage."""
    words = word_count(item.utterance.text)
    opening = first_word(item.utterance.text)
    reply = "yes" if opening in rules.yes else "no" if opening in rules.no else None
    f: dict[str, float] = {}
    terse = words <= TERSE_WORDS
    if reply:
        f[f"s:reply={reply}"] = 1.0
        for stage in stages:
            f[f"s:reply={reply}|{stage}"] = 1.0
        if "yesno" in kinds:
            f[f"s:reply={reply}|yesno"] = 1.0
    if terse:
        for stage in stages:
            f[f"s:terse|{stage}"] = 1.0
    return f


def crossed(story_row: dict[str, float], own_row: dict[str, float],
            groups: frozenset[str] | None = None) -> dict[str, float]:
    """The question's stage (from the utterance's story row) with what the answer holds (from its
    own features: the rules' verdict, its stage phrases, its tense, its length): "asked about the
    trial" and "told in the past" together say more than apart."""
    groups = GROUPS if groups is None else groups
    if "qcross" not in groups:
        return {}
    asked = [k[len("s:q="):] for k in story_row if k.startswith("s:q=")]
    told = [k for k in own_row if k.startswith(("rule=", "m=", "len", "past"))] if asked else []
    return {f"s:qx={a}|{k}": 1.0 for a in asked for k in told}
