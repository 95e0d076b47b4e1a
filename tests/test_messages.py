"""cjm's own messages in the report's language (cjm/messages.py, cjm/data/messages.yaml): every
problem and note a hostile folder gives is in the catalogue, and a Russian report shows it in Russian."""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

from cjm.ingest import read_folder
from cjm.messages import catalogue, known, translate

CYRILLIC = re.compile(r"[а-яё]", re.I)
GOOD = "Интервьюер: Как вы о нас узнали?\nКлиент: Через партнёра.\n"


def hostile_folder(root: Path) -> Path:
    """A folder with one of each thing cjm refuses or notes, and one good transcript."""
    folder = root / "in"
    (folder / "gold").mkdir(parents=True)
    (folder / "sub").mkdir()
    (folder / "sub" / "x.txt").write_text(GOOD, encoding="utf-8")
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "scan.txt").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    (folder / "talk.mp3").write_bytes(b"ID3\x04" + bytes(200))
    (folder / "table.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (folder / "x.gold.json").write_text("{}", encoding="utf-8")
    (folder / ".hidden.txt").write_text(GOOD, encoding="utf-8")
    (folder / "open.txt").write_text("---\nid: a\nКлиент: да\n", encoding="utf-8")
    (folder / "yaml.txt").write_text("---\nid: [a\n---\nКлиент: да\n", encoding="utf-8")
    (folder / "list.txt").write_text("---\n- a\n- b\n---\nКлиент: да\n", encoding="utf-8")
    (folder / "bad.json").write_text('{"segments": [', encoding="utf-8")
    (folder / "none.json").write_text('{"x": 1}', encoding="utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "hello")
    (folder / "archive.txt").write_bytes(buffer.getvalue())
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (folder / "cp1251.txt").write_bytes(GOOD.replace("Клиент", "Клиент (директор)").encode("cp1251"))
    (folder / "nospeakers.txt").write_text("Мы нашли их через знакомых. Потом купили.\n", encoding="utf-8")
    (folder / "lang.txt").write_text("---\nid: l\nlanguage: de\ninterviewer: Анна\n---\n" + GOOD, encoding="utf-8")
    (folder / "dup.txt").write_text(GOOD, encoding="utf-8")  # id "dup"; and one more with that id:
    (folder / "dup2.txt").write_text("---\nid: dup\n---\n" + GOOD, encoding="utf-8")
    (folder / "punct.txt").write_text("Интервьюер: Как?\nКлиент: Да" + "!" * 80 + "\n", encoding="utf-8")
    os.symlink(folder / "missing.txt", folder / "dangling.txt")
    os.symlink(folder / "loop.txt", folder / "loop.txt")
    outside = root / "secret.txt"
    outside.write_text(GOOD, encoding="utf-8")
    os.symlink(outside, folder / "outside.txt")
    os.mkfifo(folder / "pipe.txt")
    return folder


def test_every_message_of_a_hostile_folder_is_in_the_catalogue(tmp_path):
    transcripts, problems = read_folder(hostile_folder(tmp_path))
    texts = [p.message for p in problems] + [p.hint for p in problems if p.hint]
    texts += [note for t in transcripts for note in t.notes]
    assert len(problems) >= 18 and any(t.notes for t in transcripts)
    missing = [text for text in texts if not known(text)]
    assert not missing, missing
    for text in texts:
        russian = translate(text, "ru")
        assert CYRILLIC.search(russian), russian
        assert translate(text, "en") == text  # English is what cjm writes


def test_placeholders_are_translated_too():
    assert translate("this is a PDF document, not a transcript", "ru") == "это документ PDF, а не расшифровка"
    assert translate("words longer than 200 characters broken into pieces: line 3, line 9 and 4 more", "ru") == \
        "слова длиннее 200 знаков разбиты на части: строка 3, строка 9 и ещё 4"
    assert translate("a hidden folder: skipped", "ru") == "скрытая папка: пропущена"


def test_an_unknown_message_is_shown_as_written():
    assert translate("something cjm never said", "ru") == "something cjm never said"
    assert not known("something cjm never said")
    assert translate(None, "ru") == ""


def test_every_template_has_both_languages():
    templates, terms = catalogue()
    assert len(templates) > 60 and terms
    for template in templates:
        assert set(template.target) == {"en", "ru"}, template.target
        assert CYRILLIC.search(template.target["ru"]), template.target
        fields = set(re.findall(r"\{(\w+)\}", template.target["en"]))
        assert fields == set(re.findall(r"\{(\w+)\}", template.target["ru"])), template.target
