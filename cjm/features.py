"""Stage 2c — features: one interview's evidence as the feature dicts the learned model reads.

Built from the same evidence and the rules' decision, never from gold:
  stage_features     one dict per respondent utterance, in story order (a CRF sequence)
  candidates         one dict per (utterance, role) or (utterance, channel) the evidence puts forward
A candidate is a label some rule found in the utterance (kept or suppressed), or the speaker's own
role: the model decides which of them hold. Features are strings with weight 1.0 unless noted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from spacy.tokens import Doc

from .evidence import FIRST_PERSON, NAME_WINDOW, InterviewEvidence
from .model import CHANNEL, NONE, ROLE, STAGE, TaggedUtterance
from .nlp import WordSummary, has_capitals, is_name, is_russian_name, word_count, word_summary
from .story_features import crossed, story_rows

FEATURE_VERSION = 3  # 3: story features (cjm/story_features.py), the respondent's own job as a role candidate
LENGTH_BUCKETS = (3, 8, 20, 50, 120)
DIGIT = re.compile(r"\d")
POSITION_BUCKETS = 10
MAX_WORD_FEATURES = 60  # lemmas per utterance: long answers are capped so one monologue does not dominate
QUESTION_WORDS = 25
NEIGHBOUR_WORD_WEIGHT = 0.5  # a neighbour's words say less about this utterance than its own
WORD_KEY = "w="  # an utterance's words: its neighbours see them (at NEIGHBOUR_WORD_WEIGHT), no context key starts so
NEIGHBOUR_KEYS = ("m=", "mq=", "sup=", "cue=", WORD_KEY)  # the features of an utterance its neighbours see
CONTEXT_KEYS = ("rule=", "cue=", "asked=", "len", "pos=", "far=", "first_person", "past", "first", "lang=")
LABELLED_CONTEXT = ("rule=", "cue=")  # context features also crossed with the candidate's label
STORY_KEYS = ("m=", "mq=", "rule=")
NO_RULE_STAGE = f"rule={NONE}"
WE = {"ru": ("мы", "нас", "нам", "наш", "наша", "наши", "наше"), "en": ("we", "us", "our", "we've", "we'd", "we're")}
THIRD_PERSON = {"ru": ("он", "она", "его", "её", "ее", "ему", "ей", "него", "неё", "нему", "ней", "ним", "нём"),
                "en": ("he", "she", "him", "her", "his", "he's", "she's", "he'd", "she'd")}


@dataclass(frozen=True)
class Candidate:
    """A label the evidence proposes for one utterance: the model says yes or no."""

    n: int  # utterance number
    kind: str  # role | channel
    label: str
    features: dict[str, float]


def length_bucket(words: int) -> str:
    return next((f"<={b}" for b in LENGTH_BUCKETS if words <= b), f">{LENGTH_BUCKETS[-1]}")


def summary(doc: Doc, lang: str) -> WordSummary:
    """What the parse gathered of the doc's words (`cjm.nlp.WordSummary`); `lang` is the doc's."""
    return word_summary(doc)


def content_lemmas(doc: Doc | None, limit: int = MAX_WORD_FEATURES) -> list[str]:
    """Lower-case lemmas of the words that carry meaning (no punctuation, numbers or stop words)."""
    return [] if doc is None else list(summary(doc, doc.lang_).content[:limit])


def has_past(doc: Doc | None) -> bool:
    return doc is not None and summary(doc, doc.lang_).past


def words_of(item: TaggedUtterance) -> frozenset[str]:
    return text_words(item.utterance.text)


@lru_cache(maxsize=4096)
def text_words(text: str) -> frozenset[str]:
    """The lower-case words of a text, split at spaces, commas and full stops (remembered: the stage
    row and the role candidates of an utterance both read them)."""
    return frozenset(text.lower().replace(",", " ").replace(".", " ").split())


def preceding_questions(evidence: InterviewEvidence) -> dict[int, TaggedUtterance]:
    """Each respondent utterance -> the interviewer's turn right before it, where there is one."""
    found: dict[int, TaggedUtterance] = {}
    for previous, item in zip(evidence.tagged, evidence.tagged[1:]):
        if previous.utterance.is_interviewer and not item.utterance.is_interviewer:
            found[item.n] = previous
    return found


def own_features(item: TaggedUtterance, ruled: TaggedUtterance, doc: Doc | None, lang: str) -> dict[str, float]:
    """What one utterance holds by itself: its evidence, the rules' verdict, its shape and words."""
    f: dict[str, float] = {"bias": 1.0, f"lang={lang}": 1.0}
    for m in item.mentions:
        if m.kind == STAGE:
            tag = "mq" if m.origin == "question" else "mb" if m.back else "mw" if m.weak else "m"
            f[f"{tag}={m.label}"] = 1.0
        elif m.kind == CHANNEL:
            f["channel"] = 1.0
        elif m.kind == ROLE:
            f["role"] = 1.0
    for m in item.suppressed:
        if m.kind == STAGE:
            f[f"sup={m.label}"] = 1.0
    for cue in sorted(item.cues):  # in one order: the features' order is the sum's (`tagger_model.ordered`)
        f[f"cue={cue}"] = 1.0
    for stage in ruled.stages or [NONE]:
        f[f"rule={stage}"] = 1.0
    for cue in sorted(ruled.cues - item.cues):  # what the rules' passes concluded ("unsupported", another story)
        f[f"rcue={cue}"] = 1.0
    if item.asked:
        f[f"asked={item.asked}"] = 1.0
    if item.asked_duration:
        f["asked_duration"] = 1.0
    f[f"len{length_bucket(word_count(item.utterance.text))}"] = 1.0
    if has_past(doc):
        f["past"] = 1.0
    if not words_of(item).isdisjoint(FIRST_PERSON.get(lang, ())):
        f["first_person"] = 1.0
    if DIGIT.search(item.utterance.text):
        f["digits"] = 1.0
    for lemma in content_lemmas(doc):
        f[f"w={lemma}"] = 1.0
    return f


def stage_features(evidence: InterviewEvidence, by_rules: list[TaggedUtterance],
                   order: list[str]) -> list[dict[str, float]]:
    """One feature dict per respondent utterance, with its neighbours' and its question's evidence
    (`order`: the codebook's stages, for "the furthest so far")."""
    return stage_rows(evidence, by_rules, order)[0]


def stage_rows(evidence: InterviewEvidence, by_rules: list[TaggedUtterance], order: list[str]
               ) -> tuple[list[dict[str, float]], list[tuple[bool, list[str]]]]:
    """`stage_features` with each row's `context_of`, read off the utterance's own features (all
    the context comes from them and from its place in the story) rather than the whole row."""
    lang = evidence.transcript.language
    ruled = {t.n: t for t in by_rules}
    respondent = evidence.respondent
    questions = preceding_questions(evidence)
    own = [own_features(t, ruled[t.n], evidence.docs.get(t.n), lang) for t in respondent]
    read = [read_own(row) for row in own]  # (told, context, what a neighbour passes on), one pass over each
    rule_stages = [ruled[t.n].stages for t in respondent]
    furthest = -1
    last, last_at = NONE, -1
    story = story_rows(evidence)  # the question answered, the events told (story_features)
    rows: list[dict[str, float]] = []
    contexts: list[tuple[bool, list[str]]] = []
    for i, item in enumerate(respondent):
        f = {**own[i], **story[i]}
        f[f"last={last}"] = 1.0  # the stage the story was at when it was last told
        f[f"last_gap={min(3, i - last_at) if last_at >= 0 else 'none'}"] = 1.0
        placed = [f"pos={min(POSITION_BUCKETS - 1, i * POSITION_BUCKETS // max(1, len(respondent)))}"]
        if i == 0:
            placed.append("first")
        placed.append(f"far={order[furthest] if furthest >= 0 else NONE}")
        for key in placed:
            f[key] = 1.0
        told, context, _ = read[i]
        contexts.append((told, context + placed))
        for offset, tag in ((-1, "p"), (1, "n"), (-2, "pp"), (2, "nn")):
            j = i + offset
            if 0 <= j < len(respondent):
                for stage in rule_stages[j] or [NONE]:
                    f[f"{tag}:rule={stage}"] = 1.0
                if abs(offset) == 1:  # what the utterance right before or after passes on
                    prefix = f"{tag}:"
                    for key, weight in read[j][2]:
                        f[prefix + key] = weight
        question = questions.get(item.n)
        if question is None:
            f["no_question"] = 1.0
        else:
            for lemma in content_lemmas(evidence.docs.get(question.n), QUESTION_WORDS):
                f[f"q={lemma}"] = 1.0
        f |= crossed(story[i], own[i])
        rows.append(f)
        reached = [order.index(s) for s in rule_stages[i] if s in order]
        furthest = max([furthest] + reached)
        if reached:
            last, last_at = order[max(reached)], i
    return rows, contexts


def stacked_features(rows: list[dict[str, float]], decoded: tuple[list[str], list[dict[str, float]]],
                     order: list[str]) -> list[dict[str, float]]:
    """The stage rows again, with what a first stage model read in the whole story: each utterance's
    own answer, its neighbours', the stage last and furthest decoded before it, the next one ahead,
    and where it stands against the first and last utterance of each decoded stage.

    The rules' "last" and "furthest" are read from phrases alone; the first model's are read from
    everything, so the second model knows better where the story is (stacking)."""
    best, marginals = decoded
    staged = [i for i, label in enumerate(best) if label != NONE]
    first = {s: next((i for i in staged if best[i] == s), None) for s in order}
    final = {s: next((i for i in reversed(staged) if best[i] == s), None) for s in order}
    out: list[dict[str, float]] = []
    last, furthest = NONE, -1
    for i, row in enumerate(rows):
        f = dict(row)  # the words stay: without them the second model leans on the first's answers (-0.03 by CV)
        f[f"s1={best[i]}"] = 1.0
        for label, p in marginals[i].items():
            if p >= 0.2:
                f[f"s1p={label}"] = round(p, 2)
        for offset, tag in ((-1, "before"), (1, "after")):
            j = i + offset
            f[f"s1{tag}={best[j] if 0 <= j < len(best) else 'edge'}"] = 1.0
        f[f"s1last={last}"] = 1.0
        f[f"s1far={order[furthest] if furthest >= 0 else NONE}"] = 1.0
        ahead = next((best[j] for j in range(i + 1, len(best)) if best[j] != NONE), NONE)
        f[f"s1next={ahead}"] = 1.0
        for s in order:
            if first[s] is not None:
                f[f"s1{'after' if i > first[s] else 'at' if i == first[s] else 'before'}_first={s}"] = 1.0
                f[f"s1{'after' if i > final[s] else 'at' if i == final[s] else 'before'}_last={s}"] = 1.0
        out.append(f)
        if best[i] != NONE:
            last = best[i]
            if best[i] in order:
                furthest = max(furthest, order.index(best[i]))
    return out


def candidate_features(kind: str, label: str, item: TaggedUtterance, ruled: TaggedUtterance,
                       context: list[str], own_role: str | None) -> dict[str, float]:
    """Why a label is proposed for an utterance, and the utterance's context (`context_of` its
    stage row), as features."""
    f: dict[str, float] = {"bias": 1.0, f"label={label}": 1.0}
    kept = [m for m in item.mentions if m.kind == kind and m.label == label]
    for m in kept:
        f[f"origin={m.origin}"] = 1.0
        f[f"origin={m.origin}|{label}"] = 1.0
        f[f"text={m.text.lower()}"] = 1.0
    if not kept:
        f["only_suppressed" if any(m.kind == kind and m.label == label for m in item.suppressed) else "no_mention"] = 1.0
    f["mentions"] = float(len(kept))
    if label in ruled.labels(kind):
        f["rule_yes"] = 1.0
        f[f"rule_yes|{label}"] = 1.0
    if own_role == label:
        f["own_role"] = 1.0
    for key in context:
        f[key] = 1.0
        if key.startswith(LABELLED_CONTEXT):
            f[f"{key}|{label}"] = 1.0
    return f


TOLD_CHANNEL_KEYS = ("bias", "lang=", "w=", "q=")  # what a discovery's words and its question say
TOLD_STAGE = "informed"  # the utterances whose words are read for the channel (contract section 5)
TOLD_FROM = 0.3  # ... and those the stage model gives at least this P(informed)


def told_channel_features(stage_row: dict[str, float]) -> dict[str, float]:
    """The words of an utterance and of its question, from its stage row: what the channel
    classifier reads where a discovery is told without a channel's name ("Through Gareth, two
    stalls down from us", "Мне позвонил ваш менеджер")."""
    return {key: value for key, value in stage_row.items() if key.startswith(TOLD_CHANNEL_KEYS)}


def tells_discovery(stages: list[str], marginal: dict[str, float]) -> bool:
    """Where the channel classifier reads: an utterance decoded `informed`, or likely to be."""
    return TOLD_STAGE in stages or marginal.get(TOLD_STAGE, 0.0) >= TOLD_FROM


def context_of(stage_row: dict[str, float]) -> tuple[bool, list[str]]:
    """What a candidate of the utterance reads of its stage row: whether some stage evidence or
    the rules tell a stage there, and the row's context features (one pass over the row)."""
    return read_own(stage_row)[:2]


def read_own(row: dict[str, float]) -> tuple[bool, list[str], list[tuple[str, float]]]:
    """`context_of` a row, and the features its neighbours see of it with their weights (the words
    at `NEIGHBOUR_WORD_WEIGHT`): in one pass, since every row of every interview is read for both."""
    told, context, near = False, [], []
    for key in row:
        if key[:2] == WORD_KEY:  # most keys are words: neither context nor a told stage
            near.append((key, NEIGHBOUR_WORD_WEIGHT))
            continue
        if key.startswith(CONTEXT_KEYS):
            context.append(key)
        if not told and key.startswith(STORY_KEYS) and key != NO_RULE_STAGE:
            told = True
        if key.startswith(NEIGHBOUR_KEYS):
            near.append((key, 1.0))
    return told, context, near


def people(evidence: InterviewEvidence) -> dict[str, dict[str, int]]:
    """Who is who in this interview: each name -> the roles named beside it, and how often.

    "Jess, my programmer", "our CFO Linda": a name within a few words of a role mention (kept or
    suppressed: the model weighs it) in any sentence of the interview. A name met only further off in
    a role's sentence counts 0 (a weaker candidate, `via=name_far`); in text without capitals (speech
    recognition) lower-case names count too.
    """
    found: dict[str, dict[str, int]] = {}
    far: dict[str, set[str]] = {}
    lang = evidence.transcript.language
    lower = lower_case_text(evidence)
    for item in evidence.respondent:
        doc = evidence.docs.get(item.n)
        if doc is None:
            continue
        for m in item.mentions + item.suppressed:
            if m.kind != ROLE or m.origin == "name":
                continue
            span = doc.char_span(m.start, m.end, alignment_mode="expand")
            if span is None:
                continue
            sent = span.sent
            near = set(range(max(sent.start, span.start - NAME_WINDOW), span.start)) | \
                set(range(span.end, min(sent.end, span.end + NAME_WINDOW)))
            # with capitals, the names are those the parse found (`name_at`); without, any word may be one
            persons = [doc[i] for i in (range(sent.start, sent.end) if lower else word_summary(doc).name_at)
                       if sent.start <= i < sent.end and not span.start <= i < span.end]
            for token in persons:
                if token.i in near and is_person(token, lang, lower):
                    roles = found.setdefault(token.lemma_.lower(), {})
                    roles[m.label] = roles.get(m.label, 0) + 1
            for token in persons:
                if token.i not in near and is_person(token, lang, lower):
                    far.setdefault(token.lemma_.lower(), set()).add(m.label)
    for name, roles in far.items():
        if name not in found:
            found[name] = {role: 0 for role in sorted(roles)}  # count 0: met only in a role's sentence, further off
    return {name: roles for name, roles in found.items() if name not in evidence.supplier_people}


def lower_case_text(evidence: InterviewEvidence) -> bool:
    """Speech-recognition output: no capital letters in the respondents' text, so names are lower case too."""
    return not any(has_capitals(t.utterance.text) for t in evidence.respondent)


def is_person(token, lang: str, lower: bool) -> bool:
    """A person's name, also lower case in a transcript without capitals ("ирина", "саныч")."""
    if is_name(token, lang):
        return True
    if not lower or not token.is_alpha or len(token.text) < 3 or token.is_stop:
        return False
    if lang == "ru":
        return is_russian_name(token.text)  # pymorphy3 reads "ирина" as "Ирина" (and the parse is cached)
    from .redact import name_data

    names = name_data()
    return token.lower_ in names.first_names and token.lower_ not in names.common_words


def speaker_names(evidence: InterviewEvidence) -> dict[str, dict[str, int]]:
    """The respondents' own names -> their roles: "Kofi Mensah (Senior Scientist)" makes "kofi" an expert."""
    found: dict[str, dict[str, int]] = {}
    for speaker, role in evidence.own_roles.items():
        bare = re.sub(r"\([^)]*\)", " ", speaker)
        for word in re.findall(r"[^\W\d_]{2,}", bare):
            if word.lower() not in GENERIC_SPEAKERS:
                found.setdefault(word.lower(), {})[role] = SPEAKER_NAME_WEIGHT
    return found


GENERIC_SPEAKERS = {"speaker", "спикер", "respondent", "респондент", "client", "клиент", "guest", "гость"}
SPEAKER_NAME_WEIGHT = 3


PRONOUN_TURNS = 3  # "he", "она" several answers after the person was named
INTRODUCTION_TURNS = 3  # a respondent says who they are in their first answers


def guessed_roles(evidence: InterviewEvidence) -> dict[str, str]:
    """For respondents whose job no label or "I am the..." gives: the first role they name in a
    sentence of their own ("Tom Reyes, operations manager, which means..."), in their first answers."""
    lang = evidence.transcript.language
    me = set(FIRST_PERSON.get(lang, ())) | set(WE.get(lang, ()))
    seen: dict[str, int] = {}
    guesses: dict[str, str] = {}
    for item in evidence.respondent:
        speaker = item.utterance.speaker
        seen[speaker] = seen.get(speaker, 0) + 1
        if speaker in guesses or speaker in evidence.own_roles or seen[speaker] > INTRODUCTION_TURNS:
            continue
        for m in item.mentions:
            if m.kind != ROLE:
                continue
            start, end = item.sentences[m.sentence] if m.sentence < len(item.sentences) else (0, len(item.utterance.text))
            words = set(re.findall(r"[\w']+", item.utterance.text[start:end].lower()))
            if words & me or seen[speaker] == 1 and m.sentence == 0:
                guesses[speaker] = m.label
                break
    return guesses


def names_in(doc: Doc | None, lang: str, known: dict[str, dict[str, int]],
             supplier: frozenset[str] = frozenset()) -> set[str]:
    """The people of the interview named in an utterance: names as such, and known names in any case
    (speech-recognition output writes "ольга", "alyssa"); not the supplier's people (`supplier`)."""
    if doc is None:
        return set()
    words = summary(doc, lang)
    return (set(words.names) | known.keys() & words.words) - supplier  # (the known names met: one set operation)


def candidates(evidence: InterviewEvidence, by_rules: list[TaggedUtterance],
               rows: list[dict[str, float]], kind: str,
               decoded: tuple[list[str], list[dict[str, float]]] | None = None,
               contexts: list[tuple[bool, list[str]]] | None = None) -> list[Candidate]:
    """The (utterance, label) pairs of one kind that the evidence or the rules put forward.

    Roles also come from the people of the interview: a name met with a role elsewhere, a
    "he/she" right after a role was named, the speaker's own role where "I" or "we" act.
    `decoded` is the stage model's answer for each utterance (best label, marginals): a person
    is tagged where they act in the story, so whether the utterance tells a stage matters.
    `contexts`: `context_of` each row, where the caller asks for both kinds.
    """
    ruled = {t.n: t for t in by_rules}
    lang = evidence.transcript.language
    acting_words = set(FIRST_PERSON.get(lang, ()) + WE.get(lang, ()))
    pronouns = set(THIRD_PERSON.get(lang, ()))
    contexts = [context_of(row) for row in rows] if contexts is None else contexts
    registry = people(evidence) if kind == ROLE else {}
    for name, roles in (speaker_names(evidence) if kind == ROLE else {}).items():
        for role, weight in roles.items():
            registry.setdefault(name, {})[role] = registry.get(name, {}).get(role, 0) + weight
    interview_channel = story_channel(evidence, by_rules) if kind == CHANNEL else None
    own_roles = {**guessed_roles(evidence), **evidence.own_roles} if kind == ROLE else {}
    found: list[Candidate] = []
    earlier_roles: dict[str, int] = {}  # a role named in the last few utterances -> how many utterances ago
    for index, (item, row) in enumerate(zip(evidence.respondent, rows)):
        own_role = own_roles.get(item.utterance.speaker)
        labels = {m.label for m in item.mentions + item.suppressed if m.kind == kind}
        labels |= set(ruled[item.n].labels(kind))
        via: dict[str, set[str]] = {}
        told, context = contexts[index]
        storied = told or (decoded is not None and decoded[0][index] != NONE)
        if kind == ROLE:
            words = words_of(item)
            acting = words & acting_words
            if own_role and storied:  # the speaker acting in the story ("I sent the request", "Asked for net 45")
                via.setdefault(own_role, set()).add("own" if acting else "own_silent")
            elif own_role and acting and has_past(evidence.docs.get(item.n)):
                via.setdefault(own_role, set()).add("own_past")  # what they did, told without a stage phrase
            for name in names_in(evidence.docs.get(item.n), lang, registry, evidence.supplier_people):
                for role, weight in registry.get(name, {}).items():
                    via.setdefault(role, set()).add("name" if weight else "name_far")
            if words & pronouns:
                for role, age in earlier_roles.items():
                    via.setdefault(role, set()).add("pronoun" if age == 1 else f"pronoun{age}")
            elif storied:
                for role, age in earlier_roles.items():
                    via.setdefault(role, set()).add("previous" if age == 1 else f"previous{age}")
            named_here = set(ruled[item.n].roles) or {m.label for m in item.mentions if m.kind == ROLE}
            earlier_roles = {role: 1 for role in named_here} if named_here else \
                {role: age + 1 for role, age in earlier_roles.items() if age < PRONOUN_TURNS}
        elif interview_channel and storied and any(k in row for k in ("m=informed", "rule=informed", "mq=informed")):
            via.setdefault(interview_channel, set()).add("interview")  # the discovery told without the channel's name
        for label in sorted(labels | set(via)):
            features = candidate_features(kind, label, item, ruled[item.n], context, own_role)
            for reason in sorted(via.get(label, ())):
                features[f"via={reason}"] = 1.0
            if decoded is not None:
                best, marginals = decoded[0][index], decoded[1][index]
                features[f"decoded={best}"] = 1.0
                features["p_no_stage"] = marginals.get(NONE, 0.0)
            found.append(Candidate(item.n, kind, label, features))
    return found


def story_channel(evidence: InterviewEvidence, by_rules: list[TaggedUtterance]) -> str | None:
    """The channel of the interview as the CRM or the rules see it: a candidate for the discovery utterances."""
    from .journey import detect_channel_by_rules

    if evidence.transcript.channel:
        return evidence.transcript.channel
    return detect_channel_by_rules([t for t in by_rules if not t.utterance.is_interviewer])
