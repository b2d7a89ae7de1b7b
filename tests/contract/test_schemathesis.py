"""Persona conformance: schemathesis runs Persona's own OpenAPI spec against a real `openidv serve`.

The server is a subprocess on a free 127.0.0.1 port with its own data folder, seeded through the API
with objects in many states; hooks.py hands their ids to the generated cases. Both API versions run
against the same server: 2025-12-08 (the default) and 2023-01-05 (`Persona-Version` header).
`CONTRACT_EXAMPLES` sets the examples per operation (`make contract`: 100, `make test`: 25).
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from persona_spec import spec_path

pytestmark = pytest.mark.contract

BIN = Path(sys.executable).parent
HOOKS = Path(__file__).with_name("hooks.py")
EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "25"))

# The operations of Persona's spec that openidv implements (README, "Implemented operations").
OPERATIONS = [
    "list-all-inquiries", "search-inquiries", "create-an-inquiry", "retrieve-an-inquiry", "update-an-inquiry", "redact-an-inquiry",
    "approve-an-inquiry", "decline-an-inquiry", "mark-an-inquiry-for-review", "expire-an-inquiry", "resume-an-inquiry",
    "generate-a-one-time-link", "inquiries-add-tag", "inquiries-remove-tag", "inquiries-set-all-tags",
    "inquiries-perform-simulate-actions", "print-an-inquiry-pdf",
    "list-all-accounts", "search-accounts", "create-an-account", "retrieve-an-account", "update-an-account", "redact-an-account",
    "accounts-add-tag", "accounts-remove-tag", "accounts-set-all-tags", "consolidate-into-an-account",
    "list-all-inquiry-sessions", "create-an-inquiry-session", "expire-inquiry-sessions", "retrieve-an-inquiry-session",
    "expire-an-inquiry-session", "generate-a-one-time-link-for-an-inquiry-session",
    "list-all-inquiry-templates", "retrieve-an-inquiry-template", "list-all-inquiry-template-versions",
    "list-all-events", "retrieve-an-event",
    "retrieve-a-verification", "redact-a-verification",
    "list-all-api-keys", "create-an-api-key", "retrieve-an-api-key", "update-an-api-key", "expire-an-api-key", "clone-api-key",
    "list-all-api-logs", "retrieve-an-api-log",
    "list-all-user-audit-logs", "retrieve-a-user-audit-log",
    "list-all-cases", "search-cases", "create-a-case", "retrieve-case", "update-a-case", "redact-a-case", "add-persona-objects",
    "remove-persona-objects", "assign-a-case", "set-status-for-a-case", "add-tag", "remove-tag", "set-tags", "retrieve-a-case-template",
    "create-a-workflow-run", "list-all-workflow-runs", "retrieve-a-workflow-run", "list-all-workflow-versions",
]
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cli(data_dir: Path, *args: str) -> dict:
    out = subprocess.run([str(BIN / "openidv"), *args, "--data-dir", str(data_dir), "--json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


@dataclass
class Live:
    url: str
    key: str
    templates: list[dict]
    admin: dict[str, str]
    case_templates: list[dict]


def _dashboard_notes(url: str, admin: dict[str, str], inquiry_ids: list[str]) -> None:
    """Dashboard actions, so that the user audit log has rows: the admin signs in and changes notes."""
    csrf = re.compile(r'name="csrf" value="([^"]+)"')
    with httpx.Client(base_url=url, timeout=30) as browser:
        token = csrf.search(browser.get("/dashboard").text)
        assert token, "no sign-in form"
        answer = browser.post("/dashboard/sign-in", data={"csrf": token.group(1), **admin})
        assert answer.status_code == 303, answer.text
        for inquiry_id in inquiry_ids:
            token = csrf.search(browser.get(f"/dashboard/inquiries/{inquiry_id}").text)
            assert token, "no action form"
            answer = browser.post(f"/dashboard/inquiries/{inquiry_id}/note", data={"csrf": token.group(1), "note": "seen in the dashboard"})
            assert answer.status_code == 303, answer.text


def _seed(api: httpx.Client, live: Live) -> dict[str, list[str]]:
    """Objects in many states, so that generated calls reach real ones."""
    pool: dict[str, list[str]] = {name: [] for name in ("inquiry-id", "account-id", "inquiry-session-id", "event-id", "inquiry-template-id", "verification-id")}
    templates = live.templates
    pool["inquiry-template-id"] = [t["id"] for t in templates]
    pool["inquiry-template-version-id"] = [t["version-id"] for t in templates]
    run = uuid.uuid4().hex[:8]

    def post(path: str, body: dict | None = None) -> dict:
        answer = api.post(path, json=body or {})
        assert answer.status_code in (200, 201, 202), (path, answer.status_code, answer.text)
        return answer.json()

    for n in range(8):
        fields = {"name-first": {"type": "string", "value": "Ada"}}
        account = post("/accounts", {"data": {"attributes": {"reference-id": f"user-{run}-{n}", "fields": fields, "tags": ["vip"]}}})
        pool["account-id"].append(account["data"]["id"])

    version_id = templates[0]["version-id"]
    steps = api.get(f"/inquiry-template-versions/{version_id}").json()["meta"]["configuration"]["steps"]
    for n in range(12):
        attributes = {"inquiry-template-id": templates[n % len(templates)]["id"], "reference-id": f"user-{run}-{n % 8}", "note": f"seed {n}",
                      "fields": {"name-first": "Ada", "name-last": "Lovelace", "birthdate": "1990-12-10", "email-address": "ada@example.com"}}
        if n % 2:
            attributes["account-id"] = pool["account-id"][n % 8]
        created = post("/inquiries", {"data": {"attributes": attributes}, "meta": {"auto-create-inquiry-session": n % 3 == 0}})
        inquiry_id = created["data"]["id"]
        pool["inquiry-id"].append(inquiry_id)
        if n % 2 == 0:
            post("/inquiry-sessions", {"data": {"attributes": {"inquiry-id": inquiry_id}}})
        if n % 12 == 1:
            post(f"/inquiries/{inquiry_id}/add-tag", {"meta": {"tag-name": "seeded"}})
        if templates[n % len(templates)]["id"] == templates[0]["id"]:
            actions = [{"type": "create_passed_verification", "data": {"verification-template-id": steps[0]["id"]}}]
            if n % 4 == 0:
                actions.append({"type": "create_passed_verification", "data": {"verification-template-id": steps[-1]["id"]}})
            post(f"/inquiries/{inquiry_id}/perform-simulate-actions", {"meta": {"simulate-actions": actions}})
        action = {3: "approve", 4: "decline", 5: "mark-for-review", 7: "expire"}.get(n % 9)
        if action:
            api.post(f"/inquiries/{inquiry_id}/{action}", json={})
    for inquiry_id in pool["inquiry-id"]:
        document = api.get(f"/inquiries/{inquiry_id}").json()
        relationships = document["data"]["relationships"]
        pool["inquiry-session-id"] += [s["id"] for s in relationships["sessions"]["data"]]
        pool["verification-id"] += [v["id"] for v in relationships["verifications"]["data"]]
    pool["event-id"] = [e["id"] for e in api.get("/events", params={"page[size]": 100}).json()["data"]]
    # Keys of their own for the API key operations (expire and update must not reach the run's own key).
    pool["api-key-id"] = [post("/api-keys", {"data": {"attributes": {"name": f"contract-{n}", "permissions": ["inquiry.read"]}}})["data"]["id"]
                          for n in range(4)]
    pool["api-log-id"] = [entry["id"] for entry in api.get("/api-logs", params={"page[size]": 100}).json()["data"]]
    _dashboard_notes(live.url, live.admin, pool["inquiry-id"][:3])
    pool["user-audit-log-id"] = [entry["id"] for entry in api.get("/user-audit-logs", params={"page[size]": 100}).json()["data"]]
    _seed_cases(api, live, pool)
    _seed_workflows(api, pool)
    assert all(pool.values()), {k: len(v) for k, v in pool.items()}
    return pool


def _seed_cases(api: httpx.Client, live: Live, pool: dict[str, list[str]]) -> None:
    """Cases holding the seeded inquiries and accounts, some assigned (to the admin), pending or resolved."""
    pool["case-template-id"] = [t["id"] for t in live.case_templates]
    pool["user-email-address"] = [live.admin["email"]]
    pool["case-id"] = []
    for n in range(6):
        body = {"data": {"attributes": {"case-template-id": pool["case-template-id"][0], "fields": {"risk-level": "high"}}},
                "meta": {"object-ids": [pool["inquiry-id"][n], pool["account-id"][n]], "sla-expires-in-seconds": 3600}}
        answer = api.post("/cases", json=body)
        assert answer.status_code == 201, answer.text
        case_id = answer.json()["data"]["id"]
        pool["case-id"].append(case_id)
        if n % 2:
            assert api.post(f"/cases/{case_id}/assign", json={"meta": {"user-email-address": live.admin["email"]}}).status_code == 200
        status = {2: "Pending", 3: "Approved", 4: "Declined"}.get(n)
        if status:
            assert api.post(f"/cases/{case_id}/set-status", json={"meta": {"status": status}}).status_code == 200


API_WORKFLOW = """\
trigger:
  api:
    fields:
      inquiry-id: {type: string}
steps:
  - name: approve
    action: approve
"""


def _seed_workflows(api: httpx.Client, pool: dict[str, list[str]]) -> None:
    """An enabled workflow started by the API, and its runs: on an inquiry (completed), on none (errored)."""
    made = api.post("/workflows", json={"data": {"attributes": {"name": f"contract-{uuid.uuid4().hex[:8]}", "definition": API_WORKFLOW}}})
    assert made.status_code == 201, made.text
    workflow_id = made.json()["data"]["id"]
    for action in ("publish", "enable"):
        assert api.post(f"/workflows/{workflow_id}/{action}", json={}).status_code == 200
    pool["workflow-id"] = [workflow_id]
    pool["workflow-run-id"] = []
    for fields in ({"inquiry-id": pool["inquiry-id"][0]}, {}, {"inquiry-id": pool["inquiry-id"][1]}):
        answer = api.post(f"/workflows/{workflow_id}/trigger", json={"data": {"attributes": {"fields": fields}}})
        assert answer.status_code == 200, answer.text
        pool["workflow-run-id"].append(answer.json()["data"]["id"])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    data_dir = tmp_path_factory.mktemp("contract-data")
    setup = _cli(data_dir, "setup")
    key = _cli(data_dir, "api-key", "create", "--environment", "sandbox")["secret"]
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "OPENIDV_RATE_LIMIT_PER_MINUTE": "1000000", "OPENIDV_LOG_LEVEL": "warning"}
    log = (data_dir / "server.log").open("w")
    server = subprocess.Popen([str(BIN / "openidv"), "serve", "--port", str(port), "--data-dir", str(data_dir)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120  # a loaded 2-core machine (load 20) took more than 30 s to answer /healthz
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, (data_dir / "server.log").read_text()
            time.sleep(0.2)
        sandbox = setup["environments"]["sandbox"]
        yield Live(url, key, sandbox["templates"], setup["admin"], sandbox["case-templates"])
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        errors = [line for line in (data_dir / "server.log").read_text().splitlines() if "Traceback" in line]
        assert not errors, (data_dir / "server.log").read_text()[-5000:]


def test_docs_and_openapi_document_load(live: Live) -> None:
    document = httpx.get(f"{live.url}/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.") and "/api/v1/inquiries" in document["paths"]
    page = httpx.get(f"{live.url}/api/v1/docs")
    assert page.status_code == 200 and "/api/v1/openapi.json" in page.text


@pytest.mark.parametrize("version", ["2025-12-08", "2023-01-05"])
def test_persona_spec(live: Live, version: str, tmp_path: Path) -> None:
    _run(live, version, tmp_path, CHECKS, EXAMPLES, unicode=False)


def test_unicode_edge_cases_never_answer_5xx(live: Live, tmp_path: Path) -> None:
    """Every operation again, its strings replaced by Unicode edge cases (hooks.py, UNICODE_*): lone surrogates,
    NUL, bidi overrides, Arabic-Indic digits... in bodies, queries and paths. Only the server-error check:
    Persona's spec does not list every 400 these deserve."""
    _run(live, "2025-12-08", tmp_path, "not_a_server_error", max(5, EXAMPLES // 2), unicode=True)


def _run(live: Live, version: str, tmp_path: Path, checks: str, examples: int, *, unicode: bool) -> None:
    spec = spec_path(version)
    with httpx.Client(base_url=f"{live.url}/api/v1", headers={"Authorization": f"Bearer {live.key}"}, timeout=30) as api:
        pool = tmp_path / "pool.json"
        pool.write_text(json.dumps(_seed(api, live)))
    command = [
        str(BIN / "schemathesis"), "run", str(spec), "--url", f"{live.url}/api/v1",
        "-H", f"Authorization: Bearer {live.key}", "-H", f"Persona-Version: {version}",
        "--checks", checks, "--max-examples", str(examples), "--seed", "20251208",
        "--workers", "1", "--phases", "examples,coverage,fuzzing", "--no-shrink",
        "--generation-database", "none", "--request-timeout", "30", "--no-color", "--output-truncate", "false",
        "--warnings", "off",
    ]
    command += os.environ.get("CONTRACT_ARGS", "").split()  # e.g. "--report ndjson" while debugging
    for operation_id in OPERATIONS:
        command += ["--include-operation-id", operation_id]
    env = {
        **os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS), "CONTRACT_POOL": str(pool), "CONTRACT_PERSONA_VERSION": version,
        "CONTRACT_URL": f"{live.url}/api/v1", "CONTRACT_KEY": live.key, "CONTRACT_UNICODE": "1" if unicode else "0",
    }
    # 68 operations, three phases: about ten minutes per version on a busy 2-core machine, so the bound is generous.
    result = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=1800)
    output = tmp_path / f"schemathesis-{version}{'-unicode' if unicode else ''}.txt"
    output.write_text(result.stdout + result.stderr)
    assert "Selected: " + str(len(OPERATIONS)) in result.stdout, result.stdout[-3000:]
    assert result.returncode == 0, f"full output in {output}\n" + result.stdout[-20000:] + result.stderr[-3000:]
