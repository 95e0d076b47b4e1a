"""Every reader on files laid out like the tools make them, and on the real files in
../shared/realworld/ where that folder is present."""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import pytest

from cjm.formats import plaintext, registered_formats
from cjm.ingest import read_folder, read_transcript

DATA = Path(__file__).parent / "data" / "formats"
REALWORLD = Path(__file__).resolve().parents[2] / "shared" / "realworld"
needs_realworld = pytest.mark.skipif(not REALWORLD.is_dir(),
                                     reason="../shared/realworld/ (real tool output) is not beside the repo")


def speakers(transcript) -> list[str]:
    return [u.speaker for u in transcript.utterances]


# --- fixtures written by the project ------------------------------------------------------------

@pytest.mark.parametrize("name, fmt, expected_speakers, first_start", [
    ("zoom-interview.transcript.vtt", "webvtt",
     ["Anna Smirnova", "Mark Davies", "", "Anna Smirnova", "Mark Davies"], 1.12),
    ("teams-meeting.vtt", "webvtt",
     ["Ольга Кузнецова", "Игорь Петрович", "Ольга Кузнецова", "Игорь Петрович"], 1.25),
    ("diarized-windows-1251.srt", "srt",
     ["SPEAKER_00", "SPEAKER_01", "", "SPEAKER_00", "SPEAKER_01"], 0.8),
    ("no-cue-numbers.srt", "srt", ["Interviewer", "Respondent", "Interviewer", "Respondent"], 1.0),
    ("whisperx.json", "json", ["SPEAKER_00", "SPEAKER_01", "", "SPEAKER_00"], 0.031),
    ("speaker-list.json", "json", ["Interviewer", "Priya Nair (Head of Operations)"] * 2, 2.0),
    ("otter-export.txt", "otter", ["Speaker 1", "Tom Becker"] * 2, 4.0),
    ("otter-pasted-into-markdown.md", "otter", ["Priya Raman", "Ian Caldwell"] * 2 + ["Unknown Speaker"]
     + ["Priya Raman", "Ian Caldwell"] * 2, 0.0),
    ("fathom-export.txt", "fathom", ["Jane Cooper", "Raj Patel (Acme Corp)"] * 2, 0.0),
    ("podcast-transcript.md", "markdown", ["Lisa Chen", "Omar Haddad"] * 2, None),
    ("macwhisper-export.md", "ranges", ["Interviewer", "Карина Волкова"] * 2, 0.0),
])
def test_fixture_speakers_and_times(name: str, fmt: str, expected_speakers: list[str],
                                    first_start: float | None) -> None:
    transcript = read_transcript(DATA / name)
    assert transcript.format == fmt
    assert speakers(transcript) == expected_speakers
    assert [u.n for u in transcript.utterances] == list(range(1, len(expected_speakers) + 1))
    assert transcript.utterances[0].start == first_start
    assert all(u.text and u.text == u.text.strip() for u in transcript.utterances)


def test_otter_pasted_into_markdown_keeps_bold_and_plain_speakers() -> None:
    """`**Name**  0:00  ` headers (Markdown's two-space line break kept) mixed with Otter's plain
    `Unknown Speaker  1:51`; the text on the lines below; the 'Transcribed by' footer dropped."""
    transcript = read_transcript(DATA / "otter-pasted-into-markdown.md")
    assert transcript.interviewer == "Priya Raman" and transcript.has_speakers
    unknown = transcript.utterances[4]
    assert (unknown.speaker, unknown.start, unknown.line) == ("Unknown Speaker", 111.0, 17)
    assert not any("*" in u.speaker or "*" in u.text for u in transcript.utterances)
    assert transcript.utterances[-1].text.endswith("end of March.")  # no footer
    assert "trial batch" in transcript.utterances[-1].text
    two_lines = transcript.utterances[6].text
    assert "week after. We asked for samples" in two_lines


def test_bold_words_with_a_time_in_prose_do_not_make_an_otter_file() -> None:
    from cjm.formats.exports import is_otter_header

    assert is_otter_header("**Priya Raman**  0:00  ")
    assert not is_otter_header("**Priya Raman  0:00")  # an unclosed bold is not a header
    assert not is_otter_header("We met at **10:30**")


def test_zoom_cue_without_speaker_stays_apart_and_is_noted() -> None:
    transcript = read_transcript(DATA / "zoom-interview.transcript.vtt")
    orphan = transcript.utterances[2]
    assert (orphan.speaker, orphan.text, orphan.start, orphan.line) == ("", "Mhm.", 22.05, 17)
    assert any("no speaker name" in note for note in transcript.notes)
    # Consecutive cues of one speaker form one utterance, starting at the first cue.
    assert transcript.utterances[1].text.startswith("Honestly") and "talk to these people" in transcript.utterances[1].text
    assert transcript.interviewer == "Anna Smirnova"


def test_teams_bom_crlf_note_style_overlaps_and_entities() -> None:
    transcript = read_transcript(DATA / "teams-meeting.vtt")
    text = " ".join(u.text for u in transcript.utterances)
    assert "Exported from" not in text and "::cue" not in text and "b7c1d2e4" not in text
    assert "сравнение & бюджет" in text
    assert transcript.utterances[1].start == 6.5  # overlaps the cue before: kept in file order
    assert transcript.language == "ru" and transcript.encoding == "utf-8-sig"


def test_youtube_word_timings_and_rolling_lines_are_removed() -> None:
    transcript = read_transcript(DATA / "youtube-autocaptions.vtt")
    assert not transcript.has_speakers
    assert [u.text for u in transcript.utterances] == [
        "so we first saw them at a trade show in Chicago and asked for a demo the trial ran for a month"]
    assert transcript.metadata == {"kind": "captions"}  # Language: en went to the language field
    assert transcript.language == "en"


def test_srt_encodings_and_markup() -> None:
    russian = read_transcript(DATA / "diarized-windows-1251.srt")
    assert russian.encoding == "cp1251" and russian.utterances[1].text.startswith("Коллега посоветовал")
    assert any("not UTF-8" in note for note in russian.notes)
    western = read_transcript(DATA / "captions-windows-1252.srt")
    assert western.encoding == "cp1252"
    assert "café owner – our first reference" in western.utterances[0].text
    assert "<i>" not in western.utterances[-1].text
    # No speakers: cues grouped into paragraphs at the pause between 8 s and 12 s.
    assert [u.start for u in western.utterances] == [0.5, 12.0] and not western.has_speakers


def test_whisper_json_without_speakers() -> None:
    transcript = read_transcript(DATA / "whisper.json")
    assert not transcript.has_speakers
    assert [(u.start, u.text) for u in transcript.utterances] == [
        (0.0, "We found you through a LinkedIn post. Then we asked for a trial."),
        (11.5, "After three months we bought the full licence.")]
    assert any("no speakers" in note for note in transcript.notes)


def test_exports_keep_preamble_and_emails_out_of_labels() -> None:
    otter = read_transcript(DATA / "otter-export.txt")
    assert otter.metadata["preamble"].startswith("Supplier interview")
    assert otter.utterances[1].text.endswith("by the end of the quarter.")
    assert otter.utterances[3].text.endswith("four-week pilot before signing.")  # two Tom cues merged
    fathom = read_transcript(DATA / "fathom-export.txt")
    assert fathom.metadata["emails"] == {"Jane Cooper": "jane.cooper@example.com"}
    assert fathom.utterances[1].text == "I think it was the newsletter. Our CTO forwarded it to me. Then we booked a demo."
    md = read_transcript(DATA / "podcast-transcript.md")
    omar = md.utterances[1].text
    assert "\\[" not in omar and "Three vendors answered" in omar and "[02:41]" not in omar
    assert md.utterances[3].text.endswith("[unintelligible 00:03:15.20]. We signed in June.")


def test_plain_text_behaviour_is_unchanged() -> None:
    """The reader plain text had before the other formats existed still reads it, unchanged."""
    path = DATA / "plain-with-front-matter.txt"
    transcript = read_transcript(path)
    direct = plaintext.parse(path.read_text(encoding="utf-8"), str(path))
    assert transcript.format == "text"
    assert [(u.speaker, u.text, u.start, u.line) for u in transcript.utterances] == [
        (t.speaker, t.text, t.start, t.line) for t in direct.turns]
    assert speakers(transcript) == ["Анна", "Игорь Петрович (директор)"] * 2
    assert transcript.utterances[3].start == 723.0 and transcript.id == "ru-demo"


@pytest.mark.parametrize("text", [
    "Интервьюер: Как вы о нас узнали?\nКлиент: На выставке в 10:30 утра.\nИнтервьюер: А потом?\n",
    "Q: How did you find us?\nA: Google.\nQ: And then?\nA: We called at 9:15.\n",
    "Просто текст без меток.\n\nВторой абзац, встреча 10:30.\n",
    "[00:00:05] Анна: Вопрос?\n[00:00:09] Игорь: Ответ.\n",
    "[SPEAKER_03]: Hello there.\n[SPEAKER_01]: Hi.\n",
])
def test_plain_text_is_not_claimed_by_other_readers(tmp_path: Path, text: str) -> None:
    path = tmp_path / "interview.txt"
    path.write_text(text, encoding="utf-8")
    assert read_transcript(path).format == "text"


def test_format_is_detected_by_content_not_extension(tmp_path: Path) -> None:
    for source, fmt in [("zoom-interview.transcript.vtt", "webvtt"), ("no-cue-numbers.srt", "srt"),
                        ("whisperx.json", "json"), ("otter-export.txt", "otter")]:
        target = tmp_path / f"{Path(source).stem}.txt"
        shutil.copyfile(DATA / source, target)
        assert read_transcript(target).format == fmt, source


def test_registered_formats_order() -> None:
    names = [fmt.name for fmt in registered_formats()]
    assert names[0] == "docx" and names[-1] == "text"
    assert {"webvtt", "srt", "json", "export"} <= set(names)


def test_fixture_folder_reads_without_problems() -> None:
    transcripts, problems = read_folder(DATA)
    assert problems == []  # no hidden files, no subfolders: every entry is a transcript
    assert len(transcripts) == len([p for p in DATA.iterdir() if p.is_file()])


# --- DOCX, written with python-docx at test time --------------------------------------------------

def write_docx(path: Path, paragraphs: list[str], table: list[list[str]] | None = None) -> Path:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    document.save(str(path))
    return path


def test_docx_with_name_colon_paragraphs(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "typist.docx", [
        "Интервью с ООО «Ромашка», 12 марта",
        "Интервьюер: Как вы о нас узнали?",
        "Респондент: На выставке.",
        "Потом позвонил ваш менеджер.",
    ], table=[["Интервьюер", "Кто платил?"], ["Респондент", "Бухгалтерия."]])
    transcript = read_transcript(path)
    assert transcript.format == "docx"
    assert [(u.speaker, u.text, u.line) for u in transcript.utterances] == [
        ("Интервьюер", "Как вы о нас узнали?", 2),
        ("Респондент", "На выставке. Потом позвонил ваш менеджер.", 3),
        ("Интервьюер", "Кто платил?", 5),
        ("Респондент", "Бухгалтерия.", 6),
    ]
    assert transcript.interviewer == "Интервьюер"
    assert transcript.metadata["preamble"].startswith("Интервью с")


def test_docx_teams_layout(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "meeting.docx", [
        "Ольга Кузнецова   0:03", "Добрый день! Как вы узнали о нас?",
        "Игорь Петрович   0:11", "Нас нашёл ваш менеджер.",
        "Игорь Петрович   0:40", "Потом был пилот.",
        "Ольга Кузнецова   1:02:05", "Спасибо!",
    ])
    transcript = read_transcript(path)
    assert transcript.format == "docx" and transcript.metadata["layout"] == "otter"
    assert [(u.speaker, u.start, u.line) for u in transcript.utterances] == [
        ("Ольга Кузнецова", 3.0, 1), ("Игорь Петрович", 11.0, 3), ("Ольга Кузнецова", 3725.0, 7)]
    assert transcript.utterances[1].text == "Нас нашёл ваш менеджер. Потом был пилот."


def test_docx_without_speakers_is_one_utterance_a_paragraph(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "notes.docx", ["Мы нашли поставщика на выставке.", "Пилот длился месяц."])
    transcript = read_transcript(path)
    assert [u.text for u in transcript.utterances] == ["Мы нашли поставщика на выставке.", "Пилот длился месяц."]
    assert not transcript.has_speakers


def test_docx_is_recognised_by_content(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "renamed.txt", ["Interviewer: Hi?", "Client: Hello."])
    assert read_transcript(path).format == "docx"


# --- real files from ../shared/realworld/ -------------------------------------------------------

@needs_realworld
def test_realworld_zoom_transcript() -> None:
    transcript = read_transcript(REALWORLD / "zoom-recording.transcript.vtt")
    assert transcript.format == "webvtt" and transcript.has_speakers
    first = transcript.utterances[0]
    assert (first.speaker, first.text, first.start, first.line) == ("Srijani Ghosh", "Hi!", 0.05, 5)
    assert "Dr. Melissa Ko" in speakers(transcript)
    hmm = [u for u in transcript.utterances if u.text == "Hmm."]
    assert len(hmm) == 1 and hmm[0].speaker == "" and hmm[0].start == 307.3
    # Consecutive cues of one speaker are one utterance: no two neighbours share a speaker.
    assert all(a.speaker != b.speaker for a, b in zip(transcript.utterances, transcript.utterances[1:]))


@needs_realworld
def test_realworld_zoom_captions_without_speakers() -> None:
    transcript = read_transcript(REALWORLD / "zoom-recording.cc.vtt")
    assert not transcript.has_speakers and transcript.utterances[0].start == 68.0
    assert transcript.utterances[0].text.startswith("This doesn't. This as a nerd")
    assert all("\r" not in u.text for u in transcript.utterances)
    assert 5 < len(transcript.utterances) < 60


@needs_realworld
def test_realworld_teams_voice_tags() -> None:
    transcript = read_transcript(REALWORLD / "teams-voice-tags.vtt")
    assert [(u.speaker, u.text, u.start) for u in transcript.utterances] == [
        ("Yuri Bakulin", "There you go.", 0.0), ("Adrian Petrescu", "Why hello there, Yuri.", 0.21)]


@needs_realworld
def test_realworld_bom_captions() -> None:
    transcript = read_transcript(REALWORLD / "captions-with-bom.vtt")
    assert transcript.encoding == "utf-8-sig" and not transcript.has_speakers
    assert transcript.utterances[0].text == "Caption text #1 Caption text #2 Caption text #3 Caption text #4"


@needs_realworld
def test_realworld_windows_1251_srt() -> None:
    transcript = read_transcript(REALWORLD / "subs-windows-1251.srt")
    assert transcript.encoding == "cp1251" and transcript.format == "srt"
    assert "Жж Зз Кк Лл" in transcript.utterances[0].text
    assert not transcript.has_speakers  # '[Cyrylic] 0.5:' is not a speaker label


@needs_realworld
def test_realworld_whisper_json() -> None:
    transcript = read_transcript(REALWORLD / "whisper-words.json")
    assert [u.start for u in transcript.utterances] == [0.42, 32.94]
    assert transcript.utterances[0].text == "Bonjour ! Est-ce que vous allez bien ?"
    assert any("'fr'" in note for note in transcript.notes)


@needs_realworld
def test_realworld_markdown_podcast() -> None:
    transcript = read_transcript(REALWORLD / "changelog-ship-it-132.md")
    assert transcript.format == "markdown"
    assert {"Justin Garrison", "Autumn Nash", "Marc Boorshtein"} == set(speakers(transcript))
    procurement = next(u for u in transcript.utterances if "government procurement" in u.text)
    assert procurement.speaker == "Marc Boorshtein" and "\\[" not in procurement.text
    assert all(a.speaker != b.speaker for a, b in zip(transcript.utterances, transcript.utterances[1:]))
    assert transcript.utterances[-1].text == "Thanks for having me."


@needs_realworld
def test_realworld_folder_accounts_for_every_file() -> None:
    transcripts, problems = read_folder(REALWORLD)
    files = [p for p in REALWORLD.iterdir() if p.is_file() and not p.name.startswith(".")]
    assert len(transcripts) + len(problems) == len(files)
    assert problems == []  # the README is a transcript-shaped Markdown file too: read, not lost
