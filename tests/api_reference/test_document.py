"""The OpenAPI document at /api/v1/openapi.json: valid OpenAPI 3.1, every operation openidv serves that Persona's
spec defines described by that spec's own operation object (parameters, request body, responses), the others
tagged as openidv's extensions, the bearer scheme declared for all; and the document and the reference page
answer without an API key. The operation objects are shipped in the package (persona_operations.json), made
from the vendored specs by scripts/api_reference.py: a test fails when the two drift apart."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import OpenAPIV31SpecValidator
from persona_spec import load_spec

from openidv.api_reference import document as reference

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "api_reference.py"
API = "/api/v1"
METHODS = ("get", "put", "post", "patch", "delete")
OLDER = "2023-01-05-as-of-2025-01"


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


@pytest.fixture(scope="module")
def document(app) -> dict:
    with TestClient(app) as anonymous:  # no API key
        answer = anonymous.get(f"{API}/openapi.json")
    assert answer.status_code == 200, answer.text
    return answer.json()


def _served(app) -> set[tuple[str, str]]:
    """(method, path template under /api/v1) of every route openidv serves in its API, from the routes themselves."""
    from fastapi.openapi.utils import get_openapi

    paths = get_openapi(title="t", version="v", routes=app.routes)["paths"]
    return {(method, _template(path.removeprefix(API))) for path, item in paths.items() for method in item}


def _spec_operations(version: str) -> dict[tuple[str, str], tuple[str, dict]]:
    spec = load_spec(version)
    return {(m, _template(p)): (p, item[m]) for p, item in spec["paths"].items() for m in METHODS if m in item}


def test_the_document_is_valid_openapi_3_1(document) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in OpenAPIV31SpecValidator(document).iter_errors()]
    assert errors == []
    assert document["openapi"] == "3.1.0"


def test_the_bearer_scheme_is_declared_for_every_operation(document) -> None:
    assert document["components"]["securitySchemes"] == {"bearerAuth": {"type": "http", "scheme": "bearer", "x-bearer-format": "bearer"}}
    assert document["security"] == [{"bearerAuth": []}]
    assert not [op for item in document["paths"].values() for op in item.values() if "security" in op and op["security"] != [{"bearerAuth": []}]]


def test_every_served_persona_operation_is_the_spec_s_own(app, document) -> None:
    primary, older = _spec_operations("2025-12-08"), _spec_operations(OLDER)
    served = _served(app)
    ours = {(m, _template(p.removeprefix(API))): (p, op) for p, item in document["paths"].items() for m, op in item.items()}
    assert set(ours) == served, "every served operation is in the document, and nothing else"
    from_primary = from_older = 0
    for key in sorted(served):
        path, operation = ours[key]
        if key in primary:  # Persona's path spelling and the very operation object
            spec_path, spec_operation = primary[key]
            from_primary += 1
            assert path == API + spec_path and operation == {**spec_operation, "x-persona-spec": "2025-12-08"}, key
        elif key in older:  # the same, its components under their own names where they differ from 2025-12-08's
            spec_path, spec_operation = older[key]
            from_older += 1
            assert path == API + spec_path, key
            assert json.loads(json.dumps(operation).replace(f"/{OLDER}.", "/")) == {**spec_operation, "x-persona-spec": OLDER}, key
        else:
            assert operation["tags"] == ["openidv extensions"], key
            assert "422" not in operation["responses"] and "400" in operation["responses"], key
    assert from_primary >= 78 and from_older >= 6, (from_primary, from_older)
    # Known by heart: Persona's list of inquiries with its filter and paging parameters; its create with a body.
    listing = document["paths"]["/api/v1/inquiries"]["get"]
    assert listing["operationId"] == "list-all-inquiries"
    names = {p.get("name") or p["$ref"].rsplit("/", 1)[1] for p in listing["parameters"]}
    assert {"filter", "pagination-query-params", "key-inflection-header"} <= names
    assert "requestBody" in document["paths"]["/api/v1/inquiries"]["post"]
    assert "requestBody" in document["paths"]["/api/v1/document/government-ids"]["post"]


def test_every_reference_resolves_and_no_component_is_unused(document) -> None:
    text = json.dumps(document["paths"]) + json.dumps(document["components"])
    refs = set(re.findall(r'"\$ref": "#/components/([^/]+)/([^"]+)"', text))
    for kind, name in refs:
        assert name in document["components"].get(kind, {}), (kind, name)
    declared = {(kind, name) for kind, entries in document["components"].items() if kind != "securitySchemes" for name in entries}
    assert declared == refs


def test_the_document_is_built_once_per_process(app) -> None:
    assert reference.openapi(app) is reference.openapi(app) is app.openapi()


def test_the_shipped_operations_match_the_vendored_specs() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr


def test_the_reference_needs_no_key_and_redoc_links_land_on_it(app) -> None:
    with TestClient(app) as anonymous:
        page = anonymous.get(f"{API}/docs")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "/api/v1/openapi.json" in page.text and "//" not in page.text.replace("http://www.w3.org", "")  # nothing from another host
        for asset in re.findall(r'(?:src|href)="(/api-reference/static/[^"]+)"', page.text) + ["/api-reference/static/swagger-ui/LICENSE.txt"]:
            assert anonymous.get(asset).status_code == 200, asset
        redoc = anonymous.get(f"{API}/redoc", follow_redirects=False)
        assert redoc.status_code == 308 and redoc.headers["location"] == f"{API}/docs"
