"""REFI-QDA export: the sample series (and a hostile transcript) as a .qdpx that satisfies the
REFI-QDA Project schema (read in place from ../shared/refi-qda/), reads back the same, and holds
exactly the labelled utterances at their offsets."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from cjm.model import CHANNEL, ROLE, STAGE
from cjm.pipeline import analyse
from cjm.qdpx import build_project, code_guid, guid, read_qdpx, write_qdpx
from cjm.xmltext import xml_safe

ROOT = Path(__file__).resolve().parents[1]
XSD = Path(__file__).resolve().parents[2] / "shared" / "refi-qda" / "Project.xsd"
HOSTILE = Path(__file__).parent / "data" / "transcripts" / "en_handoff_hostile.txt"
NS = "{urn:QDA-XML:project:1.0}"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("series")
    for path in sorted((ROOT / "interviews").glob("*.txt")) + [HOSTILE]:
        shutil.copy(path, folder / path.name)
    return analyse(folder)


@pytest.fixture(scope="module")
def project(run):
    return build_project(run.journeys, run.codebook, lang="en", name="sample <&> series")


@pytest.fixture(scope="module")
def qdpx(project, tmp_path_factory):
    return write_qdpx(project, tmp_path_factory.mktemp("qdpx") / "series.qdpx")


@pytest.fixture(scope="module")
def schema():
    if not XSD.exists():
        pytest.skip(f"the REFI-QDA schema is not beside the repository ({XSD} is absent)")
    etree = pytest.importorskip("lxml.etree", reason="lxml validates the REFI-QDA schema (pip install lxml)")
    return etree.XMLSchema(etree.parse(str(XSD)))


def test_project_satisfies_the_refi_qda_schema(qdpx, schema):
    from lxml import etree

    document = etree.fromstring(zipfile.ZipFile(qdpx).read("project.qde"))
    assert schema.validate(document), schema.error_log


def test_the_schema_check_can_fail(qdpx, schema):
    """The validation above means something: a selection without its end, or a code without
    isCodable, is refused."""
    from lxml import etree

    text = zipfile.ZipFile(qdpx).read("project.qde")
    for broken in (text.replace(b' endPosition="', b' endPos="', 1), text.replace(b' isCodable="true"', b"", 1)):
        assert not schema.validate(etree.fromstring(broken))


def test_round_trip_gives_the_same_codes_and_segments(project, qdpx):
    back = read_qdpx(qdpx)
    assert back.codes == project.codes and len(back.codes) > 20
    assert back.segments == project.segments and len(back.segments) > 100
    assert back.sources == project.sources and back.cases == project.cases
    assert back == project


def test_segments_are_the_labelled_utterances_at_their_offsets(run, project):
    texts = {s.guid: s.text for s in project.sources}
    segments = {s.guid: s for s in project.segments}
    labelled = 0
    for journey in run.journeys:
        for item in journey.utterances:
            segment = segments.get(guid("segment", journey.id, str(item.n)))
            labels = [(STAGE, s) for s in item.stages] + [(ROLE, r) for r in item.roles] + \
                     [(CHANNEL, c) for c in item.channels]
            if item.utterance.is_interviewer or not labels:
                assert segment is None, (journey.id, item.n)  # no label, no segment
                continue
            labelled += 1
            text = texts[segment.source]
            assert text[segment.start:segment.end] == xml_safe(item.utterance.text)
            assert text[:segment.start].endswith(xml_safe(item.utterance.speaker) + ": ")
            assert segment.codes == tuple(code_guid(kind, label) for kind, label in labels)
    assert labelled == len(project.segments)


def test_codes_are_the_codebook(run, project):
    codes = {c.guid: c for c in project.codes}
    for kind in (STAGE, ROLE, CHANNEL):
        for label in run.codebook.labels(kind):
            code = codes[code_guid(kind, label.id)]
            assert code.codable and code.name == label.name("en")
            assert code.description.endswith(f"cjm: {kind} {label.id}") and label.means in code.description
    folders = [c for c in project.codes if not c.codable]
    assert [c.name for c in folders if c.parent is None] == ["Stages", "Roles", "Channels"]
    referral = codes[code_guid(CHANNEL, "referral")]
    assert codes[referral.parent].name == run.codebook.get("group", "referral").name("en")  # channels by group
    used = {code for segment in project.segments for code in segment.codes}
    assert used <= {c.guid for c in project.codes if c.codable}


def test_cases_carry_the_interview_fields(run, project):
    case = next(c for c in project.cases if c.name == "en-01")
    values = {name: value for name, _, value in case.values}
    journey = next(j for j in run.journeys if j.id == "en-01")
    assert values["channel"] == journey.channel and values["date"] == "2024-03-14"
    assert values.get("cycle_days") == (str(journey.cycle_days) if journey.cycle_days is not None else None)


def test_same_input_same_file(project, qdpx, tmp_path):
    again = write_qdpx(project, tmp_path / "again.qdpx")
    assert again.read_bytes() == qdpx.read_bytes()
    assert guid("source", "en-01") == guid("source", "en-01") != guid("source", "en-02")


def test_zip_layout(project, qdpx):
    archive = zipfile.ZipFile(qdpx)
    assert sorted(archive.namelist()) == sorted(["project.qde"] + [f"sources/{s.guid}.txt" for s in project.sources])
    assert archive.read(f"sources/{project.sources[0].guid}.txt").decode("utf-8") == project.sources[0].text


def test_untrusted_text_is_escaped_and_cleaned(run, project, qdpx):
    from xml.etree import ElementTree as ET

    root = ET.fromstring(zipfile.ZipFile(qdpx).read("project.qde"))  # parses: the markup in the text is escaped
    assert root.get("name") == "sample <&> series"
    source = next(s for s in project.sources if s.name == "@hostile <&>")
    assert "</PlainTextContent><x>" in source.text and "]]>" in source.text
    assert "\x1b" not in source.text and "\x07" not in source.text and "\ufffd" in source.text
    names = {e.get("name") for e in root.iter(f"{NS}TextSource")}
    assert "@hostile <&>" in names
    journey = next(j for j in run.journeys if j.id == "@hostile <&>")
    item = next(t for t in journey.utterances if "\x1b" in t.utterance.text)
    segment = next(s for s in project.segments if s.guid == guid("segment", journey.id, str(item.n)))
    assert segment.end - segment.start == len(item.utterance.text)  # one for one: offsets hold


def test_a_name_used_twice_gets_its_id(tmp_path):
    """QualCoder merges codes of one name: a custom codebook's stage and role both named "Review"
    stay two codes."""
    from cjm.codebook import load_codebook

    book = tmp_path / "codebook.yaml"
    book.write_text("extends: default\nstages:\n  - id: interested\n    name: {en: Review}\n"
                    "roles:\n  - id: expert\n    name: {en: Review}\n", encoding="utf-8")
    codebook = load_codebook(book)
    names = [c.name for c in build_project([], codebook, lang="en").codes if c.codable]
    assert "Review" in names and "Review (role expert)" in names
    assert len(names) == len({n.casefold() for n in names})


def test_a_label_the_codebook_lacks_still_gets_a_code(run):
    """A model trained with another codebook can give a label this one has not: its segments
    must not point at a code that is not there."""
    from cjm.model import Journey, TaggedUtterance, Transcript, Utterance

    item = TaggedUtterance(Utterance(1, "Anna", "We piloted it."), stages=["piloting"])
    journey = Journey(Transcript(id="x", source="x.txt", language="en", utterances=[item.utterance]), [item])
    project = build_project([journey], run.codebook, lang="en")
    code = next(c for c in project.codes if c.guid == code_guid(STAGE, "piloting"))
    assert code.codable and code.name == "piloting" and "not in the codebook" in code.description
    assert project.segments[0].codes == (code.guid,)
    assert code_guid(STAGE, "unaware") in {c.guid for c in project.codes}  # the codebook's own stay
