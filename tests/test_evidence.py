"""Evidence: the codebook's matches per utterance and the cues that put them out of this journey.

Every cue family and guard has a case that must keep the mention and one that must not.
"""

from pathlib import Path

import pytest
import yaml

from cjm import evidence
from cjm.codebook import load_codebook
from cjm.evidence import extract_evidence
from cjm.model import Mention, TaggedUtterance, Transcript, Utterance
from cjm.nlp import pipeline
from cjm.rules import get_rules

EXAMPLES = yaml.safe_load((Path(__file__).parent / "data" / "cue_examples.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def book():
    return load_codebook()


def transcript(language, *turns, metadata=None, speaker="R"):
    """Alternate interviewer and respondent turns."""
    utterances = [Utterance(n, "I" if n % 2 else speaker, text, is_interviewer=bool(n % 2))
                  for n, text in enumerate(turns, start=1)]
    return Transcript(id="t", source="t.txt", language=language, utterances=utterances, metadata=metadata or {})


def evidence_of(book, language, *turns, **kwargs):
    t = transcript(language, *turns, **kwargs)
    return extract_evidence(t, get_rules(book, language), pipeline(language))


def answer(book, language, text, question="И?"):
    """The evidence of one respondent answer."""
    return evidence_of(book, language, question, text).tagged[1]


def kept(item):
    return {(m.kind, m.label) for m in item.mentions}


def put_out(item):
    return {(m.kind, m.label) for m in item.suppressed}


# --------------------------------------------------------------------------- clause cues

@pytest.mark.parametrize("lang, told, denied, label", [
    ("ru", "На выставку мы в тот год поехали.", "На выставку мы в тот год не поехали.", ("channel", "exhibition")),
    ("en", "We went to the exhibition that year.", "We did not go to the exhibition that year.", ("channel", "exhibition")),
    ("en", "We went to the exhibition that year.", "We never went to the exhibition that year.", ("channel", "exhibition")),
])
def test_negation_puts_the_match_out_of_the_journey(book, lang, told, denied, label):
    assert label in kept(answer(book, lang, told)) and label not in put_out(answer(book, lang, told))
    item = answer(book, lang, denied)
    assert label in put_out(item) and label not in kept(item)
    assert "negation" in item.cues


def test_russian_negation_scope_comes_from_the_parse(book):
    # "не" governs "ждать", not "оплатили": the clause-wide fallback would drop the purchase
    item = answer(book, "ru", "Мы не стали ждать и сразу оплатили счёт.")
    assert ("stage", "bought") in kept(item) and "negation" in item.cues
    item = answer(book, "ru", "Мы так и не оплатили счёт.")
    assert ("stage", "bought") in put_out(item)


def test_negation_phrase_that_is_the_match_itself_keeps_it(book):
    item = answer(book, "ru", "Мы раньше ничего не знали о вас.")  # "не знать о" is an unaware phrase
    assert ("stage", "unaware") in kept(item)


def test_negation_does_not_remove_a_person_from_the_story(book):
    item = answer(book, "ru", "Директор даже не посмотрел.")
    assert ("role", "big_boss") in kept(item) and "negation" in item.cues
    item = answer(book, "en", "Our director did not even look.")
    assert ("role", "big_boss") in kept(item)


def test_negation_in_another_clause_keeps_the_match(book):
    item = answer(book, "en", "It was not cheap, but we went to the exhibition.")
    assert ("channel", "exhibition") in kept(item)
    item = answer(book, "en", "It was cheap, but we did not go to the exhibition.")
    assert ("channel", "exhibition") in put_out(item)


@pytest.mark.parametrize("lang, told, hypothetical, label", [
    ("ru", "Мы оплатили счёт сразу.", "Мы бы оплатили счёт сразу.", ("stage", "bought")),
    ("ru", "Мы сделали пробную партию.", "Мы планировали сделать пробную партию.", ("stage", "motivated")),
    ("en", "We signed the contract in May.", "We would sign the contract in May.", ("stage", "bought")),
    ("en", "We signed the contract in May.", "We might sign the contract in May.", ("stage", "bought")),
])
def test_hypothetical_puts_the_match_out_of_the_journey(book, lang, told, hypothetical, label):
    assert label in kept(answer(book, lang, told))
    item = answer(book, lang, hypothetical)
    assert label in put_out(item) and label not in kept(item) and "hypothetical" in item.cues


@pytest.mark.parametrize("lang, text", [(lang, text) for lang in ("ru", "en")
                                        for text in EXAMPLES["hypothetical_idioms"][lang]])
def test_an_idiom_is_no_hypothetical(book, lang, text):
    item = answer(book, lang, text)
    assert ("stage", "bought") in kept(item), [m.text for m in item.suppressed]


def test_the_idioms_plain_word_is_still_hypothetical(book):
    item = answer(book, "ru", "мы если надо оплатили бы счёт сразу")
    assert ("stage", "bought") in put_out(item)
    item = answer(book, "en", "if they approve we signed the contract in May")
    assert ("stage", "bought") in put_out(item)


# --------------------------------------------------------------------------- sentence cues

@pytest.mark.parametrize("lang, told, cued, cue, label", [
    ("ru", "Мы запросили КП у трех поставщиков.", "Обычно мы запрашиваем КП у трех поставщиков.", "habitual",
     ("stage", "interested")),
    ("en", "We requested a quote from three suppliers.", "We usually request a quote from three suppliers.",
     "habitual", ("stage", "interested")),
    ("ru", "Мы сделали пробную партию.", "Вам стоит сделать пробную партию.", "advice", ("stage", "motivated")),
    ("en", "We signed the contract in May.", "You should sign the contract in May.", "advice", ("stage", "bought")),
    ("en", "They signed the contract in May.", "Apparently they signed the contract in May.", "not_this_journey",
     ("stage", "bought")),
    ("ru", "Счёт оплатили за неделю.", "На прошлой работе счёт оплатили за неделю.", "not_this_journey",
     ("stage", "bought")),
    ("en", "We went to the exhibition, fine.", "If we had gone to the exhibition, fine.", "counterfactual",
     ("channel", "exhibition")),
])
def test_sentence_cues_put_every_match_of_the_sentence_out(book, lang, told, cued, cue, label):
    assert label in kept(answer(book, lang, told))
    item = answer(book, lang, cued)
    assert cue in item.cues and label in put_out(item) and label not in kept(item)


def test_a_sentence_cue_stays_in_its_sentence(book):
    item = answer(book, "en", "We usually take three quotes. This time we signed the contract in May.")
    assert ("stage", "bought") in kept(item) and "habitual" in item.cues


@pytest.mark.parametrize("lang, ours, theirs", [
    ("ru", "Приезжал наш технолог.", "Приезжал ваш технолог."),
    ("en", "Our engineer came over.", "Your engineer came over."),
])
def test_the_suppliers_people_get_no_role(book, lang, ours, theirs):
    assert ("role", "expert") in kept(answer(book, lang, ours))
    item = answer(book, lang, theirs)
    assert ("role", "expert") in put_out(item) and "supplier_side" in item.cues


def test_supplier_side_word_far_from_the_role_keeps_it(book):
    item = answer(book, "en", "Your price was fine and our engineer came over.")
    assert ("role", "expert") in kept(item)


def test_every_cue_family_is_a_sentence_or_clause_cue():
    from cjm.rules import CLAUSE_CUES, SENTENCE_CUES

    assert set(CLAUSE_CUES) == {"negation", "hypothetical"}
    assert set(SENTENCE_CUES) == {"habitual", "advice", "not_this_journey", "counterfactual"}


CUE_CASES = [(family, lang, text) for family, by_lang in EXAMPLES["cues"].items() for lang in ("ru", "en")
             for text in by_lang[lang]]


@pytest.mark.parametrize("family, lang, text", CUE_CASES)
def test_every_cue_phrase_is_found_in_its_example(book, family, lang, text):
    assert family in answer(book, lang, text).cues


PLAIN = {"ru": ["Мы оплатили счёт в марте.", "Директор согласовал бюджет, и мы подписали договор.",
                "Технолог протестировал образцы на линии."],
         "en": ["We signed the contract in May.", "Our CFO approved the budget and we paid the invoice.",
                "The engineer tested the samples on the line."]}


@pytest.mark.parametrize("lang, text", [(lang, t) for lang, texts in PLAIN.items() for t in texts])
def test_a_plain_account_of_the_deal_gets_no_cue_of_any_family(book, lang, text):
    """The control for every family of EXAMPLES["cues"]: the events told as done, by this client."""
    item = answer(book, lang, text)
    assert not item.cues & set(EXAMPLES["cues"]), item.cues
    assert item.mentions  # the stage words are found, and kept


@pytest.mark.parametrize("lang, text", [(lang, t) for lang in ("ru", "en") for t in EXAMPLES["lexicons"]["lost_deal"][lang]])
def test_every_lost_deal_phrase_is_found_in_its_example(book, lang, text):
    assert evidence.LOST_DEAL in answer(book, lang, text).cues


def test_lost_deal_needs_a_telling_told_as_done(book):
    assert evidence.LOST_DEAL not in answer(book, "en", "We stayed on schedule and signed the contract.").cues
    assert evidence.LOST_DEAL not in answer(book, "en", "If the price was wrong we went with another vendor.").cues
    assert evidence.LOST_DEAL not in answer(book, "ru", "Мы не ушли к конкуренту.").cues


def test_the_interviewers_recap_tells_a_lost_deal(book):
    ev = evidence_of(book, "en", "So you went with another vendor in the end?", "Yes, sadly.")
    assert evidence.LOST_DEAL in ev.tagged[0].cues
    ev = evidence_of(book, "en", "So you signed with us in the end?", "Yes, gladly.")
    assert evidence.LOST_DEAL not in ev.tagged[0].cues


# --------------------------------------------------------------------------- told as past

def test_a_past_only_stage_needs_a_past_verb_in_russian(book):
    assert ("stage", "bought") in kept(answer(book, "ru", "Мы оплатили счёт в мае."))
    assert ("stage", "bought") in put_out(answer(book, "ru", "Мы оплатим счёт в мае."))
    assert ("stage", "bought") in put_out(answer(book, "ru", "Мы оплачиваем счёт в мае."))


def test_a_verbless_purchase_takes_the_tense_of_its_sentence(book):
    assert ("stage", "bought") in kept(answer(book, "ru", "Мы стали постоянным клиентом в мае."))
    item = answer(book, "ru", "Мы станем постоянным клиентом в мае.")
    assert ("stage", "bought") in put_out(item) and ("stage", "bought") not in kept(item)


def test_told_as_past_reads_russian_tense_only():
    ru, en = pipeline("ru"), pipeline("en")
    doc = ru("Мы оплатили счёт.")
    sent = next(doc.sents)
    assert evidence.told_as_past(doc, sent, 1, 2)
    doc = ru("Мы оплатим счёт.")
    assert not evidence.told_as_past(doc, next(doc.sents), 1, 2)
    doc = ru("Поставка. Мы оплатили счёт.")
    assert not evidence.told_as_past(doc, next(doc.sents), 0, 1)  # the past verb is in another sentence
    doc = ru("Поставка пришла.")
    assert evidence.told_as_past(doc, next(doc.sents), 0, 1)
    doc = en("We pay the invoice.")
    assert evidence.told_as_past(doc, next(doc.sents), 1, 2)


# --------------------------------------------------------------------------- clauses and longest matches

def test_clause_bounds_cut_at_punctuation_and_at_and_before_a_verb(book):
    rules = get_rules(book, "ru")
    doc = pipeline("ru")("Мы не стали ждать и сразу заказали, потом оплатили.")
    bounds = evidence.clause_bounds(next(doc.sents), rules.clause_words)
    texts = [doc[s:e].text for s, e in bounds]
    assert texts == ["Мы не стали ждать", "и сразу заказали", "потом оплатили."]
    doc = pipeline("ru")("Мы купили столы и стулья.")
    assert [doc[s:e].text for s, e in evidence.clause_bounds(next(doc.sents), rules.clause_words)] == \
        ["Мы купили столы и стулья."]
    en = pipeline("en")("It was late and we paid.")
    assert [en[s:e].text for s, e in evidence.clause_bounds(next(en.sents), get_rules(book, "en").clause_words)] == \
        ["It was late", "and we paid."]


def test_clause_bounds_cut_at_a_clause_word(book):
    rules = get_rules(book, "en")
    assert "but" in rules.clause_words
    doc = pipeline("en")("It was dear but we paid")
    assert [doc[s:e].text for s, e in evidence.clause_bounds(next(doc.sents), rules.clause_words)] == \
        ["It was dear", "but we paid"]


def test_longest_match_hides_shorter_ones_of_its_kind_only():
    role, stage = ("role", "treasurer"), ("stage", "motivated")
    found = evidence.longest_per_kind([(("role", "big_boss"), 1, 2), (role, 0, 2), (stage, 1, 2), (role, 0, 2)])
    assert found == [(role, 0, 2), (stage, 1, 2)]
    apart = evidence.longest_per_kind([(("role", "big_boss"), 3, 4), (role, 0, 2)])
    assert apart == [(role, 0, 2), (("role", "big_boss"), 3, 4)]


def test_mentions_point_at_their_words_and_sentence(book):
    text = "Привет. Финансовый директор согласовал бюджет."
    item = answer(book, "ru", text)
    roles = [m for m in item.mentions if m.kind == "role"]
    assert [m.label for m in roles] == ["treasurer"]
    assert [(text[m.start:m.end], m.sentence) for m in roles] == [("Финансовый директор", 1)]
    assert item.sentences == [(0, 7), (8, len(text))]


def test_weak_and_back_step_phrases_are_marked(book):
    rules = get_rules(book, "en")
    weak = [k for k in rules.weak_keys]
    assert weak and all(k.endswith(":weak") for k in weak)
    item = answer(book, "ru", "А потом у нас сменился генеральный, и всё пришлось начинать сначала.")
    assert any(m.back for m in item.mentions)
    assert not any(m.back for m in answer(book, "ru", "Директор согласовал бюджет.").mentions)


# --------------------------------------------------------------------------- the question's context

@pytest.mark.parametrize("lang, text", [(lang, t) for lang in ("ru", "en")
                                        for t in EXAMPLES["lexicons"]["advice_questions"][lang]])
def test_every_advice_question_makes_its_answer_advice(book, lang, text):
    reply = {"ru": "Сразу оплатить счёт и сделать пробную партию.", "en": "Sign the contract in May and run a pilot."}
    item = evidence_of(book, lang, text, reply[lang]).tagged[1]
    assert item.asked == evidence.ADVICE and item.mentions == [] and item.suppressed


@pytest.mark.parametrize("lang, text", [(lang, t) for lang in ("ru", "en")
                                        for t in EXAMPLES["lexicons"]["aside_questions"][lang]])
def test_every_aside_question_is_an_aside(book, lang, text):
    reply = {"ru": "Погода была жуткая, ливень весь день.", "en": "The weather was awful, rain all day."}
    assert evidence_of(book, lang, text, reply[lang]).tagged[1].asked == evidence.ASIDE


def test_a_story_question_is_neither_advice_nor_aside(book):
    item = evidence_of(book, "ru", "Как вы узнали о нас?", "Нам порекомендовал партнер по бизнесу.").tagged[1]
    assert item.asked == "informed"


def test_the_answer_takes_the_stage_its_question_asks_about(book):
    item = evidence_of(book, "en", "So who made the final decision?", "Linda, our CFO, because it's her budget.").tagged[1]
    assert item.asked == "motivated"
    added = [m for m in item.mentions if m.origin == "question"]
    assert [(m.kind, m.label) for m in added] == [("stage", "motivated")]
    item = evidence_of(book, "en", "What happened next?", "Linda, our CFO, because it's her budget.").tagged[1]
    assert item.asked is None and not any(m.origin == "question" for m in item.mentions)


def test_a_question_about_the_time_before_asks_only_that(book):
    item = evidence_of(book, "ru", "Как было до того, как вы узнали о нас?", "Брали у старого поставщика, всё срывалось.").tagged[1]
    assert item.asked == "unaware"
    assert {m.label for m in item.mentions if m.origin == "question"} == {"unaware"}


def test_a_two_word_answer_takes_no_stage_from_its_question(book):
    assert evidence_of(book, "en", "So who made the final decision?", "Linda did.").tagged[1].asked is None
    assert evidence_of(book, "en", "So who made the final decision?", "Linda did it.").tagged[1].asked == "motivated"


@pytest.mark.parametrize("lang, question, denial, control", [
    ("ru", "Раньше вы что-то о них слышали?", "Нет, вообще ничего не слышали.", "Слышала от коллег, но сама не звонила."),
    ("ru", "Как вы узнали о нас?", "Неа, не помню уже ничего.", "Партнер рассказал, он у вас берет."),
    ("en", "How did you first hear about them?", "No, I honestly can't remember that.", "A partner told me about them."),
    ("en", "How did you first hear about them?", "Never, it was the first time.", "Through a partner of ours."),
])
def test_an_answer_that_denies_the_question_takes_nothing_from_it(book, lang, question, denial, control):
    item = evidence_of(book, lang, question, denial).tagged[1]
    assert item.asked == evidence.DENIED and not any(m.origin == "question" for m in item.mentions)
    item = evidence_of(book, lang, question, control).tagged[1]
    assert item.asked not in (evidence.DENIED, None)


def test_a_question_on_the_deals_length_is_remembered(book):
    ev = evidence_of(book, "ru", "Сколько времени прошло от первого звонка до оплаты?", "Месяца три, наверное.")
    assert ev.tagged[1].asked_duration is True
    ev = evidence_of(book, "ru", "Кто принимал решение?", "Директор, конечно, сам.")
    assert ev.tagged[1].asked_duration is False


def test_an_interviewer_turn_is_never_tagged(book):
    ev = evidence_of(book, "ru", "Вам порекомендовал нас партнер? Вы оплатили счет?", "Да.")
    assert ev.tagged[0].mentions == [] and ev.tagged[0].suppressed == []
    assert [t.n for t in ev.respondent] == [2]


# --------------------------------------------------------------------------- people

def test_the_respondents_role_from_the_speaker_label(book):
    ev = evidence_of(book, "ru", "Что было дальше?", "Я подписал договор, и мы оплатили счёт.", speaker="Олег (главный инженер)")
    assert ev.own_roles == {"Олег (главный инженер)": "expert"}
    assert ("role", "expert") in kept(ev.tagged[1])  # "я подписал": the respondent acts
    ev = evidence_of(book, "ru", "Что было дальше?", "Я подписал договор, и мы оплатили счёт.", speaker="Олег")
    assert ev.own_roles == {} and ("role", "expert") not in kept(ev.tagged[1])


def test_the_respondents_role_from_the_front_matter_with_one_respondent(book):
    ev = evidence_of(book, "en", "What then?", "I signed the contract in May.", metadata={"role": "CFO"})
    assert ev.own_roles == {"R": "treasurer"} and ("role", "treasurer") in kept(ev.tagged[1])
    ev = evidence_of(book, "en", "What then?", "We signed the contract in May.", metadata={"role": "CFO"})
    assert ("role", "treasurer") not in kept(ev.tagged[1])  # no "I": the respondent is not said to act


def test_the_respondents_role_from_a_self_introduction_only(book):
    ev = evidence_of(book, "ru", "Расскажите о себе.", "Я руководитель ИТ в компании, нас сто сорок человек.")
    assert ev.own_roles == {"R": "expert"}
    ev = evidence_of(book, "ru", "Что было дальше?", "Мне нужно было показать директору фиксированную цену.")
    assert ev.own_roles == {}


def test_the_answer_to_who_are_you_names_the_respondents_job(book):
    ev = evidence_of(book, "ru", "Расскажите коротко о себе.", "Лыков Сергей Павлович, главный энергетик. На фабрике девятый год.")
    assert ev.own_roles == {"R": "expert"}
    ev = evidence_of(book, "ru", "Как вы о нас узнали?", "Лыков Сергей Павлович, главный энергетик, нашёл вас.")
    assert ev.own_roles == {}  # not asked who they are: a name and a job are someone else's


def test_every_answer_after_could_you_each_say_who_you_are_names_its_speaker(book):
    utterances = [Utterance(1, "I", "Could you each say who you are first?", is_interviewer=True),
                  Utterance(2, "A", "Martin Holroyd, managing director. My dad started it."),
                  Utterance(3, "B", "Jackie Fenn, workshop manager. Eight fitters, two shifts."),
                  Utterance(4, "I", "How did you first hear of them?", is_interviewer=True),
                  Utterance(5, "C", "Our IT manager told me about them.")]
    t = Transcript(id="t", source="t.txt", language="en", utterances=utterances)
    ev = extract_evidence(t, get_rules(book, "en"), pipeline("en"))
    assert ev.own_roles == {"A": "big_boss", "B": "expert"}  # C answers another question: the IT manager is not C


def test_the_interviewers_recap_names_the_respondents_job(book):
    ev = evidence_of(book, "en", "For the recording, you're the recruiting lead at Riverbend?", "Yes. Twenty-two clinics.")
    assert ev.own_roles == {"R": "user"}
    ev = evidence_of(book, "en", "So you talked to the director first?", "Yes, that week.")
    assert ev.own_roles == {}
    ev = evidence_of(book, "ru", "Вы же главный инженер?", "Да, уже девятый год.")
    assert ev.own_roles == {"R": "expert"}
    ev = evidence_of(book, "ru", "Вы говорили с директором?", "Да, говорил.")
    assert ev.own_roles == {}


def test_a_russian_job_is_the_speakers_own_only_in_the_nominative_or_instrumental(book):
    ev = evidence_of(book, "ru", "Как всё началось?", "Я работаю главным инженером, и мы искали замену.")
    assert ev.own_roles == {"R": "expert"}
    ev = evidence_of(book, "ru", "Как всё началось?", "Я позвонил директору, и мы стали искать замену.")
    assert ev.own_roles == {}


def test_a_name_beside_their_rep_or_a_manager_from_the_supplier_is_the_suppliers(book):
    ev = evidence_of(book, "en", "Who called?", "Their rep, Kyle, called me.", "And then?", "Our IT manager Kyle checked it.")
    assert "kyle" in ev.supplier_people
    ev = evidence_of(book, "ru", "Кто приехал?", "Приехал менеджер от «Маршрут.Про», Кирилл.")
    assert "кирилл" in ev.supplier_people
    ev = evidence_of(book, "en", "Who called?", "Our CFO, Carol, called them.")
    assert ev.supplier_people == frozenset()


def test_a_named_person_keeps_the_role_given_once(book):
    ev = evidence_of(book, "ru", "Кто первым позвонил?", "Светлана, мой секретарь, позвонила им и запросила прайс.",
                     "А потом?", "Потом Светлане прислали договор.")
    linked = [m for m in ev.tagged[3].mentions if m.origin == "name"]
    assert [(m.label, m.text) for m in linked] == [("gatekeeper", "Светлане")]
    ev = evidence_of(book, "ru", "Кто первым позвонил?", "Светлана позвонила им и запросила прайс.",
                     "А потом?", "Потом Светлане прислали договор.")
    assert not any(m.origin == "name" for m in ev.tagged[3].mentions)


def test_a_name_beside_the_suppliers_person_gives_no_role(book):
    ev = evidence_of(book, "en", "Who came?", "Your engineer Mark came over.", "And then?", "Then Mark called again.")
    assert not any(m.origin == "name" for m in ev.tagged[3].mentions)
    ev = evidence_of(book, "en", "Who came?", "Our engineer Mark came over.", "And then?", "Then Mark called again.")
    assert [(m.label, m.text) for m in ev.tagged[3].mentions if m.origin == "name"] == [("expert", "Mark")]


def test_is_name():
    en = pipeline("en")("Linda met Monday The CEO")
    assert [evidence.is_name(t, "en") for t in en] == [True, False, False, False, False]
    ru = pipeline("ru")("Светлана пришла Утром")
    assert [evidence.is_name(t, "ru") for t in ru] == [True, False, False]
    assert not evidence.is_name(pipeline("ru")("светлана")[0], "ru")  # lower case is no name
    assert not evidence.is_name(pipeline("en")("A")[0], "en")


def test_supplier_names_from_front_matter_and_the_interviewers_quotes():
    t = transcript("ru", "Расскажите про «Гофро-Стандарт».", "Да, «Рога и копыта» тоже были.",
                   metadata={"supplier": " Гофро ", "client": "Икс"})
    assert evidence.supplier_names(t) == {"гофро", "гофро-стандарт"}
    assert evidence.quoted_names('He said "Acme Inc" and \u201cBeta\u201d') == {"acme inc", "beta"}
    assert evidence.names_supplier("Мы пошли в ГОФРО", {"гофро"}) and not evidence.names_supplier("Мы пошли", {"гофро"})


def test_first_person_words_attribute_the_respondents_role():
    item = TaggedUtterance(Utterance(2, "R", "Договор. Я оплатил счёт.", is_interviewer=False),
                           mentions=[Mention("stage", "bought", 9, 24, "Я оплатил счёт.", 1)],
                           sentences=[(0, 8), (9, 24)])
    t = Transcript(id="t", source="t.txt", language="ru", utterances=[item.utterance])
    evidence.attribute_respondent_role([item], t, {"R": "expert"})
    assert [(m.label, m.sentence, m.origin) for m in item.mentions if m.kind == "role"] == [("expert", 1, "respondent")]
    item.mentions = [m for m in item.mentions if m.kind != "role"]
    evidence.attribute_respondent_role([item], t, {"Other": "expert"})
    assert not any(m.kind == "role" for m in item.mentions)


def test_a_cue_opening_the_next_clause_stays_there(book):
    # "если" both opens a clause and is a hypothetical cue: it must not reach back into the clause before
    assert ("stage", "bought") in kept(answer(book, "ru", "мы оплатили счёт если вам интересно"))
    assert ("stage", "bought") in put_out(answer(book, "ru", "мы если что оплатили счёт"))


def test_an_english_phrase_that_holds_its_negation_keeps_the_match(book):
    item = answer(book, "en", "We had never heard of them before.")  # "never ... heard of": an unaware phrase
    assert ("stage", "unaware") in kept(item) and "negation" in item.cues
    assert ("channel", "exhibition") in put_out(answer(book, "en", "We had never been to the exhibition."))


def test_weak_phrases_make_weak_mentions(book):
    strong = [m for m in answer(book, "en", "We signed the contract.").mentions if m.label == "bought"]
    weak = [m for m in answer(book, "en", "We bought it.").mentions if m.label == "bought"]
    assert [m.weak for m in strong] == [False] and [m.weak for m in weak] == [True]


@pytest.mark.parametrize("lang, text", [("ru", "Я оплатил счёт."), ("ru", "Мне прислали договор, оплатили счёт."),
                                        ("ru", "Меня попросили, оплатили счёт."), ("ru", "Мной оплачен счёт, оплатили."),
                                        ("ru", "Мною был оплачен счёт, оплатили."), ("en", "I paid the invoice."),
                                        ("en", "They sent me the contract and we paid."),
                                        ("en", "My team paid the invoice."), ("en", "I'm the one who paid the invoice."),
                                        ("en", "I've paid the invoice."), ("en", "I'd paid the invoice by then.")])
def test_every_first_person_word_lets_the_respondent_act(lang, text):
    from cjm.model import Mention

    item = TaggedUtterance(Utterance(2, "R", text), mentions=[Mention("stage", "bought", 0, 1, "x", 0)],
                           sentences=[(0, len(text))])
    t = Transcript(id="t", source="t.txt", language=lang, utterances=[item.utterance])
    evidence.attribute_respondent_role([item], t, {"R": "treasurer"})
    assert [m.label for m in item.mentions if m.kind == "role"] == ["treasurer"]
    other = TaggedUtterance(Utterance(2, "R", "Он оплатил." if lang == "ru" else "He paid."),
                            mentions=[Mention("stage", "bought", 0, 1, "x", 0)], sentences=[(0, 9)])
    evidence.attribute_respondent_role([other], t, {"R": "treasurer"})
    assert not any(m.kind == "role" for m in other.mentions)


@pytest.mark.parametrize("word", ["I", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
                                  "January", "February", "March", "April", "May", "June", "July", "August",
                                  "September", "October", "November", "December", "Google", "Linkedin", "Excel",
                                  "Covid"])
def test_capitalised_words_that_are_no_names(word):
    doc = pipeline("en")(f"{word} came")
    assert not evidence.is_name(doc[0], "en")
    assert evidence.is_name(pipeline("en")("Karen came")[0], "en")


def test_rules_without_the_optional_matchers_still_tag(book):
    from dataclasses import replace

    bare = replace(get_rules(book, "en"), hypothetical_idioms=None, question_stages=None, advice_questions=None,
                   aside_questions=None, cycle_cues=None, cycle_questions=None, lost_deal=None)
    t = transcript("en", "How did you hear of them?", "We went with another vendor, if I'm honest we signed nothing.")
    ev = extract_evidence(t, bare, pipeline("en"))
    item = ev.tagged[1]
    assert item.cycle_cues == [] and item.asked is None and evidence.LOST_DEAL not in item.cues
    full = extract_evidence(t, get_rules(book, "en"), pipeline("en")).tagged[1]
    assert len(full.cycle_cues) == len(full.sentences) and full.asked == "informed"


# --------------------------------------------------------------------------- the report's evidence: tone, pain,
# questions, durations (no label depends on them; the report's mood, pains and cycle times do)

def notes(book, lang, text):
    item = answer(book, lang, text, question="And?" if lang == "en" else "И?")
    return [(n.positive, n.negative, n.pain, n.question) for n in item.notes]


@pytest.mark.parametrize("lang, text, expected", [
    ("ru", "Всё понравилось, удобно, быстро ответили.", (3, 0, False, False)),
    ("ru", "Нам не очень понравилось.", (0, 1, False, False)),  # the negator two words before
    ("ru", "Нам не очень сильно понравилось.", (0, 1, False, False)),  # and three words before
    ("ru", "Нам очень сильно понравилось.", (1, 0, False, False)),
    ("ru", "Было дорого.", (0, 1, True, False)),  # a pain
    ("ru", "Всё было отлично, без проблем.", (2, 0, False, False)),  # "без проблем" is praise
    ("en", "It was expensive.", (0, 1, True, False)),
    ("en", "It was not expensive.", (1, 0, False, False)),  # a pain denied is no pain
    ("en", "We asked about the delivery times.", (0, 0, False, True)),  # a question told
    ("en", "The pricing was a concern.", (0, 1, True, False)),  # an objection's topic, told badly
    ("en", "The pricing was fine.", (1, 0, False, False)),  # the same topic, told well: no pain
    ("en", "The pricing was bad.", (0, 1, True, False)),
    ("en", "We signed the contract.", (0, 0, False, False)),  # the control: no tone, no pain, no question
])
def test_tone_pain_and_questions_of_a_sentence(book, lang, text, expected):
    assert notes(book, lang, text) == [expected]


@pytest.mark.parametrize("text, days", [
    ("The trial took two weeks.", [14.0]),
    ("We started the trial a month later.", [30.0]),  # "a month" after no amount is no rate
    ("The contract was signed after two weeks of talks.", [14.0]),  # a term word before it changes nothing
    ("We pay 45 pounds a user a month for the trial.", []),  # a rate
    ("We signed a three-year commitment.", []),  # a contract term
    ("We signed the contract two years ago.", []),  # a point in time
    ("Signing the contract took two years.", [730.0]),
])
def test_a_duration_counts_as_a_step_only_when_it_is_no_rate_or_term(book, text, days):
    assert [d.days for d in answer(book, "en", text, question="And?").durations] == days


def test_and_i_opens_a_clause_the_negation_before_it_does_not_reach(book):
    kept = answer(book, "en", "We didn't visit them and I signed the contract in May.", question="And?")
    assert "bought" in {m.label for m in kept.mentions}
    denied = answer(book, "en", "We didn't sign the contract in May.", question="And?")
    assert "bought" not in {m.label for m in denied.mentions} and "bought" in {m.label for m in denied.suppressed}


def test_report_evidence_is_recorded_for_labels_given_elsewhere(book):
    from cjm.evidence import record_report_evidence
    from cjm.model import TaggedUtterance

    items = [TaggedUtterance(Utterance(1, "I", "Как вам?", is_interviewer=True)),
             TaggedUtterance(Utterance(2, "R", "Всё понравилось. Было дорого."))]
    record_report_evidence(items, "ru", get_rules(book, "ru"), pipeline("ru"))
    assert [(n.positive, n.negative, n.pain) for n in items[1].notes] == [(1, 0, False), (0, 1, True)]
    assert items[0].notes == []  # the interviewer's turn has none


def test_an_answer_takes_what_the_interviewer_asked_not_what_the_respondent_said_before():
    book = load_codebook()
    answer_ = "Linda, our CFO, because it's her budget."
    utterances = [Utterance(1, "I", "So who made the final decision?", is_interviewer=True), Utterance(2, "R", answer_),
                  Utterance(3, "R", "So who made the final decision?"), Utterance(4, "R", answer_)]
    ev = extract_evidence(Transcript(id="t", source="t.txt", language="en", utterances=utterances),
                          get_rules(book, "en"), pipeline("en"))
    assert ev.tagged[1].asked == "motivated"
    assert ev.tagged[3].asked is None  # after the respondent's own words, nothing was asked


def test_a_name_is_linked_to_a_role_at_most_three_words_from_it():
    book = load_codebook()

    def later_roles(first):
        ev = evidence_of(book, "en", "Who decided?", first, "And then?", "Linda signed the contract.")
        return [(m.label, m.origin) for m in ev.tagged[3].mentions if m.kind == "role"]

    assert later_roles("Linda, our CFO, approved the budget.") == [("treasurer", "name")]
    assert later_roles("Linda who is our CFO approved the budget.") == []  # four words away: not said of her


@pytest.mark.parametrize("lang,text,role,not_role", [
    ("en", "Our facilities manager sent the brief.", "gatekeeper", "expert"),
    ("en", "The estates manager ran the tender.", "gatekeeper", "expert"),
    ("en", "Our fleet manager tried it.", "user", "expert"),
    ("en", "The shop manager ordered parts.", "user", None),
    ("en", "Our recruiters use it every day.", "user", None),
    ("en", "The L&D manager booked a demo.", "expert", None),
    ("en", "Our HSE manager checked the kit.", "expert", None),
    ("en", "The transport manager went to the expo.", "expert", "user"),
    ("en", "The supply chain manager asked for prices.", "gatekeeper", "expert"),
    ("ru", "Основатель компании сам позвонил.", "big_boss", None),
    ("ru", "Я поговорил с совладельцем, он согласился.", "big_boss", None),
    ("ru", "Главврач подписала договор.", "big_boss", None),
    ("ru", "Договор ушёл в хозчасть.", "gatekeeper", None),
    ("ru", "Операционный директор посмотрела расчёт.", "expert", None),
])
def test_job_titles_map_to_their_roles(book, lang, text, role, not_role):
    found = {label for kind, label in kept(answer(book, lang, text, "And?" if lang == "en" else "И?")) if kind == "role"}
    assert role in found and (not_role is None or not_role not in found)


@pytest.mark.parametrize("lang,text", [
    ("en", "The shop floor was a mess."),
    ("en", "We moved the fleet to a new depot."),
    ("ru", "Мы основали склад в прошлом году."),
])
def test_words_of_the_new_titles_alone_are_no_role(book, lang, text):
    assert not any(kind == "role" for kind, _ in kept(answer(book, lang, text, "And?" if lang == "en" else "И?")))


def test_is_name_remembers_per_text_the_answer_of_the_token_itself(monkeypatch):
    from cjm import nlp

    monkeypatch.setattr(nlp, "_NAMES", {})
    doc = pipeline("ru")("Светлана и Договор. Светлана пришла")
    answers = [evidence.is_name(t, "ru") for t in doc]
    assert answers == [nlp._is_name(t, "ru") for t in doc]
    assert answers == [True, False, False, False, True, False]  # a capitalised word is no name by its capital alone
    assert nlp._NAMES[("Светлана", "ru")] is True
    assert ("Светлана", "en") not in nlp._NAMES  # one memo per language: the same text may differ
