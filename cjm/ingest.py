"""Stage 1 — ingest: files in, `Transcript`s out.

Reads bytes, decodes them (UTF-8 with or without BOM, Windows-1251 and others detected, never
guessed silently), hands them to the reader of their format, numbers the utterances, finds the
interviewer and the language. A file that cannot be read raises `InputError`; `read_folder`
turns those into `Problem`s so that one bad file never stops a run.
"""

from __future__ import annotations

import os
import re
import stat
from collections import Counter
from pathlib import Path
from typing import Any

from .errors import InputError, UsageError
from .formats import Parsed, Turn, registered_formats
from .limits import DEFAULTS, Limits, current_limits, how_to_raise
from .model import Problem, Transcript, Utterance

MAX_BYTES = DEFAULTS.max_file_bytes  # the default; each read takes the current limit (CJM_MAX_FILE_MB)
LANGUAGES = ("ru", "en")
INTERVIEWER_LABELS = {
    "интервьюер", "интервьюэр", "модератор", "исследователь", "ведущий", "вопрос", "и", "в",
    "interviewer", "moderator", "researcher", "host", "question", "i", "q", "int",
}
BINARY_SIGNATURES = {
    b"%PDF": "a PDF document", b"ID3": "an MP3 audio file", b"\xff\xfb": "an MP3 audio file",
    b"RIFF": "a WAV/AVI media file", b"OggS": "an Ogg audio file", b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image", b"\x1f\x8b": "a gzip archive",
    b"Rar!": "a RAR archive", b"\xd0\xcf\x11\xe0": "a legacy MS Office (.doc/.xls) file",
    b"fLaC": "a FLAC audio file", b"\xff\xf3": "an MP3 audio file", b"\xff\xf2": "an MP3 audio file",
    b"\x1aE\xdf\xa3": "a WebM/MKV media file", b"7z\xbc\xaf": "a 7-Zip archive",
    b"{\\rtf": "an RTF document", b"\x7fELF": "a program", b"SQLite format 3": "an SQLite database",
}
MEDIA_BOXES = (b"ftyp",)  # MP4 / M4A / MOV carry it at offset 4
CYRILLIC = re.compile(r"[а-яёА-ЯЁ]")
MIXED_SCRIPT = re.compile(r"[a-zA-Z][а-яёА-ЯЁ]|[а-яёА-ЯЁ][a-zA-Z]")
SINGLE_BYTE = ["cp1251", "koi8_r", "cp1252", "latin_1", "cp866"]
DETECT_SAMPLE = 256 * 1024  # enough to tell an encoding; detection on 20 MB would take minutes
LATIN = re.compile(r"[a-zA-Z]")


def decode(data: bytes, source: str) -> tuple[str, str]:
    """Bytes -> (text, encoding). UTF-8 first; otherwise a detected single-byte encoding."""
    text, encoding, _ = decode_with_notes(data, source)
    return text, encoding


def decode_with_notes(data: bytes, source: str) -> tuple[str, str, list[str]]:
    """Like `decode`, plus the remarks the report should show (a guessed encoding, bad bytes)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        bom = True
    else:
        bom = False
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or utf16_without_bom(data):
        return decode_utf16(data, source)
    try:
        return data.decode("utf-8"), "utf-8-sig" if bom else "utf-8", []
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    line = data[:first_bad].count(b"\n") + 1
    damaged = damaged_utf8(data)
    if bom or damaged:
        text = data.decode("utf-8", errors="replace")
        bad = text.count("\ufffd")
        return text, "utf-8", [f"{bad} byte(s) are not valid UTF-8 (first at line {line}): "
                               "shown as \ufffd; re-save the file as UTF-8 to keep them"]
    from charset_normalizer import from_bytes

    best = from_bytes(data[:DETECT_SAMPLE], cp_isolation=SINGLE_BYTE).best()
    if best is None or best.encoding is None:
        raise InputError("the bytes are neither UTF-8 nor a recognised encoding", path=source,
                         line=line, hint="re-save the file as UTF-8")
    encoding = pick_single_byte(data[:DETECT_SAMPLE], best.encoding)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError(f"the bytes are neither UTF-8 nor {encoding}", path=source, line=line,
                         hint="re-save the file as UTF-8") from None
    if not readable(text):
        raise InputError("the file does not decode to readable text", path=source, line=line,
                         hint="check that it is a transcript; re-save it as UTF-8")
    return text, encoding, [f"the file is not UTF-8: read as {encoding} (detected)"]


def pick_single_byte(sample: bytes, detected: str) -> str:
    """cp1251 and cp1252 share most bytes; choose by which one gives whole-script words."""
    candidates = [detected] + [e for e in ("cp1251", "cp1252") if e != detected]
    scored = []
    for rank, encoding in enumerate(candidates):
        try:
            text = sample.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        # Words that mix Latin and Cyrillic letters ('cafй', 'Рџ') are the mark of a wrong guess;
        # high bytes that decode to no Cyrillic at all in a cp1251-heavy sample are another.
        mixed = len(MIXED_SCRIPT.findall(text))
        scored.append((mixed, rank, encoding))
    if not scored:
        return detected
    best = min(scored)
    if best[0] == 0 and CYRILLIC.search(sample.decode(best[2], errors="replace")) is None \
            and re.search(rb"[\xc0-\xff]{3,}", sample):
        return "cp1251"  # runs of high bytes with no Cyrillic read: Russian read as Latin
    return best[2]


def damaged_utf8(data: bytes) -> bool:
    """Mostly UTF-8 with a few broken bytes (a truncated copy), not another encoding."""
    text = data[:DETECT_SAMPLE].decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    multibyte = sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd")
    return multibyte >= 20 and bad * 50 <= multibyte


def utf16_without_bom(data: bytes) -> bool:
    """UTF-16 text without a byte-order mark: in Latin or Cyrillic text one byte of each pair is
    nearly always 0x00 or 0x04 (the high byte), the other varies, and no pair is 0x0000."""
    sample = data[:4096]
    if len(sample) < 8 or len(sample) % 2:
        return False
    for high, low in ((sample[1::2], sample[0::2]), (sample[0::2], sample[1::2])):
        if 0 not in low and high.count(0) * 20 >= len(high) and len(set(high)) <= 4:
            return True
    return False


def utf16_byte_order(data: bytes) -> str:
    sample = data[:4096]
    return "utf-16-le" if len(set(sample[1::2])) <= len(set(sample[0::2])) else "utf-16-be"


def decode_utf16(data: bytes, source: str) -> tuple[str, str, list[str]]:
    """UTF-16 as Word's 'Unicode text' and some Windows tools save it, with or without a BOM."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = utf16_byte_order(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise InputError("the file looks like UTF-16 but has broken bytes", path=source,
                         hint="re-save the file as UTF-8") from None
    if not readable(text):
        raise InputError("the file does not decode to readable text", path=source,
                         hint="check that it is a transcript; re-save it as UTF-8")
    return text.lstrip("\ufeff"), encoding, [f"the file is {encoding.upper()}, not UTF-8: read as such"]


def readable(text: str) -> bool:
    """Text, not binary decoded by force: hardly any control characters."""
    sample = text[:DETECT_SAMPLE]
    if not sample:
        return True
    control = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\n\r\f\v") or 127 <= ord(ch) < 160)
    return control * 100 <= len(sample)


def detect_binary(data: bytes) -> str | None:
    """Name the kind of a non-text file, or None when it may be text (or a known binary format)."""
    for signature, kind in BINARY_SIGNATURES.items():
        if data.startswith(signature):
            return kind
    if data[4:8] in MEDIA_BOXES:
        return "an MP4/M4A/MOV media file"
    if data.startswith(b"PK\x03\x04"):
        return None  # zip: a DOCX reader may claim it
    sample = data[:4096]
    if b"\x00" in sample and not data.startswith((b"\xff\xfe", b"\xfe\xff")) and not utf16_without_bom(data):
        return "a binary file"
    return None


def detect_language(utterances: list[Utterance]) -> str:
    """'ru' when Cyrillic letters dominate the respondent's words, else 'en'."""
    text = " ".join(u.text for u in utterances if not u.is_interviewer) or " ".join(u.text for u in utterances)
    cyr, lat = len(CYRILLIC.findall(text)), len(LATIN.findall(text))
    return "ru" if cyr >= lat else "en"


def find_interviewer(utterances: list[Utterance], declared: str | None) -> tuple[str | None, str]:
    """The interviewer's label and how it was found: front matter, label, or most questions."""
    speakers = [u.speaker for u in utterances if u.speaker]
    unique = list(dict.fromkeys(speakers))
    if declared:
        wanted = str(declared).strip().lower()
        for speaker in unique:
            name = bare_label(speaker)
            if name == wanted or name.startswith(wanted) or wanted.startswith(name) and name:
                return speaker, "metadata"
    for speaker in unique:
        if bare_label(speaker) in INTERVIEWER_LABELS:
            return speaker, "label"
    if len(unique) < 2:
        return None, "none"
    questions = Counter(u.speaker for u in utterances if u.speaker and u.text.rstrip().endswith("?"))
    if not questions:  # speech-recognition output has no "?": a turn that asks opens with a question word
        questions = Counter(u.speaker for u in utterances if u.speaker and asks(u.text))
    turns = Counter(speakers)
    # Share of a speaker's turns that are questions, weighted by how many questions they asked.
    score = {s: questions[s] * questions[s] / turns[s] for s in unique}
    best = max(unique, key=lambda s: (score[s], -unique.index(s)))
    return (best, "questions") if score[best] > 0 else (None, "none")


QUESTION_WORDS = frozenset({
    "как", "когда", "что", "кто", "почему", "зачем", "сколько", "какой", "какая", "какие", "каким", "где", "откуда",
    "расскажите", "скажите", "помните", "были", "было", "был", "вы", "а",
    "how", "what", "when", "who", "why", "which", "where", "did", "do", "does", "was", "were", "could", "can", "tell",
    "would", "so", "and",
})
QUESTION_WINDOW = 6  # "ну а вот скажите как вы..." - the question word comes within the first words


def asks(text: str) -> bool:
    """An unpunctuated turn that reads as a question: a question word among its first words, and
    short enough to be one (answers run on)."""
    words = text.lower().split()
    return 0 < len(words) <= 40 and bool(QUESTION_WORDS & set(words[:QUESTION_WINDOW]))


def bare_label(speaker: str) -> str:
    """'Анна (модератор)' -> 'анна', 'Q' -> 'q'."""
    return re.sub(r"\s*[(\[].*?[)\]]", "", speaker).strip().strip(".").lower()


def read_transcript(path: str | Path, *, language: str | None = None, limits: Limits | None = None) -> Transcript:
    """Read one interview file of any supported format into a numbered `Transcript`."""
    path = Path(path)
    limits = limits or current_limits()
    return transcript_from_bytes(read_bytes(path, limits), path, language, limits)


def transcript_from_bytes(data: bytes, path: Path, language: str | None, limits: Limits) -> Transcript:
    """The transcript in a file's bytes (`read_transcript` after the file was read)."""
    source = str(path)
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        raise InputError("the file is empty", path=source, hint="export the transcript again")
    kind = detect_binary(data)
    if kind:
        raise InputError(f"this is {kind}, not a transcript", path=source,
                         hint="transcribe it first, or move it out of the folder")
    parsed, encoding, notes = parse_any(data, path)
    transcript = build_transcript(parsed, path, encoding, language, limits)
    transcript.notes[:0] = notes
    return transcript


def read_bytes(path: Path, limits: Limits) -> bytes:
    """The bytes of a regular file within the size limit. A FIFO, a device or a socket is never
    opened (opening a FIFO blocks, reading a device may never end); the check is made again on
    the open descriptor, so a file swapped for one in between is refused too."""
    source = str(path)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"cannot read the file: it is {file_kind(info.st_mode)}, not a file", path=source,
                             hint="give a transcript file; cjm never opens pipes or devices")
        check_size(info.st_size, source, limits)  # checked before reading: a 50 MB file is never loaded
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(descriptor, "rb") as handle:
            opened = os.fstat(handle.fileno())
            if not stat.S_ISREG(opened.st_mode):
                raise InputError(f"cannot read the file: it is {file_kind(opened.st_mode)}, not a file",
                                 path=source, hint="give a transcript file; cjm never opens pipes or devices")
            check_size(opened.st_size, source, limits)
            data = handle.read(limits.max_file_bytes + 1)
        check_size(len(data), source, limits)  # a file that grew while it was read
        return data
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", path=source,
                         hint="check that it exists and that you may read it") from None


def check_size(size: int, source: str, limits: Limits) -> None:
    if size > limits.max_file_bytes:
        raise InputError(f"the file is {size / (1024 * 1024):.0f} MB, more than an interview can be "
                         f"({limits.max_file_mb:g} MB)", path=source,
                         hint=f"split it or check that it is a transcript; or {how_to_raise('max_file_mb')}")


def file_kind(mode: int) -> str:
    """What a directory entry that is not a regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def parse_any(data: bytes, path: Path) -> tuple[Parsed, str, list[str]]:
    """The first reader that recognises the content parses it; (parsed, encoding, decode notes)."""
    suffix = path.suffix.lower()
    text: str | None = None
    encoding = "binary"
    notes: list[str] = []
    for fmt in registered_formats():
        if fmt.binary:
            if fmt.sniff(data, suffix):
                return fmt.parse(data, str(path)), encoding, notes
            continue
        if text is None:
            if data.startswith(b"PK\x03\x04"):
                raise InputError("this is a zip archive (or an Office file cjm cannot read)", path=str(path),
                                 hint="save the transcript as .docx or .txt")
            text, encoding, notes = decode_with_notes(data, str(path))
        if fmt.sniff(text, suffix):
            return fmt.parse(text, str(path)), encoding, notes
    raise InputError("no reader recognises this file", path=str(path))  # plain text sniffs every text


def merge_turns(turns: list[Turn]) -> list[Turn]:
    """Consecutive cues of one speaker form one utterance (contract section 1)."""
    merged: list[Turn] = []
    for turn in turns:
        if merged and merged[-1].speaker == turn.speaker:
            merged[-1] = Turn(merged[-1].speaker, f"{merged[-1].text} {turn.text}".strip(),
                              merged[-1].start, merged[-1].line)
        else:
            merged.append(Turn(turn.speaker, turn.text, turn.start, turn.line))
    return merged


# --- bounds: what reaches spaCy (every text it parses comes from a Transcript) ------------------

SYMBOL_RUN = "[^\\w\\s]"  # punctuation, symbols, emoji: what spaCy's tokenizer peels off one at a time
SENTENCE_END = re.compile(r"[.!?…]+[\"'»”)\]]*\s+")


def bound_turns(turns: list[Turn], limits: Limits) -> tuple[list[Turn], list[str]]:
    """Keep every text within what spaCy parses in bounded time: runs of punctuation cut, words
    broken, long utterances split at sentence ends (not refused), long labels cut. One note per
    kind of change, naming the lines."""
    changed: dict[str, list[str]] = {"runs": [], "words": [], "split": [], "labels": []}
    result: list[Turn] = []
    for turn in turns:
        where = f"line {turn.line}" if turn.line else f"turn {len(result) + 1}"
        text, kinds = bound_text(turn.text, limits)
        for kind in kinds:
            changed[kind].append(where)
        speaker = turn.speaker
        if speaker and len(speaker) > limits.max_label_chars:
            speaker = speaker[:limits.max_label_chars].rstrip()
            changed["labels"].append(where)
        pieces = split_long(text, limits.max_utterance_chars)
        if len(pieces) > 1:
            changed["split"].append(f"{where} ({len(text):,} characters, {len(pieces)} parts)")
        result.extend(Turn(speaker, piece, turn.start, turn.line) for piece in pieces)
    templates = {
        "runs": f"runs of more than {limits.max_symbol_run} punctuation characters shortened to "
                f"{limits.max_symbol_run}",
        "words": f"words longer than {limits.max_word_chars} characters broken into pieces",
        "split": f"utterances longer than {limits.max_utterance_chars:,} characters split at sentence ends",
        "labels": f"speaker labels longer than {limits.max_label_chars} characters cut",
    }
    notes = []
    for kind, places in changed.items():
        if places:
            shown = ", ".join(places[:5]) + (f" and {len(places) - 5} more" if len(places) > 5 else "")
            notes.append(f"{templates[kind]}: {shown}")
    return result, notes


def bound_text(text: str, limits: Limits) -> tuple[str, list[str]]:
    """(text, what was changed): runs of punctuation cut to `max_symbol_run`, longer words broken."""
    kinds = []
    if len(text) > limits.max_symbol_run:
        runs = re.compile(SYMBOL_RUN + "{%d,}" % (limits.max_symbol_run + 1))
        if runs.search(text):
            text = runs.sub(lambda m: m.group()[:limits.max_symbol_run], text)
            kinds.append("runs")
    if len(text) > limits.max_word_chars:
        words = re.compile(r"\S{%d,}" % (limits.max_word_chars + 1))
        if words.search(text):
            text = words.sub(lambda m: break_word(m.group(), limits.max_word_chars), text)
            kinds.append("words")
    return text, kinds


def break_word(word: str, size: int) -> str:
    return " ".join(word[i:i + size] for i in range(0, len(word), size))


def split_long(text: str, limit: int) -> list[str]:
    """A text in pieces of at most `limit` characters, cut after the last sentence end that fits,
    else at the last space (speech-recognition output has no punctuation), else anywhere."""
    pieces: list[str] = []
    while len(text) > limit:
        window = text[:limit + 1]
        cut = 0
        for match in SENTENCE_END.finditer(window):
            cut = match.end()
        if cut < limit // 4:  # no sentence end in the last three quarters: the last space will do
            space = window.rfind(" ", limit // 4)
            cut = space + 1 if space > 0 else limit
        cut = max(cut, 1)
        pieces.append(text[:cut].strip())
        text = text[cut:].lstrip()
    pieces.append(text)
    return [piece for piece in pieces if piece] or [""]


def bound_metadata(meta: dict, limits: Limits) -> tuple[dict, list[str]]:
    """Front matter values are shown in the report and some (the respondent's role) are parsed:
    a text value gets the bounds of an utterance, cut at one utterance's length."""
    result: dict = {}
    cut: list[str] = []
    for key, value in meta.items():
        if isinstance(value, str) and len(value) > limits.max_symbol_run:
            bounded, _ = bound_text(value[:limits.max_utterance_chars], limits)
            if bounded != value:
                cut.append(repr(key))
            value = bounded
        result[key] = value
    notes = [f"front matter value(s) {', '.join(cut)} shortened to what cjm reads"] if cut else []
    return result, notes


def build_transcript(parsed: Parsed, path: Path, encoding: str, language: str | None,
                     limits: Limits | None = None) -> Transcript:
    limits = limits or current_limits()
    turns = [t for t in parsed.turns if t.text.strip() or t.speaker]
    if parsed.merge_consecutive:
        turns = merge_turns(turns)
    if not turns:
        raise InputError("no text found in the file", path=str(path),
                         hint="check that this is a transcript and not an empty export")
    meta = dict(parsed.metadata)
    notes = list(parsed.notes)
    turns, bound_notes = bound_turns(turns, limits)
    if len(turns) > limits.max_utterances:  # before anything is parsed: memory and time grow with them
        raise InputError(f"the file has {len(turns):,} utterances, more than an interview has "
                         f"({limits.max_utterances:,})", path=str(path),
                         hint=f"split it into interviews; or {how_to_raise('max_utterances')}")
    meta, meta_notes = bound_metadata(meta, limits)
    notes += bound_notes + meta_notes
    has_speakers = any(t.speaker for t in turns)
    utterances = [Utterance(n=i, speaker=t.speaker or "", text=t.text.strip(), start=t.start, line=t.line)
                  for i, t in enumerate(turns, start=1)]
    interviewer, how = (None, "none")
    if has_speakers:
        interviewer, how = find_interviewer(utterances, meta.get("interviewer"))
        if meta.get("interviewer") and how != "metadata":
            notes.append(f"front matter names interviewer {meta['interviewer']!r}, who never speaks; "
                         + (f"used {interviewer!r} ({how})" if interviewer else "no interviewer found"))
        if interviewer is None:
            notes.append("could not tell the interviewer: every turn is tagged as the respondent's")
        for u in utterances:
            u.is_interviewer = interviewer is not None and u.speaker == interviewer
    else:
        notes.append("the file has no speakers: the whole text is treated as the respondent's")
    lang = language or meta.get("language")
    if lang is not None:
        lang = str(lang).strip().lower()
        if lang not in LANGUAGES:
            notes.append(f"language {lang!r} is not supported (ru, en): detected instead")
            lang = None
    lang = lang or detect_language(utterances)
    channel = meta.get("channel")
    ident = str(meta.get("id") or path.stem)
    return Transcript(
        id=ident, source=str(path), language=lang, utterances=utterances,
        metadata={k: v for k, v in meta.items() if k not in ("id", "language", "channel")},
        channel=str(channel).strip() if channel else None, interviewer=interviewer,
        format=parsed.format, encoding=encoding, has_speakers=has_speakers, notes=notes,
    )


TRANSCRIPT_SUFFIXES = {".txt", ".md", ".vtt", ".srt", ".docx", ".json", ".text", ".markdown"}
# What to do with the files people most often drop beside their transcripts.
SUFFIX_HINTS = {
    ".doc": "save it as .docx in Word", ".rtf": "save it as .docx or .txt", ".odt": "save it as .docx",
    ".pdf": "copy the text into a .txt file, or export the transcript as .docx",
    ".mp3": "transcribe it first (e.g. Whisper) and put the transcript here",
    ".wav": "transcribe it first (e.g. Whisper) and put the transcript here",
    ".m4a": "transcribe it first (e.g. Whisper) and put the transcript here",
    ".mp4": "transcribe it first (e.g. Whisper) and put the transcript here",
    ".xlsx": "export the transcript as .txt, .docx or .json",
    ".csv": "export the transcript as .txt, .docx or .json",
}


class NoTranscriptsError(UsageError):
    """Nothing in the folder could be read; `problems` says why for every file."""

    def __init__(self, message: str, *, path: str, problems: list[Problem], line: int | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message, path=path, line=line, hint=hint)
        self.problems = problems


def list_inputs(folder: str | Path) -> list[Path]:
    """Every entry at the top level of a folder (files, folders, links, hidden ones: each is read
    or listed as skipped), or the one path given when it is not a folder."""
    folder = Path(folder)
    if not folder.exists() and not folder.is_symlink():
        raise UsageError(f"no such folder: {folder}", hint="give the folder that holds the transcripts")
    if not folder.is_dir():
        return [folder]
    try:
        return sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        raise UsageError(f"cannot list the folder: {exc.strerror or exc}", path=str(folder),
                         hint="check that you may read it") from None


def read_cached(path: Path, language: str | None, limits: Limits, cache: Any) -> Transcript:
    """`read_transcript` through the cache (a `cjm.cache.JourneyCache`): a file whose bytes, path,
    language option and limits are those of an earlier run, with the same cjm, is not parsed
    again. The file is always read (its bytes are the key); what it cannot be read as is never
    cached, so the error is raised each time."""
    from .cache import bytes_key, code_fingerprint, fingerprint

    data = read_bytes(path, limits)
    key = fingerprint({"path": str(path), "language": language, "limits": limits, "bytes": bytes_key(data),
                       "code": code_fingerprint()})
    found = cache.load("transcript", key)
    if isinstance(found, Transcript):
        return found
    transcript = transcript_from_bytes(data, path, language, limits)
    cache.store("transcript", key, transcript)
    return transcript


def read_folder(folder: str | Path, *, language: str | None = None,
                cache: Any = None) -> tuple[list[Transcript], list[Problem]]:
    """Read every transcript of a folder; each entry that is not read becomes a `Problem`, not a crash.

    Every entry is accounted for: it yields a `Transcript` or a `Problem` (`ignored` for what is
    not read by design: the gold/ annotation folder, hidden files). When none yields a transcript,
    `NoTranscriptsError` (a `UsageError`) says so and carries the problems, so the CLI can print
    them and stop: there is nothing to map. With `cache` (a `cjm.cache.JourneyCache`) unchanged
    files are not parsed again (`read_cached`).
    """
    limits = current_limits()
    transcripts: list[Transcript] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    inputs = list_inputs(folder)
    root = Path(folder) if Path(folder).is_dir() else None
    for path in inputs:
        problem = entry_problem(path, root)
        if problem is None:
            try:
                transcript = (read_transcript(path, language=language, limits=limits) if cache is None
                              else read_cached(path, language, limits, cache))
            except InputError as exc:
                problem = Problem(exc.path or str(path), exc.message, exc.line, exc.hint)
            except Exception as exc:  # a reader bug must not end the run nor hide the file
                problem = Problem(str(path), f"cjm failed to read this file ({type(exc).__name__}: {exc})",
                                  hint="please report this as a bug, with the file if you can share it")
            else:
                if transcript.id in seen:
                    problem = Problem(str(path), f"interview id {transcript.id!r} is already used by "
                                      f"{seen[transcript.id]}: skipped",
                                      hint="give each interview a unique 'id' in its front matter")
                else:
                    seen[transcript.id] = str(path)
                    transcripts.append(transcript)
        if problem is not None:
            problems.append(problem)
    if not transcripts:
        raise no_transcripts(folder, inputs, problems)
    return transcripts, problems


# interviews/gold/*.gold.json and interviews/reviewed/*.reviewed.json: read by `cjm evaluate` and
# `cjm learn` (and the reviews by every run, see cjm.review), never as transcripts
ANNOTATION_FOLDERS = {"gold": "gold files for 'cjm evaluate' and 'cjm learn'",
                      "reviewed": "a person's corrections from 'cjm review --apply'"}


def entry_problem(path: Path, root: Path | None) -> Problem | None:
    """Why an entry of the input folder is not read, or None for a file to read.

    `root` is the input folder (None when one file was given): a symbolic link that leads out of
    it is not followed, so a `passwd.txt -> /etc/passwd` dropped in the folder is never read.
    """
    source = str(path)
    if root is not None and path.name.startswith("."):
        kind = "folder" if path.is_dir() and not path.is_symlink() else "file"
        return Problem(source, f"a hidden {kind}: skipped", ignored=True)
    if path.is_symlink():
        problem = link_problem(path, root)
        if problem is not None:
            return problem
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return Problem(source, f"cannot read the entry: {exc.strerror or exc}", hint="check that you may read it")
    if stat.S_ISDIR(mode):
        if path.name in ANNOTATION_FOLDERS:
            return Problem(source, f"the annotation folder ({ANNOTATION_FOLDERS[path.name]}): not a transcript",
                           ignored=True)
        return Problem(source, "a folder: cjm reads the files at the top level only, so its files were not read",
                       hint=f"give it as the input (cjm report {source}) to read them")
    if not stat.S_ISREG(mode):
        return Problem(source, f"{file_kind(mode)}, not a file: never opened",
                       hint="move it out of the folder; cjm reads transcript files only")
    return skip_reason(path)


def link_problem(path: Path, root: Path | None) -> Problem | None:
    """A dangling link, a loop of links, or (inside a folder) a link that leaves it."""
    source = str(path)
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError:
        return Problem(source, "a symbolic link to something that does not exist: skipped",
                       hint="fix or remove the link")
    except (OSError, RuntimeError):  # a loop of links (RuntimeError before Python 3.13)
        return Problem(source, "a symbolic link that loops (it leads back to itself): skipped",
                       hint="fix or remove the link")
    if root is not None:
        inside = root.resolve()
        if target != inside and inside not in target.parents:
            return Problem(source, "a symbolic link to a file outside the input folder: not read",
                           hint="copy the transcript into the folder instead of linking to it")
    return None


def skip_reason(path: Path) -> Problem | None:
    """Why a file is not even tried (a gold file, an audio file...), or None."""
    if path.name.endswith(".gold.json"):
        return Problem(str(path), "a gold annotation file, not a transcript: skipped",
                       hint="keep gold files in a gold/ subfolder")
    suffix = path.suffix.lower()
    if suffix not in TRANSCRIPT_SUFFIXES:
        return Problem(str(path), f"'{path.suffix or path.name}' files are not transcripts: skipped",
                       hint=SUFFIX_HINTS.get(suffix, "supported: " + ", ".join(sorted(TRANSCRIPT_SUFFIXES))))
    return None


def no_transcripts(folder: str | Path, inputs: list[Path], problems: list[Problem]) -> NoTranscriptsError:
    """The error for a folder where nothing could be read, worded by what was there."""
    supported = ", ".join(sorted(TRANSCRIPT_SUFFIXES))
    if not inputs:
        return NoTranscriptsError("no transcripts: the folder has no files", path=str(folder),
                                  problems=problems, hint=f"put the interview files there ({supported})")
    if len(problems) == 1 and not Path(folder).is_dir():  # one file given: its own message says it all
        only = problems[0]
        return NoTranscriptsError(only.message, path=only.source, line=only.line, problems=problems, hint=only.hint)
    return NoTranscriptsError(
        f"no transcript could be read: {len(problems)} file(s) skipped, first {problems[0]}",
        path=str(folder), problems=problems,
        hint="fix or replace the files listed, or point cjm at the folder with the transcripts")
