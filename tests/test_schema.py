"""The JSON Schema of journeys.json: a real run on the sample series satisfies it, broken documents
do not, the contract's own example does, `cjm schema` prints it, and the format page covers it."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cjm.cli import cli
from cjm.export import journeys_document
from cjm.pipeline import analyse
from cjm.schema import journeys_schema, journeys_schema_text

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema validates journeys.json (pip install jsonschema)")

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = Path(__file__).resolve().parents[2] / "shared" / "contract" / "README.md"
DATA = Path(__file__).parent / "data" / "transcripts"


@pytest.fixture(scope="module")
def validator():
    schema = journeys_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def document():
    result = analyse(ROOT / "interviews")
    return json.loads(json.dumps(journeys_document(result.journeys, result.problems), ensure_ascii=False))


def errors(validator, document) -> list[str]:
    return [error.message for error in validator.iter_errors(document)]


def test_a_real_run_satisfies_the_schema(validator, document):
    assert len(document["interviews"]) == 12
    assert document["interviews"][0]["confidence"] and document["interviews"][0]["utterances"][1]["probabilities"]
    assert errors(validator, document) == []


def test_a_rules_only_run_and_skipped_files_satisfy_it(validator, tmp_path):
    (tmp_path / "good.txt").write_text((DATA / "en_questions.txt").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "broken.txt").write_text((DATA / "broken_front_matter.txt").read_text(encoding="utf-8"),
                                         encoding="utf-8")
    result = analyse(tmp_path, rules_only=True)
    document = json.loads(json.dumps(journeys_document(result.journeys, result.problems)))
    assert document["skipped"] and document["interviews"][0]["confidence"] == {}
    assert errors(validator, document) == []


def _break(document: dict, change) -> dict:
    broken = copy.deepcopy(document)
    change(broken)
    return broken


BREAKS = {
    "no interviews": lambda d: d.pop("interviews"),
    "another version": lambda d: d.update(version=2),
    "cycle days as text": lambda d: d["interviews"][0].update(cycle_days="three months"),
    "roles not a list": lambda d: d["interviews"][0].update(roles="big_boss"),
    "unknown channel source": lambda d: d["interviews"][0].update(channel_source="crm"),
    "unknown outcome": lambda d: d["interviews"][0].update(outcome="won"),
    "reviewed as text": lambda d: d["interviews"][0]["utterances"][1].update(reviewed="yes"),
    "a negative review count": lambda d: d["interviews"][0].update(review={"utterances_reviewed": -1}),
    "unknown language": lambda d: d["interviews"][0].update(language="de"),
    "no furthest stage": lambda d: d["interviews"][0].pop("furthest_stage"),
    "utterance numbered 0": lambda d: d["interviews"][0]["utterances"][0].update(n=0),
    "a stage that is a number": lambda d: d["interviews"][0]["utterances"][1].update(stages=[5]),
    "utterance without text": lambda d: d["interviews"][0]["utterances"][1].pop("text"),
    "probability above one": lambda d: d["interviews"][0]["utterances"][1]["probabilities"]["stage"].update(none=1.5),
    "confidence as text": lambda d: d["interviews"][0]["confidence"].update(channel="high"),
    "mention of an unknown kind": lambda d: d["interviews"][0]["utterances"].__setitem__(0, {
        **d["interviews"][0]["utterances"][0],
        "mentions": [{"kind": "mood", "label": "x", "start": 0, "end": 1, "text": "x"}]}),
    "skipped without a message": lambda d: d.update(skipped=[{"source": "a.pdf"}]),
    "qualification as text": lambda d: d["interviews"][0].update(qualification="hot"),
    "a BANT signal numbered 0": lambda d: d["interviews"][0]["qualification"]["bant"].update(
        budget={"label": "budget", "n": 0}),
    "a temperature that is a number": lambda d: d["interviews"][0]["qualification"].update(temperature=3),
}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_a_broken_document_fails(validator, document, name):
    assert errors(validator, _break(document, BREAKS[name])), name


def test_extra_fields_are_allowed(validator, document):
    """The contract welcomes extensions: a field cjm does not know yet is no error."""
    extended = _break(document, lambda d: d["interviews"][0]["utterances"][1].update(said_with_a_smile=True))
    assert errors(validator, extended) == []


def test_the_contracts_own_example_satisfies_it(validator):
    if not CONTRACT.exists():
        pytest.skip(f"the journey contract is not beside the repository ({CONTRACT} is absent)")
    text = CONTRACT.read_text(encoding="utf-8")
    example = re.search(r"```json\n(.*?)```", text[text.index("## 3."):], re.S).group(1)
    assert errors(validator, json.loads(example)) == []


def test_cjm_schema_prints_it():
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0
    assert result.output == journeys_schema_text()
    assert json.loads(result.output)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_format_page_describes_every_field():
    page = (ROOT / "docs" / "journeys-format.md").read_text(encoding="utf-8")
    schema = journeys_schema()
    names = set(schema["properties"])
    for definition in schema["$defs"].values():
        names |= set(definition.get("properties", {}))
    missing = sorted(name for name in names if f"`{name}`" not in page)
    assert missing == []
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/journeys-format.md" in readme and "../shared/contract" not in readme


def test_the_format_pages_example_satisfies_it(validator):
    page = (ROOT / "docs" / "journeys-format.md").read_text(encoding="utf-8")
    example = json.loads(re.search(r"## An example.*?```json\n(.*?)```", page, re.S).group(1))
    assert errors(validator, example) == []
    assert errors(validator, _break(example, BREAKS["cycle days as text"]))
