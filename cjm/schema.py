"""The JSON Schema of journeys.json, shipped in the package so downstream tools validate against it."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

SCHEMA_FILE = "journeys.schema.json"


def journeys_schema_text() -> str:
    """The schema as shipped (JSON Schema draft 2020-12), byte for byte: what `cjm schema` prints."""
    return (resources.files("cjm") / "data" / SCHEMA_FILE).read_text(encoding="utf-8")


def journeys_schema() -> dict[str, Any]:
    """The schema as a dict, for validators (`jsonschema.validate(document, journeys_schema())`)."""
    return json.loads(journeys_schema_text())
