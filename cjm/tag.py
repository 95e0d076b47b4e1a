"""Stage 2 — tag: utterances in, labelled utterances (stages, roles, channels) out.

Rules are data: every label of the codebook carries phrases per language, compiled here into
spaCy `Matcher` patterns over lemmas. A match becomes a `Mention` unless a cue puts it out of
this journey: a negation or a hypothetical in its clause ("на выставку мы не поехали", "if it had
gone to tender"), a generic habit or advice in its sentence, or a "your/ваш" before a role (the
supplier's people get no role). The interviewer's turns are not tagged.

Pattern syntax (one phrase = tokens separated by spaces, each matched on the lemma, lower case):
  word      the word's lemma ("оплатили" and "оплатить" both mean lemma "оплатить")
  stem*     any lemma starting with "stem"
  =word     this form only, not its lemma ("=будет" is future; "будет" would match "было" too)
  a|b*|c    one of several alternatives
  ?word     an optional token
  ...       up to three tokens of anything
A phrase that starts with "~" is weak evidence: it counts only once the story has reached the
stage just before its own ("~install" is `bought` only after something was `motivated`). A phrase
that starts with "<" is back-step evidence: it may send the story back to its stage ("a new
director reopened the choice"); without it, an earlier stage named later is a reference, not a step.
Alternatives are per token: write "sign|signed off" for two phrases of two words, and
several list entries for phrases of different shapes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass, field

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span

from .codebook import Codebook, LANGS
from .errors import CodebookError
from .model import CHANNEL, ROLE, STAGE, Mention, TaggedUtterance, Transcript
from .nlp import pipeline, russian_lemma

GAP = "..."
GAP_TOKENS = 3
CLAUSE_PUNCT = {",", ";", ":", "—", "–", "(", ")", "-"}
CLAUSE_CUES = ("negation", "hypothetical")  # scope: the clause of the match
SENTENCE_CUES = ("habitual", "advice", "not_this_journey", "counterfactual")  # scope: the whole sentence
BATCH_SIZE = 64


def lemma_of(word: str, lang: str) -> str:
    """The lemma a pattern word must match: the same analysis the texts get."""
    if lang == "ru":
        return russian_lemma(word)[0]
    doc = pipeline("en")(word)
    return doc[0].lemma_ if len(doc) == 1 else word.lower()


def compile_token(item: str, lang: str) -> dict:
    """One pattern token -> a Matcher spec: a word matches a token's lemma or its form.

    Russian words match by lemma (the pattern's own lemma), so every inflection counts. English
    words match as written or as a lemma: "signed" is that form only, "sign" any form of it. Plain
    words compile to native LEMMA/LOWER checks; stems and mixed alternatives to a regex on NORM,
    which holds "lemma form" (the regex is several times slower: keep it for what needs it).
    """
    optional = item.startswith("?") and len(item) > 1
    item = item[1:] if optional else item
    alternatives = [a for a in item.lower().replace("ё", "е").split("|") if a]
    if not alternatives:
        raise ValueError(f"empty alternative in {item!r}")
    if any(a == "=" for a in alternatives):
        raise ValueError(f"'=' without a word in {item!r}")
    exact = [a[1:] for a in alternatives if a.startswith("=")]
    words = [a for a in alternatives if not (a.endswith("*") and len(a) > 1) and not a.startswith("=")]
    spec: dict
    if exact and len(exact) == len(alternatives) and lang != "ru":
        spec = {"LOWER": {"IN": sorted(exact)}}
    elif lang == "ru" and len(words) == len(alternatives):
        spec = {"LEMMA": {"IN": sorted({lemma_of(w, lang) for w in words})}}
    elif lang != "ru" and len(words) == len(alternatives) and all(lemma_of(w, lang) == w for w in words):
        spec = {"LEMMA": {"IN": sorted(words)}}
    elif lang != "ru" and len(words) == len(alternatives) and not any(lemma_of(w, lang) == w for w in words):
        spec = {"LOWER": {"IN": sorted(words)}}
    else:
        parts = []
        for alt in alternatives:
            if alt.endswith("*") and len(alt) > 1:
                parts.append(re.escape(alt[:-1]) + r"\S*")
            elif alt.startswith("="):  # Russian: the form half of NORM, where "ё" is already "е"
                parts.append(r"\S+ " + re.escape(alt[1:]) if lang == "ru" else re.escape(alt[1:]))
            else:
                forms = {alt, lemma_of(alt, lang)} if lang == "ru" else {alt}
                parts.extend(re.escape(w) for w in sorted(forms))
        spec = {"NORM": {"REGEX": r"(?:^| )(?:" + "|".join(parts) + r")(?: |$)"}}
    if optional:
        spec["OP"] = "?"
    return spec


def compile_pattern(phrase: str, lang: str) -> list[dict]:
    """One codebook phrase -> one spaCy Matcher pattern (a list of token specs)."""
    tokens: list[dict] = []
    for item in phrase.split():
        if item == GAP:
            tokens.append({"OP": "{0,%d}" % GAP_TOKENS})
        else:
            for piece in split_punct(item):
                tokens.append(compile_token(piece, lang))
    if not tokens or all(t.get("OP") for t in tokens):
        raise ValueError(f"phrase {phrase!r} has no required word")
    return tokens


def split_punct(item: str) -> list[str]:
    """'b2b-площадка' stays whole; a trailing comma or dot is dropped; a leading '?' (optional) stays."""
    item = item.rstrip(",.;:!?").lstrip(",.;:!")
    return [item] if item.strip("?") else []


@dataclass
class CompiledRules:
    """The codebook's phrases for one language, compiled once."""

    matcher: Matcher
    cues: Matcher
    keys: dict[str, tuple[str, str]] = field(default_factory=dict)  # match key -> (kind, label)
    weak_keys: frozenset[str] = frozenset()
    past_only: frozenset[tuple[str, str]] = frozenset()  # (kind, label) told only as past events
    clause_words: frozenset[str] = frozenset()
    hypothetical_idioms: Matcher | None = None
    question_stages: Matcher | None = None
    situation: Matcher | None = None  # words of the pre-contact situation (problem, old supplier)
    advice_questions: Matcher | None = None  # questions whose answers are advice or wishes
    aside_questions: Matcher | None = None  # closing, off-topic and would-you questions
    cycle_cues: Matcher | None = None  # words around a stated cycle length ("от звонка до оплаты")
    cycle_questions: Matcher | None = None  # questions that ask how long the deal took


def told_as_past(doc: Doc, sent: Span, start: int, end: int) -> bool:
    """A past-tense verb in the match, or, for a match without a verb ("первая поставка"), in its clause.

    Only Russian morphology tells tense here; English matches pass (no tagger, and "the money going
    out" or "every rep uses it" tell a purchase without a past verb).
    """
    if doc.lang_ != "ru":
        return True
    matched = doc[start:end]
    if any(t._.cjm_past for t in matched):
        return True
    if any(t.pos_ == "VERB" for t in matched):
        return False  # "подписывает", "оплатим": present or future
    return any(t._.cjm_past for t in sent)


def compile_rules(codebook: Codebook, lang: str, nlp: Language) -> CompiledRules:
    """Compile every label's and cue's phrases; a bad phrase is a `CodebookError` naming it."""
    matcher = Matcher(nlp.vocab, validate=True)
    cues = Matcher(nlp.vocab, validate=True)
    keys: dict[str, tuple[str, str]] = {}
    errors: list[str] = []

    def add(target: Matcher, key: str, phrases, where: str) -> None:
        patterns = []
        for phrase in phrases:
            try:
                patterns.append(compile_pattern(phrase, lang))
            except ValueError as exc:
                errors.append(f"{where}: {exc}")
        if patterns:
            target.add(key, patterns)

    weak_keys: set[str] = set()
    for kind in (STAGE, ROLE, CHANNEL):
        for label in codebook.labels(kind):
            phrases = label.patterns.get(lang, ())
            key = f"{kind}:{label.id}"
            keys[key] = keys[key + ":weak"] = (kind, label.id)
            weak_keys.add(key + ":weak")
            keys[key + ":back"] = (kind, label.id)
            add(matcher, key, [p for p in phrases if not p.startswith(("~", "<"))], f"{kind} {label.id!r} ({lang})")
            add(matcher, key + ":weak", [p[1:] for p in phrases if p.startswith("~")], f"{kind} {label.id!r} ({lang})")
            add(matcher, key + ":back", [p[1:] for p in phrases if p.startswith("<")], f"{kind} {label.id!r} ({lang})")
    for cue in CLAUSE_CUES + SENTENCE_CUES + ("supplier_side",):
        add(cues, cue, codebook.cues.get(cue, {}).get(lang, ()), f"cues.{cue} ({lang})")
    def lexicon_matcher(section: str) -> Matcher:
        """One matcher of a lexicon section's phrases, a key per phrase (the cycle score counts
        how many different cues a sentence holds)."""
        target = Matcher(nlp.vocab)
        for i, phrase in enumerate((codebook.lexicons.get(section) or {}).get(lang, ())):
            add(target, f"{section}:{i}", [phrase], f"lexicons.{section} ({lang})")
        return target

    idioms = Matcher(nlp.vocab)
    add(idioms, "idiom", codebook.cues.get("hypothetical_idioms", {}).get(lang, ()), f"cues.hypothetical_idioms ({lang})")
    questions = Matcher(nlp.vocab)
    for stage, by_lang in (codebook.lexicons.get("questions") or {}).items():
        if stage not in codebook.ids(STAGE):
            errors.append(f"lexicons.questions: unknown stage id {stage!r}")
            continue
        add(questions, stage, (by_lang or {}).get(lang, ()), f"lexicons.questions.{stage} ({lang})")
    advice_questions = lexicon_matcher("advice_questions")
    aside_questions = lexicon_matcher("aside_questions")
    situation = lexicon_matcher("situation")
    cycle_cues = lexicon_matcher("cycle_cues")
    cycle_questions = lexicon_matcher("cycle_questions")
    if errors:  # after every section: a bad phrase anywhere is reported, none is skipped
        raise CodebookError("; ".join(errors), path=codebook.source, hint="fix these patterns")
    clause_words = frozenset(w.lower() for w in codebook.cues.get("clause_breaks", {}).get(lang, ()))
    past_only = frozenset((label.kind, label.id) for label in codebook.stages if label.requires_past)
    return CompiledRules(matcher, cues, keys, frozenset(weak_keys), past_only, clause_words, idioms, questions,
                         situation, advice_questions, aside_questions, cycle_cues, cycle_questions)


_RULES: dict[tuple[int, str], tuple[Codebook, CompiledRules]] = {}


def get_rules(codebook: Codebook, lang: str) -> CompiledRules:
    """Compiled rules for a codebook and language, built once per run."""
    key = (id(codebook), lang)
    if key not in _RULES or _RULES[key][0] is not codebook:
        _RULES[key] = (codebook, compile_rules(codebook, lang, pipeline(lang)))
    return _RULES[key][1]


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


def tag_transcript(transcript: Transcript, codebook: Codebook) -> list[TaggedUtterance]:
    """Label every respondent utterance of one interview; interviewer turns get empty labels.

    Matches come first, sentence by sentence; then the context an analyst uses: who the
    named people are, what the question asked, who "I" is, and what came before first contact.
    """
    nlp = pipeline(transcript.language)
    rules = get_rules(codebook, transcript.language)
    tagged = [TaggedUtterance(utterance=u) for u in transcript.utterances]
    respondent = [t for t in tagged if not t.utterance.is_interviewer and t.utterance.text]
    docs = list(nlp.pipe((t.utterance.text for t in respondent), batch_size=BATCH_SIZE))
    for item, doc in zip(respondent, docs):
        tag_doc(item, doc, rules)
    own_roles = respondent_roles(tagged, transcript, rules, nlp)  # before names borrow roles
    link_named_people(respondent, docs, transcript.language)
    apply_question_context(tagged, rules, nlp)
    attribute_respondent_role(tagged, transcript, own_roles)
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


def tag_doc(item: TaggedUtterance, doc: Doc, rules: CompiledRules) -> None:
    """Find mentions sentence by sentence and drop those a cue puts out of this journey."""
    item.sentences = [(s.start_char, s.end_char) for s in doc.sents]
    for index, sent in enumerate(doc.sents):
        cue_spans: dict[str, list[tuple[int, int]]] = {}
        offset = sent.start  # matchers run on the sentence span and answer in its own token offsets
        for key, start, end in rules.cues(sent):
            cue_spans.setdefault(doc.vocab.strings[key], []).append((start + offset, end + offset))
        item.cues.update(cue for cue, spans in cue_spans.items() if spans)
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


def apply_question_context(tagged: list[TaggedUtterance], rules: CompiledRules, nlp: Language) -> None:
    """An answer takes the stage its question asks about: "кто принимал решение?" -> motivated.

    Each question is parsed here once; what it asked is kept on the answer (`asked`, `asked_duration`).
    """
    if rules.question_stages is None:
        return
    for previous, item in zip(tagged, tagged[1:]):
        if not previous.utterance.is_interviewer or item.utterance.is_interviewer or not item.sentences:
            continue
        doc = nlp(previous.utterance.text)
        item.asked_duration = rules.cycle_questions is not None and bool(rules.cycle_questions(doc))
        if rules.advice_questions is not None and rules.advice_questions(doc):
            item.asked = ADVICE  # "что бы вы посоветовали?": the answer is advice, not the journey
            item.suppressed.extend(item.mentions)
            item.mentions = []
            continue
        if rules.aside_questions is not None and rules.aside_questions(doc):
            item.asked = ASIDE  # "что-нибудь ещё хотите добавить?": what they say is not told as the story
            continue
        stages = sorted({doc.vocab.strings[key] for key, _, _ in rules.question_stages(doc)})
        if "unaware" in stages:  # "как было до того, как вы узнали о нас?" asks about the time before
            stages = ["unaware"]
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
                     nlp: Language) -> dict[str, str]:
    """Each respondent's job: a '(директор)' in their label, the front matter, or 'я — главный инженер'."""
    roles: dict[str, str] = {}
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
    words = SELF_INTRO_SUBJECT.get(transcript.language, ())
    pattern = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, words)) + r")(?!\w)")
    for item in tagged:
        speaker = item.utterance.speaker
        if item.utterance.is_interviewer or speaker in roles:
            continue
        for mention in item.mentions:
            if mention.kind != ROLE:
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
NAME_WINDOW = 3  # tokens between a name and its role: "Светлана, мой секретарь", "our CFO Linda"


def is_name(token, lang: str) -> bool:
    """A capitalised word that is a person's name: pymorphy3's Name/Patr/Surn tags for Russian,
    a title-case word that is no stopword (not "CEO", not "The") for English."""
    if not token.is_alpha or len(token.text) < 2:
        return False
    if lang == "ru":
        return token.text[:1].isupper() and is_russian_name(token.text)
    return token.text.istitle() and not token.is_stop and token.lower_ not in ENGLISH_CAPITALISED


@lru_cache(maxsize=50_000)
def is_russian_name(word: str) -> bool:
    from .nlp import morph_analyzer

    return any(tag in morph_analyzer().parse(word)[0].tag for tag in ("Name", "Patr", "Surn"))


ENGLISH_CAPITALISED = {"i", "i'm", "i've", "i'd", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                       "sunday", "january", "february", "march", "april", "may", "june", "july", "august",
                       "september", "october", "november", "december", "google", "linkedin", "excel", "covid"}


def link_named_people(respondent: list[TaggedUtterance], docs: list[Doc], lang: str) -> None:
    """"Светлана, мой секретарь" once -> every later "Светлана" is the gatekeeper too."""
    known: dict[str, str | None] = {}
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


def stages_under_way(order: list[str]) -> set[str]:
    """The stages past discovery (`informed`): once one is told, the journey is under way."""
    return set(order[order.index("informed") + 1:]) if "informed" in order else set()


def channel_implies_informed(respondent: list[TaggedUtterance], codebook: Codebook, supplier: set[str]) -> None:
    """A channel named before the journey is under way tells how they came across the supplier."""
    quiet = set((codebook.lexicons.get("channels_not_implying_informed") or []))
    order = codebook.ids(STAGE)
    later = stages_under_way(order)
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
        contact = contact or bool(channels) or "informed" in stages
        for mention in channels:
            if not any(m.kind == STAGE and m.sentence == mention.sentence for m in item.mentions):
                item.mentions.append(Mention(STAGE, "informed", mention.start, mention.end, mention.text, mention.sentence,
                                             origin="channel"))


CARRY_MIN_WORDS = 8
POINT_STAGE = "informed"  # a moment, not a phase: the story carries on at the stage after it
UNSUPPORTED = "unsupported"  # weak evidence the story had not reached yet: the utterance is unclear
UNCARRIED_CUES = {"advice", "habitual", "not_this_journey", "counterfactual", UNSUPPORTED}


def has_past_narrative(doc: Doc | None) -> bool:
    return doc is not None and any(token._.cjm_past for token in doc)


def carry_stage_forward(respondent: list[TaggedUtterance], docs: list[Doc], codebook: Codebook) -> None:
    """A story goes on at the stage it has reached: an account of the trial or of the delivery
    that names no stage word is still that stage (an analyst labels it so).

    Utterances whose every match was put out of the journey (negated, hypothetical, advice) and
    short answers stay unlabelled.
    """
    order = codebook.ids(STAGE)
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
        label = order[order.index(current) + 1] if current == POINT_STAGE and current != order[-1] else current
        item.mentions.append(Mention(STAGE, label, start, end, item.utterance.text[start:end], 0, origin="carried"))


def keep_channels_in_discovery(respondent: list[TaggedUtterance], codebook: Codebook) -> None:
    """Channels label the story of how the client came across the supplier, not later talk.

    Once the journey is under way (a stage past `informed`), a channel word is about something
    else: last year's tender, "пишите в телеграм". Before that, a guru in the discovery story
    means the channel is a recommendation (`lexicons.role_implies_channel`).
    """
    order = codebook.ids(STAGE)
    later = stages_under_way(order)
    implied = codebook.lexicons.get("role_implies_channel") or {}
    under_way = False
    for item in respondent:
        stages = {m.label for m in item.mentions if m.kind == STAGE}
        if under_way:
            item.mentions = [m for m in item.mentions if m.kind != CHANNEL]
            continue
        if "informed" in stages and not any(m.kind == CHANNEL for m in item.mentions):
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
    if "unaware" not in codebook.ids(STAGE):
        return
    quiet = set(codebook.lexicons.get("channels_not_implying_informed") or [])  # a tender posted is not discovery
    end = next((i for i, t in enumerate(respondent) if t.asked != "unaware" and any(
        (m.kind == CHANNEL and m.label not in quiet) or (m.kind == STAGE and m.label == "informed")
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
            item.mentions.append(Mention(STAGE, "unaware", first.start, first.end, first.text, first.sentence))
            continue
        found = sorted({(start, stop) for _, start, stop in rules.situation(doc)}) if rules.situation else []
        if item.cues & UNCARRIED_CUES:  # "обычно я обзваниваю поставщиков": a habit, not the situation then
            found = []
        if len(found) >= MIN_SITUATION_WORDS:  # one word ("no problem", "it's fine") is small talk
            start, stop = found[0]
            span = doc[start:stop]
            sentence = next(i for i, s in enumerate(doc.sents) if s.start <= start < s.end)
            item.mentions.append(Mention(STAGE, "unaware", span.start_char, span.end_char, span.text, sentence))


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
    current = -1
    for item in respondent:
        stages = [m for m in item.mentions if m.kind == STAGE]
        if any(m.back for m in stages):
            current = min(order.index(m.label) for m in stages if m.back)
        recap = any(order.index(m.label) >= current for m in stages) and spans_time(item, lang, codebook)
        drop = set() if recap else {id(m) for m in stages if 0 < order.index(m.label) < current and not m.back
                                    and order.index(m.label) < order.index("motivated")}
        item.mentions = [m for m in item.mentions if id(m) not in drop]
        kept = [order.index(m.label) for m in item.mentions if m.kind == STAGE]
        if kept:
            current = max(current, max(kept))


def drop_late_discovery(respondent: list[TaggedUtterance], codebook: Codebook) -> None:
    """Once the deal is being decided, "heard about", "recommended" speak of someone else's discovery."""
    order = codebook.ids(STAGE)
    if "informed" not in order or "motivated" not in order:
        return
    decided = False
    for item in respondent:
        if decided:
            item.mentions = [m for m in item.mentions if not (m.kind == STAGE and m.label == "informed")]
        decided = decided or any(m.kind == STAGE and order.index(m.label) >= order.index("motivated")
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


def validate_patterns(codebook: Codebook) -> None:
    """Compile every language's rules now, so a bad phrase fails before any file is read."""
    for lang in LANGS:
        get_rules(codebook, lang)
