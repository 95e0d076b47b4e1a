"""Stage 2b — the rules' decision: the hand-written passes that turn evidence into labels.

This is the rules-only tagger (`--rules-only`), kept as the baseline the learned model is
measured against and as one source of features for it (`features`). Each pass reads and edits a
copy of the evidence: the evidence itself stays as extracted.
"""

from __future__ import annotations

import re
from dataclasses import replace

from spacy.tokens import Doc

from .codebook import Codebook
from .evidence import (ADDRESSING_SUPPLIER, ADVICE, ASIDE, DENIED, InterviewEvidence, names_supplier, quoted_names,
                       supplier_names)
from .model import CHANNEL, ROLE, STAGE, Mention, TaggedUtterance, Transcript
from .nlp import word_summary
from .rules import CompiledRules, get_rules


def stages_under_way(codebook: Codebook) -> set[str]:
    """The stages past discovery (`informed`): once one is told, the journey is under way."""
    order, discovery = codebook.ids(STAGE), codebook.stage_playing("discovery")
    return set(order[order.index(discovery) + 1:]) if discovery else set()


def channel_implies_informed(respondent: list[TaggedUtterance], codebook: Codebook, supplier: set[str]) -> None:
    """A channel named before the journey is under way tells how they came across the supplier."""
    quiet = set((codebook.lexicons.get("channels_not_implying_informed") or []))
    discovery = codebook.stage_playing("discovery")
    if discovery is None:
        return
    later = stages_under_way(codebook)
    contact = False
    situation = False  # later stage words before any contact: the need, or the search under way
    for item in respondent:
        stages = {m.label for m in item.mentions if m.kind == STAGE}
        if contact and stages & later:
            break  # the journey is under way: later channel talk is not discovery
        situation = situation or bool(stages & later)
        channels = [m for m in item.mentions if m.kind == CHANNEL and m.label not in quiet]
        if situation and not (names_supplier(item.utterance.text, supplier) or "supplier_side" in item.cues):
            channels = []  # "обзвонила дистрибьюторов", "somebody pitched us at a show once": not this supplier
        contact = contact or bool(channels) or discovery in stages
        for mention in channels:
            if not any(m.kind == STAGE and m.sentence == mention.sentence for m in item.mentions):
                item.mentions.append(Mention(STAGE, discovery, mention.start, mention.end, mention.text, mention.sentence,
                                             origin="channel"))


CARRY_MIN_WORDS = 8
POINT_PART = "discovery"  # a moment, not a phase: the story carries on at the stage after it
UNSUPPORTED = "unsupported"  # weak evidence the story had not reached yet: the utterance is unclear
UNCARRIED_CUES = {"advice", "habitual", "not_this_journey", "counterfactual", UNSUPPORTED}


def has_past_narrative(doc: Doc | None) -> bool:
    return doc is not None and word_summary(doc).past


def carry_stage_forward(respondent: list[TaggedUtterance], docs: list[Doc], codebook: Codebook) -> None:
    """A story goes on at the stage it has reached: an account of the trial or of the delivery
    that names no stage word is still that stage (an analyst labels it so).

    Utterances whose every match was put out of the journey (negated, hypothetical, advice) and
    short answers stay unlabelled.
    """
    order = codebook.ids(STAGE)
    point = codebook.stage_playing(POINT_PART)
    docs_by_n = {item.n: doc for item, doc in zip(respondent, docs)}
    current: str | None = None
    for item in respondent:
        staged = sorted((m for m in item.mentions if m.kind == STAGE), key=lambda m: m.start)
        if staged:
            current = staged[-1].label
            continue
        if current is None or current == order[0] or not item.sentences:
            continue
        if item.suppressed or item.cues & UNCARRIED_CUES or item.asked in (ADVICE, ASIDE, DENIED) or \
                len(item.utterance.text.split()) < CARRY_MIN_WORDS:
            continue
        if not has_past_narrative(docs_by_n.get(item.n)):
            continue
        start, end = item.sentences[0]
        # Discovery is a moment: what the story tells after it is the next step, interest.
        label = order[order.index(current) + 1] if current == point and current != order[-1] else current
        item.mentions.append(Mention(STAGE, label, start, end, item.utterance.text[start:end], 0, origin="carried"))


def keep_channels_in_discovery(respondent: list[TaggedUtterance], codebook: Codebook) -> None:
    """Channels label the story of how the client came across the supplier, not later talk.

    Once the journey is under way (a stage past `informed`), a channel word is about something
    else: last year's tender, "пишите в телеграм". Before that, a guru in the discovery story
    means the channel is a recommendation (`lexicons.role_implies_channel`).
    """
    discovery = codebook.stage_playing("discovery")
    later = stages_under_way(codebook)
    implied = codebook.lexicons.get("role_implies_channel") or {}
    under_way = False
    for item in respondent:
        stages = {m.label for m in item.mentions if m.kind == STAGE}
        if under_way:
            item.mentions = [m for m in item.mentions if m.kind != CHANNEL]
            continue
        if discovery is not None and discovery in stages and not any(m.kind == CHANNEL for m in item.mentions):
            for mention in item.mentions:
                channel = implied.get(mention.label) if mention.kind == ROLE else None
                if channel and channel in codebook.ids(CHANNEL):
                    item.mentions.append(Mention(CHANNEL, channel, mention.start, mention.end, mention.text,
                                                 mention.sentence, origin="role"))
                    break
        under_way = bool(stages & later)


def mark_pre_contact(respondent: list[TaggedUtterance], docs: list[Doc], codebook: Codebook,
                     rules: CompiledRules) -> None:
    """Before the client knows the supplier, every account of the situation is `unaware`.

    The zone ends at the first utterance that tells of first contact (informed, or a channel);
    inside it, stage words describe the old supplier and the need ("раньше заказывали у..."),
    so they become unaware, and so does any utterance with a situation word (problem, supplier, price).
    """
    before, discovery = codebook.stage_playing("before_contact"), codebook.stage_playing("discovery")
    if before is None:
        return
    quiet = set(codebook.lexicons.get("channels_not_implying_informed") or [])  # a tender posted is not discovery
    end = next((i for i, t in enumerate(respondent) if t.asked != before and any(
        (m.kind == CHANNEL and m.label not in quiet) or (m.kind == STAGE and m.label == discovery)
        for m in t.mentions)), None)
    if end is None:
        end = next((i for i, t in enumerate(respondent) if any(m.kind == STAGE for m in t.mentions)), 0)
    in_use = set(codebook.lexicons.get("channels_in_use_before_contact") or [])
    for item, doc in zip(respondent[:end], docs[:end]):
        staged = [m for m in item.mentions if m.kind == STAGE]
        # before contact a channel word is the one in use (the tender posted, the search under way),
        # not how they found this supplier: "наш интегратор ставил трекеры" is the old supplier
        item.mentions = [m for m in item.mentions if m.kind != STAGE and (m.kind != CHANNEL or m.label in in_use)]
        channel = next((m for m in item.mentions if m.kind == CHANNEL), None)
        if staged or channel:  # the channel in use before contact: "разместили извещение на площадке"
            first = staged[0] if staged else channel
            item.mentions.append(Mention(STAGE, before, first.start, first.end, first.text, first.sentence))
            continue
        found = sorted({(start, stop) for _, start, stop in rules.situation(doc)}) if rules.situation else []
        if item.cues & UNCARRIED_CUES:  # "обычно я обзваниваю поставщиков": a habit, not the situation then
            found = []
        if len(found) >= MIN_SITUATION_WORDS:  # one word ("no problem", "it's fine") is small talk
            start, stop = found[0]
            span = doc[start:stop]
            sentence = next(i for i, s in enumerate(doc.sents) if s.start <= start < s.end)
            item.mentions.append(Mention(STAGE, before, span.start_char, span.end_char, span.text, sentence))


MIN_SITUATION_WORDS = 2


def require_context_for_weak(respondent: list[TaggedUtterance], codebook: Codebook) -> None:
    """Weak evidence of a stage counts only once the story has reached the stage before it."""
    order = codebook.ids(STAGE)
    furthest = -1
    for item in respondent:
        kept = []
        for mention in item.mentions:
            if mention.kind == STAGE and mention.weak and order.index(mention.label) > furthest + 1:
                item.cues.add(UNSUPPORTED)  # not out of the journey, only too little to tell: not `suppressed`
                continue
            kept.append(mention)
        item.mentions = kept
        reached = [order.index(m.label) for m in kept if m.kind == STAGE]
        furthest = max([furthest] + reached)


def drop_far_jumps(respondent: list[TaggedUtterance], codebook: Codebook) -> None:
    """Where one utterance names several stages, keep those within one step of the story so far.

    "Я просил разбить первый платеж" beside "пробовали" is talk about the trial, not a purchase:
    weak evidence two steps ahead of the story needs an utterance of its own. Weak evidence also yields
    to strong evidence of another stage in the same utterance.
    """
    order = codebook.ids(STAGE)
    previous = 0
    for item in respondent:
        stages = [m for m in item.mentions if m.kind == STAGE]
        strong = {m.label for m in stages if not m.weak}
        drop = {id(m) for m in stages if m.weak and strong and m.label not in strong}
        labels = {m.label for m in stages if id(m) not in drop}
        if len(labels) > 1:
            close = {label for label in labels if order.index(label) <= previous + 1}
            if close:
                drop |= {id(m) for m in stages if m.label not in close and m.weak}
        item.mentions = [m for m in item.mentions if id(m) not in drop]
        kept = [order.index(m.label) for m in item.mentions if m.kind == STAGE]
        previous = max(kept) if kept else previous


def drop_other_suppliers_stories(tagged: list[TaggedUtterance], transcript: Transcript, codebook: Codebook) -> None:
    """A sentence that names another company in quotes, and neither the supplier nor "вы/you",
    tells that company's story: "Один — «Упакснаб» — дал цену и образцы бесплатно".

    The supplier's names come from the front matter and from the names the interviewer quotes.
    The time before contact (`unaware`) may well name the old supplier, so it is kept.
    """
    supplier = supplier_names(transcript)
    if not supplier:
        return
    order = codebook.ids(STAGE)
    you = set(ADDRESSING_SUPPLIER.get(transcript.language, ()))
    for item in tagged:
        if item.utterance.is_interviewer:
            continue
        text = item.utterance.text
        for index, (start, end) in enumerate(item.sentences):
            sentence = text[start:end]
            others = {n for n in quoted_names(sentence) if not any(n in s or s in n for s in supplier)}
            if not others or set(re.findall(r"\w+", sentence.lower())) & you or names_supplier(sentence, supplier):
                continue
            drop = [m for m in item.mentions if m.sentence == index and m.kind == STAGE and order.index(m.label) > 1]
            if drop:
                item.cues.add("not_this_journey")
                item.suppressed.extend(drop)
                item.mentions = [m for m in item.mentions if m not in drop]


def spans_time(item: TaggedUtterance, lang: str, codebook: Codebook) -> bool:
    """A recap of the deal tells its time: "в феврале запросили, в апреле оплатили", "two months"."""
    from .durations import find_durations, find_months

    lexicon = codebook.lexicons.get("durations") or {}
    text = item.utterance.text
    return lang in lexicon and bool(find_durations(text, lang, lexicon) or len(find_months(text, lang, lexicon)) >= 2)


def no_silent_back_steps(respondent: list[TaggedUtterance], codebook: Codebook, lang: str) -> None:
    """A story steps back only on back-step evidence ("пришел новый генеральный", '<' phrases).

    Past `interested`, "КП" or "the quote" names a document of the deal, not renewed interest.
    Recollections of the time before (`unaware`) are kept: they label what they recall; so are
    recaps of the whole deal, which name the current stage and tell the time it took.
    """
    order = codebook.ids(STAGE)
    decision = codebook.stage_playing("decision")
    decided_at = order.index(decision) if decision else len(order)
    current = -1
    for item in respondent:
        stages = [m for m in item.mentions if m.kind == STAGE]
        if any(m.back for m in stages):
            current = min(order.index(m.label) for m in stages if m.back)
        recap = any(order.index(m.label) >= current for m in stages) and spans_time(item, lang, codebook)
        drop = set() if recap else {id(m) for m in stages if 0 < order.index(m.label) < current and not m.back
                                    and order.index(m.label) < decided_at}
        item.mentions = [m for m in item.mentions if id(m) not in drop]
        kept = [order.index(m.label) for m in item.mentions if m.kind == STAGE]
        if kept:
            current = max(current, max(kept))


def drop_late_discovery(respondent: list[TaggedUtterance], codebook: Codebook) -> None:
    """Once the deal is being decided, "heard about", "recommended" speak of someone else's discovery."""
    order = codebook.ids(STAGE)
    discovery, decision = codebook.stage_playing("discovery"), codebook.stage_playing("decision")
    if discovery is None or decision is None:
        return
    decided = False
    for item in respondent:
        if decided:
            item.mentions = [m for m in item.mentions if not (m.kind == STAGE and m.label == discovery)]
        decided = decided or any(m.kind == STAGE and order.index(m.label) >= order.index(decision)
                                 for m in item.mentions)


def finalize(item: TaggedUtterance, codebook: Codebook) -> None:
    """Utterance labels: the union of its mentions, in codebook order, after `beats` within a sentence."""
    beaten = {(m.kind, m.sentence, loser) for m in item.mentions
              for loser in (codebook.get(m.kind, m.label).beats if codebook.get(m.kind, m.label) else ())}
    item.mentions = [m for m in item.mentions if (m.kind, m.sentence, m.label) not in beaten]
    for kind in (STAGE, ROLE, CHANNEL):
        found = {m.label for m in item.mentions if m.kind == kind}
        item.labels(kind)[:] = [i for i in codebook.ids(kind) if i in found]
    item.mentions.sort(key=lambda m: (m.start, m.end, m.kind, m.label))



def decide_by_rules(evidence: InterviewEvidence, codebook: Codebook) -> list[TaggedUtterance]:
    """The rules' labels for every utterance, from a copy of the evidence (which stays as it was)."""
    tagged = [replace(t, mentions=list(t.mentions), suppressed=list(t.suppressed), cues=set(t.cues),
                      stages=[], roles=[], channels=[]) for t in evidence.tagged]
    transcript = evidence.transcript
    respondent = [t for t in tagged if not t.utterance.is_interviewer and t.utterance.text]
    docs = [evidence.docs[t.n] for t in respondent]
    rules = get_rules(codebook, transcript.language)
    channel_implies_informed(respondent, codebook, supplier_names(transcript))
    mark_pre_contact(respondent, docs, codebook, rules)
    keep_channels_in_discovery(respondent, codebook)
    drop_other_suppliers_stories(tagged, transcript, codebook)
    require_context_for_weak(respondent, codebook)
    drop_late_discovery(respondent, codebook)
    drop_far_jumps(respondent, codebook)
    no_silent_back_steps(respondent, codebook, transcript.language)
    carry_stage_forward(respondent, docs, codebook)
    for item in tagged:
        finalize(item, codebook)
    return tagged
