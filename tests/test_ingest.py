"""Plain-text ingest: front matter, labels, timestamps, continuation lines, encodings, interviewer."""

from pathlib import Path

import pytest

from cjm.errors import InputError
from cjm.ingest import decode, find_interviewer, read_folder, read_transcript
from cjm.model import Utterance

DATA = Path(__file__).parent / "data" / "transcripts"


def test_front_matter_timestamps_and_parenthesised_labels():
    t = read_transcript(DATA / "ru_timestamps.txt")
    assert t.id == "ru-test-07"
    assert t.language == "ru"
    assert t.metadata["company"] == 'ООО "Стройресурс"'
    assert [u.n for u in t.utterances] == list(range(1, 9))
    assert t.utterances[0].start == 5.0
    assert t.utterances[3].start == 112.0  # "(01:52)"
    assert t.utterances[4].start == 190.0  # "00:03:10" without brackets
    assert t.utterances[1].speaker == "Игорь Петрович (директор)"
    assert t.interviewer == "Анна"
    assert [u.is_interviewer for u in t.utterances[:2]] == [True, False]


def test_continuation_lines_join_the_turn_above():
    t = read_transcript(DATA / "ru_timestamps.txt")
    second = t.utterances[1].text
    assert second.startswith("Мне порекомендовал")
    assert second.endswith("цены у вас выше рынка.")
    assert "у него своя стройка" in second
    assert t.utterances[1].line == 9  # the line the turn starts on, front matter counted


def test_interviewer_found_by_questions_without_front_matter():
    t = read_transcript(DATA / "en_questions.txt")
    assert t.interviewer == "Helen"
    assert t.language == "en"
    toms = [u for u in t.utterances if u.speaker == "Tom"]
    assert toms and not any(u.is_interviewer for u in toms)


def test_interviewer_found_by_label():
    utterances = [Utterance(1, "Респондент", "Да."), Utterance(2, "Интервьюер", "А дальше что?")]
    assert find_interviewer(utterances, None) == ("Интервьюер", "label")


def test_bom_is_stripped():
    t = read_transcript(DATA / "en_bom.txt")
    assert t.encoding == "utf-8-sig"
    assert t.utterances[0].speaker == "Interviewer"
    assert t.interviewer == "Interviewer"


def test_windows_1251_is_detected_not_guessed():
    t = read_transcript(DATA / "ru_cp1251.txt")
    assert t.encoding.replace("_", "").lower() in ("cp1251", "windows1251")
    assert t.language == "ru"
    assert "Закупщица" in t.utterances[1].text


def test_decode_prefers_utf8():
    assert decode("ёлка".encode("utf-8"), "x.txt") == ("ёлка", "utf-8")


def test_file_without_speakers_is_all_respondent():
    t = read_transcript(DATA / "no_speakers.txt")
    assert not t.has_speakers
    assert len(t.utterances) == 2  # one per paragraph
    assert not any(u.is_interviewer for u in t.utterances)
    assert any("no speaker" in note for note in t.notes)


def test_broken_front_matter_names_file_and_line():
    with pytest.raises(InputError) as caught:
        read_transcript(DATA / "broken_front_matter.txt")
    error = caught.value
    assert error.path.endswith("broken_front_matter.txt")
    assert error.line == 3  # "channel: [referral" never closes
    assert "front matter" in error.message


def test_folder_accounts_for_every_file(tmp_path):
    (tmp_path / "good.txt").write_text("Q: Как узнали?\nA: От партнера.\n", encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.7 binary")
    (tmp_path / "z_dup.txt").write_text("---\nid: good\n---\nQ: Да?\nA: Нет.\n", encoding="utf-8")
    transcripts, problems = read_folder(tmp_path)
    assert [t.id for t in transcripts] == ["good"]
    reasons = {Path(p.source).name: p.message for p in problems}
    assert set(reasons) == {"empty.txt", "scan.pdf", "z_dup.txt"}
    assert "already used" in reasons["z_dup.txt"]


def test_sample_series_numbering_matches_gold():
    """Every sample interview parses into exactly the turns its gold file numbers."""
    import json

    root = Path(__file__).resolve().parents[1] / "interviews"
    transcripts, problems = read_folder(root)
    assert [(Path(p.source).name, p.ignored) for p in problems] == [("gold", True)]
    for t in transcripts:
        gold = json.loads((root / "gold" / f"{t.id}.gold.json").read_text(encoding="utf-8"))
        assert [u.n for u in t.utterances] == [u["n"] for u in gold["utterances"]], t.id
        assert [u.speaker for u in t.utterances] == [u["speaker"] for u in gold["utterances"]], t.id
        assert [u.is_interviewer for u in t.utterances] == [u["is_interviewer"] for u in gold["utterances"]], t.id


def test_lower_case_speaker_labels_of_speech_recognition_output_open_turns() -> None:
    # "марина:" and "олег:" recur, so they are speakers; "итого:" opens one line only: it stays text.
    t = read_transcript(DATA / "ru_asr_lower_case.txt")
    assert [u.speaker for u in t.utterances] == ["марина", "олег", "марина", "олег", "марина", "олег"]
    assert t.utterances[0].is_interviewer and not t.utterances[1].is_interviewer
    assert t.utterances[-1].text.endswith("итого: ну месяцев шесть вышло")


def test_a_lower_case_word_with_a_colon_once_is_not_a_speaker(tmp_path: Path) -> None:
    path = tmp_path / "one.txt"
    path.write_text("Анна: Как это было?\nИгорь: Так.\nзначит: было так\n", encoding="utf-8")
    assert [u.speaker for u in read_transcript(path).utterances] == ["Анна", "Игорь"]


def test_without_question_marks_the_interviewer_is_who_opens_turns_with_question_words(tmp_path: Path) -> None:
    path = tmp_path / "asr.txt"
    path.write_text(
        "спикер 1: так запись пошла слышите меня\n"
        "спикер 2: да слышу нормально\n"
        "спикер 1: расскажите как вы о нас узнали\n"
        "спикер 2: ну это через тендер было в марте мы разместили извещение и вы подали заявку\n"
        "спикер 1: а кто у вас решение принимал\n"
        "спикер 2: директор конечно он подписывал\n", encoding="utf-8")
    t = read_transcript(path)
    assert t.interviewer == "спикер 1"
    assert [u.is_interviewer for u in t.utterances] == [True, False, True, False, True, False]
