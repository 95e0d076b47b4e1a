"""Stage 3 — journey: the tagged utterances of one interview in, its journey fields out.

Channel (front matter wins, else the channel named where the respondent tells how they came
across the supplier), channel group, furthest stage, who made the first contact, the roles
involved, the cycle length in days and the ordered stage path with its back-steps.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from . import first_contact as chooser
from .codebook import Codebook
from .durations import (Duration, MonthMention, days_between, find_dates, find_durations, find_months, normal,
                        number_value, words_with_offsets)
from .evidence import FIRST_PERSON, LOST_DEAL
from .model import CHANNEL, ROLE, STAGE, TOLD_CHANNEL, Journey, Mention, TaggedUtterance, Transcript
from .outcome import PurchaseClue, split_sentences, told_purchases
from .textmatch import phrase_list, words
from .qualification import qualify

if TYPE_CHECKING:
    from .tagger_model import TaggerModel

FIRST_CONTACT_STAGES = ("informed", "interested")
NOT_FIRST_CONTACT_ROLES = ("guru",)  # the one who recommends does not make the contact
FALLBACK_FIRST_CONTACT_ROLES = ("user", "treasurer")
MIN_CYCLE_SCORE = 2.0
FIRST_PERSON_WORDS = frozenset(w for group in FIRST_PERSON.values() for w in group)
ANSWER_SENTENCES = 2  # the sentences of an answer that answer the question
SPANNING_WORDS = 25  # a longer 'sentence' is a run of ASR clauses, often of another purchase


def derive_journey(transcript: Transcript, tagged: list[TaggedUtterance], codebook: Codebook,
                   model: TaggerModel | None = None) -> Journey:
    """Fill in every journey field from the labelled utterances; with a model that has a
    first-contact member (`cjm.first_contact`), the first contact is its choice."""
    journey = Journey(transcript=transcript, utterances=tagged)
    respondent = [t for t in tagged if not t.utterance.is_interviewer]
    channel_ids = codebook.ids(CHANNEL)
    if transcript.channel and transcript.channel in channel_ids:
        journey.channel, journey.channel_source = transcript.channel, "metadata"
    else:
        if transcript.channel:
            transcript.notes.append(f"front matter channel {transcript.channel!r} is not in the codebook "
                                    f"({', '.join(channel_ids)}): detected instead")
        if any(TOLD_CHANNEL in t.probabilities for t in respondent):  # the model read a discovery's words
            journey.channel, journey.channel_evidence = likeliest_channel(respondent)
        else:
            journey.channel, journey.channel_evidence = detect_channel(respondent, codebook)
            if journey.channel is None:
                journey.channel, journey.channel_evidence = likeliest_channel(respondent)
        journey.channel_source = "detected" if journey.channel else None
    journey.channel_group = codebook.group_of(journey.channel)
    stage_ids = codebook.ids(STAGE)
    clues = told_purchases(tagged, transcript, codebook)
    journey.furthest_stage = furthest_stage(respondent, stage_ids, codebook, bool(clues))
    journey.roles = [r for r in codebook.ids(ROLE) if any(r in t.roles for t in respondent)]
    contact_p = None
    if model is not None and chooser.MEMBER in model.blobs:
        story = contact_story(journey, respondent, codebook)
        journey.first_contact_role, contact_p = chosen_first_contact(story, model)
        journey.first_contact_evidence = chooser.evidence_of(story, journey.first_contact_role) \
            if journey.first_contact_role else None
    else:
        journey.first_contact_role, journey.first_contact_evidence = first_contact(journey, respondent, codebook)
    journey.stage_path = stage_path(respondent, stage_ids)
    if codebook.reached_purchase(journey.furthest_stage):
        journey.cycle_days, journey.cycle_evidence = cycle_days(tagged, transcript.language, codebook, clues,
                                                               journey.channel)
    journey.outcome = outcome(journey, respondent, codebook)
    journey.outcome_evidence = [c.n for c in clues]
    if any(t.probabilities for t in respondent):
        journey.confidence = field_confidence(journey, respondent)
        if contact_p is not None:
            journey.confidence["first_contact_role"] = contact_p
    journey.qualification = qualify(journey, codebook)
    return journey


def furthest_stage(respondent: list[TaggedUtterance], stage_ids: list[str], codebook: Codebook,
                   purchase_told: bool) -> str | None:
    """The furthest stage told; the purchase stage (or one past it) only where the purchase is told
    as done (`cjm.outcome`), and then even where no utterance got the label ("Signed March twentieth")."""
    purchase = codebook.stage_playing("purchase")
    reached = [stage_ids.index(s) for t in respondent for s in t.stages]
    if purchase is None:
        return stage_ids[max(reached)] if reached else None
    if purchase_told:  # and past it where the map goes on (the hourglass's repeat, refer)
        return stage_ids[max(reached + [stage_ids.index(purchase)])]
    before = [i for i in reached if i < stage_ids.index(purchase)]
    if before:
        return stage_ids[max(before)]
    return stage_ids[stage_ids.index(purchase) - 1] if reached and stage_ids.index(purchase) > 0 else None


def outcome(journey: Journey, respondent: list[TaggedUtterance], codebook: Codebook) -> str | None:
    """bought (the purchase stage or past it), lost (another supplier won, or the project was dropped) or stalled."""
    if journey.furthest_stage is None:
        return None
    if codebook.reached_purchase(journey.furthest_stage):
        return "bought"
    return "lost" if any(LOST_DEAL in t.cues for t in journey.utterances) else "stalled"


def probability(item: TaggedUtterance | None, kind: str, label: str | None) -> float | None:
    if item is None or label is None:
        return None
    return (channel_probabilities(item) if kind == CHANNEL else item.probabilities.get(kind, {})).get(label)


def field_confidence(journey: Journey, respondent: list[TaggedUtterance]) -> dict[str, object]:
    """The model's probability behind each derived field (raw; `calibrate` maps it to measured accuracy)."""
    by_n = {t.n: t for t in respondent}
    stage = journey.furthest_stage
    roles = {r: max(t.probabilities.get(ROLE, {}).get(r, 0.0) for t in respondent if r in t.roles) for r in journey.roles}
    furthest = max((t.probabilities.get(STAGE, {}).get(stage, 0.0) for t in respondent if stage in t.stages), default=None)
    if furthest is None and stage is not None:  # reached by the purchase told, with no utterance labelled so
        furthest = max((t.probabilities.get(STAGE, {}).get(stage, 0.0) for t in respondent if t.probabilities),
                       default=None)
    return {
        "channel": 1.0 if journey.channel_source == "metadata" else
        probability(by_n.get(journey.channel_evidence or -1), CHANNEL, journey.channel),
        "furthest_stage": furthest,
        "outcome": outcome_confidence(journey, respondent),
        "first_contact_role": probability(by_n.get(journey.first_contact_evidence or -1), ROLE, journey.first_contact_role),
        "roles": roles,
        "cycle_days": cycle_confidence(journey, by_n),
    }


def outcome_confidence(journey: Journey, respondent: list[TaggedUtterance]) -> float:
    """The raw score of the outcome: where the purchase is told, how sure the model is that those
    utterances tell it; where none is, how unsure it is of any purchase (its calibration map says
    how often each was right)."""
    bought = {t.n: t.probabilities.get(STAGE, {}).get("bought", 0.0) for t in respondent}
    if journey.outcome == "bought":
        return 0.5 + 0.5 * max((bought.get(n, 0.0) for n in journey.outcome_evidence), default=0.0)
    return 1.0 - max(bought.values(), default=0.0)


CYCLE_EVIDENCE_LEVELS = {"asked": 0.9, "stated": 0.7, "dates": 0.5, "none": 0.3}  # raw ranks, mapped by calibration


def cycle_confidence(journey: Journey, by_n: dict[int, TaggedUtterance]) -> float:
    """How the cycle was found, as a raw rank: an answer to "how long?", a stated duration, two dates, nothing."""
    items = [by_n[n] for n in journey.cycle_evidence if n in by_n]
    if journey.cycle_days is None:
        return CYCLE_EVIDENCE_LEVELS["none"]
    if any(t.asked_duration for t in items):
        return CYCLE_EVIDENCE_LEVELS["asked"]
    return CYCLE_EVIDENCE_LEVELS["stated" if len(items) == 1 else "dates"]


def sentence_mentions(item: TaggedUtterance, index: int, kind: str) -> list[Mention]:
    return [m for m in item.mentions if m.sentence == index and m.kind == kind]


MIN_CHANNEL_P = 0.1  # below this the model has seen nothing like a channel


def channel_probabilities(item: TaggedUtterance) -> dict[str, float]:
    """P(channel) of an utterance: a candidate's own where the evidence put one forward, else what
    the discovery's words tell (`decode`'s channel classifier)."""
    return item.probabilities.get(TOLD_CHANNEL, {}) | item.probabilities.get(CHANNEL, {})


def likeliest_channel(respondent: list[TaggedUtterance]) -> tuple[str | None, int | None]:
    """The channel the model finds likeliest: for each channel, the mean of its best candidate's
    score and of the best the discovery's words give it (`channel_told`), a score being P(channel)
    times 0.5 + P(informed) (a told discovery makes it likelier); the utterance of its best
    candidate, else of its best words, is the evidence. Without the words (an older model), the
    likeliest candidate. Every interview has a channel; a weak one is said to be weak by its
    probability.

    Why a mean: on the 5-fold CV of the 201 training interviews the candidates alone give 0.711,
    the words alone 0.657, their mean 0.821; weights of 0.3-0.5 on the candidates score within
    one interview of each other (eval/cv-log.md)."""
    best: dict[str, dict[str, tuple[float, int]]] = {CHANNEL: {}, TOLD_CHANNEL: {}}
    for item in respondent:
        informed = item.probabilities.get(STAGE, {}).get("informed", 0.0)
        for kind, found in best.items():
            for label, p in item.probabilities.get(kind, {}).items():
                score = p * (0.5 + informed)
                if p >= MIN_CHANNEL_P and (label not in found or score > found[label][0]):
                    found[label] = (score, item.n)
    candidates, told = best[CHANNEL], best[TOLD_CHANNEL]
    labels = list(dict.fromkeys([*candidates, *told]))  # in the order first met: a tie keeps the first
    if not labels:
        return None, None
    label = max(labels, key=lambda l: candidates.get(l, (0.0, 0))[0] + told.get(l, (0.0, 0))[0])  # (the mean's order)
    return label, (candidates.get(label) or told[label])[1]


def detect_channel_by_rules(respondent: list[TaggedUtterance]) -> str | None:
    """The channel the labels give (no model): a candidate the channel model weighs."""
    for item in respondent:
        if "informed" in item.stages and item.channels:
            return item.channels[0]
    return next((item.channels[0] for item in respondent if item.channels), None)


def detect_channel(respondent: list[TaggedUtterance], codebook: Codebook) -> tuple[str | None, int | None]:
    """The channel named where the respondent tells how they came across the supplier.

    First choice: a channel in an utterance that reports `informed` (the same sentence first);
    otherwise the first channel named at all.
    """
    discovery = codebook.stage_playing("discovery")
    for item in respondent:
        if discovery not in item.stages or not item.channels:
            continue
        informed = {m.sentence for m in item.mentions if m.kind == STAGE and m.label == discovery}
        channels = [m for m in item.mentions if m.kind == CHANNEL]
        same = [m for m in channels if m.sentence in informed]
        return (same or channels)[0].label, item.n
    for item in respondent:
        if item.channels:
            return next(m.label for m in item.mentions if m.kind == CHANNEL), item.n
    return None, None


def detect_first_contact(respondent: list[TaggedUtterance], priority: list[str],
                         contact_stages: tuple[str, ...] = FIRST_CONTACT_STAGES) -> tuple[str | None, int | None]:
    """Who first engaged with the supplier: the client-side role where the engagement is told.

    Scanning starts at the first utterance of `contact_stages`; the recommender (guru) does not
    count. Where one utterance names several people, `lexicons.first_contact_priority` decides
    (a purchaser or assistant usually makes the call the director asked for).
    """
    likely = [r for r in priority if r not in FALLBACK_FIRST_CONTACT_ROLES]
    for allowed in (likely, None):  # users and treasurers rarely make the first contact: last resort
        started = False
        for item in respondent:
            told = {m.label for m in item.mentions if m.kind == STAGE and m.origin != "carried"}
            started = started or bool(told & set(contact_stages))  # a carried stage is no evidence of contact
            if not started:
                continue
            roles = [r for r in item.roles if r not in NOT_FIRST_CONTACT_ROLES and (allowed is None or r in allowed)]
            if roles:
                ranked = sorted(roles, key=lambda r: priority.index(r) if r in priority else len(priority))
                return ranked[0], item.n
    return None, None


def first_contact(journey: Journey, respondent: list[TaggedUtterance], codebook: Codebook) -> tuple[str | None, int | None]:
    """Discovery is the first contact only at a stand or on a cold call (`lexicons.contact_at_discovery`);
    after a recommendation or a search, the first contact is the first request, call or meeting.
    Where no person is named from the first contact on, the storyteller's own role (`own_role`)."""
    priority = list(codebook.lexicons.get("first_contact_priority") or [])
    told = discovery_by_fallback_role(respondent, codebook)
    if told[0]:
        return told
    for stages in contact_starts(codebook, journey.channel):
        found = detect_first_contact(respondent, priority, stages)
        if found[0]:
            return found
    return own_role(respondent)


def contact_story(journey: Journey, respondent: list[TaggedUtterance], codebook: Codebook) -> chooser.ContactStory:
    """What the first-contact chooser reads (`cjm.first_contact`), the rules' pick included;
    `journey.channel` must be set (the rules' pick depends on it)."""
    return chooser.ContactStory(respondent, chooser.first_index(respondent, codebook.stage_playing("discovery")),
                                chooser.first_index(respondent, codebook.stage_playing("interest")),
                                first_contact(journey, respondent, codebook), own_role(respondent))


def chosen_first_contact(story: chooser.ContactStory, model: TaggerModel) -> tuple[str | None, float | None]:
    """The model's first-contact role and its P (`first_contact.choose`)."""
    found = chooser.candidates(story)
    return chooser.choose(dict(zip(found, model.accept(chooser.MEMBER, list(found.values())))))


def discovery_by_fallback_role(respondent: list[TaggedUtterance], codebook: Codebook) -> tuple[str | None, int | None]:
    """A user or treasurer who tells how the client came across the supplier made the first contact
    at once ("I found them on a webinar, filled in the form"): where the first utterance telling the
    discovery with people in it names only them (no gatekeeper, expert or big boss), it is the first
    contact, whatever the channel. Elsewhere they are the last resort (`detect_first_contact`)."""
    discovery = codebook.stage_playing("discovery")
    for item in respondent:
        if not any(m.kind == STAGE and m.label == discovery and m.origin != "carried" for m in item.mentions):
            continue
        roles = [r for r in item.roles if r not in NOT_FIRST_CONTACT_ROLES]
        if not roles:
            continue
        fallback = [r for r in FALLBACK_FIRST_CONTACT_ROLES if r in roles and told_by_themselves(item, r)]
        return (fallback[0], item.n) if fallback and len(fallback) == len(roles) else (None, None)
    return None, None


def told_by_themselves(item: TaggedUtterance, role: str) -> bool:
    """The role is the speaker's own here: the respondent's role attributed where they act (origin
    "respondent"), or a mention in a sentence of their own ("I found them", "я нашла") — not the
    reps or the accountants a story is about."""
    for m in item.mentions:
        if m.kind != ROLE or m.label != role:
            continue
        if m.origin == "respondent":
            return True
        start, end = item.sentences[m.sentence] if m.sentence < len(item.sentences) else (0, len(item.utterance.text))
        if set(re.findall(r"[\w']+", item.utterance.text[start:end].lower())) & FIRST_PERSON_WORDS:
            return True
    return False


def contact_starts(codebook: Codebook, channel: str | None) -> list[tuple[str, ...]]:
    """Where the first contact is looked for, in turn: at a stand or on a cold call the discovery
    itself (`lexicons.contact_at_discovery`); after a recommendation or a search the first request
    or call (the interest stage), then the discovery. The role and the cycle's start read the same."""
    interest = codebook.stage_playing("interest")
    if channel in set(codebook.lexicons.get("contact_at_discovery") or []) or not interest:
        return [contact_stages(codebook)]
    return [(interest,), contact_stages(codebook)]


def own_role(respondent: list[TaggedUtterance]) -> tuple[str | None, int | None]:
    """The first respondent's own role, as the evidence found it (a '(директор)' in their label, the
    front matter, "I'm the office manager", then their first-person acts): the commonest role of
    their `respondent` mentions, with the first utterance that carries it. The one telling the
    story is the likeliest to have made a contact nobody is named in ("They cold-called me")."""
    counts: dict[str, dict[str, list[int]]] = {}
    for item in respondent:
        for m in item.mentions:
            if m.kind == ROLE and m.origin == "respondent" and m.label not in NOT_FIRST_CONTACT_ROLES:
                counts.setdefault(item.utterance.speaker, {}).setdefault(m.label, []).append(item.n)
    if not counts:
        return None, None
    mine = next(iter(counts.values()))  # the first speaker whose role is known
    role = max(mine, key=lambda r: (len(mine[r]), -mine[r][0]))
    return role, mine[role][0]


def contact_stages(codebook: Codebook) -> tuple[str, ...]:
    """The stages where first contact is told: discovery and interest (`informed`, `interested`)."""
    return tuple(s for s in (codebook.stage_playing("discovery"), codebook.stage_playing("interest")) if s)


def purchase_stage(codebook: Codebook) -> str:
    return codebook.stage_playing("purchase") or codebook.ids(STAGE)[-1]


def stage_path(respondent: list[TaggedUtterance], stage_ids: list[str]) -> list[str]:
    """The stages in the order told, repeats collapsed; a recap of earlier stages is not a step back,
    and nobody becomes unaware of a supplier again (later talk of "before" is a recollection)."""
    return [stage for stage, _ in stage_steps(respondent, stage_ids)]


def stage_steps(respondent: list[TaggedUtterance], stage_ids: list[str]) -> list[tuple[str, int]]:
    """The steps of `stage_path`, each with the number of the utterance that made it (the event
    log's events need the utterance for their time)."""
    path: list[tuple[str, int]] = []
    for item in respondent:
        order = sorted(stage_ids.index(s) for s in item.stages)
        if path and path[-1][0] != stage_ids[0]:
            order = [o for o in order if o > 0]
        if not order:
            continue
        current = stage_ids.index(path[-1][0]) if path else -1
        if len(order) > 1 and order[-1] >= current:
            order = [o for o in order if o >= current]  # "от запроса до оплаты": a recap, keep the front
        for index in order:
            if not path or path[-1][0] != stage_ids[index]:
                path.append((stage_ids[index], item.n))
    return path


def detect_cycle_days(journey_items: list[TaggedUtterance], lang: str, codebook: Codebook) -> tuple[int | None, list[int]]:
    """Days from first contact to payment: a stated duration beside payment words, else two dates.

    Each duration is scored by the cues around it (from..to, payment, first contact), by the
    stage of its sentence, and by the question it answers ("сколько времени ушло?").
    Durations shorter than `lexicons.min_cycle_days` measure something else (delivery after payment),
    and so do those longer than `lexicons.max_cycle_days` ("we've worked with them for six years").
    """
    lexicon = codebook.lexicons.get("durations")
    if not lexicon or lang not in lexicon:
        return None, []
    shortest = float(codebook.lexicons.get("min_cycle_days") or 0)
    longest = float(codebook.lexicons.get("max_cycle_days") or float("inf"))
    purchase = purchase_stage(codebook)
    best: tuple[float, int, int] | None = None  # (score, days, utterance)
    for item in journey_items:
        if item.asked == "advice":
            continue  # "предоплата за год вперёд многих отпугивает" is advice, not this deal's length
        text = item.utterance.text
        utterance_cues = set().union(*item.cycle_cues) if item.cycle_cues else set()
        for index, (start, end) in enumerate(item.sentences):
            sentence = text[start:end]
            unreal = counterfactual_clauses(sentence, lang, codebook)  # "...it would have been four months"
            durations = [d for d in find_durations(sentence, lang, lexicon)
                         if shortest <= d.days <= longest and not any(a <= d.start < b for a, b in unreal)]
            if not durations:
                continue
            cues = item.cycle_cues[index] if index < len(item.cycle_cues) else set()
            stages = {m.label for m in sentence_mentions(item, index, STAGE)}
            score = (len(cues) + 0.5 * len(utterance_cues - cues) + (1.0 if purchase in stages else 0.0)
                     + (0.5 if purchase in item.stages else 0.0) + (3.0 if item.asked_duration else 0.0))
            days = max(d.days for d in durations)
            if score >= MIN_CYCLE_SCORE and (best is None or score > best[0]):
                best = (score, round(days), item.n)
    if best:
        return best[1], [best[2]]
    return cycle_from_months(journey_items, lang, lexicon, shortest, purchase, contact_stages(codebook))


def cycle_from_months(respondent: list[TaggedUtterance], lang: str, lexicon: dict, shortest: float = 0,
                      purchase: str = "bought",
                      contact: tuple[str, ...] = FIRST_CONTACT_STAGES) -> tuple[int | None, list[int]]:
    """'в конце января созвонились, а оплатили в середине марта': first contact month -> payment month.

    Two dates of one sentence closer than `shortest` days are one event's, not the cycle's ends."""
    start = end = None
    for item in respondent:
        text = item.utterance.text
        for index, (s, e) in enumerate(item.sentences):
            months = find_months(text[s:e], lang, lexicon)
            if not months:
                continue
            stages = {m.label for m in sentence_mentions(item, index, STAGE)}
            if len(months) >= 2 and purchase in stages and days_between(months[0], months[-1]) >= shortest:
                return days_between(months[0], months[-1]), [item.n]
            if start is None and stages & set(contact):
                start = (months[0], item.n)
            elif start is not None and end is None and purchase in stages:
                end = (months[-1], item.n)
    if start and end and days_between(start[0], end[0]) >= shortest:
        return days_between(start[0], end[0]), [start[1], end[1]]
    return None, []


def cycle_days(tagged: list[TaggedUtterance], lang: str, codebook: Codebook, clues: list[PurchaseClue],
               channel: str | None = None) -> tuple[int | None, list[int]]:
    """Days from first contact to first payment (contract section 5), in this order of trust: the
    answer to a question on the whole deal's length ("how long from the first call to the
    payment?"), the dates of the first contact and of the first payment (seldom in one sentence:
    "Expo was the middle of June" ... "paid the first invoice in early January"), a duration stated
    beside payment words. A "how long did that take?" asks of a step, not of the deal."""
    respondent = [t for t in tagged if not t.utterance.is_interviewer]
    whole = whole_cycle_told(tagged, lang, codebook)
    if whole[0] is not None:
        return whole
    stated, evidence = detect_cycle_days(respondent, lang, codebook)
    if stated is not None and asks_whole_cycle(tagged, evidence, lang, codebook):
        return stated, evidence
    paired = cycle_from_dates(respondent, lang, codebook, clues, channel)
    if paired[0] is not None:
        return paired
    return stated, evidence


def cycle_range(codebook: Codebook) -> tuple[float, float]:
    """The shortest and longest durations a deal's cycle may have (`lexicons.min_cycle_days`, `max_cycle_days`)."""
    return (float(codebook.lexicons.get("min_cycle_days") or 0),
            float(codebook.lexicons.get("max_cycle_days") or float("inf")))


def names_cycle_ends(text: str, lang: str, codebook: Codebook) -> bool:
    """The text spans the deal ("from ... to", "overall", "всего", "до оплаты": `cycle_span`) and
    names its end, the payment or the signing (`payment_words`, `cycle_end_words`). "From the trial
    to the report" names no end; "What happened in that first conversation?" spans nothing."""
    return spans_the_deal(text, lang, codebook) and names_cycle_end(text, lang, codebook)


def spans_the_deal(text: str, lang: str, codebook: Codebook) -> bool:
    """Words that span the deal (`cycle_span`), not a step of it (`cycle_step_spans`: "от счета до оплаты")."""
    lex = codebook.lexicons
    return bool(phrase_list(lex, "cycle_span", lang).find(text)) and not phrase_list(lex, "cycle_step_spans", lang).find(text)


def names_cycle_end(text: str, lang: str, codebook: Codebook) -> bool:
    lex = codebook.lexicons
    return bool(phrase_list(lex, "payment_words", lang).find(text) or phrase_list(lex, "cycle_end_words", lang).find(text))


def durations_in(text: str, lang: str, lexicon: dict, codebook: Codebook) -> list[Duration]:
    """The durations of the text in the cycle's range (`lexicons.min_cycle_days`, `max_cycle_days`),
    but those in a counterfactual clause ("Without it, it would have been four months")."""
    shortest, longest = cycle_range(codebook)
    unreal = counterfactual_clauses(text, lang, codebook)
    return [d for d in find_durations(text, lang, lexicon)
            if shortest <= d.days <= longest and not any(a <= d.start < b for a, b in unreal)]


def counterfactual_clauses(text: str, lang: str, codebook: Codebook) -> list[tuple[int, int]]:
    """The clauses (between punctuation or spoken clause openers: speech recognition writes no
    commas) that tell what would have been ("ровно год ну а если бы не заморозка ... полгода")."""
    counterfactual = phrase_list(codebook.lexicons, "cycle_counterfactual", lang)
    if not counterfactual.phrases:
        return []
    from .nlp import SPOKEN_CLAUSE_OPENERS

    openers = SPOKEN_CLAUSE_OPENERS.get(lang, set())
    cuts = [0] + [m.start() for m in re.finditer(r"[,;:.!?—–]|\b\w+\b", text)
                  if not m.group().isalnum() or m.group().lower() in openers] + [len(text)]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a and counterfactual.find(text[a:b])]


def recap_days(question: str, lang: str, lexicon: dict, codebook: Codebook) -> float | None:
    """The duration of the interviewer's recap sentence that spans the deal to its end ("то есть от
    первого клика до оплаты примерно три недели"), the one nearest the spanning words ("...до
    оплаты три с половиной недели, а до первой партии чуть больше месяца")."""
    for sentence in split_sentences(question):
        if names_cycle_ends(sentence, lang, codebook):
            days = spanning_days(sentence, lang, lexicon, codebook)
            if days is not None:
                return days
    return None


def spanning_days(sentence: str, lang: str, lexicon: dict, codebook: Codebook) -> float | None:
    """The duration nearest the words that span the deal in one sentence ("недели через три после
    итогов оплатили, а всего от объявления — месяца полтора" -> 45)."""
    found = durations_in(sentence, lang, lexicon, codebook)
    hits = phrase_list(codebook.lexicons, "cycle_span", lang).find(sentence)
    if not found or not hits:
        return None
    return min(found, key=lambda d: min(abs(d.start - h.start) for h in hits)).days


def whole_cycle_told(tagged: list[TaggedUtterance], lang: str, codebook: Codebook) -> tuple[int | None, list[int]]:
    """The deal's length where someone tells it whole, to its end (contract section 5: the stated
    duration that answers "how long" wins over dates):
    - the interviewer's recap that states it ("Получается, от звонка до оплаты прошло примерно шесть
      недель. Что заняло больше всего времени?"), unless the answer opens with a no;
    - the first duration of the answer to a question that spans the deal, or of an answer that
      spans it ("So from the Google search to the deposit?" "Early October to June. Eight months");
      what follows is often another ("without the freeze it would have been three");
    - an answer's short sentence that spans the deal by itself, its end named there or in the
      question ("When did you sign and pay?" ... "About seven weeks from my email to Priya").
    Where several are told, the last (a recap comes after the story and corrects it). Each respondent
    of a group interview may answer the question in turn."""
    lexicon = codebook.lexicons.get("durations") or {}
    if lang not in lexicon:
        return None, []
    found: tuple[int, float] | None = None  # (utterance, days)
    question, answered = "", set()
    for item in tagged:
        text = item.utterance.text
        if item.utterance.is_interviewer:
            question, answered = text, set()
            continue
        if item.utterance.speaker in answered:
            continue  # a question is answered once by each respondent ("...to signature, five months" -
        first_answer = not answered  # "...to money actually leaving the account, nine months")
        answered.add(item.utterance.speaker)
        sentences = [text[s:e] for s, e in item.sentences] or [text]
        days = answered_days(question, sentences, lang, lexicon, codebook, first_answer) \
            if item.asked != "advice" else None
        if days is not None:
            found = (item.n, days)
    return (round(found[1]), [found[0]]) if found else (None, [])


def answered_days(question: str, sentences: list[str], lang: str, lexicon: dict, codebook: Codebook,
                  first_answer: bool = True) -> float | None:
    """The whole deal's length one answer (with the question before it) tells, or None. A second
    respondent's answer counts only where it spans the deal itself ("Для нас это быстро. Бывает,
    что по полгода тянется" adds nothing to the first answer's four months)."""
    if not question:
        return None
    lex = codebook.lexicons
    paying = phrase_list(lex, "payment_words", lang)  # of an answer's lengths, the one to the payment is the cycle's
    answer = " ".join(sentences)
    recap = recap_days(question, lang, lexicon, codebook)
    if first_answer and recap is not None and not phrase_list(lex, "purchase_negators", lang).find_in(words(answer, lang)[:2]):
        return recap
    if first_answer and any(len(words(q, lang)) <= SPANNING_WORDS and names_cycle_ends(q, lang, codebook)
                            for q in split_sentences(question)):
        found = answer_lengths(sentences, lang, lexicon, codebook)
        if found:  # "So from the Google search to the deposit?" "Early October to June. Eight months"
            return length_to_payment(found)
    span = phrase_list(lex, "cycle_span", lang)
    about_time = bool(span.find(question) or phrase_list(lex, "purchase_questions", lang).find(question)
                      or phrase_list(lex, "cycle_questions", lang).find(question))
    if not about_time:
        return None  # "это для вас быстро или долго?" "...мы в прошлом году тестомес покупали, от запроса до оплаты восемь месяцев"
    spans = []  # (days, whether the sentence names the payment)
    for sentence in sentences:
        if spans_the_deal(sentence, lang, codebook) \
                and (names_cycle_end(sentence, lang, codebook) or names_cycle_end(question, lang, codebook)):
            days = spanning_days(sentence, lang, lexicon, codebook)
            if days is not None:
                spans.append((days, bool(paying.find(sentence))))
    return next((days for days, paid in spans if paid), spans[0][0]) if spans else None


def answer_lengths(sentences: list[str], lang: str, lexicon: dict, codebook: Codebook) -> list[tuple[float, bool, bool]]:
    """Each length an answer tells, in order, with whether its sentence names the payment and whether
    it sums the deal up (`cycle_sum`: "Итого месяц с небольшим"). A sentence that ends in a bare
    number after a length ("Два с половиной месяца до договора. И до первых денег — почти четыре")
    takes the unit of the length before it."""
    paying = phrase_list(codebook.lexicons, "payment_words", lang)
    summing = phrase_list(codebook.lexicons, "cycle_sum", lang)
    found: list[tuple[float, bool, bool]] = []
    unit = None  # the unit word of the last length told
    for sentence in sentences:
        lengths = durations_in(sentence, lang, lexicon, codebook)
        if not lengths and unit is not None:
            lengths = elliptic_lengths(sentence, unit, lang, lexicon, codebook)
        found += [(d.days, bool(paying.find(sentence)), bool(summing.find(sentence))) for d in lengths]
        if lengths:
            unit = lengths[-1].text.split()[-1]
    return found


def elliptic_lengths(sentence: str, unit: str, lang: str, lexicon: dict, codebook: Codebook) -> list[Duration]:
    """The length of a sentence that ends in a bare number ("И до первых денег — почти четыре"),
    read with the unit of the length before it; none where the number is not its last word or the
    sentence ends in a date ("And the money went out on May 3")."""
    bare = sentence.rstrip(" .!?…;,")
    last = words_with_offsets(bare)[-1:]
    if not last or number_value(normal(last[0][0], lang), lexicon[lang]) is None or find_dates(bare, lang, lexicon):
        return []
    return durations_in(f"{bare} {unit}", lang, lexicon, codebook)


def length_to_payment(found: list[tuple[float, bool, bool]]) -> float:
    """Which of an answer's lengths is the cycle's (it ends at the first payment): the first beside
    the payment ("...до договора. И до первых денег — почти четыре"), else the first that sums the
    deal up ("Потом эти три недели с дилером. Договор и предоплата — третье апреля. Итого месяц с
    небольшим"), else the first."""
    return next((days for days, pays, _ in found if pays),
                next((days for days, _, sums in found if sums), found[0][0]))


def asks_whole_cycle(tagged: list[TaggedUtterance], evidence: list[int], lang: str, codebook: Codebook) -> bool:
    """The duration answers "how long?" and the question (or the answer) names the deal's ends or its
    whole ("from the first call to the payment", "в итоге", "overall")."""
    whole = phrase_list(codebook.lexicons, "cycle_whole", lang)
    question = ""
    for item in tagged:
        if item.utterance.is_interviewer:
            question = item.utterance.text
        elif item.n in evidence and item.asked_duration:
            return bool(whole.find(question) or whole.find(item.utterance.text))
    return False


def cycle_from_dates(respondent: list[TaggedUtterance], lang: str, codebook: Codebook,
                     clues: list[PurchaseClue], channel: str | None = None) -> tuple[int | None, list[int]]:
    """The first contact's date to the first payment's: the payment from the sentences that tell the
    purchase with a month (one with payment words first), the contact from the first month told
    from the first contact on (at a stand or on a cold call the discovery; after a recommendation
    or a search the first request or call, as for the first-contact role)."""
    lexicon = codebook.lexicons.get("durations") or {}
    if lang not in lexicon:
        return None, []
    payment_words = phrase_list(codebook.lexicons, "payment_words", lang)
    paid: tuple[MonthMention, int] | None = None
    signed: tuple[MonthMention, int] | None = None
    for clue in clues:
        months = [m for m in find_dates(clue.text, lang, lexicon) if m.month]
        if not months:
            continue
        if paid is None and (payment_words.find(clue.text) or payment_words.find(clue.asked)):
            paid = (months[-1], clue.n)
        if signed is None:
            signed = (months[-1], clue.n)
    end = paid or signed
    if end is None:
        return None, []
    for start_stages in contact_starts(codebook, channel):
        found = first_date_from(respondent, set(start_stages), end, lang, lexicon)
        if found is not None:
            days = days_between(found[0], end[0])
            shortest = float(codebook.lexicons.get("min_cycle_days") or 0)
            longest = float(codebook.lexicons.get("max_cycle_days") or float("inf"))
            return (days, [found[1], end[1]]) if shortest <= days <= longest else (None, [])
    return None, []


def first_date_from(respondent: list[TaggedUtterance], stages: set[str], end: tuple[MonthMention, int], lang: str,
                    lexicon: dict) -> tuple[MonthMention, int] | None:
    """The first month told from the first utterance of `stages` on, before the payment's utterance."""
    started = False
    for item in respondent:
        if item.n >= end[1]:
            return None
        started = started or bool(set(item.stages) & stages)
        if not started:
            continue
        text = item.utterance.text
        for s, e in item.sentences or [(0, len(text))]:
            months = [m for m in find_dates(text[s:e], lang, lexicon) if m.month]
            if months:
                return months[0], item.n
    return None
