"""openidv's OpenAPI document (/api/v1/openapi.json), built once per process from what the app serves.

Each operation openidv serves that Persona's spec defines is Persona's own operation object (parameters,
request body, responses), from `persona_operations.json` (written by scripts/api_reference.py from the vendored
specs), under Persona's path spelling; the components those reference come along. Each operation Persona's spec
lacks is openidv's own, from FastAPI's schema, tagged "openidv extensions". API keys are bearer tokens: the
scheme is declared for the whole document, so Swagger UI's "Authorize" sends `Authorization: Bearer <key>`.
"""

import copy
import json
import re
from importlib import resources
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

API = "/api/v1"
SCHEME = "bearerAuth"
EXTENSIONS = "openidv extensions"
EXTENSIONS_TAG = {
    "name": EXTENSIONS,
    "description": "Operations of openidv that Persona's API does not have (README: openidv's extensions). "
                   "Their parameters and bodies are described in the README; they take the same API key.",
}
REF = "#/components/"
PARAMETER = re.compile(r"\{([^}]+)\}")
DESCRIPTION = """Persona-compatible identity verification API.

Operations that Persona's API defines are described by Persona's own published OpenAPI specification
(version 2025-12-08, Apache-2.0; the document writes by its 2023-01-05 version as of January 2025): the same
parameters, request bodies and responses. Operations tagged *openidv extensions* are openidv's own.

Every operation takes an API key as a bearer token (`Authorization: Bearer <key>`): create one with
`openidv api-key create --environment sandbox`, then use **Authorize** to try operations from this page."""


def openapi(app: FastAPI) -> dict[str, Any]:
    """The app's document, built on first use and kept on the app (FastAPI's own cache, `openapi_schema`)."""
    if app.openapi_schema is None:
        app.openapi_schema = build(app)
    return app.openapi_schema


def persona_operations() -> dict[str, Any]:
    """The shipped operation objects of Persona's spec: {"tags", "paths", "components"}."""
    text = resources.files("openidv.api_reference").joinpath("persona_operations.json").read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def template(path: str) -> str:
    """A path with its parameters' names left out: `/inquiries/{}` for `/inquiries/{inquiry-id}` and `/inquiries/{inquiry_id}`."""
    return PARAMETER.sub("{}", path)


def references(value: Any) -> set[str]:
    """The components `value` references, as `<kind>/<name>` (`schemas/inquiry`)."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith(REF):
                found.add(ref.removeprefix(REF))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _extension(operation: dict[str, Any], spelling: str, own_path: str, responses: dict[str, Any]) -> dict[str, Any]:
    """FastAPI's operation, tagged as an extension, with Persona's error answers instead of FastAPI's 422
    (openidv answers a malformed request 400), and its path parameters named as `spelling` names them."""
    operation = copy.deepcopy(operation)
    operation["tags"] = [EXTENSIONS]
    answers = {code: answer for code, answer in operation.get("responses", {}).items() if code != "422"}
    for code, name in (("400", "bad-request"), ("401", "unauthorized"), ("403", "forbidden"), ("404", "not-found")):
        if name in responses:
            answers.setdefault(code, {"$ref": f"{REF}responses/{name}"})
    operation["responses"] = answers
    renamed = dict(zip(PARAMETER.findall(own_path), PARAMETER.findall(spelling), strict=True))
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" and parameter.get("name") in renamed:
            parameter["name"] = renamed[parameter["name"]]
    return operation


def build(app: FastAPI) -> dict[str, Any]:
    own = get_openapi(title=app.title, version=app.version, routes=app.routes)
    persona = persona_operations()
    spec = {(method, template(path)): path for path, item in persona["paths"].items() for method in item}
    served = [(path, method, operation) for path, item in own.get("paths", {}).items() for method, operation in item.items()]

    # One spelling per path template: Persona's where it defines any of the template's operations.
    spelling: dict[str, str] = {}
    for path, method, _ in served:
        tail = path.removeprefix(API)
        if (method, template(tail)) in spec:
            spelling.setdefault(template(tail), API + spec[(method, template(tail))])
    paths: dict[str, dict[str, Any]] = {}
    for path, method, operation in served:
        tail = path.removeprefix(API)
        where = spelling.get(template(tail), path)
        if (method, template(tail)) in spec:
            paths.setdefault(where, {})[method] = persona["paths"][spec[(method, template(tail))]][method]
        else:
            paths.setdefault(where, {})[method] = _extension(operation, where, path, persona["components"].get("responses", {}))

    available: dict[str, dict[str, Any]] = copy.deepcopy(own.get("components", {}))
    for kind, entries in persona["components"].items():
        for name, value in entries.items():
            if name in available.setdefault(kind, {}) and available[kind][name] != value:
                raise ValueError(f"components/{kind}/{name} is both FastAPI's and Persona's")
            available[kind][name] = value
    components: dict[str, dict[str, Any]] = {"securitySchemes": {SCHEME: available["securitySchemes"][SCHEME]}}
    todo, seen = references(paths), set()
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        kind, name = key.split("/", 1)
        components.setdefault(kind, {})[name] = available[kind][name]
        todo |= references(available[kind][name]) - seen

    used = {tag for item in paths.values() for operation in item.values() for tag in operation.get("tags", [])}
    tags = [tag for tag in persona["tags"] if tag["name"] in used] + ([EXTENSIONS_TAG] if EXTENSIONS in used else [])
    return {
        "openapi": "3.1.0",
        "info": {"title": app.title, "version": app.version, "description": DESCRIPTION,
                 "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}},
        "paths": paths,
        "components": {kind: dict(sorted(entries.items())) for kind, entries in sorted(components.items())},
        "security": [{SCHEME: []}],
        "tags": tags,
    }
