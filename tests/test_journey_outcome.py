"""The outcome's evidence (cjm.outcome): a purchase of this client from this supplier told as done.
Each rule with a case that must give a clue and one that must not."""

import pytest

from cjm.codebook import load_codebook
from cjm.model import TaggedUtterance, Transcript, Utterance
from cjm.outcome import purchase_clues
from cjm.textmatch import PhraseList, words


@pytest.fixture(scope="module")
def book():
    return load_codebook()


def interview(lang, *turns, supplier=None):
    """Alternating interviewer / respondent turns; each respondent turn is one sentence per '|'."""
    tagged = []
    for n, text in enumerate(turns, 1):
        interviewer = n % 2 == 1
        parts = text.split("|")
        joined, spans, at = " ".join(parts), [], 0
        for part in parts:
            spans.append((at, at + len(part)))
            at += len(part) + 1
        tagged.append(TaggedUtterance(Utterance(n, "I" if interviewer else "R", joined, is_interviewer=interviewer),
                                      sentences=[] if interviewer else spans))
    metadata = {"supplier": supplier} if supplier else {}
    return tagged, Transcript(id="t", source="t.txt", language=lang, utterances=[t.utterance for t in tagged],
                              metadata=metadata)


def how(book, lang, *turns, supplier=None):
    tagged, transcript = interview(lang, *turns, supplier=supplier)
    return [c.how for c in purchase_clues(tagged, transcript, book)]


@pytest.mark.parametrize("lang, yes, no", [
    ("en", "We signed the contract and paid the first invoice.", "We still haven't signed the contract."),
    ("en", "Payment went out the next day.", "Payment would have gone out the next day."),
    ("ru", "Договор подписали, аванс оплатили.", "Договор так и не подписали."),
    ("ru", "Аванс ушёл третьего июля.", "Если бы он остался, аванс ушёл бы в июле."),
])
def test_a_purchase_told_in_the_past(book, lang, yes, no):
    assert how(book, lang, "And then?", yes) == ["told"]
    assert how(book, lang, "And then?", no) == []


@pytest.mark.parametrize("lang, yes, no", [
    ("en", "Signed March twentieth, about.", "Signed up for the newsletter, I think."),
    ("ru", "Договор — девятого февраля.", "Договор обсуждали долго, с юристами, с безопасниками и с собственником в феврале."),
])
def test_a_purchase_word_with_its_date(book, lang, yes, no):
    assert how(book, lang, "And then?", yes) == ["dated"]
    assert how(book, lang, "And then?", no) == []


def test_a_date_in_answer_to_when_the_purchase_happened(book):
    assert how(book, "en", "And when was the first invoice paid?", "May sixth.") == ["answered"]
    assert how(book, "en", "When do you expect to sign?", "Probably March.") == []  # a prospect
    assert how(book, "en", "And when did you first talk to them?", "May sixth.") == []  # not the purchase
    assert how(book, "ru", "А когда вы этот заказ оплатили?", "Двадцать шестого февраля.") == ["answered"]
    assert how(book, "ru", "И что он сказал, когда вы ему принесли договор?", "Он в отпуске был весь август.") == []
    assert how(book, "en", "When did you pay?", "Not yet, maybe in March.") == []


def test_a_yes_to_a_recap_that_dates_the_purchase(book):
    recap = "So, agreement signed around March twentieth, first payment May sixth. Does that sound right?"
    assert how(book, "en", recap, "Yeah.|Three months.") == ["confirmed"]
    assert how(book, "en", "So you met them at the show in June. Right?", "Yeah.") == []
    assert how(book, "ru", "Вы сказали, что NDA подписали в конце марта. Это был единственный документ?", "Да, единственный.") == []


@pytest.mark.parametrize("lang, text", [
    ("en", "We signed the NDA at the end of March."),
    ("en", "We signed the pilot agreement in May."),
    ("ru", "Мы подписали NDA, это было в конце марта."),
    ("ru", "Протокол подписали все пятеро членов комиссии."),
])
def test_papers_that_are_no_purchase(book, lang, text):
    assert how(book, lang, "And then?", text) == []


def test_a_plan_is_no_purchase(book):
    plan = "Decision by mid-July, contract signed by the end of July,|and the first events in September.|That was the plan."
    assert how(book, "en", "What was the timeline?", plan) == []
    assert how(book, "en", "What was the timeline?", "Contract signed on the tenth of June.|The first events were in September.") \
        == ["told"]
    assert how(book, "en", "Where are you now?", "About three weeks from a purchase order, in my head.") == []


def test_a_denial_in_the_next_sentence(book):
    assert how(book, "en", "Was anything signed?", "Order form in March.|Never signed.|Nothing paid.") == []
    assert how(book, "en", "Was anything signed?", "Order form in March.|We signed it a week later.") == ["dated"]


def test_another_suppliers_purchase(book):
    supplier = "Routewise Telematics"
    assert how(book, "en", "And meanwhile?", "So I put through a repeat order with TrakNet for twelve units.|"
               "We signed the contract with TrakNet in May.", supplier=supplier) == []
    assert how(book, "en", "And then?", "We signed the contract with Routewise in May.", supplier=supplier) == ["told"]
    assert how(book, "ru", "А пока?", "В марте подписали договор у старого поставщика.") == []
    assert how(book, "en", "And before?", "A few years ago we paid the first invoice to a system from a company I won't name.") == []


def test_advice_is_not_this_deal(book):
    tagged, transcript = interview("en", "Any advice?", "We paid the first invoice upfront, and that worked.")
    assert [c.how for c in purchase_clues(tagged, transcript, book)] == ["told"]
    tagged[1].asked = "advice"
    assert purchase_clues(tagged, transcript, book) == []


def test_phrase_syntax_of_the_text_matcher():
    ru = PhraseList(["договор ... подписал*", "=оплачено", "?первый счет"], "ru")
    assert [h.phrase for h in ru.find("Договор мы с ними подписали в мае")] == [0]
    assert ru.find("договоры подпишем потом") == []  # the stem "подписал" is the past tense
    assert [h.phrase for h in ru.find("Всё оплачено")] == [1] and ru.find("оплатить") == []
    assert [h.phrase for h in ru.find("счета пришли")] == [2]
    en = PhraseList(["paid ... invoice", "sign contract"], "en")
    assert [h.phrase for h in en.find("We paid the first invoice")] == [0]
    assert en.find("We pay the invoice") == []  # "paid" is that form only
    assert [h.phrase for h in en.find("they signed contracts")] == [1]  # "sign": any form
    assert en.find("a gap too long: paid a b c d invoice") == []
    assert [w.lemma for w in words("Signed it", "en")] == ["sign", "it"]
    with pytest.raises(Exception):
        PhraseList(["?only ?optional"], "en")


def test_the_tag_stage_records_the_clues_that_the_guard_and_the_outcome_read(book, monkeypatch):
    """One look per interview: the tag stage keeps each clue on its utterance, the decision's purchase
    guard and the journey read them; labels that came from elsewhere are looked at afresh."""
    import cjm.outcome as outcome
    from cjm.journey import derive_journey
    from cjm.tag import tag_transcript

    _, transcript = interview("en", "How did it end?", "We signed the contract in May and paid the first invoice.")
    looks = []
    real = outcome.purchase_clues
    monkeypatch.setattr(outcome, "purchase_clues", lambda *a: looks.append(1) or real(*a))
    tagged = tag_transcript(transcript, book, model=None)
    assert len(looks) == 1 and [c.how for t in tagged for c in (t.purchases or [])] == ["told"]
    assert derive_journey(transcript, tagged, book).outcome == "bought" and len(looks) == 1
    for item in tagged:
        item.purchases = None  # labels from elsewhere: found again, the same
    assert derive_journey(transcript, tagged, book).outcome == "bought" and len(looks) == 2
    _, stalled = interview("en", "How did it end?", "We never signed the contract.")
    assert all(t.purchases == [] for t in tag_transcript(stalled, book, model=None))


def test_the_windows_around_a_purchase_phrase_are_as_narrow_as_they_say(book):
    """A negator three words after the phrase, or a pilot three words before it, is about something
    else: the purchase stands; nearer, it does not. (Known limit: "After the pilot we signed the
    contract" is a purchase the two-word window still takes for the pilot's papers.)"""
    assert how(book, "en", "And then?", "We signed the contract in May, not June.") == ["told"]
    assert how(book, "en", "And then?", "We signed the contract not in May.") != ["told"]
    assert how(book, "en", "And then?", "The pilot ended, we signed the contract.") == ["told"]
    assert how(book, "ru", "А потом?", "Пилотный договор подписали в марте.") == []  # the pilot's own papers


def test_another_firm_is_named_after_a_preposition_only():
    from cjm.outcome import names_another_firm

    assert names_another_firm("Повторный заказ сделали со «Стройсервисом».", "ru", {"Альфа"})
    assert not names_another_firm("Повторный заказ, «Стройсервис» подождёт.", "ru", {"Альфа"})
    assert names_another_firm("A repeat order with Corley.", "en", {"Routewise"})
    assert not names_another_firm("In May Olga signed the contract.", "en", {"Routewise"})  # names, not after "with"
    assert not names_another_firm("Созвон с Вадимом в марте, а оплатили в апреле.", "ru", {"Альфа"})  # a person
    assert names_another_firm("Созвон со «Стройсервисом» в марте, а оплатили в апреле.", "ru", {"Альфа"})
    assert not names_another_firm("After a call with Kevin we signed in May.", "en", {"Routewise"})
    assert names_another_firm("After a call with Corley we signed in May.", "en", {"Routewise"})
    assert names_another_firm("We raised a variation order to Corvel in April.", "en", {"Kestrel"})
    assert not names_another_firm("We sent the order to Kestrel in April.", "en", {"Kestrel"})
    assert not names_another_firm("The order moved to March.", "en", {"Kestrel"})


def test_an_answered_date_keeps_its_question_and_a_codebook_without_purchase_phrases_finds_none(book):
    import copy

    tagged, transcript = interview("en", "And when was the first invoice paid?", "May sixth.")
    assert [(c.how, c.asked) for c in purchase_clues(tagged, transcript, book)] == \
        [("answered", "And when was the first invoice paid?")]
    bare = copy.deepcopy(book)
    for section in ("purchase_told", "purchase_dated", "purchase_dated_terse"):
        bare.lexicons[section] = {}
    assert purchase_clues(tagged, transcript, bare) == []  # no purchase phrases: no clue of any kind


@pytest.mark.parametrize("lang, yes, no", [
    ("en", "We signed the order form in March.", "We signed the order form in March.|It was cancelled a week later."),
    ("ru", "Договор подписали в мае.", "Договор подписали, но потом проект закрыли и деньги вернули."),
])
def test_a_purchase_taken_back_is_no_clue(book, lang, yes, no):
    assert how(book, lang, "And then?", yes) != []
    assert how(book, lang, "And then?", no) == []


@pytest.mark.parametrize("lang, yes, no", [
    ("en", "We received the first shipment in March.", "We received their first proposal in March."),
    ("en", "We paid the deposit in June.", "We paid them a visit in June."),
    ("en", "We signed the contract in April.", "The board signed off on the budget in April."),
    ("ru", "Получили первую партию в марте.", "Получили первую версию КП в марте."),
    ("ru", "Мы оплатили им аванс.", "Мы оплатили им командировку на аудит."),
])
def test_papers_and_payments_that_are_no_purchase(book, lang, yes, no):
    assert how(book, lang, "And then?", yes) != []
    assert how(book, lang, "And then?", no) == []


@pytest.mark.parametrize("lang, before, yes, no", [
    ("en", "Let's go to the order form. When did that come in?", "July.|Dale signed it on July twenty-second.",
     "July.|They asked for an LOI.|Dale signed it on July twenty-second."),
    ("ru", "А дальше что?", "В июле.|Подписали его двадцать второго июля.",
     "В июле.|Попросили письмо о намерениях.|Подписали его двадцать второго июля."),
])
def test_a_pronoun_takes_its_papers_from_the_sentence_before(book, lang, before, yes, no):
    assert how(book, lang, before, yes) != []
    assert how(book, lang, before, no) == []
    named = no.replace(" it ", " the contract ").replace(" его ", " договор ")  # the sentence names its papers
    assert how(book, lang, before, named) != []


def test_a_pronoun_answering_a_question_on_papers_that_are_no_purchase(book):
    answer = "Dale signed it on July twenty-second."
    assert how(book, "en", "Let's go to the letter of intent. When did that come in?", answer) == []
    assert how(book, "en", "Let's go to the order form. When did that come in?", answer) != []


@pytest.mark.parametrize("lang, question, yes, no", [
    ("en", "And what happened next?", "They sent the invoice, we paid in early August.",
     "They sent the invoice, we paid in early August.|Another full year."),
    ("en", "And what happened next?", "We paid in early August.", "We renewed and paid in early August."),
    ("ru", "А дальше что?", "Прислали счёт, оплатили в начале августа.", "Прислали счёт, продлили и оплатили в начале августа."),
])
def test_a_renewal_is_no_first_purchase(book, lang, question, yes, no):
    assert how(book, lang, question, yes) != []
    assert how(book, lang, question, no) == []
    assert how(book, "en", "Did you make a decision, or did it just roll over?", "We paid in early August.") == []


def test_a_yes_to_a_recap_in_the_negative_confirms_no_purchase(book):
    recap = "So the proposal came in May, and the money went to StaffDesk for another year. Nothing signed with them?"
    assert how(book, "en", recap, "Correct.") == []
    recap = "So the proposal came in May, and the first payment went out on June sixth. Is that right?"
    assert how(book, "en", recap, "Correct.") == ["confirmed"]
    assert how(book, "en", recap, "Correct.|Nothing signed with them.") == []
    recap = "Итак, договор подписали в мае, оплатили шестого июня. Верно?"
    assert how(book, "ru", recap, "Верно.") == ["confirmed"]
    assert how(book, "ru", "Итак, договор подписали в мае, оплатили шестого июня. Или ничего не оплатили?", "Верно.") == []
    hedged = "Если правильно поняла, договор подписали в мае, оплатили шестого июня. Так?"
    assert how(book, "ru", hedged, "Да, всё так.|Только станцию не в мае выбили, а раньше.") == ["confirmed"]


@pytest.mark.parametrize("lang, yes, no", [
    ("ru", "Гузель оплатила в начале апреля, потому что он хотел дождаться выплаты.",
     "Гузель хотела оплатить в начале апреля, потому что ждали выплаты."),
    ("en", "We signed in May because we will need the units in June.", "We will sign in May because the budget opens then."),
])
def test_a_plan_in_a_reason_clause_is_the_reasons(book, lang, yes, no):
    assert how(book, lang, "And then?", yes) != []
    assert how(book, lang, "And then?", no) == []


def test_listed_is_not_transferred(book):
    assert how(book, "ru", "А дальше?", "Перечислили аванс на следующий день.") == ["told"]
    assert how(book, "ru", "А дальше?", "Деньги перечислили на следующий день.") == ["told"]
    assert how(book, "ru", "А дальше?", "Написала, что нужны картриджи, и перечислила модели.") == []


def test_a_winner_or_a_contracts_end_is_no_purchase_of_this_deal(book):
    assert how(book, "en", "And then?", "We signed the contract in June.") != []
    assert how(book, "en", "And then?", "We signed with the winner in June.") == []
    assert how(book, "en", "And before?", "Five-year contract, ending in June.") == []
    assert how(book, "ru", "А потом?", "В июне подписали договор с победителем.") == []
    assert how(book, "ru", "А раньше?", "Договор истекает в июне, пятилетний.") == []


def test_a_date_in_answer_to_a_premise_that_tells_the_purchase(book):
    premise = "So the first order you paid up front. Roughly when was that, and how large an order was it?"
    assert how(book, "en", premise, "End of January. Card. Two thousand jars.") == ["answered"]
    assert how(book, "en", "So you looked at their site. Roughly when was that?", "End of January.") == []
    assert how(book, "ru", "То есть первый заказ вы оплатили сразу. Когда это было?", "В конце января.") == ["answered"]
    assert how(book, "ru", "То есть вы им написали. Когда это было?", "В конце января.") == []


def test_a_renewal_answering_when_is_no_first_purchase(book):
    assert how(book, "en", "When did you sign?", "On the nineteenth of December.") == ["answered"]
    assert how(book, "en", "When did you sign?", "The renewal, on the nineteenth of December.") == []
    assert how(book, "en", "When did you sign?", "On the nineteenth of December.|It was cancelled in January.") == []


@pytest.mark.parametrize("lang, yes, no", [
    ("ru", "Договор — девятого февраля.", "Договор годовой, до тридцать первого декабря."),
    ("en", "Invoice on March fifth.", "Invoice due by March fifth."),
])
def test_a_deadline_or_a_terms_end_dates_no_purchase_noun(book, lang, yes, no):
    assert how(book, lang, "And then?", yes) == ["dated"]
    assert how(book, lang, "And then?", no) == []
    assert how(book, "ru", "А потом?", "Подписали до конца марта.") == ["dated"]  # a verb in the past still tells it


def test_an_experts_signed_opinion_is_no_purchase(book):
    assert how(book, "ru", "А потом?", "В мае он подписал.") == ["dated"]
    assert how(book, "ru", "А потом?", "В мае он подписал заключение, что замечаний нет.") == []
    assert how(book, "ru", "А потом?", "После заключения договора в мае оплатили аванс.") == ["told"]


def test_a_no_that_corrects_the_questions_detail(book):
    question = "И договор когда подписали, сразу после звонка?"
    assert how(book, "ru", question, "Нет, в конце июля.") == ["answered"]
    assert how(book, "ru", question, "Нет, в июле так и не подписали.") == []
    assert how(book, "en", "When did you pay, right after the demo?", "No, end of July.") == ["answered"]
    assert how(book, "en", "When did you pay, right after the demo?", "No, we never paid.") == []


@pytest.mark.parametrize("lang, yes, no", [
    ("ru", "Да, договор с ними подписали в феврале.|С вами мы тогда ещё только начинали.",
     "Да, договор с ними подписали в феврале.|С вами мы так ничего и не подписали."),
    ("en", "Yes, we signed the contract with them in February.|You came later.",
     "Yes, we signed the contract with them in February.|With you we never signed anything."),
])
def test_a_later_denial_with_this_supplier_makes_the_purchase_anothers(book, lang, yes, no):
    assert how(book, lang, "And then?", yes) != []
    assert how(book, lang, "And then?", no) == []


@pytest.mark.parametrize("lang, yes, no, with_you", [
    ("ru", "Гарантия у них год, это минус.|Но цена ниже, и в середине февраля мы с ними подписались.",
     "Гарантия год против ваших двух, это минус.|Но цена ниже, и в середине февраля мы с ними подписались.",
     "С вашей стороны всё было чётко.|В феврале мы с вами подписались."),
    ("en", "Their warranty was one year, which hurt.|But the price was lower, and we signed with them in February.",
     "Their warranty was one year against your two.|But the price was lower, and we signed with them in February.",
     "Your team was quick.|We signed with you in February."),
])
def test_a_purchase_with_them_set_against_yours_is_anothers(book, lang, yes, no, with_you):
    assert how(book, lang, "And then?", yes) == ["dated"]
    assert how(book, lang, "And then?", no) == []
    assert how(book, lang, "And then?", with_you) == ["dated"]  # "yours" with a purchase "with you": this supplier's


def test_paid_the_rest_is_a_payment(book):
    assert how(book, "ru", "А дальше?", "В октябре доплатили остаток.") == ["told"]
    assert how(book, "ru", "А дальше?", "В октябре не доплатили остаток.") == []
