"""Fixtures for the document tests: Persona's 2023-01-05-as-of-2025-01 spec (the only one describing the
document writes) for validating answers, and small helpers over the test client."""

import json
from typing import Any

import jsonschema
import pytest
import yaml
from document_support import INQUIRY_FIELDS
from persona_spec import spec_path

SPEC = spec_path("2023-01-05-as-of-2025-01")
CURRENT = spec_path("2025-12-08")


@pytest.fixture(scope="session")
def doc_spec() -> dict[str, Any]:
    with open(SPEC) as f:
        return yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@pytest.fixture(scope="session")
def current_spec() -> dict[str, Any]:
    with open(CURRENT) as f:
        return json.load(f)


def _validator(spec: dict[str, Any]):
    def check(value: Any, schema_name: str) -> None:
        schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
        jsonschema.validate(value, schema, cls=jsonschema.Draft202012Validator)

    return check


@pytest.fixture
def conforms(doc_spec):
    """Assert a value validates against a schema of the document spec (`components/schemas/<name>`)."""
    return _validator(doc_spec)


@pytest.fixture
def conforms_current(current_spec):
    """The same against the default version's spec (2025-12-08), which the verification answers follow."""
    return _validator(current_spec)


@pytest.fixture
def new_inquiry(client, world):
    def make(template: str = "Document", fields: dict[str, Any] | None = None) -> str:
        attributes = {"inquiry-template-id": world.templates[template], "fields": INQUIRY_FIELDS if fields is None else fields}
        made = client.post("/api/v1/inquiries", json={"data": {"attributes": attributes}})
        assert made.status_code == 201, made.text
        return made.json()["data"]["id"]

    return make
