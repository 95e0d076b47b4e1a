"""Process-mining event logs of the journeys: XES (IEEE 1849) and OCEL 2.0 JSON.

One event per **stage step**: each change of stage along the interview's decoded journey, in the
order told — the same steps as the report's transitions (`journey.stage_path` up to the first
purchase, back-steps kept, repeats collapsed; what follows the purchase is `bought` by the contract
and not a step of the buying journey). So a directly-follows graph mined from the log is the
report's transitions table, step for step. Each event carries an explicit `sequence` index (1, 2, 3
… within the interview), the utterance that made the step, its speaker and the roles and channels
that utterance names.

Time: XES orders events by `time:timestamp`, which every event must have, and so does OCEL. An
event's time is the interview's day (its `date` front matter, midnight UTC) plus the utterance's
time in the recording (plus a millisecond per earlier step of the same utterance, so that no two
steps share a time). Where either is unknown it is synthetic, and said so on every event
(`date_known`, `time_known`): the day becomes 1970-01-01, and when some step's utterance has no
time or the times do not increase, every step of that interview is placed `sequence` seconds after
midnight. Times always increase within an interview; `sequence` is the order to trust.

XES: the interview is the case (trace); the files that could not be read are named in the log's
`skipped` attribute (OCEL 2.0 has no log-level attributes: there the CLI's message says it).
OCEL: the interview, the person telling the step (the respondent speaker), the decision-making-unit
roles the step names (one object per role and interview) and the channels are objects, each event
related to them, each interview to its channel, respondents and roles. Text is untrusted: the XML
library escapes it, and characters XML 1.0 cannot carry are replaced by U+FFFD (`xmltext.xml_safe`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from . import __version__
from .aggregate import iso_date, journey_path, stage_path
from .codebook import Codebook
from .journey import stage_steps
from .model import STAGE, Journey, Problem
from .xmltext import xml_safe

SYNTHETIC_DAY = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
XES_NS = "http://www.xes-standard.org/"
XES_EXTENSIONS = (("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
                  ("Time", "time", "http://www.xes-standard.org/time.xesext"),
                  ("Organizational", "org", "http://www.xes-standard.org/org.xesext"))


@dataclass(frozen=True)
class StageEvent:
    """One step of one journey."""

    interview: str
    sequence: int  # 1-based, within the interview
    stage: str
    utterance: int | None  # None where the path was set without utterances
    speaker: str | None
    time: dt.datetime
    date_known: bool
    time_known: bool
    roles: tuple[str, ...]
    channels: tuple[str, ...]
    text: str


def timestamp(value: dt.datetime) -> str:
    """RFC 3339 in UTC with milliseconds: what XES (xs:dateTime) and OCEL 2.0 both read."""
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def journey_events(journey: Journey, codebook: Codebook) -> list[StageEvent]:
    """The journey's stage steps as events, with their times (see the module's note on time)."""
    respondent = [t for t in journey.utterances if not t.utterance.is_interviewer]
    path = stage_path(journey, codebook)
    steps: list[tuple[str, int | None]] = list(stage_steps(respondent, codebook.ids(STAGE)))
    if [stage for stage, _ in steps] != path:  # a path set some other way: its steps have no utterance
        steps = [(stage, None) for stage in path]
    steps = steps[:len(journey_path(path))]
    by_n = {t.n: t for t in journey.utterances}
    date = iso_date((journey.transcript.metadata or {}).get("date"))
    day = dt.datetime.fromisoformat(date).replace(tzinfo=dt.timezone.utc) if date else SYNTHETIC_DAY
    offsets: list[float | None] = []
    for index, (_, n) in enumerate(steps):
        start = by_n[n].utterance.start if n in by_n else None
        same = sum(1 for _, m in steps[:index] if m == n)  # earlier steps of the same utterance
        offsets.append(None if start is None else start + same / 1000)
    time_known = bool(offsets) and None not in offsets and all(a < b for a, b in zip(offsets, offsets[1:]))
    events = []
    for index, ((stage, n), offset) in enumerate(zip(steps, offsets), start=1):
        item = by_n.get(n)
        seconds = offset if time_known else float(index)
        events.append(StageEvent(
            interview=journey.id, sequence=index, stage=stage, utterance=n,
            speaker=item.utterance.speaker if item else None,
            time=day + dt.timedelta(milliseconds=round(seconds * 1000)), date_known=date is not None,
            time_known=time_known, roles=tuple(item.roles) if item else (), channels=tuple(item.channels) if item else (),
            text=item.utterance.text if item else ""))
    return events


def _case_fields(journey: Journey) -> dict[str, Any]:
    """The interview-level fields both logs carry (None where unknown)."""
    return {"channel": journey.channel, "channel_group": journey.channel_group, "outcome": journey.outcome,
            "furthest_stage": journey.furthest_stage, "first_contact_role": journey.first_contact_role,
            "cycle_days": journey.cycle_days, "language": journey.transcript.language,
            "date": iso_date((journey.transcript.metadata or {}).get("date")), "source": journey.transcript.source}


# --------------------------------------------------------------------------- XES

def _xes_attribute(parent: ET.Element, key: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        tag, text = "boolean", "true" if value else "false"
    elif isinstance(value, int):
        tag, text = "int", str(value)
    elif isinstance(value, float):
        tag, text = "float", repr(value)
    elif isinstance(value, dt.datetime):
        tag, text = "date", timestamp(value)
    else:
        tag, text = "string", xml_safe(value)
    ET.SubElement(parent, f"{{{XES_NS}}}{tag}", {"key": key, "value": text})


def xes_xml(journeys: list[Journey], codebook: Codebook, problems: list[Problem] = ()) -> bytes:
    """The XES document: one trace per interview (an interview with no step is an empty trace);
    the files that could not be read are named in the log's `skipped` attribute."""
    ET.register_namespace("", XES_NS)
    q = lambda tag: f"{{{XES_NS}}}{tag}"  # noqa: E731
    root = ET.Element(q("log"), {"xes.version": "1849-2016", "xes.features": "nested-attributes"})
    for name, prefix, uri in XES_EXTENSIONS:
        ET.SubElement(root, q("extension"), {"name": name, "prefix": prefix, "uri": uri})
    for scope, keys in (("trace", (("string", "concept:name", "__INVALID__"),)),
                        ("event", (("string", "concept:name", "__INVALID__"),
                                   ("date", "time:timestamp", timestamp(SYNTHETIC_DAY)),
                                   ("int", "sequence", "0")))):
        element = ET.SubElement(root, q("global"), {"scope": scope})
        for tag, key, value in keys:
            ET.SubElement(element, q(tag), {"key": key, "value": value})
    ET.SubElement(root, q("classifier"), {"name": "Stage", "keys": "concept:name"})
    _xes_attribute(root, "concept:name", "cjm journeys")
    _xes_attribute(root, "source", f"cjm {__version__}")
    _xes_attribute(root, "skipped", "\n".join(str(p) for p in problems) or None)
    for journey in sorted(journeys, key=lambda j: j.id):
        events = journey_events(journey, codebook)
        trace = ET.SubElement(root, q("trace"))
        _xes_attribute(trace, "concept:name", journey.id)
        for key, value in _case_fields(journey).items():
            _xes_attribute(trace, key, value)
        _xes_attribute(trace, "steps", len(events))
        for event in events:
            element = ET.SubElement(trace, q("event"))
            _xes_attribute(element, "concept:name", event.stage)
            _xes_attribute(element, "time:timestamp", event.time)
            _xes_attribute(element, "sequence", event.sequence)
            _xes_attribute(element, "utterance", event.utterance)
            _xes_attribute(element, "org:resource", event.speaker)
            _xes_attribute(element, "roles", ", ".join(event.roles) or None)
            _xes_attribute(element, "channels", ", ".join(event.channels) or None)
            _xes_attribute(element, "date_known", event.date_known)
            _xes_attribute(element, "time_known", event.time_known)
            _xes_attribute(element, "quote", event.text or None)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def write_xes(journeys: list[Journey], codebook: Codebook, path: str | Path, problems: list[Problem] = ()) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(xes_xml(journeys, codebook, problems))
    return path


# --------------------------------------------------------------------------- OCEL 2.0

OCEL_INITIAL = "1970-01-01T00:00:00Z"  # OCEL 2.0's time of an attribute value that never changed
OBJECT_TYPES = {
    "interview": {"channel": "string", "channel_group": "string", "outcome": "string", "furthest_stage": "string",
                  "first_contact_role": "string", "cycle_days": "integer", "language": "string", "date": "string",
                  "source": "string"},
    "person": {"name": "string", "interview": "string"},
    "role": {"role": "string", "name": "string", "interview": "string"},
    "channel": {"name": "string", "group": "string"},
}
EVENT_ATTRIBUTES = {"sequence": "integer", "utterance": "integer", "date_known": "boolean", "time_known": "boolean",
                    "quote": "string"}


def _ocel_object(ident: str, kind: str, values: dict[str, Any],
                 relationships: list[tuple[str, str]] = ()) -> dict[str, Any]:
    return {"id": ident, "type": kind,
            "attributes": [{"name": k, "time": OCEL_INITIAL, "value": v}
                           for k, v in values.items() if v is not None],
            "relationships": [{"objectId": target, "qualifier": qualifier} for target, qualifier in relationships]}


def ocel_document(journeys: list[Journey], codebook: Codebook, *, lang: str = "en") -> dict[str, Any]:
    """The OCEL 2.0 JSON document: events (stage steps) and the objects they relate to."""
    journeys = sorted(journeys, key=lambda j: j.id)
    objects: dict[str, dict[str, Any]] = {}
    events: list[dict[str, Any]] = []
    stages: list[str] = list(codebook.ids(STAGE))
    for index, journey in enumerate(journeys):
        interview = f"interview:{journey.id}"
        persons: dict[str, str] = {}
        for item in journey.utterances:  # every respondent speaker, in order of appearance
            if not item.utterance.is_interviewer and item.utterance.speaker not in persons:
                persons[item.utterance.speaker] = f"person:{index}.{len(persons) + 1}"
        roles = {role: f"role:{index}:{role}" for role in
                 dict.fromkeys(list(journey.roles) + [r for t in journey.utterances for r in t.roles])}
        channels = list(dict.fromkeys(([journey.channel] if journey.channel else []) +
                                      [c for t in journey.utterances for c in t.channels]))
        for channel in channels:
            label = codebook.get("channel", channel)
            objects.setdefault(f"channel:{channel}", _ocel_object(
                f"channel:{channel}", "channel", {"name": label.name(lang) if label else channel,
                                                  "group": codebook.group_of(channel)}))
        for speaker, ident in persons.items():
            objects[ident] = _ocel_object(ident, "person", {"name": speaker, "interview": journey.id})
        for role, ident in roles.items():
            objects[ident] = _ocel_object(ident, "role", {"role": role, "name": codebook.name("role", role, lang),
                                                          "interview": journey.id})
        links = ([(f"channel:{journey.channel}", "came through")] if journey.channel else []) + \
            [(ident, "respondent") for ident in persons.values()] + \
            [(ident, "decision-making unit") for ident in roles.values()]
        objects[interview] = _ocel_object(interview, "interview", _case_fields(journey), links)
        for event in journey_events(journey, codebook):
            if event.stage not in stages:
                stages.append(event.stage)
            related = [(interview, "case")] + \
                ([(persons[event.speaker], "told by")] if event.speaker in persons else []) + \
                [(roles[r], "involves") for r in event.roles if r in roles] + \
                [(f"channel:{c}", "via") for c in event.channels]
            values = {"sequence": event.sequence, "utterance": event.utterance, "date_known": event.date_known,
                      "time_known": event.time_known, "quote": event.text or None}
            events.append({"id": f"event:{journey.id}:{event.sequence}", "type": event.stage,
                           "time": timestamp(event.time),
                           "attributes": [{"name": k, "value": v} for k, v in values.items() if v is not None],
                           "relationships": [{"objectId": o, "qualifier": q} for o, q in related]})
    return _clean({
        "objectTypes": [{"name": kind, "attributes": [{"name": k, "type": t} for k, t in attributes.items()]}
                        for kind, attributes in OBJECT_TYPES.items()],
        "eventTypes": [{"name": stage, "attributes": [{"name": k, "type": t} for k, t in EVENT_ATTRIBUTES.items()]}
                       for stage in stages],
        "objects": list(objects.values()),
        "events": events,
    })


def _clean(value: Any) -> Any:
    """Every string of the document XML-safe too: no control characters, no lone surrogates (which
    could not even be written as UTF-8; a file name can carry one)."""
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def write_ocel(journeys: list[Journey], codebook: Codebook, path: str | Path, *, lang: str = "en") -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(ocel_document(journeys, codebook, lang=lang), ensure_ascii=False, indent=1) + "\n",
                    encoding="utf-8")
    return path
