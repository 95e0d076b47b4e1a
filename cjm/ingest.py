"""Stage 1 — ingest: files in, `Transcript`s out.

Reads bytes, decodes them (UTF-8 with or without BOM, Windows-1251 and others detected, never
guessed silently), hands them to the reader of their format, numbers the utterances, finds the
interviewer and the language. A file that cannot be read raises `InputError`; `read_folder`
turns those into `Problem`s so that one bad file never stops a run.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from .errors import InputError, UsageError
from .formats import Parsed, Turn, registered_formats
from .model import Problem, Transcript, Utterance

MAX_BYTES = 20 * 1024 * 1024  # an interview is < 1 MB; 20 MB is a generous ceiling
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
    b"fLaC": "a FLAC audio file",
}
CYRILLIC = re.compile(r"[а-яёА-ЯЁ]")
LATIN = re.compile(r"[a-zA-Z]")


def decode(data: bytes, source: str) -> tuple[str, str]:
    """Bytes -> (text, encoding). UTF-8 first; otherwise a detected single-byte encoding."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["cp1251", "koi8_r", "cp1252", "latin_1", "cp866", "utf_16"]).best()
    if best is None or best.encoding is None:
        line = data[:first_bad].count(b"\n") + 1
        raise InputError("the bytes are neither UTF-8 nor a recognised encoding", path=source,
                         line=line, hint="re-save the file as UTF-8")
    encoding = best.encoding
    text = str(best)
    if CYRILLIC.search(text) is None and re.search(rb"[\xc0-\xff]{3,}", data):
        # Mostly high bytes but no Cyrillic after decoding: cp1251 read as latin is the usual trap.
        try:
            text, encoding = data.decode("cp1251"), "cp1251"
        except UnicodeDecodeError:
            pass
    return text, encoding


def detect_binary(data: bytes) -> str | None:
    """Name the kind of a non-text file, or None when it may be text (or a known binary format)."""
    for signature, kind in BINARY_SIGNATURES.items():
        if data.startswith(signature):
            return kind
    if data.startswith(b"PK\x03\x04"):
        return None  # zip: a DOCX reader may claim it
    sample = data[:4096]
    if b"\x00" in sample and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
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
    turns = Counter(speakers)
    # Share of a speaker's turns that are questions, weighted by how many questions they asked.
    score = {s: questions[s] * questions[s] / turns[s] for s in unique}
    best = max(unique, key=lambda s: (score[s], -unique.index(s)))
    return (best, "questions") if score[best] > 0 else (None, "none")


def bare_label(speaker: str) -> str:
    """'Анна (модератор)' -> 'анна', 'Q' -> 'q'."""
    return re.sub(r"\s*[(\[].*?[)\]]", "", speaker).strip().strip(".").lower()


def read_transcript(path: str | Path, *, language: str | None = None) -> Transcript:
    """Read one interview file of any supported format into a numbered `Transcript`."""
    path = Path(path)
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", path=source) from None
    if not data.strip():
        raise InputError("the file is empty", path=source, hint="export the transcript again")
    if len(data) > MAX_BYTES:
        raise InputError(f"the file is {len(data) // (1024 * 1024)} MB, more than an interview can be "
                         f"({MAX_BYTES // (1024 * 1024)} MB)", path=source,
                         hint="split it or check that it is a transcript")
    kind = detect_binary(data)
    if kind:
        raise InputError(f"this is {kind}, not a transcript", path=source,
                         hint="transcribe it first, or move it out of the folder")
    parsed, encoding = parse_any(data, path)
    return build_transcript(parsed, path, encoding, language)


def parse_any(data: bytes, path: Path) -> tuple[Parsed, str]:
    suffix = path.suffix.lower()
    text: str | None = None
    encoding = "binary"
    for fmt in registered_formats():
        if fmt.binary:
            if fmt.sniff(data, suffix):
                return fmt.parse(data, str(path)), encoding
            continue
        if text is None:
            if data.startswith(b"PK\x03\x04"):
                raise InputError("this is a zip archive (or an Office file cjm cannot read)", path=str(path),
                                 hint="save the transcript as .docx or .txt")
            text, encoding = decode(data, str(path))
        if fmt.sniff(text, suffix):
            return fmt.parse(text, str(path)), encoding
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


def build_transcript(parsed: Parsed, path: Path, encoding: str, language: str | None) -> Transcript:
    turns = [t for t in parsed.turns if t.text.strip() or t.speaker]
    if parsed.merge_consecutive:
        turns = merge_turns(turns)
    if not turns:
        raise InputError("no text found in the file", path=str(path),
                         hint="check that this is a transcript and not an empty export")
    meta = dict(parsed.metadata)
    notes = list(parsed.notes)
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


def list_inputs(folder: str | Path) -> list[Path]:
    """The files of a folder that are candidates: every visible file at the top level."""
    folder = Path(folder)
    if not folder.exists():
        raise UsageError(f"no such folder: {folder}")
    if folder.is_file():
        return [folder]
    return sorted((p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")),
                  key=lambda p: p.name)


def read_folder(folder: str | Path, *, language: str | None = None) -> tuple[list[Transcript], list[Problem]]:
    """Read every transcript of a folder; each unreadable file becomes a `Problem`, not a crash."""
    transcripts: list[Transcript] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path in list_inputs(folder):
        if path.name.endswith(".gold.json"):
            problems.append(Problem(str(path), "a gold annotation file, not a transcript: skipped",
                                    hint="keep gold files in a gold/ subfolder"))
            continue
        if path.suffix.lower() not in TRANSCRIPT_SUFFIXES:
            problems.append(Problem(str(path), f"'{path.suffix or path.name}' files are not transcripts: skipped",
                                    hint="supported: " + ", ".join(sorted(TRANSCRIPT_SUFFIXES))))
            continue
        try:
            transcript = read_transcript(path, language=language)
        except InputError as exc:
            problems.append(Problem(exc.path or str(path), exc.message, exc.line, exc.hint))
            continue
        if transcript.id in seen:
            problems.append(Problem(str(path), f"interview id {transcript.id!r} is already used by {seen[transcript.id]}: skipped",
                                    hint="give each interview a unique 'id' in its front matter"))
            continue
        seen[transcript.id] = str(path)
        transcripts.append(transcript)
    return transcripts, problems
