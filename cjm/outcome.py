"""The deal's outcome: bought only where this client's purchase from this supplier is told as done.

A stalled deal's interview is full of purchase words that are not a purchase: "we signed the
NDA", "a repeat order with our old supplier", "contract signed by the end of July. That was the
plan", "about three weeks from a purchase order". A bought deal's may hold none of the usual
phrases: "Signed March twentieth", "Договор — девятого февраля", or only a date in answer to
"when did you pay?". So the outcome reads its own evidence, from the codebook's `purchase_*`
lexicons, on the sentences the tag stage split (contract section 5: payment, signing, receiving
the goods are `bought`; pilots and trials are not):

  told       a purchase phrase in the past ("оплатили", "signed the contract", "first invoice was paid")
  dated      a purchase word with a date in its sentence ("Signed March twentieth")
  answered   a date in answer to a question on when the purchase happened ("May sixth.")
  confirmed  a yes to the interviewer's recap that dates the purchase

A clue does not count in a sentence with a negation or hypothetical near it, a plan or prospect, a
pilot's, an NDA's or a tender protocol's papers (in the sentence, or in the one before it where the
purchase phrase's object is a pronoun: "They asked for an LOI. Dale signed it"), a purchase taken
back there or in the next sentence (`purchase_undone`: cancelled, refunded, расторгли), a renewal
there or in the question (`purchase_renewal`), a plan in the sentence but for one in its reason
clause (`purchase_reasons`: "оплатили в апреле, потому что он хотел дождаться выплаты"), or another
supplier (the old one, the winner, one named after "with"/"to"/"у" that is neither this supplier
nor a person). A yes to a recap confirms no purchase where the recap's question or the answer
denies it ("...Nothing signed with you?" "Correct."). A date answers "when?" also after a premise
that tells the purchase ("So the first order you paid up front. Roughly when was that?"), and
after a leading "no" that corrects the question's detail ("...сразу после звонка?" "Нет, в конце
июля"). A purchase noun's date must not be a deadline or a term's end (`purchase_deadlines`:
"Договор годовой, до тридцать первого декабря"); a purchase told before a later sentence of the
same answer that denies one with this supplier ("С вами мы так ничего и не подписали") is
another's; an answered date is no purchase where the sentence tells a renewal or a purchase taken
back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .codebook import Codebook
from .durations import find_dates
from .model import TaggedUtterance, Transcript
from .textmatch import Hit, Word, phrase_list, words

NEGATION_BEFORE, NEGATION_AFTER = 4, 2  # words around a purchase phrase where a negator counts
PAPERS_BEFORE, PAPERS_AFTER = 2, 3  # words around a purchase phrase that may name what was signed
PLAN_SENTENCES = 3  # "...contract signed by the end of July, and the first events in September. That was the plan."
ANSWER_SENTENCES = 2
DENIAL_WORDS = 3  # "Never signed.", "Но так и не подписали": the next sentence opens with the denial
TERSE_WORDS = 8  # a purchase noun with a date tells it done in a terse sentence ("Договор — девятого февраля")  # a date in the first two sentences of the answer answers "when?"
NAMED_AFTER = {"ru": ("у", "с", "со", "от"), "en": ("with", "from", "to")}  # "a variation order to Corvel"
CALENDAR_WORDS = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                  "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                  "christmas", "easter"}
NAME = re.compile(r"«([^»]{2,40})»|\b([A-ZА-ЯЁ][\w&'-]+)")


@dataclass(frozen=True)
class PurchaseClue:
    """Where a purchase is told as done, and how (told, dated, answered, confirmed)."""

    n: int
    sentence: int
    how: str
    text: str
    asked: str = ""  # the question it answers, for "answered" and "confirmed"


class PurchaseLexicon:
    """The `purchase_*` phrase lists of one codebook and language."""

    def __init__(self, codebook: Codebook, lang: str) -> None:
        lex = codebook.lexicons
        self.lang = lang
        self.told, self.dated = phrase_list(lex, "purchase_told", lang), phrase_list(lex, "purchase_dated", lang)
        self.terse = phrase_list(lex, "purchase_dated_terse", lang)
        self.questions = phrase_list(lex, "purchase_questions", lang)
        self.confirmations = phrase_list(lex, "purchase_confirmations", lang)
        self.negators = phrase_list(lex, "purchase_negators", lang)
        self.not_a_purchase = phrase_list(lex, "purchase_not_a_purchase", lang)
        self.not_done, self.plan = phrase_list(lex, "purchase_not_done", lang), phrase_list(lex, "purchase_plan", lang)
        self.elsewhere = phrase_list(lex, "purchase_elsewhere", lang)
        self.undone = phrase_list(lex, "purchase_undone", lang)
        self.renewal = phrase_list(lex, "purchase_renewal", lang)
        self.pronouns = phrase_list(lex, "purchase_pronouns", lang)
        self.reasons = phrase_list(lex, "purchase_reasons", lang)
        self.when = phrase_list(lex, "purchase_when", lang)
        self.deadlines = phrase_list(lex, "purchase_deadlines", lang)
        self.corrections = phrase_list(lex, "purchase_corrections", lang)
        self.with_you = phrase_list(lex, "purchase_with_you", lang)
        self.with_them, self.yours = phrase_list(lex, "purchase_with_them", lang), phrase_list(lex, "purchase_yours", lang)
        self.durations = (lex.get("durations") or {})
        self.available = bool(self.told or self.dated or self.terse)

    def has_date(self, text: str) -> bool:
        return self.lang in self.durations and bool(find_dates(text, self.lang, self.durations))

    def has_event_date(self, text: str) -> bool:
        """A date that is not a deadline or a term's end ("Договор годовой, до тридцать первого
        декабря", "payment due by the fifth"): a purchase noun beside it tells nothing done."""
        if self.lang not in self.durations:
            return False
        ws = words(text, self.lang)
        for date in find_dates(text, self.lang, self.durations):
            before = [w for w in ws if w.end <= date.start][-1:]
            if not (before and self.deadlines.find_in(before)):
                return True
        return False


def negated_near(ws: list[Word], start: int, end: int, lexicon: PurchaseLexicon) -> bool:
    """A negator within four words before the phrase, inside it, or two words after it; or papers
    that are no purchase in it or the few words around it ("signed the NDA", "договор на пилот")."""
    inside = [i for i, w in enumerate(ws) if w.start >= start and w.end <= end]
    if not inside:
        return False
    window = ws[max(0, inside[0] - NEGATION_BEFORE):inside[-1] + 1 + NEGATION_AFTER]
    papers = ws[max(0, inside[0] - PAPERS_BEFORE):inside[-1] + 1 + PAPERS_AFTER]
    return bool(lexicon.negators.find_in(window) or lexicon.not_a_purchase.find_in(papers))


def supplier_words(names: set[str]) -> set[str]:
    """The words of the supplier's names ("Routewise Telematics" -> routewise, telematics)."""
    return {w for name in names for w in re.findall(r"\w{3,}", name.lower())}


def names_another_firm(sentence: str, lang: str, supplier: set[str]) -> bool:
    """A capitalised or quoted name right after "with"/"from"/"to" ("у"/"с") that is not this
    supplier, a person or a month: "a repeat order with Corley", "заказ у «Фабрики»". Without the supplier's name, nothing
    is known."""
    if not supplier:
        return False
    own = supplier_words(supplier)
    if any(w in own for w in re.findall(r"\w{3,}", sentence.lower())):
        return False  # the sentence names this supplier
    for m in NAME.finditer(sentence):
        before = sentence[:m.start()].split()
        if not before or before[-1].lower().strip(",") not in NAMED_AFTER.get(lang, ()):
            continue
        if m.group(2) and (is_person(m.group(2), lang) or m.group(2).lower() in CALENDAR_WORDS):
            continue  # "созвон с Вадимом", "a call with Kevin", "moved to March": no firm
        name = (m.group(1) or m.group(2)).lower()
        if not any(w in own for w in re.findall(r"\w{3,}", name)):
            return True
    return False


def is_person(word: str, lang: str) -> bool:
    """A first name, patronymic or surname (pymorphy3's parse; the census tables for English)."""
    if lang == "ru":
        from .nlp import is_russian_name

        return is_russian_name(word)
    from .redact import is_first_name

    return is_first_name(word)


def sentence_excluded(text: str, following: str, lexicon: PurchaseLexicon, supplier: set[str]) -> bool:
    """The sentence tells no purchase of this deal: not done, not a purchase, a plan, another supplier's."""
    return bool(lexicon.not_done.find(text) or lexicon.plan.find(text) or lexicon.plan.find(following)
                or lexicon.elsewhere.find(text) or names_another_firm(text, lexicon.lang, supplier))


def denied_after(following: str, lexicon: PurchaseLexicon) -> bool:
    """The next sentence takes the purchase back: "Order form in March. Never signed." """
    ws = words(following, lexicon.lang)
    if not lexicon.negators.find_in(ws[:DENIAL_WORDS]):
        return False
    return bool(lexicon.told.find_in(ws) or lexicon.dated.find_in(ws) or lexicon.terse.find_in(ws))


def sentences_of(item: TaggedUtterance) -> list[str]:
    text = item.utterance.text
    return [text[s:e] for s, e in item.sentences] or [text]


def reason_clause_at(ws: list[Word], hit: Hit, lexicon: PurchaseLexicon) -> int | None:
    """Where a reason clause after the purchase phrase begins ("Гузель оплатила в апреле, потому что
    он хотел дождаться выплаты"): what it says of wishes and plans is not about the purchase."""
    for hit_reason in lexicon.reasons.find_in([w for w in ws if w.start >= hit.end]):
        return hit_reason.start
    return None


def refers_back(ws: list[Word], hit: Hit, lexicon: PurchaseLexicon) -> bool:
    """The purchase phrase's object is a pronoun ("signed it", "подписали его"): what was signed or
    paid is named before the sentence."""
    after = [w for w in ws if w.start >= hit.end][:1]
    return bool(after) and bool(lexicon.pronouns.find_in(after))


def sentence_clue(text: str, after: list[str], lexicon: PurchaseLexicon, supplier: set[str],
                  before: str = "") -> str | None:
    """"told" or "dated" where one sentence tells the purchase as done by itself, else None.
    `after` are the sentences that follow it in the same turn (a plan or a denial may come there);
    `before`, the sentence before it or the question it answers, names what a pronoun stands for."""
    ws = words(text, lexicon.lang)
    how = None
    told = [h for h in lexicon.told.find_in(ws) if not negated_near(ws, h.start, h.end, lexicon)]
    dated = [h for h in lexicon.dated.find_in(ws) if not negated_near(ws, h.start, h.end, lexicon)]
    terse = [h for h in lexicon.terse.find_in(ws) if not negated_near(ws, h.start, h.end, lexicon)] \
        if len(ws) <= TERSE_WORDS else []
    if told:
        how = "told"
    elif (dated and lexicon.has_date(text)) or (terse and lexicon.has_event_date(text)):
        dated = dated or terse
        how = "dated"
    if how is None:
        return None
    if before and all(refers_back(ws, h, lexicon) for h in (told or dated)) and lexicon.not_a_purchase.find(before):
        return None  # "They asked for an LOI. Dale signed it on July twenty-second."
    following = after[0] if after else ""
    told_part = text[:reason_clause_at(ws, (told or dated)[0], lexicon)]
    if sentence_excluded(told_part, following, lexicon, supplier) or denied_after(following, lexicon) \
            or undone_or_renewed(text, following, lexicon) \
            or any(lexicon.with_you.find(a) and denies_purchase(a, lexicon) for a in after) \
            or any(lexicon.plan.find(a) for a in after[1:PLAN_SENTENCES]):
        return None
    return how


def undone_or_renewed(text: str, following: str, lexicon: PurchaseLexicon) -> bool:
    """The purchase was taken back there or in the next sentence, or what was signed or paid is a
    renewal ("We signed the renewal with the learning module on the nineteenth of December.")."""
    return any(phrases.find(t) for phrases in (lexicon.undone, lexicon.renewal) for t in (text, following))


def purchase_clues(tagged: list[TaggedUtterance], transcript: Transcript, codebook: Codebook) -> list[PurchaseClue]:
    """Every sentence that tells this client's purchase from this supplier as done."""
    lexicon = PurchaseLexicon(codebook, transcript.language)
    if not lexicon.available:
        return []
    from .evidence import supplier_names

    supplier = supplier_names(transcript)
    clues: list[PurchaseClue] = []
    question = ""
    for item in tagged:
        if item.utterance.is_interviewer:
            question = item.utterance.text
            continue
        if item.asked == "advice":
            question = ""
            continue  # "pay upfront, I'd tell them": advice, not this deal
        sentences = sentences_of(item)
        asked = split_sentences(question)
        if any(lexicon.renewal.find(q) for q in asked):
            question = ""
            continue  # "...did it just roll over?" "We paid in early August.": a renewal, not this purchase
        asked_when = bool(asked) and (any(lexicon.questions.find(q) and not (lexicon.not_done.find(q) or lexicon.negators.find(q))
                                          for q in asked) or premise_dated(asked, lexicon, supplier))
        for index, text in enumerate(sentences):
            how = sentence_clue(text, sentences[index + 1:], lexicon, supplier,
                                sentences[index - 1] if index else question)
            ws = words(text, lexicon.lang)
            if how is None and index < ANSWER_SENTENCES and asked_when and lexicon.has_date(text) \
                    and not lexicon.negators.find_in(past_correction(ws, lexicon)) \
                    and not sentence_excluded(text, "", lexicon, supplier) \
                    and not undone_or_renewed(text, sentences[index + 1] if index + 1 < len(sentences) else "", lexicon):
                how = "answered"
            if how is None and index == 0 and asked and lexicon.confirmations.find_in(ws[:2]) \
                    and not denied_in_recap(asked, sentences, lexicon) and question_tells_purchase(asked, lexicon, supplier):
                how = "confirmed"  # a yes to a recap that dates the purchase ("...first payment May sixth. Right?")
            if how and lexicon.with_them.find(text) and any(lexicon.yours.find(s) for s in sentences):
                how = None  # "...against your two. ...and in February we signed with them": another firm
            if how:
                clues.append(PurchaseClue(item.n, index, how, text, question if how in ("answered", "confirmed") else ""))
        question = ""  # a question is answered once
    return clues


def past_correction(ws: list[Word], lexicon: PurchaseLexicon) -> list[Word]:
    """An answer's words after a leading "no" that corrects the question's detail ("Нет, в конце
    июля" to "сразу после звонка?"): that "no" denies the detail, not the purchase."""
    return ws[1:] if len(ws) > 1 and lexicon.corrections.find_in(ws[:1]) else ws


def premise_dated(asked: list[str], lexicon: PurchaseLexicon, supplier: set[str]) -> bool:
    """The question tells the purchase as done and asks when ("So the first order you paid up front.
    Roughly when was that?")."""
    return any(lexicon.when.find(q) for q in asked) and question_tells_purchase(asked, lexicon, supplier)


def question_tells_purchase(asked: list[str], lexicon: PurchaseLexicon, supplier: set[str]) -> bool:
    """Some sentence of the interviewer's turn tells the purchase as done (a recap, a premise)."""
    return any(sentence_clue(q, asked[i + 1:], lexicon, supplier) for i, q in enumerate(asked))


def denied_in_recap(asked: list[str], answer: list[str], lexicon: PurchaseLexicon) -> bool:
    """A yes that confirms no purchase: the recap asks it in the negative ("...the money went to the
    old vendor. Nothing signed with you?" "Correct.") or the answer says it ("Correct. Nothing signed
    with them."); a hedge ("если правильно поняла") or a correction of a detail ("только не в
    декабре") is no denial."""
    asking = [q for q in asked if q.rstrip().endswith("?")] or asked[-1:]
    return any(denies_purchase(sentence, lexicon) for sentence in asking[-1:] + answer[:ANSWER_SENTENCES])


def denies_purchase(sentence: str, lexicon: PurchaseLexicon) -> bool:
    """A purchase phrase with a negation by it: "Nothing signed with them." (not "only not in December")."""
    ws = words(sentence, lexicon.lang)
    return any(negated_near(ws, h.start, h.end, lexicon)
               for phrases in (lexicon.told, lexicon.dated, lexicon.terse) for h in phrases.find_in(ws))


def split_sentences(text: str) -> list[str]:
    """An interviewer's turn in sentences (the tag stage does not split them)."""
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]


def record_purchases(tagged: list[TaggedUtterance], transcript: Transcript, codebook: Codebook) -> None:
    """Find the purchase clues once, in the tag stage, and keep each on its utterance: the purchase
    guard of the decision and the journey's outcome read the same evidence without looking again."""
    clues = purchase_clues(tagged, transcript, codebook)
    for item in tagged:
        item.purchases = [c for c in clues if c.n == item.n]


def told_purchases(tagged: list[TaggedUtterance], transcript: Transcript, codebook: Codebook) -> list[PurchaseClue]:
    """The purchase clues the tag stage recorded; found now where the labels came from elsewhere
    (a hand-built or imported journey)."""
    if tagged and all(item.purchases is not None for item in tagged):
        return [c for item in tagged for c in item.purchases]
    return purchase_clues(tagged, transcript, codebook)
