"""Lead qualification: each BANT signal found where told and not where negated or hypothetical, the
stage at its first appearance, the temperature at first contact, journeys.json and the report."""

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cjm.cli import cli
from cjm.codebook import load_codebook
from cjm.model import Transcript, Utterance
from cjm.pipeline import analyse_transcript
from cjm.qualification import by_group

SAMPLE = Path(__file__).resolve().parents[1] / "interviews"


@pytest.fixture(scope="module")
def book():
    return load_codebook()


def interview(language, *turns, channel=None):
    """Alternate interviewer and respondent turns, as an interview does."""
    utterances = [Utterance(n, "I" if n % 2 else "R", text, is_interviewer=bool(n % 2))
                  for n, text in enumerate(turns, start=1)]
    return Transcript(id=f"q-{language}", source="q.txt", language=language, utterances=utterances, channel=channel)


def qualify(book, language, *turns, channel=None):
    return analyse_transcript(interview(language, *turns, channel=channel), book).qualification


# One respondent answer per case: (language, answer, signal); the "no" cases are negated or hypothetical.
BANT_YES = [
    ("ru", "На замену оборудования у нас был утверждён бюджет на год.", "budget"),
    ("en", "We had budget set aside for the new packaging line this year.", "budget"),
    ("ru", "Через месяц мы вышли на генерального директора, он дал добро.", "authority"),
    ("en", "After the demo we finally got to the decision maker, the owner.", "authority"),
    ("ru", "Нам не хватало мощностей, старый поставщик не справлялся.", "need"),
    ("en", "We had real problems with our old supplier and needed a new one.", "need"),
    ("ru", "Линию нужно было запустить до конца квартала, сроки горели.", "timing"),
    ("en", "There was a hard deadline: everything had to be live by the end of March.", "timing"),
]
BANT_NO = [
    ("ru", "Бюджета на это в тот год так и не выделили.", "budget"),
    ("en", "If we had had a budget for it, we would have bought straight away.", "budget"),
    ("ru", "Если бы мы вышли на генерального директора, всё было бы быстрее.", "authority"),
    ("en", "If we had reached the decision maker, it would have gone faster.", "authority"),
    ("ru", "Проблем с поставками у нас никогда не было.", "need"),
    ("en", "We did not have any problems with our old supplier.", "need"),
    ("ru", "Никаких сроков нам никто не ставил, дедлайна не было.", "timing"),
    ("en", "There was no deadline at all.", "timing"),
]


@pytest.mark.parametrize("language, answer, signal", BANT_YES, ids=[f"{c[2]}-{c[0]}" for c in BANT_YES])
def test_bant_signal_found(book, language, answer, signal):
    q = qualify(book, language, "Расскажите, как всё было." if language == "ru" else "Tell me how it went.", answer)
    assert q.bant[signal] is not None, q.bant
    assert q.bant[signal].n == 2 and q.bant[signal].quote


@pytest.mark.parametrize("language, answer, signal", BANT_NO, ids=[f"{c[2]}-{c[0]}" for c in BANT_NO])
def test_bant_signal_not_found_when_negated_or_hypothetical(book, language, answer, signal):
    q = qualify(book, language, "Расскажите, как всё было." if language == "ru" else "Tell me how it went.", answer)
    assert q.bant[signal] is None, q.bant[signal]


def test_first_appearance_and_the_stage_reached_then(book):
    q = qualify(book, "en",
                "How did you first hear about them?",
                "A colleague recommended them to me at a conference.",
                "What happened next?",
                "I asked for a quote and compared it with two others.",
                "And then?",
                "The CFO approved the budget and we ran a trial.",
                "Anything else on money?",
                "The budget was tight, but it held.")
    assert q.bant["budget"].n == 6  # the first appearance, not the later one
    assert q.bant["budget"].stage == "motivated"
    assert q.bant["authority"] is None  # no decision maker in this story


def test_authority_from_the_decision_maker_in_the_story(book):
    q = qualify(book, "ru", "Что было дальше?",
                "Потом я показал предложение генеральному директору, и он утвердил пробную партию.")
    assert q.bant["authority"] is not None and q.bant["authority"].origin == "role"


TEMPERATURE = [
    ("en", "We were urgently looking for a new supplier after the line stopped. Then their rep called us.", "hot"),
    ("ru", "Мы срочно искали замену старому поставщику, и тут нам позвонил их менеджер.", "hot"),
    ("en", "We were not looking for anything, it was a cold call out of the blue.", "cold"),
    ("ru", "Мы ничего не искали, они сами позвонили, обычный холодный звонок.", "cold"),
    ("en", "I signed up for their webinar and kept them in mind, there was no rush.", "warm"),
    ("ru", "Я оставила контакты на их сайте, присматривалась на будущее, тогда не горело.", "warm"),
]


@pytest.mark.parametrize("language, answer, temperature", TEMPERATURE, ids=[f"{c[2]}-{c[0]}" for c in TEMPERATURE])
def test_temperature_at_first_contact(book, language, answer, temperature):
    q = qualify(book, language, "Как вы впервые о них узнали?" if language == "ru" else "How did you first hear about them?",
                answer)
    assert q.temperature == temperature, q.temperature_evidence
    assert q.first_contact == 2 and q.temperature_evidence.n == 2


def test_no_temperature_without_a_cue_or_far_from_the_contact(book):
    q = qualify(book, "en", "How did you first hear about them?", "A colleague recommended them to me.",
                "What next?", "I asked for a quote.", "And then?", "We ran a trial.", "And later?",
                "Later on we were urgently looking for a second supplier for another site.")
    assert q.first_contact is not None and q.first_contact < 8
    assert q.temperature is None  # the urgency eight utterances on is another need, not the lead at contact
    neutral = qualify(book, "ru", "Как вы о них узнали?", "Коллега дал их телефон.")
    assert neutral.temperature is None


def test_a_hypothetical_temperature_cue_is_no_signal(book):
    q = qualify(book, "en", "How did you first hear about them?",
                "A colleague recommended them. If we had been desperate we would have called at once.")
    assert q.temperature != "hot"


def test_journeys_json_gets_qualification_and_the_report_a_table(tmp_path):
    result = CliRunner().invoke(cli, ["report", str(SAMPLE), "-o", str(tmp_path), "--rules-only", "--lang", "en"])
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "journeys.json").read_text(encoding="utf-8"))
    for item in document["interviews"]:
        q = item["qualification"]
        assert set(q["bant"]) == {"budget", "authority", "need", "timing"}
        assert q["temperature"] in (None, "cold", "warm", "hot")
        for signal in q["bant"].values():
            if signal:
                told = next(u for u in item["utterances"] if u["n"] == signal["n"])
                assert not told["is_interviewer"] and signal["text"] in told["text"]
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    section = page[page.index('id="qualification"'):]
    section = section[:section.index("</section>")]
    assert "Budget" in section and "Hot" in section and 'href="evidence.html#ev-' in section  # quotes on their page
    anchor = re.search(r'href="evidence.html#(ev-\d+)"', section).group(1)
    assert f'id="{anchor}"' in (tmp_path / "evidence.html").read_text(encoding="utf-8")


def test_by_group_counts_with_their_quotes(book):
    hot = analyse_transcript(interview("en", "How did you first hear about them?",
                                       "We were urgently looking for a new supplier, then I found their site.",
                                       "And money?", "The budget was approved in May.", channel="search_ads"), book)
    cold = analyse_transcript(interview("ru", "Как вы о них узнали?",
                                        "Мы ничего не искали, нам позвонил их менеджер, холодный звонок.",
                                        channel="cold_call"), book)
    groups = {g.group: g for g in by_group([hot, cold], book)}
    assert groups["cold_inbound"].n == 1 and [i for i, _ in groups["cold_inbound"].temperature["hot"]] == ["q-en"]
    assert [i for i, _ in groups["cold_inbound"].bant["budget"]] == ["q-en"]
    assert groups["outbound"].temperature["cold"][0][1].quote.startswith("Мы ничего не искали")
    assert groups["outbound"].bant["budget"] == []


def test_a_family_label_is_checked(tmp_path):
    from cjm.errors import CodebookError

    path = tmp_path / "c.yaml"
    path.write_text("extends: default\nqualification:\n  bant:\n  - id: need\n    ignores: [negation]\n"
                    "  - id: budget\n    roles: [cfo]\n  mood:\n  - id: happy\n", encoding="utf-8")
    with pytest.raises(CodebookError) as error:
        load_codebook(path)
    message = str(error.value)
    assert "qualification.bant 'need': 'ignores' names 'negation'" in message
    assert "qualification.bant 'budget': 'roles' names unknown role 'cfo'" in message
    assert "qualification: unknown family 'mood' (known: bant, temperature)" in message
