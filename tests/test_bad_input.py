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
    assert sorted(by_file) == [".DS_Store", "b.txt", "c.txt", "d.pdf", "e.mp3", "f.txt", "g.gold.json", "gold"]
    assert {name for name, p in by_file.items() if p.ignored} == {".DS_Store", "gold"}  # by design, not errors
    assert "annotation folder" in by_file["gold"].message and "hidden" in by_file[".DS_Store"].message
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


# --- hostile input (issue 12): bounded time and memory, every entry accounted for ----------------

def problems_by_name(folder: Path) -> tuple[list, dict]:
    transcripts, problems = read_folder(folder)
    return transcripts, {Path(p.source).name: p for p in problems}


@pytest.mark.parametrize("front_matter, words, line", [
    ("a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 10)), "alias bomb", None),
    ("id: x\na: &a [*a]\n", "contains itself", 3),
    ("id: x\nnested: " + "[" * 200 + "\n", "nested more than", 3),
])
def test_hostile_front_matter_is_refused_with_its_line(tmp_path: Path, front_matter: str, words: str,
                                                      line: int | None) -> None:
    error = error_for(write(tmp_path / "fm.txt", "---\n" + front_matter + "---\n" + GOOD))
    assert "front matter" in error.message and words in error.message
    assert error.line is not None and (line is None or error.line == line)


def test_non_finite_front_matter_values_stay_text_and_json_stays_strict(tmp_path: Path) -> None:
    import json

    from cjm.export import journey_to_dict
    from cjm.pipeline import analyse

    write(tmp_path / "n.txt", "---\nid: n\nscore: .nan\nbudget: -.inf\nratio: 1e999\nok: 2.5\n---\n" + GOOD)
    result = analyse(tmp_path, rules_only=True)
    metadata = journey_to_dict(result.journeys[0])["metadata"]
    assert metadata["score"] == ".nan" and metadata["budget"] == "-.inf" and metadata["ok"] == 2.5
    json.dumps(journey_to_dict(result.journeys[0]), allow_nan=False)  # raises on NaN / Infinity


@pytest.mark.parametrize("run", ["[", "(", '"', "«", "$", "😀", "[(«", "!?"])
def test_runs_of_punctuation_are_cut_before_the_tokenizer(tmp_path: Path, run: str) -> None:
    from cjm.limits import DEFAULTS

    text = f"Интервьюер: Как узнали?\nКлиент: Через партнёра {run * (40_000 // len(run))} и выставку.\n"
    transcript = read_transcript(write(tmp_path / "runs.txt", text))
    answer = transcript.utterances[1].text
    assert answer.startswith("Через партнёра ") and answer.endswith(" и выставку.")
    assert len(answer) <= len("Через партнёра  и выставку.") + DEFAULTS.max_symbol_run
    assert any("punctuation characters shortened to 32: line 2" in note for note in transcript.notes)


def test_ordinary_punctuation_is_left_alone(tmp_path: Path) -> None:
    text = "Interviewer: Really?!\nClient: Yes... «really» — (no, truly) [laughs] ==== ok!!!\n"
    transcript = read_transcript(write(tmp_path / "ok.txt", text))
    assert transcript.utterances[1].text == "Yes... «really» — (no, truly) [laughs] ==== ok!!!"
    assert not transcript.notes


def test_affixes_repeated_in_one_word_are_broken(tmp_path: Path) -> None:
    transcript = read_transcript(write(tmp_path / "s.txt", "Q: Who?\nA: Tom" + "'s" * 20_000 + " boss.\n"))
    assert max(len(word) for word in transcript.utterances[1].text.split()) <= 200
    assert any("words longer than 200" in note for note in transcript.notes)


def test_long_utterance_is_split_at_sentence_ends_and_no_longer_text_reaches_spacy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cjm.nlp import pipeline
    from cjm.pipeline import analyse

    monkeypatch.setenv("CJM_MAX_UTTERANCE_CHARS", "2000")
    sentences = [f"Sentence {i} tells how we bought the trays from them." for i in range(600)]
    write(tmp_path / "long.txt", "Interviewer: Tell me everything?\nClient: " + " ".join(sentences) + "\n")
    transcript = read_transcript(tmp_path / "long.txt")
    pieces = [u for u in transcript.utterances if u.speaker == "Client"]
    assert len(pieces) > 10 and all(len(u.text) <= 2000 for u in pieces)
    assert all(u.text.endswith(".") for u in pieces)  # cut at sentence ends
    assert " ".join(u.text for u in pieces) == " ".join(sentences)  # nothing lost
    assert [u.n for u in transcript.utterances] == list(range(1, len(transcript.utterances) + 1))
    assert any("split at sentence ends: line 2" in note for note in transcript.notes)
    nlp = pipeline("en")
    monkeypatch.setattr(nlp, "max_length", 2001)  # spaCy raises E088 past it
    result = analyse(tmp_path, rules_only=True)
    assert len(result.journeys[0].utterances) == len(transcript.utterances)


def test_unpunctuated_long_utterance_is_split_at_spaces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CJM_MAX_UTTERANCE_CHARS", "1000")
    words = "ну мы потом созвонились и они прислали образцы " * 300
    transcript = read_transcript(write(tmp_path / "asr.txt", "Спикер 1: ну как\nСпикер 2: " + words + "\n"))
    assert all(len(u.text) <= 1000 for u in transcript.utterances)
    assert " ".join(u.text for u in transcript.utterances[1:]).split() == words.split()


def test_file_over_the_size_limit_is_skipped_and_the_limit_can_be_raised(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "big.txt", GOOD * 2000)  # about 170 KB
    write(tmp_path / "good.txt", "---\nid: good\n---\n" + GOOD)
    monkeypatch.setenv("CJM_MAX_FILE_MB", "0.1")
    transcripts, problems = problems_by_name(tmp_path)
    assert [t.id for t in transcripts] == ["good"]
    assert "more than an interview can be (0.1 MB)" in problems["big.txt"].message
    assert "CJM_MAX_FILE_MB" in problems["big.txt"].hint
    monkeypatch.setenv("CJM_MAX_FILE_MB", "1")
    assert sorted(t.id for t in read_folder(tmp_path)[0]) == ["big", "good"]


def test_a_bad_limit_setting_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from cjm.limits import current_limits

    monkeypatch.setenv("CJM_MAX_FILE_MB", "lots")
    with pytest.raises(UsageError, match="CJM_MAX_FILE_MB"):
        current_limits()
    monkeypatch.setenv("CJM_MAX_FILE_MB", "-1")
    with pytest.raises(UsageError, match="positive"):
        current_limits()


def test_every_entry_is_accounted_for_and_nothing_outside_is_read(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import stat

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    write(outside / "secret.txt", "---\nid: secret\n---\nQ: Пароль?\nA: root:x:0:0:hunter2\n")
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder / "good.txt", "---\nid: good\n---\n" + GOOD)
    (folder / "inside.txt").symlink_to("good.txt")  # inside the folder: read (a duplicate id here)
    (folder / "passwd.txt").symlink_to(outside / "secret.txt")
    (folder / "dangling.txt").symlink_to("nowhere.txt")
    (folder / "loop1.txt").symlink_to("loop2.txt")
    (folder / "loop2.txt").symlink_to("loop1.txt")
    (folder / "up.txt").symlink_to("../elsewhere/secret.txt")
    os.mkfifo(folder / "fifo.txt")
    (folder / "x.txt").mkdir()
    (folder / "sub").mkdir()
    write(folder / "sub" / "more.txt", GOOD)
    (folder / "gold").mkdir()
    write(folder / ".hidden.txt", GOOD)
    (folder / ".git").mkdir()
    entries = sorted(p.name for p in folder.iterdir())
    try:
        os.mknod(folder / "dev.txt", 0o644 | stat.S_IFCHR, os.makedev(1, 3))
        entries = sorted(entries + ["dev.txt"])
    except (PermissionError, OSError):
        pass  # not root: no device node to test with
    opened: list[str] = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda path, *a, **k: opened.append(str(path)) or real_open(path, *a, **k))
    transcripts, problems = read_folder(folder)
    sources = sorted([Path(t.source).name for t in transcripts] + [Path(p.source).name for p in problems])
    assert sources == entries  # one entry out per entry in
    by_name = {Path(p.source).name: p for p in problems}
    assert [t.id for t in transcripts] == ["good"]
    assert "outside the input folder" in by_name["passwd.txt"].message
    assert "outside the input folder" in by_name["up.txt"].message
    assert "does not exist" in by_name["dangling.txt"].message
    assert "loops" in by_name["loop1.txt"].message and "loops" in by_name["loop2.txt"].message
    assert "named pipe" in by_name["fifo.txt"].message and "never opened" in by_name["fifo.txt"].message
    assert "a folder" in by_name["x.txt"].message and "a folder" in by_name["sub"].message
    assert "already used" in by_name["inside.txt"].message
    assert {n for n, p in by_name.items() if p.ignored} == {"gold", ".hidden.txt", ".git"}
    if "dev.txt" in entries:
        assert "a device" in by_name["dev.txt"].message
    assert not any(name.endswith(("fifo.txt", "dev.txt", "secret.txt", "passwd.txt")) for name in opened)
    assert not any("hunter2" in u.text for t in transcripts for u in t.utterances)


def test_tag_on_a_fifo_is_a_clear_error(tmp_path: Path) -> None:
    import os

    from click.testing import CliRunner

    from cjm.cli import cli

    os.mkfifo(tmp_path / "pipe.txt")
    result = CliRunner().invoke(cli, ["tag", str(tmp_path / "pipe.txt"), "--rules-only"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "named pipe (FIFO)" in result.output and "pipe.txt" in result.output


def test_strict_counts_what_could_not_be_read_not_the_gold_folder(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cjm.cli import cli

    folder = tmp_path / "in"
    folder.mkdir()
    write(folder / "a.txt", GOOD)
    (folder / "gold").mkdir()
    command = ["journeys", str(folder), "-o", str(tmp_path / "j.json"), "--strict", "--rules-only"]
    ok = CliRunner().invoke(cli, command)
    assert ok.exit_code == 0 and "0 skipped, 1 ignored" in ok.output
    (folder / "sub").mkdir()
    failed = CliRunner().invoke(cli, command)
    assert failed.exit_code == 1 and "1 file(s) could not be read" in failed.output


# --- cjm evaluate on what is not a journeys.json ---------------------------------------------------

@pytest.mark.parametrize("content, words", [
    ('{"interviews": 5}', "expected an object with an 'interviews' list"),
    ("[1, 2]", "expected an object with an 'interviews' list"),
    ('{"interviews": [7]}', "interviews[0] must be an object"),
    ('{"interviews": [{"id": "x", "utterances": {}}]}', "interviews[0].utterances must be a list"),
    ('{"interviews": [{"id": "x", "utterances": [{"n": "1"}]}]}', "utterances[0].n must be the utterance number"),
    ('{"interviews": [{"id": "x", "utterances": [{"n": 1, "stages": "bought"}]}]}', "must be a list of label ids"),
    ('{"interviews": [{"id": "x", "cycle_days": [], "utterances": []}]}', "cycle_days must be a number"),
    ('{"interviews": [{"id": "x", "cycle_days": NaN, "utterances": []}]}', "not strict JSON"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
])
def test_evaluate_refuses_the_wrong_shape_with_a_message(tmp_path: Path, content: str, words: str) -> None:
    from cjm.evaluate import evaluate

    gold = tmp_path / "gold"
    gold.mkdir()
    write(gold / "x.gold.json", '{"id": "x", "utterances": [{"n": 1, "stages": ["bought"]}]}')
    path = write(tmp_path / "journeys.json", content)
    with pytest.raises(InputError) as info:
        evaluate(path, gold)
    assert words in info.value.message and info.value.path == str(path)


def test_evaluate_refuses_a_gold_file_of_the_wrong_shape(tmp_path: Path) -> None:
    from cjm.evaluate import evaluate

    write(tmp_path / "x.gold.json", '{"id": "x", "utterances": [{"n": 1, "roles": {"a": 1}}]}')
    with pytest.raises(InputError, match=r"the gold file.utterances\[0\].roles must be a list"):
        evaluate({"interviews": []}, tmp_path)


def test_a_file_of_too_many_turns_is_skipped_before_tagging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "many.txt", "Q: Да?\nA: Нет.\n" * 3000)
    write(tmp_path / "good.txt", "---\nid: good\n---\n" + GOOD)
    transcripts, problems = problems_by_name(tmp_path)
    assert [t.id for t in transcripts] == ["good"]
    assert "6,000 utterances, more than an interview has (5,000)" in problems["many.txt"].message
    assert "CJM_MAX_UTTERANCES" in problems["many.txt"].hint
    monkeypatch.setenv("CJM_MAX_UTTERANCES", "6000")
    assert len(read_transcript(tmp_path / "many.txt").utterances) == 6000
