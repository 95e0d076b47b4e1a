"""Bad input: each case gives one clear message naming the file (and line) and what to do, and
the rest of the folder is still read. Every input file ends up a Transcript or a Problem."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from cjm.errors import InputError, UsageError
from cjm.ingest import NoTranscriptsError, decode, list_inputs, read_folder, read_transcript

GOOD = "Интервьюер: Как вы о нас узнали?\nКлиент: Через партнёра.\n"


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def error_for(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        read_transcript(path)
    error = info.value
    assert error.path == str(path) and str(path) in str(error)
    assert error.hint, "every message says what to do"
    return error


@pytest.mark.parametrize("content", [b"", b"   \n\n\t", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n"])
def test_empty_files(tmp_path: Path, content: bytes) -> None:
    assert "empty" in error_for(write(tmp_path / "a.txt", content)).message


@pytest.mark.parametrize("content, kind", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "PDF"),
    (b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(range(256)), "MP3"),
    (b"\xff\xfb\x90\x64" + bytes(500), "MP3"),
    (b"\x00\x00\x00\x18ftypmp42" + bytes(100), "MP4"),
    (b"\x89PNG\r\n\x1a\n" + bytes(64), "PNG"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), ".doc"),
    (b"{\\rtf1\\ansi Interviewer: hi}", "RTF"),
    (b"ELF-like\x00\x01\x02\x03" * 50, "binary"),
])
def test_binary_files_are_named(tmp_path: Path, content: bytes, kind: str) -> None:
    error = error_for(write(tmp_path / "interview.txt", content))
    assert kind in error.message and "not a transcript" in error.message


def test_undecodable_bytes_name_the_line(tmp_path: Path) -> None:
    content = b"Interviewer: hello\nClient: fine\n" + bytes(range(1, 32)) * 40 + b"\x81\x8d\x8f\x90\x9d" * 20
    error = error_for(write(tmp_path / "garbled.txt", content))
    assert error.line is not None and error.line >= 2
    assert "UTF-8" in str(error)


def test_damaged_utf8_is_read_with_a_note(tmp_path: Path) -> None:
    content = (GOOD * 20).encode("utf-8")
    content = content[:50] + b"\xff" + content[50:]
    transcript = read_transcript(write(tmp_path / "damaged.txt", content))
    assert any("not valid UTF-8 (first at line" in note for note in transcript.notes)
    assert len(transcript.utterances) == 40


@pytest.mark.parametrize("encoding, expected", [
    ("cp1251", "cp1251"), ("koi8_r", "koi8_r"), ("utf-16", "utf-16"), ("utf-16-le", "utf-16-le"),
])
def test_russian_in_other_encodings(tmp_path: Path, encoding: str, expected: str) -> None:
    text = GOOD * 3 + "Интервьюер: А кто принимал решение о покупке?\nКлиент: Генеральный директор.\n"
    transcript = read_transcript(write(tmp_path / "ru.txt", text.encode(encoding)))
    assert transcript.encoding == expected
    assert transcript.utterances[1].text == "Через партнёра."
    assert transcript.notes[0] in (f"the file is not UTF-8: read as {expected} (detected)",  # guessed
                                   f"the file is {expected.upper()}, not UTF-8: read as such")  # a byte-order mark


def test_cp1252_is_not_read_as_cyrillic() -> None:
    data = "Interviewer: Was it the café in Zürich?\nClient: Yes – naïve of us.\n".encode("cp1252")
    text, encoding = decode(data, "x.txt")
    assert encoding == "cp1252" and "café in Zürich" in text and "naïve" in text


def test_huge_single_line_file_is_rejected_by_size_without_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    chunk = b"x" * (1024 * 1024)
    with path.open("wb") as handle:
        for _ in range(50):
            handle.write(chunk)
    tracemalloc.start()
    error = error_for(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "50 MB" in error.message and "split it" in error.hint
    assert peak < 1024 * 1024  # never read: the size alone decides (its speed is the benchmarks' business)


def test_broken_front_matter_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "fm.txt", "---\nid: ru-01\nchannel: [referral\ncompany: X\n---\n" + GOOD)
    error = error_for(path)
    assert "front matter is not valid YAML" in error.message and error.line is not None and error.line >= 3
    unclosed = write(tmp_path / "open.txt", "---\nid: ru-02\n" + GOOD)
    assert error_for(unclosed).line == 1
    scalar = write(tmp_path / "scalar.txt", "---\njust a sentence\n---\n" + GOOD)
    assert "mapping" in error_for(scalar).message
    bad_date = write(tmp_path / "date.txt", "---\ndate: 2024-13-45\n---\n" + GOOD)
    assert "month must be in 1..12" in error_for(bad_date).message
    deep = write(tmp_path / "deep.txt", "---\nx: " + "[" * 5000 + "\n---\n" + GOOD)
    assert "front matter" in error_for(deep).message


def test_front_matter_works_in_tool_exports(tmp_path: Path) -> None:
    path = write(tmp_path / "otter.txt", "---\nid: en-05\nchannel: event\n---\nSpeaker 1  0:04\nHi?\n\n"
                                         "Tom Becker  0:12\nWe met at a fair.\n")
    transcript = read_transcript(path)
    assert (transcript.id, transcript.channel, transcript.format) == ("en-05", "event", "otter")


def test_bad_json(tmp_path: Path) -> None:
    error = error_for(write(tmp_path / "w.json", '{"segments": [\n  {"text": "hi",}\n]}'))
    assert "not valid JSON" in error.message and error.line == 2
    error = error_for(write(tmp_path / "other.json", '{"labels": {"stages": []}}'))
    assert "without transcript segments" in error.message


def test_damaged_docx(tmp_path: Path) -> None:
    assert "damaged" in error_for(write(tmp_path / "a.docx", b"PK\x03\x04 not really a zip")).message
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document>broken")
        archive.writestr("[Content_Types].xml", "<Types/>")
    assert "damaged" in error_for(write(tmp_path / "b.docx", buffer.getvalue())).message
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("notes.txt", GOOD)
    assert "zip archive" in error_for(write(tmp_path / "c.txt", plain_zip.getvalue())).message


def test_cues_without_text_are_no_transcript(tmp_path: Path) -> None:
    path = write(tmp_path / "blank.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\n")
    assert "no text found" in error_for(path).message


def test_unreadable_path(tmp_path: Path) -> None:
    assert "cannot read" in error_for(tmp_path).message  # a folder given as a file
    assert "cannot read" in error_for(tmp_path / "missing.txt").message


def test_folder_accounts_for_every_file(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "---\nid: same\n---\n" + GOOD)
    write(tmp_path / "b.txt", "---\nid: same\n---\n" + GOOD)
    write(tmp_path / "c.txt", b"")
    write(tmp_path / "d.pdf", b"%PDF-1.4")
    write(tmp_path / "e.mp3", b"ID3\x03")
    write(tmp_path / "f.txt", b"%PDF-1.4 renamed")
    write(tmp_path / "g.gold.json", "{}")
    write(tmp_path / "h.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nAnna: Hi?\n")
    write(tmp_path / ".DS_Store", b"\x00\x00\x00\x01Bud1")
    (tmp_path / "gold").mkdir()
    transcripts, problems = read_folder(tmp_path)
    assert [t.id for t in transcripts] == ["same", "h"]
    by_file = {Path(p.source).name: p for p in problems}
    assert sorted(by_file) == ["b.txt", "c.txt", "d.pdf", "e.mp3", "f.txt", "g.gold.json"]
    assert "already used by" in by_file["b.txt"].message and "unique 'id'" in by_file["b.txt"].hint
    assert "transcribe it first" in by_file["e.mp3"].hint
    assert "PDF" in by_file["f.txt"].message
    assert len(transcripts) + len(problems) == len(list_inputs(tmp_path))


def test_empty_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        read_folder(tmp_path)
    assert str(info.value).startswith(f"{tmp_path}: no transcripts: the folder has no files")
    assert info.value.hint


def test_folder_where_nothing_reads_carries_the_problems(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", b"")
    write(tmp_path / "b.pdf", b"%PDF")
    with pytest.raises(NoTranscriptsError) as info:
        read_folder(tmp_path)
    assert isinstance(info.value, UsageError)
    assert [Path(p.source).name for p in info.value.problems] == ["a.txt", "b.pdf"]
    assert "2 file(s) skipped" in str(info.value) and "a.txt" in str(info.value)


def test_single_bad_file_given_instead_of_a_folder(tmp_path: Path) -> None:
    path = write(tmp_path / "fm.txt", "---\nid: [x\n---\n" + GOOD)
    with pytest.raises(NoTranscriptsError) as info:
        read_folder(path)
    assert info.value.path == str(path) and info.value.line == 2 and "front matter" in info.value.message


def test_missing_folder() -> None:
    with pytest.raises(UsageError, match="no such folder"):
        read_folder("/nonexistent/interviews")


def test_reader_bug_becomes_a_problem_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cjm.ingest as ingest

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    write(tmp_path / "a.txt", GOOD)
    write(tmp_path / "b.txt", GOOD)
    original = ingest.read_transcript
    monkeypatch.setattr(ingest, "read_transcript",
                        lambda path, **kw: broken() if path.name == "a.txt" else original(path, **kw))
    transcripts, problems = read_folder(tmp_path)
    assert [t.id for t in transcripts] == ["b"]
    assert "RuntimeError: boom" in problems[0].message and "bug" in problems[0].hint
