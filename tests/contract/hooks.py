"""Schemathesis hooks for the Persona conformance run (loaded through SCHEMATHESIS_HOOKS).

The spec cannot know our ids, so most generated cases get real objects: ids from the pool that
test_schemathesis.py seeded on the live server (CONTRACT_POOL, a JSON file {name: [ids]}), or, for
operations that move an object to a final state, a fresh object made for the call through the API.
Some cases keep schemathesis' own values, so 404 answers are checked too.

Two request features are pinned because Persona itself answers outside its own schemas there
(README, "Conformance"): `Key-Inflection` other than kebab (the schemas are written in kebab case)
and `fields[...]` sparse fieldsets (they drop attributes the schemas mark as required).
"""

import json
import os
import random
import uuid
from typing import Any

import httpx
import schemathesis

POOL: dict[str, list[str]] = json.loads(open(os.environ["CONTRACT_POOL"]).read())
VERSION = os.environ["CONTRACT_PERSONA_VERSION"]
API = httpx.Client(base_url=os.environ["CONTRACT_URL"], headers={"Authorization": f"Bearer {os.environ['CONTRACT_KEY']}"}, timeout=30)
RANDOM = random.Random(int(os.environ.get("CONTRACT_SEED", "1")))
REAL_ID_SHARE = 0.85
# The Unicode run (CONTRACT_UNICODE=1): strings a client may send by mistake or on purpose. A lone surrogate
# and a non-character only in JSON bodies (a URL cannot carry a lone surrogate); NUL, bidi overrides,
# combining marks, astral emoji, a BOM, Arabic-Indic digits and a very long string everywhere.
UNICODE = os.environ.get("CONTRACT_UNICODE") == "1"
UNICODE_ANYWHERE = ["a\x00b", "\u202eevil\u202c", "e\u0301\u0301", "\U0001f600\u200d\U0001f469", "\ufeffbom", "\u0660\u0661\u0662\u0663",
                    "\u0000", "x" * 5000, "\u00e9t\u00e9", "%00%ff", "\u2028line"]
UNICODE_IN_BODIES = UNICODE_ANYWHERE + ["\ud800", "lone \udfff tail", "\uffff", "\U0010ffff"]
TEMPLATE_KEYS = ("inquiry-template-id", "inquiry-template-version-id", "template-id")
INCLUDES = {
    "inquiries": ["account", "inquiry-template", "sessions", "verifications", "reports", "documents", "selfies", ""],
    "accounts": ["account-type", ""],
    "inquiry-sessions": ["inquiry", ""],
    "cases": ["case-template", "case-comments", "inquiries", "accounts", ""],
}
# Operations that end their object's life (or need one in a given state) get a fresh one half the time.
FRESH = {
    ("DELETE", "/inquiries/{inquiry-id}"): [],
    ("POST", "/inquiries/{inquiry-id}/approve"): [],
    ("POST", "/inquiries/{inquiry-id}/decline"): [],
    ("POST", "/inquiries/{inquiry-id}/mark-for-review"): [],
    ("POST", "/inquiries/{inquiry-id}/expire"): [],
    ("POST", "/inquiries/{inquiry-id}/resume"): ["expire"],
    ("POST", "/inquiries/{inquiry-id}/perform-simulate-actions"): [],
    ("POST", "/inquiries/{inquiry-id}/generate-one-time-link"): [],
}


def _pick(name: str) -> str | None:
    ids = POOL.get(name)
    return RANDOM.choice(ids) if ids else None


def _post(path: str, body: dict) -> dict:
    try:
        answer = API.post(path, json=body)
    except httpx.RemoteProtocolError:  # a kept-alive connection the server closed meanwhile (busy machine): once more, on a new one
        answer = API.post(path, json=body)
    assert answer.status_code in (200, 201), (path, answer.status_code, answer.text)
    return answer.json()["data"]


def fresh_inquiry(actions: list[str]) -> str:
    attributes = {"inquiry-template-id": _pick("inquiry-template-id"), "reference-id": f"c-{uuid.uuid4().hex[:8]}"}
    inquiry_id = _post("/inquiries", {"data": {"attributes": attributes}})["id"]
    for action in actions:
        _post(f"/inquiries/{inquiry_id}/{action}", {})
    return inquiry_id


def fresh_account() -> str:
    return _post("/accounts", {"data": {"attributes": {"reference-id": f"c-{uuid.uuid4().hex}", "name-first": "Ada"}}})["id"]


def fresh_case() -> str:
    body = {"data": {"attributes": {"case-template-id": _pick("case-template-id")}}, "meta": {"object-ids": [_pick("inquiry-id")]}}
    return _post("/cases", body)["id"]


def fresh_session() -> str:
    return _post("/inquiry-sessions", {"data": {"attributes": {"inquiry-id": fresh_inquiry([])}}})["id"]


def _real_path_ids(case) -> None:
    method, path = case.method.upper(), case.operation.path
    for name in list(case.path_parameters or {}):
        if RANDOM.random() >= REAL_ID_SHARE:
            continue  # keep schemathesis' value: exercises 404
        fresh = RANDOM.random() < 0.5
        if name == "inquiry-id" and (method, path) in FRESH and fresh:
            case.path_parameters[name] = fresh_inquiry(FRESH[(method, path)])
        elif name == "account-id" and method == "DELETE":
            case.path_parameters[name] = fresh_account()
        elif name == "case-id" and method == "DELETE":
            case.path_parameters[name] = fresh_case()
        elif name == "inquiry-session-id" and method == "POST" and fresh:
            case.path_parameters[name] = fresh_session()
        else:
            case.path_parameters[name] = _pick(name) or case.path_parameters[name]


def _fix_ids(value: Any) -> Any:
    """Ids named in bodies and filters point at real objects most of the time."""
    if isinstance(value, dict):
        present = [key for key in TEMPLATE_KEYS if key in value]
        for extra in present[1:]:  # an inquiry is created from exactly one template reference
            del value[extra]
        for key, item in list(value.items()):
            name = key[7:-1] if key.startswith("filter[") and key.endswith("]") else key  # query keys may come flat
            if name in ("inquiry-template-id", "inquiry-template-version-id", "account-id", "inquiry-id") and isinstance(item, str):
                if RANDOM.random() < REAL_ID_SHARE:
                    value[key] = _pick(name) or item
            elif name in ("case-template-id", "user-email-address", "workflow-id") and isinstance(item, str) and RANDOM.random() < REAL_ID_SHARE:
                value[key] = _pick(name) or item
            elif key == "object-ids" and isinstance(item, list) and RANDOM.random() < REAL_ID_SHARE:
                value[key] = [_pick(RANDOM.choice(("inquiry-id", "account-id"))) for _ in range(min(len(item), 3) or 1)]
            elif key == "source-account-ids" and isinstance(item, list) and RANDOM.random() < REAL_ID_SHARE:
                value[key] = [fresh_account() for _ in range(min(len(item), 2) or 1)]
            elif key == "reference-id" and item == "" and RANDOM.random() < 0.7:
                value[key] = f"c-{uuid.uuid4().hex}"  # the spec's example repeats one reference id
            else:
                _fix_ids(item)
    elif isinstance(value, list):
        for item in value:
            _fix_ids(item)
    return value


def _edge_strings(value: Any, edges: list[str]) -> Any:
    """Most string leaves (and some keys' values in lists) replaced by Unicode edge cases."""
    if isinstance(value, dict):
        return {key: _edge_strings(item, edges) for key, item in value.items()}
    if isinstance(value, list):
        return [_edge_strings(item, edges) for item in value]
    if isinstance(value, str) and RANDOM.random() < 0.7:
        return RANDOM.choice(edges)
    return value


@schemathesis.hook
def before_call(ctx, case, **kwargs) -> None:
    if UNICODE:
        _real_path_ids(case)
        if case.path_parameters and RANDOM.random() < 0.3:
            case.path_parameters = _edge_strings(case.path_parameters, UNICODE_ANYWHERE)
        if case.query:
            case.query = _edge_strings({k: v for k, v in case.query.items() if k != "fields" and not k.startswith("fields[")}, UNICODE_ANYWHERE)
        if isinstance(case.body, (dict, list)):
            # Sent as JSON text with \\u escapes: a lone surrogate has no UTF-8 form, only its escape.
            case.body = json.dumps(_edge_strings(_fix_ids(case.body), UNICODE_IN_BODIES)).encode()
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in ("key-inflection", "persona-version")}
        headers["Persona-Version"] = VERSION
        case.headers = headers
        return
    _real_path_ids(case)
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in ("key-inflection", "persona-version")}
    headers["Persona-Version"] = VERSION
    case.headers = headers
    if case.query:
        query = {k: v for k, v in case.query.items() if k != "fields" and not k.startswith("fields[")}
        if "include" in query and RANDOM.random() < 0.5:
            query["include"] = RANDOM.choice(INCLUDES.get(case.operation.path.split("/")[1], [""]))
        nested = query.get("filter") if isinstance(query.get("filter"), dict) else query
        if any(k in nested for k in ("note", "filter[note]")) and len(nested) > 1 and RANDOM.random() < 0.7:
            nested.pop("note", None), nested.pop("filter[note]", None)  # `note` must be alone; reach the others too
        case.query = _fix_ids(query)
    if isinstance(case.body, (dict, list)):
        _fix_ids(case.body)
    meta = case.body.get("meta") if isinstance(case.body, dict) else None
    if case.operation.path.endswith("/trigger") and RANDOM.random() < 0.5:
        case.body = {"data": {"attributes": {"fields": RANDOM.choice(({}, {"inquiry-id": _pick("inquiry-id")}))}}}  # the version's fields: a run
    if case.operation.path.endswith("/set-status") and isinstance(meta, dict) and RANDOM.random() < 0.5:
        meta["status"] = RANDOM.choice(("Open", "Pending", "Approved", "Declined", "open", "approved"))  # reach the moves, not only 422
