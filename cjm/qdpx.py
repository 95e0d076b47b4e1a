"""REFI-QDA project export (.qdpx), so a series cjm tagged opens in QualCoder, NVivo, ATLAS.ti or MAXQDA.

A .qdpx is a zip: `project.qde` (QDA-XML, the REFI-QDA Project schema 1.0) and `sources/`, one
UTF-8 text file per interview named by its GUID. What goes in:

- each interview as a text source: one line per utterance, `[hh:mm:ss] Speaker: text` (the time
  where the source has it), so a coder reads who said what;
- the codebook as codes: three uncodable folders (stages, roles, channels; channels again by group)
  holding one code per label, named in `lang`, described by the codebook's `means` and the id;
- every labelled respondent utterance as a coded segment (a `PlainTextSelection` over the
  utterance's text, without the speaker label) with one coding per stage, role and channel label;
- each interview as a case with its derived fields as variables (channel, furthest stage, ...);
- the files that could not be read, in the project's description.

Positions count Unicode characters (code points) of the source text, end exclusive, as QualCoder
reads them. GUIDs are uuid5 of the ids, and the zip carries no dates, so the same run gives the
same file byte for byte. Text is untrusted: XML escaping is left to the XML library, and characters
XML 1.0 cannot carry are replaced by U+FFFD (`xmltext.xml_safe`, same length, offsets hold);
carriage returns in the text become newlines, one for one, for the same reason.
"""

from __future__ import annotations

import uuid
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from . import __version__
from .aggregate import iso_date
from .codebook import Codebook
from .model import CHANNEL, KINDS, ROLE, STAGE, Journey, Problem
from .xmltext import xml_safe

NS = "urn:QDA-XML:project:1.0"
GUID_NAMESPACE = uuid.UUID("6f0c3b7e-5d1a-5c2e-9a43-2f6d0c8b1e57")  # cjm's own; fixed forever
KIND_FOLDERS = {STAGE: {"en": "Stages", "ru": "Стадии"}, ROLE: {"en": "Roles", "ru": "Роли"},
                CHANNEL: {"en": "Channels", "ru": "Каналы"}}
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold: no run time in the file
VARIABLES = (("channel", "Text"), ("channel_group", "Text"), ("channel_source", "Text"), ("furthest_stage", "Text"),
             ("outcome", "Text"), ("first_contact_role", "Text"), ("cycle_days", "Integer"), ("date", "Date"),
             ("language", "Text"))
VALUE_ELEMENT = {"Text": "TextValue", "Integer": "IntegerValue", "Date": "DateValue"}


@dataclass(frozen=True)
class Code:
    guid: str
    name: str
    description: str
    codable: bool
    parent: str | None = None  # the guid of the folder code it sits in


@dataclass(frozen=True)
class Segment:
    """A coded span of one source: [start, end) in its text, with the guids of its codes."""

    guid: str
    source: str  # the source's guid
    name: str
    start: int
    end: int
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Source:
    guid: str
    name: str
    description: str
    text: str


@dataclass(frozen=True)
class Case:
    guid: str
    name: str
    values: tuple[tuple[str, str, str], ...]  # (variable name, type, value as text)
    sources: tuple[str, ...]


@dataclass
class Project:
    """What a .qdpx holds, as plain data: built from journeys, written, and read back the same."""

    name: str
    user: str  # the guid of the one user, cjm
    description: str = ""  # what the project holds, and every file that could not be read
    codes: list[Code] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)


def guid(*parts: str) -> str:
    """A stable GUID for a thing named by ids: the same input gives the same file."""
    return str(uuid.uuid5(GUID_NAMESPACE, "\x1f".join(parts)))


def code_guid(kind: str, label: str) -> str:
    return guid("code", kind, label)


def majority_language(journeys: list[Journey]) -> str:
    """The language most interviews are in (ties: English), for the code names."""
    counts = Counter(j.transcript.language for j in journeys if j.transcript.language in ("ru", "en"))
    return max(sorted(counts), key=lambda lang: (counts[lang], lang == "en")) if counts else "en"


def clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def source_text(journey: Journey) -> tuple[str, dict[int, tuple[int, int]]]:
    """The interview as one text, and where each utterance's own text lies in it (by utterance n)."""
    parts: list[str] = []
    spans: dict[int, tuple[int, int]] = {}
    position = 0
    for utterance in journey.transcript.utterances:
        head = (f"[{clock(utterance.start)}] " if utterance.start is not None else "") + \
            xml_safe(utterance.speaker).replace("\n", " ").replace("\r", " ") + ": "
        text = xml_safe(utterance.text).replace("\r", "\n")  # one for one: a reader's newline translation
        # ("\r\n" -> "\n") would otherwise shift every offset after it
        spans[utterance.n] = (position + len(head), position + len(head) + len(text))
        line = head + text + "\n"
        parts.append(line)
        position += len(line)
    return "".join(parts), spans


def _element_text(value: object) -> str:
    """Text for an element's content: XML-safe, and without carriage returns (a parser would turn
    them into newlines, and the file would not read back as written)."""
    return xml_safe(value).replace("\r\n", "\n").replace("\r", "\n")


def _codes(codebook: Codebook, used: set[tuple[str, str]], lang: str) -> list[Code]:
    """Folders per kind (channels also per group) and a code per label; a label the run gave that
    the codebook lacks (a model trained on another codebook) still gets its code."""
    codes: list[Code] = []
    for kind in KINDS:
        folder = guid("folder", kind)
        codes.append(Code(folder, KIND_FOLDERS[kind].get(lang, KIND_FOLDERS[kind]["en"]), "", False))
        labels = codebook.labels(kind)
        known = {label.id for label in labels}
        groups = [(None, folder, labels)] if kind != CHANNEL else [
            (group, guid("folder", "group", group.id), [c for c in labels if c.group == group.id])
            for group in codebook.groups]
        for group, parent, members in groups:  # depth first: the order the file is read back in
            if group is not None:
                codes.append(Code(parent, xml_safe(group.name(lang)), f"cjm: group {_element_text(group.id)}",
                                  False, folder))
            for label in members:
                description = (_element_text(label.means) + "\n\n" if label.means else "") + \
                    f"cjm: {kind} {_element_text(label.id)}"
                codes.append(Code(code_guid(kind, label.id), xml_safe(label.name(lang)), description, True, parent))
        for label in sorted(lab for k, lab in used if k == kind and lab not in known):
            codes.append(Code(code_guid(kind, label), xml_safe(label), f"cjm: {kind} {xml_safe(label)} "
                              "(not in the codebook)", True, folder))
    return codes


def _case(journey: Journey, source: str) -> Case:
    fields = {"channel": journey.channel, "channel_group": journey.channel_group,
              "channel_source": journey.channel_source, "furthest_stage": journey.furthest_stage,
              "outcome": journey.outcome, "first_contact_role": journey.first_contact_role,
              "cycle_days": journey.cycle_days, "date": iso_date((journey.transcript.metadata or {}).get("date")),
              "language": journey.transcript.language}
    values = tuple((name, kind, _element_text(fields[name])) for name, kind in VARIABLES if fields[name] is not None)
    return Case(guid("case", journey.id), xml_safe(journey.id), values, (source,))


def build_project(journeys: list[Journey], codebook: Codebook, *, lang: str | None = None,
                  name: str = "cjm", problems: list[Problem] = ()) -> Project:
    """The journeys as a REFI-QDA project: sources, codes, coded segments, cases; the files that
    could not be read are listed in the project's description, so every input is accounted for."""
    lang = lang or majority_language(journeys)
    lines = [f"{len(journeys)} interview(s) tagged by cjm {__version__}."]
    lines += [f"Not read: {problem}" for problem in problems]
    project = Project(name=xml_safe(name), user=guid("user", "cjm"), description=_element_text("\n".join(lines)))
    used: set[tuple[str, str]] = set()
    for journey in sorted(journeys, key=lambda j: j.id):
        text, spans = source_text(journey)
        source = Source(guid("source", journey.id), xml_safe(journey.id), _element_text(journey.transcript.source), text)
        project.sources.append(source)
        project.cases.append(_case(journey, source.guid))
        for item in journey.utterances:
            labels = [(STAGE, s) for s in item.stages] + [(ROLE, r) for r in item.roles] + \
                     [(CHANNEL, c) for c in item.channels]
            if item.utterance.is_interviewer or not labels:
                continue
            used.update(labels)
            start, end = spans[item.n]
            project.segments.append(Segment(guid("segment", journey.id, str(item.n)), source.guid,
                                            f"{source.name} #{item.n}", start, end,
                                            tuple(code_guid(kind, label) for kind, label in labels)))
    project.codes = unique_names(_codes(codebook, used, lang))
    return project


def unique_names(codes: list[Code]) -> list[Code]:
    """QualCoder keys codes (and folders) by name and merges two of the same name: a name used
    twice (a custom codebook's stage and role both called "Review") gets its id added."""
    seen: set[tuple[bool, str]] = set()
    result = []
    for code in codes:
        name = code.name
        if (code.codable, name.casefold()) in seen:
            name = f"{name} ({code.description.rsplit('cjm: ', 1)[-1]})"
        seen.add((code.codable, name.casefold()))
        result.append(Code(code.guid, name, code.description, code.codable, code.parent))
    return result


# --------------------------------------------------------------------------- writing

def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _sub(parent: ET.Element, tag: str, **attributes: str) -> ET.Element:
    return ET.SubElement(parent, _q(tag), {k: v for k, v in attributes.items() if v is not None})


def project_xml(project: Project) -> bytes:
    """project.qde: the project as QDA-XML, elements in the order the schema's sequences ask."""
    ET.register_namespace("", NS)
    root = ET.Element(_q("Project"), {"name": project.name, "origin": f"cjm {__version__}",
                                      "creatingUserGUID": project.user})
    users = _sub(root, "Users")
    _sub(users, "User", guid=project.user, name="cjm")
    if project.codes:
        codes = _sub(_sub(root, "CodeBook"), "Codes")
        elements: dict[str, ET.Element] = {}
        for code in project.codes:
            parent = elements[code.parent] if code.parent else codes
            element = _sub(parent, "Code", guid=code.guid, name=code.name, isCodable="true" if code.codable else "false")
            if code.description:
                _sub(element, "Description").text = code.description
            elements[code.guid] = element
    variables = {name: guid("variable", name) for name, _ in VARIABLES}
    if project.cases:
        element = _sub(root, "Variables")
        for name, kind in VARIABLES:
            _sub(element, "Variable", guid=variables[name], name=name, typeOfVariable=kind)
        cases = _sub(root, "Cases")
        for case in project.cases:
            element = _sub(cases, "Case", guid=case.guid, name=case.name)
            for name, kind, value in case.values:
                holder = _sub(element, "VariableValue")
                _sub(holder, "VariableRef", targetGUID=variables[name])
                _sub(holder, VALUE_ELEMENT[kind]).text = value
            for source in case.sources:
                _sub(element, "SourceRef", targetGUID=source)
    if project.sources:
        sources = _sub(root, "Sources")
        by_source: dict[str, list[Segment]] = {}
        for segment in project.segments:
            by_source.setdefault(segment.source, []).append(segment)
        for source in project.sources:
            element = _sub(sources, "TextSource", guid=source.guid, name=source.name,
                           plainTextPath=f"internal://{source.guid}.txt", creatingUser=project.user)
            if source.description:
                _sub(element, "Description").text = source.description
            for segment in by_source.get(source.guid, []):
                selection = _sub(element, "PlainTextSelection", guid=segment.guid, name=segment.name,
                                 startPosition=str(segment.start), endPosition=str(segment.end),
                                 creatingUser=project.user)
                for code in segment.codes:
                    coding = _sub(selection, "Coding", guid=guid("coding", segment.guid, code), creatingUser=project.user)
                    _sub(coding, "CodeRef", targetGUID=code)
    if project.description:
        _sub(root, "Description").text = project.description
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def write_qdpx(project: Project, path: str | Path) -> Path:
    """The .qdpx zip: project.qde and sources/<guid>.txt, in a fixed order with a fixed date."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = [("project.qde", project_xml(project))] + \
              [(f"sources/{s.guid}.txt", s.text.encode("utf-8")) for s in project.sources]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return path


# --------------------------------------------------------------------------- reading

def read_qdpx(path: str | Path) -> Project:
    """A .qdpx read back into a `Project` (what cjm writes; other tools' extras are ignored)."""
    with zipfile.ZipFile(path) as archive:
        root = ET.fromstring(archive.read("project.qde"))
        files = {name: archive.read(name).decode("utf-8") for name in archive.namelist() if name.startswith("sources/")}
    user = root.find(f"{_q('Users')}/{_q('User')}")
    about = root.find(_q("Description"))
    project = Project(name=root.get("name", ""), user=user.get("guid") if user is not None else "",
                      description=about.text or "" if about is not None else "")

    def walk(element: ET.Element, parent: str | None) -> None:
        for code in element.findall(_q("Code")):
            description = code.find(_q("Description"))
            project.codes.append(Code(code.get("guid"), code.get("name"),
                                      description.text or "" if description is not None else "",
                                      code.get("isCodable") == "true", parent))
            walk(code, code.get("guid"))

    codes = root.find(f"{_q('CodeBook')}/{_q('Codes')}")
    if codes is not None:
        walk(codes, None)
    names = {v.get("guid"): (v.get("name"), v.get("typeOfVariable")) for v in root.iter(_q("Variable"))}
    for case in root.iter(_q("Case")):
        values = []
        for holder in case.findall(_q("VariableValue")):
            name, kind = names[holder.find(_q("VariableRef")).get("targetGUID")]
            values.append((name, kind, holder.find(_q(VALUE_ELEMENT[kind])).text or ""))
        project.cases.append(Case(case.get("guid"), case.get("name"), tuple(values),
                                  tuple(ref.get("targetGUID") for ref in case.findall(_q("SourceRef")))))
    for source in root.iter(_q("TextSource")):
        description = source.find(_q("Description"))
        text_path = source.get("plainTextPath", "")
        text = files.get("sources/" + text_path.removeprefix("internal://"), "")
        project.sources.append(Source(source.get("guid"), source.get("name"),
                                      description.text or "" if description is not None else "", text))
        for selection in source.findall(_q("PlainTextSelection")):
            codes = tuple(coding.find(_q("CodeRef")).get("targetGUID") for coding in selection.findall(_q("Coding")))
            project.segments.append(Segment(selection.get("guid"), source.get("guid"), selection.get("name"),
                                            int(selection.get("startPosition")), int(selection.get("endPosition")),
                                            codes))
    return project
