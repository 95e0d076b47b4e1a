"""The codebook's phrases compiled into one matcher per language: the rules every later stage reads.

Token patterns over lemmas (spaCy `Matcher` dictionaries, run by `cjm.matching`; each family —
labels, cues, lexicons, events, tone — is a group of the one matcher, so a sentence is scanned once). A match becomes a `Mention` unless a cue puts it out of
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
from dataclasses import dataclass, field
from functools import lru_cache

from spacy.language import Language
from .matching import MatcherGroup  # one family of the compiled matcher, called like a matcher
from .matching import PatternMatcher as Matcher  # spaCy's Matcher, indexed: see matching.py

from .codebook import Codebook, LANGS
from .errors import CodebookError
from .model import CHANNEL, EVENT, ROLE, STAGE
from .nlp import pipeline, russian_lemma
from .wordlists import sentiment_lexicon  # noqa: F401  (re-exported: it lived here)

GAP = "..."
GAP_TOKENS = 3
CLAUSE_CUES = ("negation", "hypothetical")  # scope: the clause of the match
SENTENCE_CUES = ("habitual", "advice", "not_this_journey", "counterfactual")  # scope: the whole sentence


@lru_cache(maxsize=50_000)
def lemma_of(word: str, lang: str) -> str:
    """The lemma a pattern word must match: the same analysis the texts get (remembered: the
    codebook repeats its words across patterns, and an English word costs a pipeline call)."""
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


def compile_patterns(phrase: str, lang: str) -> list[list[dict]]:
    """One codebook phrase -> its Matcher patterns. The tokenizer splits "офис-менеджер" and
    "co-founder" at the hyphen, so such a word is matched as its pieces ("офис", "-", "менеджер");
    a slot's alternative of several pieces cannot share the slot with one-word alternatives
    ("zakupki|b2b-center"), so it makes a pattern of its own: usually one pattern, one more for
    each hyphenated alternative."""
    variants: list[list[dict]] = [[]]
    for item in phrase.split():
        pieces = [item] if item == GAP else split_punct(item)
        if not pieces:
            continue  # a lone comma or dot
        options = [[{"OP": "{0,%d}" % GAP_TOKENS}]] if item == GAP else \
            [seq for piece in pieces for seq in slot_options(piece, lang)]
        variants = [v + option for v in variants for option in options]
    for tokens in variants:
        if not tokens or all(t.get("OP") for t in tokens):
            raise ValueError(f"phrase {phrase!r} has no required word")
    return variants


def slot_options(item: str, lang: str) -> list[list[dict]]:
    """The token sequences one phrase word stands for: its one-token alternatives as one spec, and
    each alternative the tokenizer splits (at a hyphen) as the sequence of its pieces."""
    optional = "?" if item.startswith("?") and len(item) > 1 else ""
    alternatives = item[len(optional):].split("|")
    pieces = {a: word_pieces(a, lang) for a in alternatives}
    whole = [a for a in alternatives if len(pieces[a]) == 1]
    options = [[compile_token(optional + "|".join(whole), lang)]] if whole else []
    for alternative in alternatives:
        if len(pieces[alternative]) > 1:
            options.append([compile_token(optional + piece, lang) for piece in pieces[alternative]])
    return options


@lru_cache(maxsize=4096)
def word_pieces(word: str, lang: str) -> tuple[str, ...]:
    """A pattern word as the tokenizer splits it in text: "it-директор" -> ("it", "-", "директор"),
    a stem's "*" kept on its last piece; words without an inner hyphen stay whole."""
    stem = word.endswith("*") and len(word) > 1
    bare = word[:-1] if stem else word
    if "-" not in bare.strip("-") or bare.startswith("="):
        return (word,)
    split = [t.text for t in pipeline(lang).tokenizer(bare)]
    if len(split) < 2:
        return (word,)
    return tuple(split[:-1]) + (split[-1] + ("*" if stem else ""),)


def split_punct(item: str) -> list[str]:
    """A trailing comma or dot is dropped; a leading '?' (optional) stays."""
    item = item.rstrip(",.;:!?").lstrip(",.;:!")
    return [item] if item.strip("?") else []


@dataclass
class CompiledRules:
    """The codebook's phrases for one language, compiled once."""

    matcher: MatcherGroup  # the labels' phrases (a group of the one compiled matcher, as every family here)
    cues: MatcherGroup
    keys: dict[str, tuple[str, str]] = field(default_factory=dict)  # match key -> (kind, label)
    weak_keys: frozenset[str] = frozenset()
    past_only: frozenset[tuple[str, str]] = frozenset()  # (kind, label) told only as past events
    clause_words: frozenset[str] = frozenset()
    hypothetical_idioms: MatcherGroup | None = None
    question_stages: MatcherGroup | None = None
    situation: MatcherGroup | None = None  # words of the pre-contact situation (problem, old supplier)
    advice_questions: MatcherGroup | None = None  # questions whose answers are advice or wishes
    aside_questions: MatcherGroup | None = None  # closing, off-topic and would-you questions
    cycle_cues: MatcherGroup | None = None  # words around a stated cycle length ("от звонка до оплаты")
    cycle_questions: MatcherGroup | None = None  # questions that ask how long the deal took
    lost_deal: MatcherGroup | None = None  # "went with another vendor", "отказались от проекта"
    introduction_questions: MatcherGroup | None = None  # "расскажите о себе": the answer names the speaker's job
    self_introduction: tuple[str, ...] = ()  # "я", "i'm", "my job is" right before a job: the speaker's own
    supplier_staff: MatcherGroup | None = None  # "their rep", "менеджер от поставщика": the names beside get no role
    role_recap: tuple[str, ...] = ()  # "you're the...", "вы же...": the interviewer recaps the respondent's job
    before_contact: str | None = "unaware"  # the stage of "how was it before you knew us?" (`Codebook.stage_playing`)
    # For the report, recorded once here so that aggregation never parses again:
    events: MatcherGroup | None = None  # journey events, a key per event id (no "..." gaps)
    event_past: frozenset[str] = frozenset()  # events told only as done ("оплатили", not "оплатим")
    tone: MatcherGroup | None = None  # keys positive, negative, pain, question (sentiment.yaml)
    negators: frozenset[str] = frozenset()  # a tone word right after one of these flips
    durations: dict | None = None  # the codebook's duration words (lexicons.durations)
    stage_time: dict = field(default_factory=dict)  # words that make a duration a price, a term, a date


def compile_rules(codebook: Codebook, lang: str, nlp: Language) -> CompiledRules:
    """Compile every label's and cue's phrases; a bad phrase is a `CodebookError` naming it."""
    compiled = Matcher(nlp.vocab, validate=True)  # ONE matcher; each family below is a group of it
    matcher, cues = compiled.group("labels"), compiled.group("cues")
    keys: dict[str, tuple[str, str]] = {}
    errors: list[str] = []

    def add(target: MatcherGroup, key: str, phrases, where: str) -> None:
        patterns = []
        for phrase in phrases:
            try:
                patterns.extend(compile_patterns(phrase, lang))
            except ValueError as exc:
                errors.append(f"{where}: {exc}")
        if patterns:
            compiled.add(key, patterns, group=target.name)

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
    def lexicon_matcher(section: str) -> MatcherGroup:
        """One group of a lexicon section's phrases, a key per phrase (the cycle score counts
        how many different cues a sentence holds)."""
        target = compiled.group(f"lexicons.{section}")
        for i, phrase in enumerate((codebook.lexicons.get(section) or {}).get(lang, ())):
            add(target, f"{section}:{i}", [phrase], f"lexicons.{section} ({lang})")
        return target

    idioms = compiled.group("cues.hypothetical_idioms")
    add(idioms, "idiom", codebook.cues.get("hypothetical_idioms", {}).get(lang, ()), f"cues.hypothetical_idioms ({lang})")
    questions = compiled.group("lexicons.questions")
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
    lost_deal = lexicon_matcher("lost_deal")
    introduction_questions = lexicon_matcher("introduction_questions")
    supplier_staff = lexicon_matcher("supplier_staff")
    events = compiled.group("events")
    for label in codebook.events:
        add(events, f"{EVENT}:{label.id}", label.patterns.get(lang, ()), f"event {label.id!r} ({lang})")
    words = sentiment_lexicon()
    tone = compiled.group("tone")
    for key, entries in (("positive", words["tone"]["positive"]), ("negative", words["tone"]["negative"]),
                         ("pain", words["pains"]), ("topic", words.get("objection_topics") or {}),
                         ("question", words["questions"])):
        add(tone, key, [str(e) for e in (entries.get(lang) or [])], f"sentiment.yaml {key} ({lang})")
    if errors:  # after every section: a bad phrase anywhere is reported, none is skipped
        raise CodebookError("; ".join(errors), path=codebook.source, hint="fix these patterns")
    clause_words = frozenset(w.lower() for w in codebook.cues.get("clause_breaks", {}).get(lang, ()))
    past_only = frozenset((label.kind, label.id) for label in codebook.stages if label.requires_past)
    rules = CompiledRules(matcher, cues, keys, frozenset(weak_keys), past_only, clause_words, idioms, questions,
                          situation, advice_questions, aside_questions, cycle_cues, cycle_questions, lost_deal,
                          codebook.stage_playing("before_contact"))
    rules.events = events
    rules.introduction_questions = introduction_questions
    rules.supplier_staff = supplier_staff
    rules.self_introduction = tuple(str(w).lower() for w in (codebook.lexicons.get("self_introduction") or {}).get(lang, ()))
    rules.role_recap = tuple(str(w).lower() for w in (codebook.lexicons.get("role_recap") or {}).get(lang, ()))
    rules.event_past = frozenset(label.id for label in codebook.events if label.requires_past)
    rules.tone = tone
    rules.negators = frozenset(str(w).lower() for w in words["tone"]["negators"].get(lang) or [])
    durations = codebook.lexicons.get("durations") or {}
    rules.durations = durations if lang in durations else None
    rules.stage_time = {key: frozenset(str(w).lower() for w in (value.get(lang) or []))
                        for key, value in (words.get("stage_time") or {}).items()}
    return rules


_RULES: dict[tuple[int, str], tuple[Codebook, CompiledRules]] = {}


def get_rules(codebook: Codebook, lang: str) -> CompiledRules:
    """Compiled rules for a codebook and language, built once per run."""
    key = (id(codebook), lang)
    if key not in _RULES or _RULES[key][0] is not codebook:
        _RULES[key] = (codebook, compile_rules(codebook, lang, pipeline(lang)))
    return _RULES[key][1]


def validate_patterns(codebook: Codebook) -> None:
    """Compile every language's rules now, so a bad phrase fails before any file is read."""
    for lang in LANGS:
        get_rules(codebook, lang)
