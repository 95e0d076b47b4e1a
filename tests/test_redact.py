"""--redact: no person name, phone or e-mail of the input survives anywhere in the transcripts
handed on to the pipeline; placeholders are stable over the whole run."""

from __future__ import annotations

import copy
import json
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cjm.ingest import read_transcript
from cjm.model import Transcript, Utterance
from cjm.redact import is_phone, redact_transcripts

DATA = Path(__file__).parent / "data" / "formats"
PRIVATE = ["private-ru.txt", "private-en.vtt", "teams-meeting.vtt", "fathom-export.txt"]

# Everything that identifies a person in the fixtures above, in every form it is written in.
ORIGINALS = [
    # private-ru.txt: labels, front matter, inflected mentions, NER-only names
    "Анна", "Соколова", "Игорь", "Игоря", "Петрович", "Петровича", "Сидоров", "Сергей", "Иванов",
    "Марины", "Марине", "Котовой", "Ольга Дмитриевна", "marina.kotova@supplier.ru", "kotova",
    "+7 (912) 345-67-89", "912", "345-67-89", "8 800 555-35-35", "555-35-35", "000-11-22",
    # private-en.vtt: title + name, first-name rule, possessive, e-mails and US phones
    "Rachel", "Green", "Tom", "Becker", "Linda", "Park", "Alvarez", "sales@vendor.example.com",
    "tom.becker@northwind.example", "415", "555-0100", "555-0199",
    # teams-meeting.vtt and fathom-export.txt
    "Кузнецова", "Jane", "Cooper", "jane.cooper@example.com", "Raj", "Patel",
]


@pytest.fixture(scope="module")
def originals() -> list[Transcript]:
    return [read_transcript(DATA / name) for name in PRIVATE]


@pytest.fixture(scope="module")
def redacted(originals: list[Transcript]) -> list[Transcript]:
    before = copy.deepcopy(originals)
    result = redact_transcripts(originals)
    assert [asdict(t) for t in originals] == [asdict(t) for t in before], "inputs are not changed"
    return result


def dump(transcripts: list[Transcript]) -> str:
    return json.dumps([asdict(t) for t in transcripts], ensure_ascii=False)


def test_no_original_appears_anywhere(redacted: list[Transcript]) -> None:
    text = dump([_without_source(t) for t in redacted])
    left = [original for original in ORIGINALS if original in text]
    assert left == []


def _without_source(transcript: Transcript) -> Transcript:
    """The source path stays as it is (file names are the consultant's own); check the rest."""
    copy_ = copy.copy(transcript)
    copy_.source = ""
    copy_.id = ""
    return copy_


def test_the_source_path_and_structure_stay(originals: list[Transcript], redacted: list[Transcript]) -> None:
    assert len(redacted) == len(originals) and originals
    for before, after in zip(originals, redacted):
        assert after is not before and after.source == before.source and after.id == before.id
        assert [(u.n, u.start, u.line, u.is_interviewer) for u in after.utterances] == [
            (u.n, u.start, u.line, u.is_interviewer) for u in before.utterances]


def test_placeholders_are_stable_across_the_run(redacted: list[Transcript]) -> None:
    ru, en, teams, fathom = redacted
    igor = ru.utterances[1].speaker
    assert igor.startswith("Персона ") and igor.endswith(" (директор)")
    number = igor.split()[1]
    # The same person as a speaker in another file, and inflected in the text of the first.
    assert teams.utterances[1].speaker == f"Персона {number}"
    assert f"Про Персона {number}, то есть про меня" in ru.utterances[3].text
    assert ru.utterances[0].text.startswith(f"Персона {number}, расскажите")
    assert ru.metadata["respondent"] == f"Персона {number}"
    assert ru.interviewer == ru.utterances[0].speaker == ru.metadata["interviewer"]
    tom = en.utterances[1].speaker
    assert tom.startswith("Person ") and tom.endswith(" (VP Operations)")
    assert f"{tom.removesuffix(' (VP Operations)')}'s budget" in en.utterances[3].text
    assert en.utterances[0].speaker == en.interviewer and en.interviewer.startswith("Person ")
    assert fathom.metadata["emails"] == {fathom.utterances[0].speaker: "[email]"}


def test_what_is_not_a_person_stays(redacted: list[Transcript]) -> None:
    ru, en, _, fathom = redacted
    assert ru.metadata["company"] == 'ООО "Стройресурс"'  # companies are not persons
    assert "1 500 000 рублей, подписали 12.03.2024" in ru.utterances[3].text
    assert "250 000 dollars for 2019-2021" in en.utterances[3].text
    assert "[phone]" in ru.utterances[1].text and "[email]" in ru.utterances[1].text
    assert ru.metadata["contact_phone"] == "[phone]"
    assert fathom.utterances[1].speaker.endswith("(Acme Corp)")
    assert "Our CFO signed off." in en.utterances[3].text


def test_role_labels_are_not_names() -> None:
    transcript = Transcript(id="x", source="x.txt", language="ru", utterances=[
        Utterance(1, "Интервьюер", "Кто принимал решение?", is_interviewer=True),
        Utterance(2, "Респондент (главный инженер)", "Директор, Пётр Алексеевич."),
        Utterance(3, "SPEAKER_01", "Спросите Петра Алексеевича."),
        Utterance(4, "Speaker 2", "Interviewer asked Dr Kim."),
    ], interviewer="Интервьюер")
    [after] = redact_transcripts([transcript])
    assert [u.speaker for u in after.utterances] == [
        "Интервьюер", "Респондент (главный инженер)", "SPEAKER_01", "Speaker 2"]
    petr = after.utterances[1].text.removeprefix("Директор, ").removesuffix(".")
    assert petr.startswith("Персона ")
    assert after.utterances[2].text == f"Спросите {petr}."  # inflected: the same person
    kim = after.utterances[3].text.removeprefix("Interviewer asked Dr ").removesuffix(".")
    assert kim.startswith("Персона ") and kim != petr  # the interview is Russian


@pytest.mark.parametrize("candidate, phone", [
    ("+7 (912) 345-67-89", True), ("8 800 555-35-35", True), ("+1 415-555-0100", True),
    ("(415) 555-0199", True), ("89123456789", True), ("345-67-89", True),
    ("1 500 000", False), ("15 000 000 000", False), ("2019-2021", False), ("12.03.2024", False),
    ("2024", False),
])
def test_phone_rule(candidate: str, phone: bool) -> None:
    assert is_phone(candidate) is phone


def test_people_sharing_a_first_name_stay_apart() -> None:
    transcript = Transcript(id="y", source="y.txt", language="ru", utterances=[
        Utterance(1, "Ольга Кузнецова", "Кто согласовал бюджет?", is_interviewer=True),
        Utterance(2, "Игорь", "Наш главбух, Ольга Дмитриевна, а потом Ольга Дмитриевна уволилась."),
        Utterance(3, "Ольга Кузнецова", "Понятно, Игорь."),
    ])
    [after] = redact_transcripts([transcript])
    interviewer = after.utterances[0].speaker
    accountant = after.utterances[1].text.removeprefix("Наш главбух, ").split(",")[0]
    assert accountant.startswith("Персона ") and " " not in accountant.removeprefix("Персона ")
    assert accountant != interviewer
    assert after.utterances[1].text.count(accountant) == 2
    assert after.utterances[2].text == f"Понятно, {after.utterances[1].speaker}."


def test_initials_and_surnames_pymorphy_misreads() -> None:
    transcript = Transcript(id="z", source="z.txt", language="ru", utterances=[
        Utterance(1, "Рыбин О. В.", "Договор подписал я, а И. П. Сидоров позвонил Рыбину и Рыбиной."),
    ], metadata={"respondent": "Рыбин О. В., генеральный директор"})
    [after] = redact_transcripts([transcript])
    rybin = after.utterances[0].speaker
    assert rybin.startswith("Персона ") and "О. В." not in rybin
    assert after.metadata["respondent"] == f"{rybin}, генеральный директор"
    text = after.utterances[0].text
    assert "Сидоров" not in text and "И. П." not in text and "Рыбин" not in text
    assert text.endswith(f"позвонил {rybin} и {rybin}.")


@settings(max_examples=100, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("Аа Бб Ии Пп Сс Оо Вв Tt Oo Mm .,:+-()@0123456789\n'’")),
                    max_size=200),
       speaker=st.text(max_size=30))
def test_redaction_of_any_text_does_not_fail(text: str, speaker: str) -> None:
    transcript = Transcript(id="f", source="f.txt", language="ru", utterances=[Utterance(1, speaker, text)],
                            metadata={"interviewer": speaker, "notes": [text, {speaker: 1}]})
    [after] = redact_transcripts([transcript])
    assert len(after.utterances) == 1


def test_empty_run() -> None:
    assert redact_transcripts([]) == []


def test_no_original_in_the_output_tree(tmp_path: Path) -> None:
    """End to end: `cjm report --redact` writes no name, phone or e-mail of the input anywhere
    (report pages, journeys.json, events.csv); only the static assets are skipped."""
    import shutil

    from click.testing import CliRunner

    from cjm.cli import cli

    folder = tmp_path / "in"
    folder.mkdir()
    for index, name in enumerate(PRIVATE, start=1):  # neutral file names: the paths stay as given
        shutil.copy(DATA / name, folder / f"interview-{index}{Path(name).suffix}")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["report", str(folder), "-o", str(out), "--redact"])
    assert result.exit_code == 0, result.output
    written = [p for p in out.rglob("*") if p.is_file() and p.parent.name != "assets"]
    assert {p.name for p in written} >= {"index.html", "journeys.json", "events.csv"}
    import re

    def leaked(original: str, text: str) -> bool:
        # a phone fragment ("415") leaks as a number of its own, not as digits of a probability (0.4152)
        if original.isdigit():
            return re.search(rf"(?<![\d.]){original}(?!\d)", text) is not None
        return original in text

    leaks = {(p.name, original) for p in written for original in ORIGINALS
             if leaked(original, p.read_text(encoding="utf-8"))}
    assert leaks == set()
    assert leaked("415", "call (415) 555") and not leaked("415", '"p": 0.4152')
