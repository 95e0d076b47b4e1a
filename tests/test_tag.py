"""The tagger: lemmas, matches, negation and hypotheticals, roles, channels, the interviewer's turns."""

import pytest

from cjm.codebook import load_codebook
from cjm.model import Transcript, Utterance
from cjm.nlp import pipeline, russian_lemma
from cjm.rules import compile_patterns
from cjm.tag import tag_transcript


@pytest.fixture(scope="module")
def book():
    return load_codebook()


def interview(language, *turns, metadata=None):
    """Alternate interviewer and respondent turns, as an interview does."""
    utterances = []
    for n, text in enumerate(turns, start=1):
        interviewer = n % 2 == 1
        utterances.append(Utterance(n, "I" if interviewer else "R", text, is_interviewer=interviewer))
    return Transcript(id="t", source="t.txt", language=language, utterances=utterances, metadata=metadata or {})


def labels(tagged, n):
    item = tagged[n - 1]
    return item.stages, item.roles, item.channels


@pytest.mark.parametrize("word, lemma", [("часов", "час"), ("порекомендовал", "порекомендовать"),
                                         ("закупщице", "закупщица"), ("оплатили", "оплатить"), ("ёлки", "елка")])
def test_russian_lemmas_are_right_even_when_pymorphy_is_ambiguous(word, lemma):
    assert russian_lemma(word)[0] == lemma


def matches(phrase, lang, text):
    """Does one codebook phrase match the text?"""
    from spacy.matcher import Matcher

    nlp = pipeline(lang)
    matcher = Matcher(nlp.vocab)
    matcher.add("x", compile_patterns(phrase, lang))
    return bool(matcher(nlp(text)))


def test_pattern_words_match_any_inflection_in_russian():
    assert matches("запросить ... коммерческий предложение", "ru", "Мы запросили у них коммерческое предложение.")
    assert not matches("запросить ... коммерческий предложение", "ru", "Мы получили коммерческое предложение.")


def test_english_inflected_pattern_word_is_that_form_only():
    assert matches("signed", "en", "We signed in June.")
    assert not matches("signed", "en", "It needs her sign-off.")
    assert matches("sign ... contract", "en", "They will sign the contract.")  # a base form: any form


def test_stems_and_optional_tokens():
    assert matches("рекоменд* ?нам", "ru", "Партнер рекомендовал нам вас.")
    assert matches("рекоменд* ?нам", "ru", "Партнер рекомендовал вас.")
    assert matches("trial|pilot|demo", "en", "We ran a pilot.")


def test_interviewer_turns_carry_no_labels(book):
    tagged = tag_transcript(interview("ru", "Вам порекомендовал нас партнер? Вы оплатили счет?", "Да."), book)
    assert labels(tagged, 1) == ([], [], [])


def test_referral_tells_informed_with_guru_and_channel(book):
    tagged = tag_transcript(interview(
        "ru", "Как вы о нас узнали?",
        "Мне порекомендовал вас партнер по бизнесу, у него своя стройка."), book)
    stages, roles, channels = labels(tagged, 2)
    assert "informed" in stages
    assert "guru" in roles
    assert channels == ["referral"]


def test_negated_event_gets_no_label(book):
    tagged = tag_transcript(interview("ru", "А выставки?", "На выставку мы в тот год не поехали."), book)
    assert "exhibition" not in labels(tagged, 2)[2]
    tagged = tag_transcript(interview("ru", "А выставки?", "На выставку мы в тот год поехали."), book)
    assert "exhibition" in labels(tagged, 2)[2]  # the control: told as done, it is the channel


def test_hypothetical_event_gets_no_label(book):
    tagged = tag_transcript(interview(
        "en", "Was there a tender?",
        "No. If it had gone to tender we would have lost three months."), book)
    assert "tender" not in labels(tagged, 2)[2]
    tagged = tag_transcript(interview("en", "Was there a tender?", "Yes. It went to tender and we lost three months."), book)
    assert "tender" in labels(tagged, 2)[2]


def test_habit_is_not_this_journey(book):
    tagged = tag_transcript(interview("ru", "Как вы выбираете?", "Обычно мы запрашиваем КП у трех поставщиков."), book)
    assert "interested" not in labels(tagged, 2)[0]
    tagged = tag_transcript(interview("ru", "Как вы выбирали?", "Мы запросили КП у трех поставщиков."), book)
    assert "interested" in labels(tagged, 2)[0]


def test_supplier_people_get_no_role(book):
    tagged = tag_transcript(interview("ru", "Кто приезжал?", "Приезжал ваш технолог, все показал."), book)
    assert "expert" not in labels(tagged, 2)[1]
    tagged = tag_transcript(interview("ru", "Кто смотрел?", "Смотрел наш технолог, все проверил."), book)
    assert "expert" in labels(tagged, 2)[1]


def test_longer_role_phrase_wins(book):
    tagged = tag_transcript(interview("ru", "Кто согласовал бюджет?", "Финансовый директор согласовал бюджет."), book)
    stages, roles, _ = labels(tagged, 2)
    assert roles == ["treasurer"]
    assert "motivated" in stages


def test_answer_to_who_decided_is_motivated(book):
    tagged = tag_transcript(interview("en", "So who made the final decision?", "Linda, our CFO, because it's her budget."), book)
    stages, roles, _ = labels(tagged, 2)
    assert stages == ["motivated"]
    assert roles == ["treasurer"]


def test_named_person_keeps_the_role_given_once(book):
    tagged = tag_transcript(interview(
        "ru", "Кто первым позвонил?",
        "Светлана, мой секретарь, позвонила им на следующий день и запросила прайс.",
        "А потом?",
        "Потом Светлане прислали договор, и мы оплатили счет."), book)
    assert "gatekeeper" in labels(tagged, 4)[1]


def test_payment_is_bought_and_trial_is_motivated(book):
    tagged = tag_transcript(interview(
        "en", "How did you hear of them?", "We found them through a Google ad and requested a quote.",
        "Then?", "We ran a free trial for two weeks.",
        "And?", "We signed the contract and paid the invoice in March."), book)
    assert "informed" in labels(tagged, 2)[0]
    assert labels(tagged, 2)[2] == ["search_ads"]
    assert labels(tagged, 4)[0] == ["motivated"]
    assert labels(tagged, 6)[0] == ["bought"]


def test_mentions_point_at_the_words_they_label(book):
    text = "Мы оплатили счет в марте."
    tagged = tag_transcript(interview("ru", "И?", text, ), book)
    assert [(m.label, m.text) for m in tagged[1].mentions] == [("bought", "оплатили")]
    for mention in tagged[1].mentions:
        assert text[mention.start:mention.end] == mention.text


def test_answer_to_advice_question_has_no_labels(book):
    tagged = tag_transcript(interview(
        "ru", "Что бы вы посоветовали поставщику?",
        "Я бы на их месте сразу предлагали пробную партию и писали цену в рекламе."), book)
    assert labels(tagged, 2) == ([], [], [])


TRIAL_UNDER_WAY = ("Как узнали?", "Нам порекомендовал партнер, я запросила КП.",
                   "Дальше?", "Сделали пробную партию, технолог протестировал.", "А потом?")


def test_document_named_later_is_not_a_step_back(book):
    tagged = tag_transcript(interview("ru", *TRIAL_UNDER_WAY, "Директор посмотрел КП ещё раз и согласовал бюджет."), book)
    assert labels(tagged, 6)[0] == ["motivated"]


def test_new_director_steps_back_to_interested(book):
    tagged = tag_transcript(interview(
        "ru", *TRIAL_UNDER_WAY, "А потом у нас сменился генеральный, и всё пришлось начинать сначала."), book)
    assert "interested" in labels(tagged, 6)[0]


def test_exact_form_token_matches_that_form_only():
    assert matches("=будет", "ru", "Так будет быстрее.")
    assert not matches("=будет", "ru", "Там было коммерческое предложение.")  # the lemma быть is not enough
    assert matches("=будет|оплатить", "ru", "Мы оплатили счет.")
    assert matches("=ещё", "ru", "Ещё раз.") and matches("=еще", "ru", "ещё раз") and not matches("=еще", "ru", "Уже.")
    assert matches("=late", "en", "It was late.") and not matches("=late", "en", "Three weeks later.")


def test_past_of_to_be_is_not_hypothetical(book):
    tagged = tag_transcript(interview("ru", "Что было в письме?",
                                      "Там было коммерческое предложение с ценами на короба."), book)
    assert "interested" in labels(tagged, 2)[0]


def test_story_stage_is_not_carried_into_closing_small_talk(book):
    story = ("Как прошел пилот?", "Пилот прошел хорошо, технолог протестировал образцы.",
             "А дальше?", "Водители сначала ворчали, потом привыкли, логисты строили маршруты быстрее.")
    carried = tag_transcript(interview("ru", *story), book)
    assert labels(carried, 4)[0] == ["motivated"]  # the trial goes on without a stage word
    aside = tag_transcript(interview("ru", *story[:3], "Что-нибудь ещё хотите добавить?",
                                     "Погода в тот день была жуткая, ливень, все пришли мокрые насквозь."), book)
    assert labels(aside, 4)[0] == []


def test_respondent_role_comes_from_a_self_introduction_only(book):
    tagged = tag_transcript(interview("ru", "Расскажите о себе.", "Я руководитель ИТ в компании, нас сто сорок человек."), book)
    assert labels(tagged, 2)[1] == ["expert"]  # not the head of the company
    tagged = tag_transcript(interview(
        "ru", "Что было дальше?", "Я запросил у них цену, мне нужно было показать директору фиксированную цену.",
        "А потом?", "Я подписал договор, и мы оплатили счёт."), book)
    assert labels(tagged, 4)[1] == []  # "мне ... директору" names the director, not the respondent


def test_search_that_finds_the_supplier_is_informed_after_talk_of_the_need(book):
    tagged = tag_transcript(interview(
        "ru", "Расскажем про «Гофро-Стандарт». Кто инициировал поиск?",
        "Старый поставщик прислал новый прайс, плюс восемнадцать процентов. Директор сказал: найди альтернативу.",
        "Как вы искали?",
        "Сначала обзвонила знакомых дистрибьюторов, с которыми работаем по другим позициям, никто не помог.",
        "А потом?",
        "Набрала в Яндексе, сверху реклама, четыре объявления. «Гофро-Стандарт» был вторым объявлением, я и кликнула."),
        book)
    assert "informed" not in labels(tagged, 4)[0]  # the search under way names no supplier
    assert "informed" in labels(tagged, 6)[0]


def test_another_story_and_hearsay_are_not_this_journey(book):
    story = ("Как прошел пилот?", "Пилот прошел хорошо, технолог протестировал образцы.", "А что вы купили ещё?")
    tagged = tag_transcript(interview("ru", *story, "Станок китайский, его в декабре поставили, работает. "
                                                    "Но это отдельная история, к поставщику отношения не имеет."), book)
    assert labels(tagged, 4)[0] == []
    tagged = tag_transcript(interview("en", "What about the cheapest one?",
                                      "Apparently they signed a bakery last year and missed three deliveries."), book)
    assert labels(tagged, 2)[0] == []


def test_answer_that_denies_the_question_takes_no_stage(book):
    tagged = tag_transcript(interview("ru", "Раньше вы что-то о них слышали?",
                                      "Нет, вообще ничего. На выставку мы в тот год не ездили."), book)
    assert labels(tagged, 2)[0] == []
    tagged = tag_transcript(interview("ru", "Раньше вы что-то о них слышали?",
                                      "Слышала от коллег, но сама не звонила."), book)
    assert labels(tagged, 2)[0] != []  # the question's stage still applies to an answer that does not deny it


def test_unpunctuated_speech_is_cut_into_sentences_so_a_habit_cue_stays_local(book):
    # speech-recognition output: no punctuation; "обычно" must not take the purchase told later with it
    text = ("ну мы тендер разместили на площадке в марте и вы подали заявку а потом мы долго думали "
            "потому что денег не было и директор сказал что обычно мы так не делаем ну и в итоге "
            "подписали договор в сентябре и оплатили")
    sentences = [s.text for s in pipeline("ru")(text).sents]
    assert len(sentences) >= 2 and not any("обычно" in s and "подписали" in s for s in sentences)
    tagged = tag_transcript(interview("ru", "что было дальше", text), book)
    assert "bought" in tagged[1].stages
    short = "обычно мы сразу подписываем договор и оплачиваем"  # a habit told in one short sentence
    assert "bought" not in tag_transcript(interview("ru", "как у вас принято", short), book)[1].stages


@pytest.mark.parametrize("lang, question, answer, told", [
    ("ru", "Вы их искали?", "Нет, не искал. Они сами позвонили.", True),
    ("ru", "Вы их искали?", "Нет, они сами на нас вышли, через неделю после выставки.", True),
    ("ru", "Кто кому позвонил?", "Я им сам позвонил, номер дал партнёр.", False),  # the client called
    ("en", "Did you look for them?", "No, they approached us at the end of March.", True),
    ("en", "Did you look for them?", "No. They emailed me first, a short note about our freight costs.", True),
    ("en", "Who called whom?", "I called them first, after the webinar.", False),
])
def test_the_supplier_calling_first_is_a_cold_call(book, lang, question, answer, told):
    tagged = tag_transcript(interview(lang, question, answer), book)
    assert ("cold_call" in [m.label for m in tagged[1].mentions + tagged[1].suppressed if m.kind == "channel"]) is told


@pytest.mark.parametrize("answer, channel", [
    ("It came by post, a proper envelope addressed to me by name.", "cold_call"),  # a letter in the mail
    ("I saw their post about freight costs and sent a message.", "social_media"),
])
def test_a_letter_by_post_is_no_social_media_post(book, answer, channel):
    tagged = tag_transcript(interview("en", "How did you first hear of them?", answer), book)
    assert [m.label for m in tagged[1].mentions + tagged[1].suppressed if m.kind == "channel"] == [channel]
