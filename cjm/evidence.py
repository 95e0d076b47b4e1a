"""Stage 2a — evidence: what the rules find in each utterance, as data.

Per respondent utterance: the codebook's matches (`Mention`s with kind, label and span), those a
cue puts out of this journey (`suppressed`: negated, hypothetical, habit, advice, hearsay, another
story), the kinds of cue met, the question it answers (`asked`), the respondent's own role and
the people named with a role. Nothing here decides the utterance's final labels: the rules'
decision (`rules_decision`) and the learned model (`decode`) both read this evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from spacy.language import Language
from spacy.tokens import Doc, Span

from .durations import find_durations
from .nlp import has_capitals, is_name, is_russian_name, past_between
from .model import EVENT, ROLE, STAGE, Mention, SentenceNote, StatedDuration, TaggedUtterance, Transcript
from .rules import CLAUSE_CUES, SENTENCE_CUES, CompiledRules

CLAUSE_PUNCT = {",", ";", ":", "—", "–", "(", ")", "-"}
LOST_DEAL = "lost_deal"


def told_as_past(doc: Doc, sent: Span, start: int, end: int) -> bool:
    """A past-tense verb in the match, or, for a match without a verb ("первая поставка"), in its clause.

    Only Russian morphology tells tense here; English matches pass (no tagger, and "the money going
    out" or "every rep uses it" tell a purchase without a past verb).
    """
    if doc.lang_ != "ru":
        return True
    if past_between(doc, start, end):
        return True
    if any(t.pos_ == "VERB" for t in doc[start:end]):
        return False  # "подписывает", "оплатим": present or future
    return past_between(doc, sent.start, sent.end)


def clause_bounds(sent: Span, clause_words: frozenset[str]) -> list[tuple[int, int]]:
    """Split a sentence into clauses at punctuation and at conjunctions that open a new clause."""
    bounds: list[tuple[int, int]] = []
    start = sent.start
    doc = sent.doc
    for token in sent:
        cut = token.text in CLAUSE_PUNCT
        if not cut and token.lower_ in clause_words and token.i > start:
            cut = True
        if not cut and token.lower_ in ("и", "and") and token.i > start:
            # "и" opens a clause when a verb follows closely: "не стали ждать и сразу заказали"
            window = doc[token.i + 1: min(token.i + 4, sent.end)]
            cut = any(t.pos_ == "VERB" for t in window) or (
                doc.lang_ == "en" and any(t.lower_ in ("we", "i", "they", "he", "she") for t in window[:1]))
        if cut:
            if token.i > start:
                bounds.append((start, token.i))
            start = token.i if token.text not in CLAUSE_PUNCT else token.i + 1
    if start < sent.end:
        bounds.append((start, sent.end))
    return bounds or [(sent.start, sent.end)]


def tag_doc(item: TaggedUtterance, doc: Doc, rules: CompiledRules) -> None:
    """Find mentions sentence by sentence and drop those a cue puts out of this journey."""
    item.sentences = [(s.start_char, s.end_char) for s in doc.sents]
    for index, sent in enumerate(doc.sents):
        cue_spans: dict[str, list[tuple[int, int]]] = {}
        offset = sent.start  # matchers run on the sentence span and answer in its own token offsets
        for key, start, end in rules.cues(sent):
            cue_spans.setdefault(doc.vocab.strings[key], []).append((start + offset, end + offset))
        item.cues.update(cue for cue, spans in cue_spans.items() if spans)
        if rules.cycle_cues is not None:  # recorded here so that the journey stage never parses again
            item.cycle_cues.append({doc.vocab.strings[key] for key, _, _ in rules.cycle_cues(sent)})
        if rules.lost_deal is not None and not any(cue_spans.get(c) for c in CLAUSE_CUES + SENTENCE_CUES) \
                and rules.lost_deal(sent):
            item.cues.add(LOST_DEAL)  # "we went with another vendor": told as done, in this sentence
        idioms = [(s + offset, e + offset) for _, s, e in rules.hypothetical_idioms(sent)] if rules.hypothetical_idioms else []
        if idioms:
            cue_spans["hypothetical"] = [c for c in cue_spans.get("hypothetical", [])
                                         if not any(s <= c[0] < e for s, e in idioms)]
        clauses = clause_bounds(sent, rules.clause_words)
        found = [(doc.vocab.strings[key], start + offset, end + offset) for key, start, end in rules.matcher(sent)]
        backs = {(rules.keys[key], start, end) for key, start, end in found if key.endswith(":back")}
        matches = [(rules.keys[key], start, end, key in rules.weak_keys) for key, start, end in found]
        strong = {(m[0], m[1], m[2]) for m in matches if not m[3]}
        kept_matches = longest_per_kind([(m[0], m[1], m[2]) for m in matches])
        parsed = negation_by_syntax(doc, sent, kept_matches) if cue_spans.get("negation") else None
        for (kind, label), start, end in kept_matches:
            mention = Mention(kind=kind, label=label, start=doc[start].idx,
                              end=doc[end - 1].idx + len(doc[end - 1].text),
                              text=doc[start:end].text, sentence=index,
                              weak=((kind, label), start, end) not in strong,
                              back=((kind, label), start, end) in backs)
            if out_of_journey(kind, start, end, cue_spans, clauses,
                              negated=parsed.get((start, end)) if parsed is not None else None) or (
                    (kind, label) in rules.past_only and not told_as_past(doc, sent, start, end)):
                item.suppressed.append(mention)
            else:
                item.mentions.append(mention)
        if rules.events is not None:
            record_for_report(item, doc, sent, index, rules, cue_spans, clauses)


def record_for_report(item: TaggedUtterance, doc: Doc, sent: Span, index: int, rules: CompiledRules,
                      cue_spans: dict[str, list[tuple[int, int]]], clauses: list[tuple[int, int]]) -> None:
    """What the report needs from this sentence, from the parse the labels came from: its journey
    events (those a cue puts out of the journey kept apart), its tone after negation, a pain or
    objection, a question, and the durations it states about a step. The tag stage only records
    these; no label depends on them."""
    offset = sent.start
    found = longest_per_kind([((EVENT, doc.vocab.strings[key].split(":", 1)[1]), s + offset, e + offset)
                              for key, s, e in rules.events(sent)])
    parsed = negation_by_syntax(doc, sent, found) if cue_spans.get("negation") else None
    for (_, label), start, end in found:
        mention = Mention(kind=EVENT, label=label, start=doc[start].idx, end=doc[end - 1].idx + len(doc[end - 1].text),
                          text=doc[start:end].text, sentence=index)
        out = out_of_journey(EVENT, start, end, cue_spans, clauses,
                             negated=parsed.get((start, end)) if parsed is not None else None) or (
            label in rules.event_past and not told_as_past(doc, sent, start, end))
        (item.suppressed_events if out else item.events).append(mention)
    hits: dict[str, list[int]] = {}
    for key, s, e in rules.tone(sent):
        hits.setdefault(doc.vocab.strings[key], []).append(s + offset)
    positive = negative = 0
    for sign, key in ((1, "positive"), (-1, "negative")):
        for i in sorted(set(hits.get(key, []))):
            flipped = negated_word(doc, sent, i, rules.negators)
            if (sign > 0) != flipped:
                positive += 1
            else:
                negative += 1
    pain = any(not negated_word(doc, sent, i, rules.negators) for i in hits.get("pain", []))
    topic = bool(hits.get("topic"))
    note = SentenceNote(sentence=index, positive=positive, negative=negative,
                        question=sent.text.rstrip().endswith("?") or bool(hits.get("question")))
    tone = note.tone
    # a pain word in a sentence of praise is a worry resolved ("it runs without jamming, the one thing he
    # had been worried about"): a pain only where nothing is praised or the negative outweighs
    told_pain = (pain and (tone < 0 or positive == 0)) or (topic and tone < 0)
    item.notes.append(SentenceNote(index, positive, negative, pain=told_pain, question=note.question))
    if rules.durations is not None:
        item.durations.extend(step_durations(item, doc, sent, index, rules))


def record_report_evidence(items: list[TaggedUtterance], lang: str, rules: CompiledRules, nlp: Language) -> None:
    """Only the report's evidence (events, tone, durations) of already-labelled utterances: for
    journeys whose labels come from elsewhere (hand-built fixtures, an imported journeys.json)."""
    for item in items:
        if item.utterance.is_interviewer or not item.utterance.text:
            continue
        doc = nlp(item.utterance.text)
        if not item.sentences:
            item.sentences = [(s.start_char, s.end_char) for s in doc.sents]
        for index, (a, b) in enumerate(item.sentences):  # the given sentences, so indices agree
            sent = doc.char_span(a, b, alignment_mode="expand")
            if sent is None:
                continue
            cue_spans: dict[str, list[tuple[int, int]]] = {}
            for key, start, end in rules.cues(sent):
                cue_spans.setdefault(doc.vocab.strings[key], []).append((start + sent.start, end + sent.start))
            record_for_report(item, doc, sent, index, rules, cue_spans, clause_bounds(sent, rules.clause_words))


NEGATION_WINDOW = 3  # tokens before a tone word where a negator flips it ("не очень понравилось")


def negated_word(doc: Doc, sent: Span, i: int, negators: frozenset[str]) -> bool:
    """A negator among the few tokens before token i, within its clause ("not good", "без проблем")."""
    for token in doc[max(sent.start, i - NEGATION_WINDOW):i]:
        if token.text in CLAUSE_PUNCT:
            return False if token.i == i - 1 else negated_word_after(doc, token.i + 1, i, negators)
    return negated_word_after(doc, max(sent.start, i - NEGATION_WINDOW), i, negators)


def negated_word_after(doc: Doc, start: int, i: int, negators: frozenset[str]) -> bool:
    return any(t.lower_ in negators or t.lemma_.lower() in negators or t.lower_.endswith("n't")
               for t in doc[start:i])


def step_durations(item: TaggedUtterance, doc: Doc, sent: Span, index: int,
                   rules: CompiledRules) -> list[StatedDuration]:
    """Durations the sentence states as the time a step took: a sentence that tells a step (a stage
    phrase, an event) or a span word ("took", "через"), and the
    duration is no rate, no contract term and no point in time (see sentiment.yaml, stage_time)."""
    words = rules.stage_time
    empty: frozenset[str] = frozenset()

    def has(token, key: str) -> bool:
        return token.lower_ in words.get(key, empty) or token.lemma_.lower() in words.get(key, empty)

    about_a_step = any(m.sentence == index and m.kind == STAGE for m in item.mentions) or \
        any(m.sentence == index for m in item.events)
    if not about_a_step and not any(has(t, "span") for t in sent):
        return []  # "I've been here about six years": no step, no span
    base = sent.start_char
    out = []
    for d in find_durations(sent.text, doc.lang_, rules.durations):
        before = [t for t in sent if t.idx + len(t.text) <= base + d.start and not t.is_space][-1:]
        after = [t for t in sent if t.idx >= base + d.end and not t.is_punct][:2]
        if before and has(before[0], "rate_before") and not _amount_free(before[0], words):
            continue  # "£45 a user a month", "в месяц"
        if before and has(before[0], "point_before"):
            continue  # "last year", "в прошлом году"
        if any(has(t, "term_after") or has(t, "point_after") for t in after):
            continue  # "a three-year commitment", "the year before", "год назад"
        out.append(StatedDuration(index, float(d.days), d.text, base + d.start, base + d.end))
    return out


def _amount_free(token, words: dict) -> bool:
    """'a'/'an' before a unit is a rate only after an amount ("£45 a user a month"), not in "a month later"."""
    if token.lower_ not in ("a", "an"):
        return False
    prev = token.doc[token.i - 1] if token.i > token.sent.start else None
    return prev is None or not (prev.like_num or prev.lower_ in words.get("rate_before", ()) and prev.lower_ not in ("a", "an"))


def longest_per_kind(matches: list[tuple[tuple[str, str], int, int]]):
    """Within one kind, a longer match hides the shorter ones inside it ("финансовый директор")."""
    kept: list[tuple[tuple[str, str], int, int]] = []
    for match in sorted(matches, key=lambda m: (-(m[2] - m[1]), m[1])):
        (kind, _), start, end = match
        if any(k[0] == kind and s < end and start < e and (s, e) != (start, end) for k, s, e in kept):
            continue
        if match not in kept:
            kept.append(match)
    return sorted(kept, key=lambda m: (m[1], m[2]))


def prefetch_negation_parses(docs: list[Doc], rules: CompiledRules) -> None:
    """Parse, in one batch, every sentence `negation_by_syntax` will ask about: those that hold a
    negation cue and a match (natasha is several times faster on a batch than sentence by sentence)."""
    if not docs or docs[0].lang_ != "ru":
        return
    from .syntax import parse_many

    negation = docs[0].vocab.strings["negation"]
    parse_many([sent.text for doc in docs for sent in doc.sents
                if any(key == negation for key, _, _ in rules.cues(sent)) and rules.matcher(sent)])


def negation_by_syntax(doc: Doc, sent: Span, matches) -> dict[tuple[int, int], bool] | None:
    """Russian: which matches a negated verb governs, from natasha's parse of this one sentence."""
    if doc.lang_ != "ru" or not matches:
        return None
    from .syntax import negated_spans

    base = sent.start_char
    spans = [(doc[s].idx - base, doc[e - 1].idx + len(doc[e - 1].text) - base) for _, s, e in matches]
    flags = negated_spans(sent.text, spans)
    return {(s, e): flag for (_, s, e), flag in zip(matches, flags)}


def out_of_journey(kind: str, start: int, end: int, cue_spans: dict[str, list[tuple[int, int]]],
                   clauses: list[tuple[int, int]], negated: bool | None = None) -> bool:
    """True when a cue puts the match out of this journey (and the match is not the cue itself).

    `negated` is the parse's answer where there is one; else a negation anywhere in the clause counts.
    """
    for cue in SENTENCE_CUES:
        if cue_spans.get(cue):
            return True
    clause = next(((s, e) for s, e in clauses if s <= start < e), None)
    for cue in CLAUSE_CUES:
        if kind == ROLE and cue == "negation":
            continue  # "директор даже не посмотрел" still puts the director in the story
        if cue == "negation" and negated is not None:
            if negated and not any(start <= cs and ce <= end for cs, ce in cue_spans.get(cue, [])):
                return True  # the match itself holds no "не" ("не знали о вас" is an unaware phrase)
            continue
        for cs, ce in cue_spans.get(cue, []):
            inside_match = start <= cs and ce <= end
            if inside_match:
                continue
            if clause and clause[0] <= cs < clause[1]:
                return True
    if kind == ROLE:
        for cs, ce in cue_spans.get("supplier_side", []):
            if ce == start or ce == start - 1 or (cs <= start < ce):
                return True
    return False


def apply_question_context(tagged: list[TaggedUtterance], rules: CompiledRules, nlp: Language,
                           question_docs: dict[int, Doc]) -> None:
    """An answer takes the stage its question asks about: "кто принимал решение?" -> motivated.

    Each question is parsed once, with the answers; what it asked is kept on the answer (`asked`, `asked_duration`).
    """
    if rules.question_stages is None:
        return
    for previous, item in zip(tagged, tagged[1:]):
        if not previous.utterance.is_interviewer or item.utterance.is_interviewer or not item.sentences:
            continue
        doc = question_docs[previous.n]
        item.asked_duration = rules.cycle_questions is not None and bool(rules.cycle_questions(doc))
        if rules.advice_questions is not None and rules.advice_questions(doc):
            item.asked = ADVICE  # "что бы вы посоветовали?": the answer is advice, not the journey
            item.suppressed.extend(item.mentions)
            item.mentions = []
            item.suppressed_events.extend(item.events)  # what they would do, not what they did
            item.events = []
            continue
        if rules.aside_questions is not None and rules.aside_questions(doc):
            item.asked = ASIDE  # "что-нибудь ещё хотите добавить?": what they say is not told as the story
            continue
        stages = sorted({doc.vocab.strings[key] for key, _, _ in rules.question_stages(doc)})
        if rules.before_contact in stages:  # "как было до того, как вы узнали о нас?" asks about the time before
            stages = [rules.before_contact]
        if not stages or len(item.utterance.text.split()) < MIN_ANSWER_WORDS:
            continue
        start, end = item.sentences[0]
        first_word = next(iter(re.findall(r"[\w'-]+", item.utterance.text[start:end].lower())), "")
        if first_word in NEGATIVE_REPLY.get(nlp.lang, ()):
            item.asked = DENIED  # "Вы о них слышали раньше?" - "Нет, вообще ничего": nothing to label or carry
            continue
        item.asked = stages[0]
        for stage in stages:
            if not any(m.kind == STAGE and m.label == stage for m in item.mentions):
                item.mentions.append(Mention(STAGE, stage, start, end, item.utterance.text[start:end], 0,
                                             origin="question"))


MIN_ANSWER_WORDS = 3
NEGATIVE_REPLY = {"ru": ("нет", "неа", "не-а"), "en": ("no", "nope", "not", "never", "nah")}
ADVICE = "advice"
ASIDE = "aside"
DENIED = "denied"
FIRST_PERSON = {"ru": ("я", "мне", "меня", "мной", "мною"), "en": ("i", "me", "my", "i'm", "i've", "i'd")}


def attribute_respondent_role(tagged: list[TaggedUtterance], transcript: Transcript, roles: dict[str, str]) -> None:
    """Give each respondent's own role to the utterances where they act ("я отправила заявку")."""
    words = FIRST_PERSON.get(transcript.language, ())
    for item in tagged:
        role = roles.get(item.utterance.speaker)
        if item.utterance.is_interviewer or role is None or not item.sentences:
            continue
        if not any(m.kind == STAGE for m in item.mentions) or any(m.kind == ROLE and m.label == role for m in item.mentions):
            continue
        text = item.utterance.text
        for index, (start, end) in enumerate(item.sentences):
            if set(re.findall(r"[\w']+", text[start:end].lower())) & set(words):
                item.mentions.append(Mention(ROLE, role, start, end, text[start:end], index, origin="respondent"))
                break


def respondent_roles(tagged: list[TaggedUtterance], transcript: Transcript, rules: CompiledRules,
                     nlp: Language, docs: dict[int, Doc] | None = None) -> dict[str, str]:
    """Each respondent's job, in this order: a '(директор)' in their label, the front matter, the
    answer to "tell me about yourself" ("Лыков Сергей Павлович, главный энергетик"), the interviewer's
    recap ("you're the recruiting lead at..."), then a self-introduction ('я — главный инженер')."""
    roles: dict[str, str] = {}
    docs = docs or {}
    speakers = list(dict.fromkeys(t.utterance.speaker for t in tagged if not t.utterance.is_interviewer))
    declared = [str(transcript.metadata.get(k)) for k in ("role", "position", "respondent_role", "title")
                if transcript.metadata.get(k)]
    for speaker in speakers:
        hints = [m.group(1) for m in [re.search(r"\(([^)]*)\)", speaker)] if m]
        if len(speakers) == 1:
            hints += declared
        for hint in hints:
            found = [rules.keys[nlp.vocab.strings[key]] for key, _, _ in rules.matcher(nlp(hint))]
            role = next((label for kind, label in found if kind == ROLE), None)
            if role:
                roles[speaker] = role
                break
    for speaker, role in asked_roles(tagged, rules, nlp, docs).items():
        roles.setdefault(speaker, role)
    words = rules.self_introduction or SELF_INTRO_SUBJECT.get(transcript.language, ())
    pattern = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, words)) + r")(?!\w)")
    for item in tagged:
        speaker = item.utterance.speaker
        if item.utterance.is_interviewer or speaker in roles:
            continue
        for mention in item.mentions:
            if mention.kind != ROLE or not job_case(mention, docs.get(item.n), transcript.language):
                continue
            start, _ = item.sentences[mention.sentence]
            before = item.utterance.text[start:mention.start].lower()
            if pattern.search(" ".join(before.split()[-SELF_INTRO_WORDS:])):
                roles[speaker] = mention.label
                break
    return roles


SELF_INTRO_WORDS = 4  # "I'm the head of", "я работаю главным": the pronoun stands right before the job
# The subject introduces themselves; "мне нужно было показать директору" names someone else.
SELF_INTRO_SUBJECT = {"ru": ("я",), "en": ("i", "i'm", "i've")}
INTRODUCTION_ANSWERS = 10  # who the respondent is comes up in the opening answers, not in the story
INTRODUCTION_WORDS = 12  # the answer to "who are you?" names the job in its first words
RECAP_WORDS = 4  # "you're the [new] recruiting lead": the recap's pronoun is at most this far before the job
JOB_CASES = ("nomn", "ablt")  # "я главный инженер", "работаю главным инженером"
RECAP_VERBS = frozenset({"работать", "являться", "быть", "трудиться", "числиться", "отвечать"})


def job_case(mention: Mention, doc: Doc | None, lang: str) -> bool:
    """A Russian job names the speaker only in the nominative or instrumental: its head noun (the
    first noun of the span, read by pymorphy3: "начальником отдела", "главного инженера") decides."""
    if lang != "ru" or doc is None:
        return True
    from .nlp import morph_analyzer

    span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
    head = next((t for t in span if t.pos_ == "NOUN"), None) if span is not None else None
    if head is None:
        return True
    return morph_analyzer().parse(head.lower_)[0].tag.case in JOB_CASES


def role_mentions(doc: Doc, rules: CompiledRules) -> list[tuple[str, int, int]]:
    """The roles a parse names (label, start token, end token), the longest of overlapping ones."""
    found = [(rules.keys[doc.vocab.strings[key]], start, end) for key, start, end in rules.matcher(doc)]
    return [(label, start, end) for (kind, label), start, end in longest_per_kind(found) if kind == ROLE]


def asked_roles(tagged: list[TaggedUtterance], rules: CompiledRules, nlp: Language,
                docs: dict[int, Doc]) -> dict[str, str]:
    """Jobs the interview states: the interviewer's recap of the next speaker's job ("you're the
    recruiting lead", "вы же главный инженер?"), and the first job named in the first words of each
    answer to "tell me about yourself" (every answer until the interviewer speaks again: "could you
    each say who you are?")."""
    found: dict[str, str] = {}
    answers: dict[str, int] = {}
    asked = False
    previous: Doc | None = None
    for item in tagged:
        doc = docs.get(item.n)
        if item.utterance.is_interviewer:
            asked = doc is not None and rules.introduction_questions is not None and bool(rules.introduction_questions(doc))
            previous = doc
            continue
        speaker = item.utterance.speaker
        answers[speaker] = answers.get(speaker, 0) + 1
        if doc is None or speaker in found or answers[speaker] > INTRODUCTION_ANSWERS:
            previous = None
            continue
        role = recapped_role(previous, rules, nlp.lang) if previous is not None else None
        if role is None and asked:
            role = next((label for label, start, end in role_mentions(doc, rules) if start < INTRODUCTION_WORDS), None)
        if role:
            found[speaker] = role
        previous = None
    return found


def recapped_role(question: Doc, rules: CompiledRules, lang: str) -> str | None:
    """The job the interviewer says the respondent has: a role at most RECAP_WORDS after "you're"/"вы",
    with no preposition or verb between ("вы говорили с директором" is no recap; "вы работаете
    главным инженером" is)."""
    if not rules.role_recap:
        return None
    recaps = [tuple(r.split()) for r in rules.role_recap]
    for label, start, _ in role_mentions(question, rules):
        sent_start = question[start].sent.start
        for begin in range(max(sent_start, start - RECAP_WORDS - 2), start):
            words = tuple(t.lower_ for t in question[begin:start])
            recap = next((r for r in recaps if words[:len(r)] == r or recap_joined(words, r)), None)
            if recap is None:
                continue
            between = question[begin + recap_length(words, recap):start]
            if len(between) <= RECAP_WORDS and all(recap_word_ok(t, lang) for t in between):
                return label
    return None


def recap_joined(words: tuple[str, ...], recap: tuple[str, ...]) -> bool:
    """spaCy splits "you're" into "you" + "'re": the recap word matches its two tokens too."""
    return len(recap) == 1 and len(words) >= 2 and words[0] + words[1] == recap[0]


def recap_length(words: tuple[str, ...], recap: tuple[str, ...]) -> int:
    return 2 if recap_joined(words, recap) and words[:1] != recap else len(recap)


def recap_word_ok(token, lang: str) -> bool:
    """Words that may stand between the recap's pronoun and the job: articles, adjectives, particles,
    "now", "head of"; not a preposition ("you talked to the director") or another verb."""
    if token.is_punct:
        return token.text in ("—", "–", "-")  # "вы — главный инженер"; a comma lists ("вы, производство, собственник")
    if lang == "ru":
        return token.pos_ not in ("ADP", "VERB", "PRON") or token.lemma_ in RECAP_VERBS
    return token.lower_ not in ENGLISH_NOT_IN_RECAP


ENGLISH_NOT_IN_RECAP = {"to", "with", "from", "for", "by", "about", "at", "on", "in", "into", "and", "or", "but",
                        "talked", "spoke", "met", "called", "emailed", "asked", "told", "said", "went", "got", "had",
                        "you", "he", "she", "they", "we", "i", "it", "that", "who", "which"}
NAME_WINDOW = 3  # tokens between a name and its role: "Светлана, мой секретарь", "our CFO Linda"


def supplier_people(respondent: list[TaggedUtterance], docs: list[Doc], lang: str, rules: CompiledRules) -> set[str]:
    """Names (lower-case lemmas) of the supplier's people: a name at most NAME_WINDOW words from
    "their rep", "your sales engineer", "менеджер от «...»" (`lexicons.supplier_staff`) in its
    sentence. Contract section 5: people on the supplier's side get no role."""
    if rules.supplier_staff is None:
        return set()
    lower = not any(has_capitals(item.utterance.text) for item in respondent)

    def person(token) -> bool:
        return is_name(token, lang) or lower and lang == "ru" and token.is_alpha and len(token.text) > 2 \
            and is_russian_name(token.text)  # (case does not change pymorphy3's parse)

    found: set[str] = set()
    for doc in docs:
        for _, start, end in rules.supplier_staff(doc):
            # words, not tokens, and across a sentence end: "от «Маршрут.Про», Кирилл" splits at the dot
            after = [t for t in doc[end:end + 2 * NAME_WINDOW] if not t.is_punct][:NAME_WINDOW]
            found |= {t.lemma_.lower() for t in after if person(t)}
            for token in [t for t in reversed(doc[max(0, start - 2 * NAME_WINDOW):start]) if not t.is_punct][:NAME_WINDOW]:
                if person(token):  # "Алина, их менеджер", "Вадим, он у них инженер"
                    found.add(token.lemma_.lower())
                elif token.lower_ not in BEFORE_STAFF:
                    break  # "Катя договорилась, чтобы их менеджер...", "Glenn, me and their account exec"
    return found


# Words that may stand between a name and the supplier's job it is given ("Вадим, он у них инженер").
BEFORE_STAFF = frozenset({"он", "она", "у", "это", "he", "she", "is", "was", "who", "who's", "that's"})


def link_named_people(respondent: list[TaggedUtterance], docs: list[Doc], lang: str,
                      supplier: frozenset[str] = frozenset()) -> None:
    """"Светлана, мой секретарь" once -> every later "Светлана" is the gatekeeper too; the
    supplier's people (`supplier`) never."""
    known: dict[str, str | None] = {name: None for name in supplier}
    for item, doc in zip(respondent, docs):
        for mention in item.mentions + item.suppressed:
            if mention.kind != ROLE:
                continue
            span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
            if span is None:
                continue
            window = list(doc[max(span.sent.start, span.start - NAME_WINDOW):span.start]) + \
                list(doc[span.end:min(span.sent.end, span.end + NAME_WINDOW)])
            for token in window:
                if is_name(token, lang):
                    key = token.lemma_.lower()
                    supplier = mention in item.suppressed
                    if key not in known:
                        known[key] = None if supplier else mention.label
    if not known:
        return
    for item, doc in zip(respondent, docs):
        for index, sent in enumerate(doc.sents):
            present = {m.label for m in item.mentions if m.kind == ROLE and m.sentence == index}
            for token in sent:
                role = known.get(token.lemma_.lower()) if is_name(token, lang) else None
                if role and role not in present:
                    present.add(role)
                    item.mentions.append(Mention(ROLE, role, token.idx, token.idx + len(token.text), token.text, index,
                                                 origin="name"))


QUOTED_NAME = re.compile(r"«([^»]{2,40})»|\u201c([^\u201d]{2,40})\u201d|\"([^\"]{2,40})\"")
SUPPLIER_METADATA = ("supplier", "vendor", "product", "поставщик", "продукт", "client_of")
ADDRESSING_SUPPLIER = {"ru": ("вы", "вас", "вам", "ваш", "ваша", "ваше", "ваши", "вами"),
                       "en": ("you", "your", "yours")}


def quoted_names(text: str) -> set[str]:
    return {next(g for g in m.groups() if g).strip().lower() for m in QUOTED_NAME.finditer(text)}


def supplier_names(transcript: Transcript) -> set[str]:
    """The supplier's names, lower case: the front matter's, and those the interviewer quotes."""
    names = {str(transcript.metadata.get(k)).strip().lower() for k in SUPPLIER_METADATA if transcript.metadata.get(k)}
    for utterance in transcript.utterances:
        if utterance.is_interviewer:
            names |= quoted_names(utterance.text)
    return names


def names_supplier(text: str, supplier: set[str]) -> bool:
    lower = text.lower()
    return any(name in lower for name in supplier)


BATCH_SIZE = 64


@dataclass
class InterviewEvidence:
    """One interview's evidence: the utterances with their mentions, and the parses they came from."""

    transcript: Transcript
    tagged: list[TaggedUtterance]  # every utterance, interviewer turns included (they carry no evidence)
    docs: dict[int, Doc] = field(default_factory=dict)  # utterance number -> its one parse
    own_roles: dict[str, str] = field(default_factory=dict)  # respondent speaker -> their job's role
    supplier_people: frozenset[str] = frozenset()  # names of the supplier's people (no client role)

    @property
    def respondent(self) -> list[TaggedUtterance]:
        return [t for t in self.tagged if not t.utterance.is_interviewer and t.utterance.text]


def extract_evidence(transcript: Transcript, rules: CompiledRules, nlp: Language) -> InterviewEvidence:
    """Parse every utterance once and record what the rules find in it, with its context."""
    tagged = [TaggedUtterance(utterance=u) for u in transcript.utterances]
    texts = [t for t in tagged if t.utterance.text]
    docs = {t.n: doc for t, doc in zip(texts, nlp.pipe((t.utterance.text for t in texts), batch_size=BATCH_SIZE))}
    evidence = InterviewEvidence(transcript, tagged, docs)
    respondent = evidence.respondent
    prefetch_negation_parses([docs[item.n] for item in respondent], rules)
    for item in respondent:
        tag_doc(item, docs[item.n], rules)
    evidence.own_roles = respondent_roles(tagged, transcript, rules, nlp, docs)  # before names borrow roles
    evidence.supplier_people = frozenset(supplier_people(respondent, [docs[t.n] for t in respondent],
                                                         transcript.language, rules))
    link_named_people(respondent, [docs[t.n] for t in respondent], transcript.language, evidence.supplier_people)
    questions = {t.n: docs[t.n] for t in tagged if t.utterance.is_interviewer and t.n in docs}
    apply_question_context(tagged, rules, nlp, questions)
    for item in tagged:  # the interviewer's recap tells the outcome too: "you ended up going elsewhere"
        if item.n in questions and rules.lost_deal is not None and rules.lost_deal(questions[item.n]):
            item.cues.add(LOST_DEAL)
    attribute_respondent_role(tagged, transcript, evidence.own_roles)
    return evidence
