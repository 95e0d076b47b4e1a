"""Stage 2 — tag: utterances in, labelled utterances (stages, roles, channels) out.

Rules are data: every label of the codebook carries phrases per language, compiled here into
spaCy `Matcher` patterns over lemmas. A match becomes a `Mention` unless a cue puts it out of
this journey: a negation or a hypothetical in its clause ("на выставку мы не поехали", "if it had
gone to tender"), a generic habit or advice in its sentence, or a "your/ваш" before a role (the
supplier's people get no role). The interviewer's turns are not tagged.

Pattern syntax (one phrase = tokens separated by spaces, each matched on the lemma, lower case):
  word      the word's lemma ("оплатили" and "оплатить" both mean lemma "оплатить")
  stem*     any lemma starting with "stem"
  a|b*|c    one of several alternatives
  ?word     an optional token
  ...       up to three tokens of anything
"""

from __future__ import annotations

import re
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
SENTENCE_CUES = ("habitual", "advice", "not_this_journey")  # scope: the whole sentence
BATCH_SIZE = 64


def lemma_of(word: str, lang: str) -> str:
    """The lemma a pattern word must match: the same analysis the texts get."""
    if lang == "ru":
        return russian_lemma(word)[0]
    doc = pipeline("en")(word)
    return doc[0].lemma_ if len(doc) == 1 else word.lower()


def compile_token(item: str, lang: str) -> dict:
    optional = item.startswith("?") and len(item) > 1
    item = item[1:] if optional else item
    alternatives = [a for a in item.lower().split("|") if a]
    if not alternatives:
        raise ValueError(f"empty alternative in {item!r}")
    parts = []
    for alt in alternatives:
        if alt.endswith("*") and len(alt) > 1:
            parts.append(re.escape(alt[:-1].replace("ё", "е")))
        else:
            parts.append(re.escape(lemma_of(alt.replace("ё", "е"), lang)) + "$")
    spec: dict = {"LEMMA": {"REGEX": "^(?:" + "|".join(parts) + ")"}}
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
    """'b2b-площадка' stays whole; a trailing comma or dot is dropped."""
    item = item.strip(",.;:!?")
    return [item] if item else []


@dataclass
class CompiledRules:
    """The codebook's phrases for one language, compiled once."""

    matcher: Matcher
    cues: Matcher
    keys: dict[str, tuple[str, str]] = field(default_factory=dict)  # match key -> (kind, label)
    clause_words: frozenset[str] = frozenset()
    hypothetical_idioms: Matcher | None = None
    question_stages: Matcher | None = None


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

    for kind in (STAGE, ROLE, CHANNEL):
        for label in codebook.labels(kind):
            key = f"{kind}:{label.id}"
            keys[key] = (kind, label.id)
            add(matcher, key, label.patterns.get(lang, ()), f"{kind} {label.id!r} ({lang})")
    for cue in CLAUSE_CUES + SENTENCE_CUES + ("supplier_side",):
        add(cues, cue, codebook.cues.get(cue, {}).get(lang, ()), f"cues.{cue} ({lang})")
    idioms = Matcher(nlp.vocab)
    add(idioms, "idiom", codebook.cues.get("hypothetical_idioms", {}).get(lang, ()), f"cues.hypothetical_idioms ({lang})")
    questions = Matcher(nlp.vocab)
    for stage, by_lang in (codebook.lexicons.get("questions") or {}).items():
        if stage not in codebook.ids(STAGE):
            errors.append(f"lexicons.questions: unknown stage id {stage!r}")
            continue
        add(questions, stage, (by_lang or {}).get(lang, ()), f"lexicons.questions.{stage} ({lang})")
    if errors:
        raise CodebookError("; ".join(errors), path=codebook.source, hint="fix these patterns")
    clause_words = frozenset(w.lower() for w in codebook.cues.get("clause_breaks", {}).get(lang, ()))
    return CompiledRules(matcher, cues, keys, clause_words, idioms, questions)


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
    """Label every respondent utterance of one interview; interviewer turns get empty labels."""
    nlp = pipeline(transcript.language)
    rules = get_rules(codebook, transcript.language)
    tagged = [TaggedUtterance(utterance=u) for u in transcript.utterances]
    respondent = [t for t in tagged if not t.utterance.is_interviewer and t.utterance.text]
    docs = nlp.pipe((t.utterance.text for t in respondent), batch_size=BATCH_SIZE)
    for item, doc in zip(respondent, docs):
        tag_doc(item, doc, rules)
    apply_question_context(tagged, rules, nlp)
    attribute_respondent_role(tagged, transcript, codebook, rules, nlp)
    for item in tagged:
        finalize(item, codebook)
    return tagged


def tag_doc(item: TaggedUtterance, doc: Doc, rules: CompiledRules) -> None:
    """Find mentions sentence by sentence and drop those a cue puts out of this journey."""
    item.sentences = [(s.start_char, s.end_char) for s in doc.sents]
    for index, sent in enumerate(doc.sents):
        cue_spans: dict[str, list[tuple[int, int]]] = {}
        for key, start, end in rules.cues(sent):
            cue_spans.setdefault(doc.vocab.strings[key], []).append((start, end))
        idioms = [(s, e) for _, s, e in rules.hypothetical_idioms(sent)] if rules.hypothetical_idioms else []
        if idioms:
            cue_spans["hypothetical"] = [c for c in cue_spans.get("hypothetical", [])
                                         if not any(s <= c[0] < e for s, e in idioms)]
        clauses = clause_bounds(sent, rules.clause_words)
        matches = [(rules.keys[doc.vocab.strings[key]], start, end) for key, start, end in rules.matcher(sent)]
        for (kind, label), start, end in longest_per_kind(matches):
            mention = Mention(kind=kind, label=label, start=doc[start].idx,
                              end=doc[end - 1].idx + len(doc[end - 1].text),
                              text=doc[start:end].text, sentence=index)
            if out_of_journey(kind, start, end, cue_spans, clauses):
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


def out_of_journey(kind: str, start: int, end: int, cue_spans: dict[str, list[tuple[int, int]]],
                   clauses: list[tuple[int, int]]) -> bool:
    """True when a cue puts the match out of this journey (and the match is not the cue itself)."""
    for cue in SENTENCE_CUES:
        if cue_spans.get(cue):
            return True
    clause = next(((s, e) for s, e in clauses if s <= start < e), None)
    for cue in CLAUSE_CUES:
        if kind == ROLE and cue == "negation":
            continue  # "директор даже не посмотрел" still puts the director in the story
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
    """An answer with roles but no stage takes the stage its question asks about ("кто решал?")."""
    if rules.question_stages is None:
        return
    for previous, item in zip(tagged, tagged[1:]):
        if not previous.utterance.is_interviewer or item.utterance.is_interviewer:
            continue
        if any(m.kind == STAGE for m in item.mentions):
            continue
        roles = [m for m in item.mentions if m.kind == ROLE]
        if not roles:
            continue
        doc = nlp(previous.utterance.text)
        stages = {doc.vocab.strings[key] for key, _, _ in rules.question_stages(doc)}
        for stage in sorted(stages):
            first = roles[0]
            item.mentions.append(Mention(STAGE, stage, first.start, first.end, first.text, first.sentence))


FIRST_PERSON = {"ru": ("я", "мне", "меня", "мной"), "en": ("i", "me", "my")}


def attribute_respondent_role(tagged: list[TaggedUtterance], transcript: Transcript, codebook: Codebook,
                              rules: CompiledRules, nlp: Language) -> None:
    """Give the respondent's own role to the sentences where they act ("я отправил заявку")."""
    role = respondent_role(tagged, transcript, rules, nlp)
    if role is None:
        return
    words = FIRST_PERSON.get(transcript.language, ())
    for item in tagged:
        if item.utterance.is_interviewer:
            continue
        text = item.utterance.text
        for index, (start, end) in enumerate(item.sentences):
            staged = [m for m in item.mentions if m.sentence == index and m.kind == STAGE]
            if not staged or any(m.sentence == index and m.kind == ROLE for m in item.mentions):
                continue
            sentence_words = re.findall(r"\w+", text[start:end].lower())
            if any(w in sentence_words for w in words):
                anchor = staged[0]
                item.mentions.append(Mention(ROLE, role, anchor.start, anchor.end, anchor.text, index))


def respondent_role(tagged: list[TaggedUtterance], transcript: Transcript, rules: CompiledRules,
                    nlp: Language) -> str | None:
    """The respondent's job: from a '(директор)' in their label, the front matter, or 'я — ...'."""
    hints = [str(transcript.metadata.get(k)) for k in ("role", "position", "respondent_role", "title")
             if transcript.metadata.get(k)]
    speakers = {t.utterance.speaker for t in tagged if not t.utterance.is_interviewer}
    hints += [m.group(1) for s in speakers for m in [re.search(r"\(([^)]*)\)", s)] if m]
    for hint in hints:
        for key, _, _ in rules.matcher(nlp(hint)):
            kind, label = rules.keys[nlp.vocab.strings[key]]
            if kind == ROLE:
                return label
    words = FIRST_PERSON.get(transcript.language, ())
    for item in tagged:
        for mention in item.mentions:
            if mention.kind != ROLE:
                continue
            start, end = item.sentences[mention.sentence]
            before = item.utterance.text[start:mention.start].lower()
            if re.search(r"\b(" + "|".join(words) + r")\b", before) and len(before.split()) <= 6:
                return mention.label
    return None


def finalize(item: TaggedUtterance, codebook: Codebook) -> None:
    """Utterance labels: the union of its mentions, in codebook order."""
    for kind in (STAGE, ROLE, CHANNEL):
        found = {m.label for m in item.mentions if m.kind == kind}
        item.labels(kind)[:] = [i for i in codebook.ids(kind) if i in found]
    item.mentions.sort(key=lambda m: (m.start, m.end, m.kind, m.label))


def validate_patterns(codebook: Codebook) -> None:
    """Compile every language's rules now, so a bad phrase fails before any file is read."""
    for lang in LANGS:
        get_rules(codebook, lang)
