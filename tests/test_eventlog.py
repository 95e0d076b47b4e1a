"""Event logs: pm4py reads the XES and the OCEL 2.0 file back, and the directly-follows graph it
mines is cjm's own transitions; every event has its sequence and a time that says where it is from."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from cjm.aggregate import interviews_table, journey_path, stage_path, transitions_table
from cjm.codebook import load_codebook
from cjm.eventlog import SYNTHETIC_DAY, journey_events, ocel_document, write_ocel, write_xes
from cjm.journey import stage_path as told_path, stage_steps
from cjm.model import Journey, TaggedUtterance, Transcript, Utterance
from cjm.pipeline import analyse

pm4py = pytest.importorskip("pm4py", reason="pm4py reads the event logs back (pip install pm4py)")
pytestmark = pytest.mark.filterwarnings("ignore:Install the optional requirement:UserWarning")  # pm4py's advert

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = Path(__file__).parent / "data" / "transcripts" / "en_handoff_hostile.txt"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("series")
    for path in sorted((ROOT / "interviews").glob("*.txt")) + [HOSTILE]:
        shutil.copy(path, folder / path.name)
    return analyse(folder)


@pytest.fixture(scope="module")
def logs(run, tmp_path_factory):
    folder = tmp_path_factory.mktemp("logs")
    return (write_xes(run.journeys, run.codebook, folder / "journeys.xes"),
            write_ocel(run.journeys, run.codebook, folder / "journeys.jsonocel"))


@pytest.fixture(scope="module")
def expected_dfg(run):
    """Directly-follows counts from cjm's own transitions table (the report's), without the stalls."""
    table = transitions_table(interviews_table(run.journeys, run.codebook), run.codebook)
    steps = {(row.source, row.target): row.steps for row in table.itertuples() if row.kind != "stall"}
    assert steps and any(row.kind == "back" for row in table.itertuples())  # back-steps are in the sample
    return steps


def test_the_expected_graph_is_that_of_the_journeys(run, expected_dfg):
    """The same counts, taken straight from each journey's path up to its first purchase."""
    pairs = Counter()
    for journey in run.journeys:
        path = journey_path(stage_path(journey, run.codebook))
        pairs.update(zip(path, path[1:]))
    assert dict(pairs) == expected_dfg


def test_pm4py_reads_the_xes_and_mines_cjms_transitions(run, logs, expected_dfg):
    log = pm4py.read_xes(str(logs[0]))
    assert set(log["case:concept:name"]) == {j.id for j in run.journeys if journey_events(j, run.codebook)}
    dfg, starts, ends = pm4py.discover_dfg(log)
    assert dict(dfg) == expected_dfg
    first = Counter(journey_path(stage_path(j, run.codebook))[0] for j in run.journeys if j.stage_path)
    assert dict(starts) == dict(first)
    assert sorted(log.groupby("case:concept:name")["sequence"].max()) == \
        sorted(len(journey_events(j, run.codebook)) for j in run.journeys if journey_events(j, run.codebook))


def test_pm4py_reads_the_ocel_and_mines_cjms_transitions(run, logs, expected_dfg):
    ocel = pm4py.read_ocel2_json(str(logs[1]))
    assert set(ocel.objects["ocel:type"]) == {"interview", "person", "role", "channel"}
    assert len(ocel.events) == sum(len(journey_events(j, run.codebook)) for j in run.journeys)
    flat = pm4py.ocel_flattening(ocel, "interview")
    dfg, _, _ = pm4py.discover_dfg(flat)
    assert dict(dfg) == expected_dfg
    relations = ocel.relations
    assert set(relations["ocel:qualifier"]) >= {"case", "told by", "involves"}
    assert len(ocel.objects[ocel.objects["ocel:type"] == "interview"]) == len(run.journeys)  # every interview


def test_events_are_the_stage_steps_in_order_with_increasing_times(run):
    for journey in run.journeys:
        events = journey_events(journey, run.codebook)
        assert [e.stage for e in events] == journey_path(stage_path(journey, run.codebook))
        assert [e.sequence for e in events] == list(range(1, len(events) + 1))
        assert all(a.time < b.time for a, b in zip(events, events[1:]))
        told = {n for _, n in stage_steps([t for t in journey.utterances if not t.utterance.is_interviewer],
                                          run.codebook.ids("stage"))}
        assert {e.utterance for e in events} <= told


def test_stage_steps_give_the_path_and_its_utterances(run):
    journey = next(j for j in run.journeys if j.id == "en-01")
    respondent = [t for t in journey.utterances if not t.utterance.is_interviewer]
    steps = stage_steps(respondent, run.codebook.ids("stage"))
    assert [s for s, _ in steps] == told_path(respondent, run.codebook.ids("stage")) == journey.stage_path
    by_n = {t.n: t for t in respondent}
    assert all(stage in by_n[n].stages for stage, n in steps)


# --------------------------------------------------------------------------- time, on hand-built journeys

def journey(stages: list[list[str]], starts: list[float | None], date: str | None = "2024-05-06") -> Journey:
    """A respondent utterance per entry (interviewer turns between them), with its stages and time."""
    tagged = []
    for index, (labels, start) in enumerate(zip(stages, starts, strict=True)):
        tagged.append(TaggedUtterance(Utterance(2 * index + 1, "Q", "?", is_interviewer=True)))
        tagged.append(TaggedUtterance(Utterance(2 * index + 2, "Anna", f"step {index}", start=start),
                                      stages=list(labels), roles=["expert"] if index == 0 else []))
    transcript = Transcript(id="t", source="t.txt", language="en", utterances=[t.utterance for t in tagged],
                            metadata={"date": date} if date else {})
    ids = load_codebook().ids("stage")
    return Journey(transcript, tagged, stage_path=told_path([t for t in tagged if not t.utterance.is_interviewer], ids))


def test_time_is_the_date_plus_the_recording_time():
    events = journey_events(journey([["unaware"], ["informed", "interested"], ["bought"]], [10.0, 65.5, 600.0]),
                            load_codebook())
    day = dt.datetime(2024, 5, 6, tzinfo=dt.timezone.utc)
    assert [e.stage for e in events] == ["unaware", "informed", "interested", "bought"]
    assert [e.time - day for e in events] == [dt.timedelta(seconds=s) for s in (10, 65.5, 65.501, 600)]
    assert all(e.date_known and e.time_known for e in events)
    assert events[0].roles == ("expert",) and events[1].utterance == events[2].utterance == 4


def test_a_missing_date_or_time_is_synthetic_and_said_so():
    book = load_codebook()
    undated = journey_events(journey([["informed"], ["interested"]], [10.0, 20.0], date=None), book)
    assert [e.time - SYNTHETIC_DAY for e in undated] == [dt.timedelta(seconds=10), dt.timedelta(seconds=20)]
    assert not any(e.date_known for e in undated) and all(e.time_known for e in undated)
    untimed = journey_events(journey([["informed"], ["interested"], ["motivated"]], [10.0, None, 30.0]), book)
    day = dt.datetime(2024, 5, 6, tzinfo=dt.timezone.utc)
    assert [e.time - day for e in untimed] == [dt.timedelta(seconds=s) for s in (1, 2, 3)]  # the sequence
    assert all(e.date_known and not e.time_known for e in untimed)
    backwards = journey_events(journey([["informed"], ["interested"]], [50.0, 20.0]), book)
    assert not any(e.time_known for e in backwards) and backwards[0].time < backwards[1].time


def test_nothing_after_the_first_purchase_is_a_step():
    events = journey_events(journey([["interested"], ["bought"], ["motivated"], ["bought"]], [1.0, 2.0, 3.0, 4.0]),
                            load_codebook())
    assert [e.stage for e in events] == ["interested", "bought"]


def test_untrusted_text_in_the_logs(run, logs):
    xes = logs[0].read_text(encoding="utf-8")
    root = ET.fromstring(xes.encode("utf-8"))  # parses: the markup of the transcript is escaped
    quotes = [e.get("value") for e in root.iter("{http://www.xes-standard.org/}string") if e.get("key") == "quote"]
    hostile = [q for q in quotes if "</PlainTextContent><x>" in q]
    assert hostile and "\x1b" not in hostile[0] and "\ufffd" in hostile[0]
    assert "\x1b" not in xes and "\x07" not in xes
    document = json.loads(logs[1].read_text(encoding="utf-8"))
    assert any(o["id"] == "interview:@hostile <&>" for o in document["objects"])
    assert "\\u001b" not in logs[1].read_text(encoding="utf-8")


def test_ocel_document_names_labels_in_the_language_asked(run):
    document = ocel_document(run.journeys, run.codebook, lang="ru")
    channel = next(o for o in document["objects"] if o["id"] == "channel:referral")
    assert {a["name"]: a["value"] for a in channel["attributes"]}["name"] == run.codebook.name("channel", "referral", "ru")


def test_a_path_set_without_utterances_still_gives_its_steps():
    """A journey whose path came from elsewhere (not the labels of its utterances): the steps are
    the path's, with no utterance, and their time is the sequence."""
    book = load_codebook()
    made = journey([["informed"]], [5.0])
    made.stage_path = ["informed", "interested", "bought"]
    events = journey_events(made, book)
    assert [(e.stage, e.utterance, e.speaker) for e in events] == [
        ("informed", None, None), ("interested", None, None), ("bought", None, None)]
    assert not any(e.time_known for e in events) and events[-1].time.second == 3
