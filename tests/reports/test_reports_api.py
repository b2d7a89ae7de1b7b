"""Report API: create, screen, explain, dismiss, re-run, monitor, delta screening, and bad input."""

import io
import json
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from persona_spec import spec_path
from sqlalchemy import select

from openidv.jobs import runtime
from openidv.kit.db import session_factory, transaction
from openidv.models import Event, Report
from openidv.reports import lists, tasks
from openidv.screening.adapters import ListFormatError

FIXTURES = Path(__file__).parent.parent / "screening" / "fixtures"
AMARA = b"<sdnEntry><uid>9100</uid><firstName>Amara</firstName><lastName>OKONKWO BELLO</lastName><sdnType>Individual</sdnType></sdnEntry>"  # added to sdn.xml
SPEC = spec_path("2025-12-08")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return json.loads(SPEC.read_text())


def _valid(spec: dict[str, Any], resource: dict[str, Any]) -> None:
    name = "report-watchlist" if resource["type"] == "report/watchlist" else "report-politically-exposed-person"
    jsonschema.validate(resource, {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}, cls=jsonschema.Draft202012Validator)


def _load(engine, raw: bytes, source: str, name: str) -> str:
    with transaction(session_factory(engine, writer=True)) as db:
        result = lists.load(db, io.BytesIO(raw), source, name)
        snapshot_id = result.snapshot.id
    return snapshot_id


def _delta(engine, snapshot_id: str) -> list[str]:
    """The delta job, run here directly (its own session through the job port)."""
    runtime.configure(session_factory(engine, writer=True))
    return tasks.screen_delta(snapshot_id=snapshot_id)


def _events(engine, object_id: str) -> list[str]:
    with transaction(session_factory(engine)) as db:
        return [e.name for e in db.scalars(select(Event).where(Event.object_id == object_id).order_by(Event.created_at, Event.id))]


def _template(client, kind: str = "watchlist", **attrs: Any) -> str:
    answer = client.post("/api/v1/report-templates", json={"data": {"attributes": {"kind": kind, "name": f"{kind} t", **attrs}}})
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]["id"]


def _report(client, template_id: str, query: dict[str, Any], kind: str = "watchlist", **meta: Any):
    body = {"data": {"type": f"report/{kind}", "attributes": {"report-template-id": template_id, "query": query}}, "meta": meta}
    return client.post("/api/v1/reports", json=body)


def _screened(client, answer_or_id) -> dict[str, Any]:
    """A report is created (or re-run) `pending`; the job worker screens it. Wait for `ready` or `errored`."""
    if isinstance(answer_or_id, str):
        report_id = answer_or_id
    else:
        assert answer_or_id.status_code in (200, 201), answer_or_id.text
        assert answer_or_id.json()["data"]["attributes"]["status"] == "pending"
        report_id = answer_or_id.json()["data"]["id"]
    deadline = time.monotonic() + 120  # the first screening in a process loads logic-v2's name data
    while time.monotonic() < deadline:
        data = client.get(f"/api/v1/reports/{report_id}").json()["data"]
        if data["attributes"]["status"] != "pending":
            return data
        time.sleep(0.05)
    raise AssertionError(f"report {report_id} still pending")


@pytest.fixture
def sdn(engine, world) -> str:
    return _load(engine, (FIXTURES / "sdn.xml").read_bytes(), "ofac-sdn", "OFAC SDN")


def test_listed_name_with_birthdate_is_a_hit_with_explanation(client, engine, sdn, spec, job_worker) -> None:
    template_id = _template(client, **{"match-preset": "tolerant"})
    answer = _report(client, template_id, {"name-first": "Viktor", "name-last": "Petrovsky", "birthdate": "1961-03-14", "country-code": "ru"})
    assert answer.status_code == 201, answer.text
    _valid(spec, answer.json()["data"])  # pending, no match yet
    assert answer.json()["data"]["attributes"]["has-match"] is False and answer.json()["data"]["attributes"]["completed-at"] is None
    report = _screened(client, answer)
    _valid(spec, report)
    attrs = report["attributes"]
    assert attrs["status"] == "ready" and attrs["has-match"] is True and attrs["country-code"] == "RU"
    (matched,) = attrs["matched-lists"]
    assert matched["name"] == "OFAC SDN" and matched["entities"][0]["birthdates"] == [{"year": "1961", "month": "03", "day": "14", "granularity": "day"}]
    assert _events(engine, report["id"]) == ["report/watchlist.ready", "report/watchlist.matched"]
    with transaction(session_factory(engine)) as db:
        stored = db.get(Report, report["id"])
        (hit,) = stored.result["hits"]
        assert stored.query_sealed and b"Petrovsky" not in stored.query_sealed  # the query is sealed
    assert hit["entity-id"] == "ofac-9001" and hit["alignment"]
    assert (hit["matched-name"], hit["alias-kind"]) in {("Viktor Ivanovich PETROVSKY", "primary"), ("Viktor PETROVSKII", "aka")}
    assert hit["scorer"] in hit["scores"] and hit["scorer-version"] and set(hit["scores"]) == {"jaro-winkler-best-pair", "nomenklatura-logic-v2"}
    assert {q["qualifier"]: q["effect"] for q in hit["qualifiers"]} == {"birthdate": "match", "country": "match"}
    conflicting = _screened(client, _report(client, template_id, {"term": "Viktor Petrovsky", "birthdate": "1990-01-01"}))
    with transaction(session_factory(engine)) as db:
        other = db.get(Report, conflicting["id"]).result["hits"]
    assert not other or other[0]["score"] < hit["score"]
    retrieved = client.get(f"/api/v1/reports/{report['id']}").json()["data"]
    assert retrieved == report


def test_no_match_pep_and_filters(client, engine, world, spec, job_worker) -> None:
    _load(engine, (FIXTURES / "pep.csv").read_bytes(), "pep-csv", "Operator PEPs")
    pep_template = _template(client, "politically-exposed-person")
    query = {"term": "Maria Fernanda Quintero", "birthdate": "1970-05-02"}
    hit = _report(client, pep_template, query, "politically-exposed-person", **{"auto-create-account-reference-id": "user-7"})
    data = _screened(client, hit)
    _valid(spec, data)
    assert data["attributes"]["result"][0]["positions"][0]["name"] == "Minister of Finance"
    assert data["relationships"]["account"]["data"]["type"] == "account"
    account_id = data["relationships"]["account"]["data"]["id"]
    miss = _screened(client, _report(client, pep_template, {"name-first": "Jane", "name-last": "Doe"}, "politically-exposed-person"))
    _valid(spec, miss)
    assert miss["attributes"]["has-match"] is False and miss["attributes"]["result"] == []
    assert _events(engine, miss["id"]) == ["report/politically-exposed-person.ready"]
    listed = client.get("/api/v1/reports", params={"filter[account-id]": account_id}).json()["data"]
    assert [r["id"] for r in listed] == [data["id"]]
    assert len(client.get("/api/v1/reports").json()["data"]) == 2


def test_dismiss_silences_rerun_until_entry_changes(client, engine, sdn, spec, job_worker) -> None:
    template_id = _template(client, **{"rerun-interval-days": 7})
    report_id = _screened(client, _report(client, template_id, {"term": "Viktor Ivanovich Petrovsky"}))["id"]
    answer = client.post(f"/api/v1/reports/{report_id}/dismiss", json={"data": {"attributes": {"entity-id": "ofac-9001", "reason": "false positive"}}})
    assert answer.status_code == 200, answer.text
    _valid(spec, answer.json()["data"])
    attrs = answer.json()["data"]["attributes"]
    assert attrs["has-match"] is False and attrs["ignore-list"][0]["ignore-reason"] == "false positive"
    rerun = _screened(client, client.post(f"/api/v1/reports/{report_id}/run"))["attributes"]
    assert rerun["has-match"] is False and rerun["is-continuous"] is True
    assert _events(engine, report_id).count("report/watchlist.matched") == 1
    assert "report/watchlist.dismissed" in _events(engine, report_id)
    # the entry changes materially (a new birth date): the dismissed hit comes back
    changed = (FIXTURES / "sdn.xml").read_bytes().replace(b"14 Mar 1961", b"14 Mar 1962")
    snapshot_id = _load(engine, changed, "ofac-sdn", "OFAC SDN")
    assert _delta(engine, snapshot_id) == [report_id]
    assert client.get(f"/api/v1/reports/{report_id}").json()["data"]["attributes"]["has-match"] is True
    assert _events(engine, report_id).count("report/watchlist.matched") == 2
    history = client.get(f"/api/v1/reports/{report_id}/history").json()
    jsonschema.validate(history["data"], {"$ref": "#/components/schemas/report-history", "components": spec["components"]}, cls=jsonschema.Draft202012Validator)
    assert [h["type"] for h in history["data"]] == ["run", "run", "dismiss", "run"] and history["data"][0]["run-type"] == "list-update"


def test_new_snapshot_adding_monitored_person_raises_matched(client, engine, sdn, job_worker) -> None:
    template_id = _template(client, **{"rerun-interval-days": 30, "lists": ["OFAC SDN"]})
    monitored = _screened(client, _report(client, template_id, {"name-first": "Amara", "name-last": "Okonkwo-Bello"}))
    other = _screened(client, _report(client, template_id, {"name-first": "Lena", "name-last": "Fischer"}))
    assert monitored["attributes"]["has-match"] is False and monitored["attributes"]["is-recurring"] is True
    added = (FIXTURES / "sdn.xml").read_bytes().replace(b"</sdnList>", AMARA + b"</sdnList>")
    snapshot_id = _load(engine, added, "ofac-sdn", "OFAC SDN")
    with transaction(session_factory(engine)) as db:
        snap = lists.repository.current_snapshot(db, "OFAC SDN")
        assert snap.id == snapshot_id and snap.version == 2 and snap.diff == {"added": ["ofac-9100"], "changed": [], "removed": []}
    assert _delta(engine, snapshot_id) == [monitored["id"]]
    assert _events(engine, monitored["id"])[-1] == "report/watchlist.matched"
    assert "report/watchlist.matched" not in _events(engine, other["id"])
    # paused reports are not monitored
    assert client.post(f"/api/v1/reports/{other['id']}/pause").json()["data"]["attributes"]["is-recurring"] is False
    assert client.post(f"/api/v1/reports/{other['id']}/resume").json()["data"]["attributes"]["is-recurring"] is True


def test_unloaded_list_errors_the_report_until_loaded(client, engine, sdn, spec, job_worker) -> None:
    """A template naming a list that has no snapshot cannot be screened: `errored` (never a false "no match")."""
    template_id = _template(client, **{"lists": ["EU FSF"]})
    errored = _screened(client, _report(client, template_id, {"name-first": "Elena", "name-last": "Kovalenko", "birthdate": "1975-09-21"}))
    _valid(spec, errored)
    assert errored["attributes"]["status"] == "errored" and errored["attributes"]["has-match"] is False
    assert _events(engine, errored["id"]) == ["report/watchlist.errored"]
    with transaction(session_factory(engine)) as db:
        assert "EU FSF has no snapshot loaded" in db.get(Report, errored["id"]).error
    _load(engine, (FIXTURES / "eu.xml").read_bytes(), "eu", "EU FSF")
    ready = _screened(client, client.post(f"/api/v1/reports/{errored['id']}/run"))
    assert ready["attributes"]["status"] == "ready" and ready["attributes"]["has-match"] is True
    assert ready["attributes"]["matched-lists"][0]["name"] == "EU FSF"
    assert _events(engine, errored["id"]) == ["report/watchlist.errored", "report/watchlist.ready", "report/watchlist.matched"]


@pytest.mark.parametrize(("fixture", "source", "name"), [
    ("sdn.xml", "ofac-sdn", "OFAC SDN"), ("sdn_advanced.xml", "ofac-consolidated", "OFAC CONS"), ("eu.xml", "eu", "EU FSF"), ("uk.xml", "uk", "UK"),
    ("un.xml", "un", "UN SC"),
])
def test_failed_load_keeps_previous_snapshot(engine, world, fixture: str, source: str, name: str) -> None:
    good = (FIXTURES / fixture).read_bytes()
    first = _load(engine, good, source, name)
    cut = good[: len(good) // 2]
    other = (FIXTURES / ("uk.xml" if source != "uk" else "eu.xml")).read_bytes()
    failures = ((cut, source, "malformed or truncated XML"), (other, source, "unexpected root element"), (good, "acme", "unknown list source"))
    for raw, load_as, message in failures:
        with pytest.raises(ListFormatError, match=message):
            _load(engine, raw, load_as, name)
        with transaction(session_factory(engine)) as db:
            current = lists.repository.current_snapshot(db, name)
            assert current.id == first and current.version == 1 and lists.repository.next_version(db, name) == 2
    with transaction(session_factory(engine, writer=True)) as db:  # the same file again: no new version
        assert lists.load(db, io.BytesIO(good), source, name).unchanged


def test_tags_redact_and_print(client, engine, sdn, job_worker) -> None:
    template_id = _template(client)
    report_id = _screened(client, _report(client, template_id, {"term": "Viktor Petrovsky"}))["id"]
    printed = client.get(f"/api/v1/reports/{report_id}/print")
    assert printed.status_code == 200 and printed.headers["content-type"] == "application/pdf"
    assert printed.content.startswith(b"%PDF-1.4") and printed.content.rstrip().endswith(b"%%EOF")
    assert b"term: Viktor Petrovsky" in printed.content and b"entity ofac-9001" in printed.content
    assert client.post(f"/api/v1/reports/{report_id}/add-tag", json={"meta": {"tag-name": "vip"}}).json()["data"]["attributes"]["tags"] == ["vip"]
    assert client.post(f"/api/v1/reports/{report_id}/set-tags", json={"meta": {"tag-name": ["a", "b"]}}).json()["data"]["attributes"]["tags"] == ["a", "b"]
    assert client.post(f"/api/v1/reports/{report_id}/remove-tag", json={"meta": {"tag-name": "a"}}).json()["data"]["attributes"]["tags"] == ["b"]
    redacted = client.delete(f"/api/v1/reports/{report_id}").json()["data"]["attributes"]
    assert redacted["redacted-at"] and redacted["term"] is None and redacted["matched-lists"] == []
    assert client.delete(f"/api/v1/reports/{report_id}").status_code == 409
    assert client.get(f"/api/v1/reports/{report_id}/print").status_code == 409
    assert client.post(f"/api/v1/reports/{report_id}/run").status_code == 409


def test_inquiry_template_orders_reports_on_completion(client, engine, sdn, job_worker) -> None:
    template_id = _template(client)
    config = {"steps": [], "reports": [{"kind": "watchlist", "report_template_id": template_id}]}
    created = client.post("/api/v1/inquiry-templates", json={"data": {"attributes": {"name": "With screening", "configuration": config}}})
    assert created.status_code == 201, created.text
    fields = {"name-first": "Viktor", "name-last": "Petrovsky", "identification-number": "720011223"}
    attributes = {"inquiry-template-id": created.json()["data"]["id"], "fields": fields}
    inquiry = client.post("/api/v1/inquiries", json={"data": {"attributes": attributes}}).json()["data"]
    from openidv.lifecycle.transition import transition
    from openidv.models import Inquiry

    with transaction(session_factory(engine, writer=True)) as db:
        row = db.get(Inquiry, inquiry["id"])
        if row.status == "created":
            transition(db, row, "start")
        transition(db, row, "complete")
    reports = client.get(f"/api/v1/inquiries/{inquiry['id']}").json()["data"]["relationships"]["reports"]["data"]
    assert len(reports) == 1 and reports[0]["type"] == "report/watchlist"
    report = _screened(client, reports[0]["id"])
    assert report["attributes"]["has-match"] is True and report["attributes"]["name-first"] == "Viktor"
    with transaction(session_factory(engine)) as db:  # the inquiry's ID number confirms the listed passport
        (hit,) = db.get(Report, report["id"]).result["hits"]
    assert {"qualifier": "identity-document", "effect": "match", "list": ["Passport 720011223"], "delta": 0.1} in hit["qualifiers"]


@pytest.mark.parametrize(("body", "status", "details"), [
    ({"data": {"type": "report/watchlist", "attributes": {"query": {}}}}, 400, "report-template-id"),
    ({"data": {"type": "report/adverse-media", "attributes": {"report-template-id": "T", "query": {"term": "x"}}}}, 400, "data.type"),
    ({"data": {"attributes": {"report-template-id": "T", "query": {"term": "x"}}}}, 400, "data.type"),
    ({"data": {"type": "report/watchlist", "attributes": {"report-template-id": "T", "query": {"term": "  "}}}}, 422, "At least one of"),
    ({"data": {"type": "report/watchlist", "attributes": {"report-template-id": "T", "query": {"term": "x", "birthdate": "1990-13-01"}}}}, 400, "birthdate"),
    ({"data": {"type": "report/watchlist", "attributes": {"report-template-id": "T", "query": {"term": "x", "country-code": "USA"}}}}, 400, "country-code"),
    ({"data": {"type": "report/watchlist", "attributes": {"report-template-id": "T", "query": {"term": 5}}}}, 400, "term"),
    ({"data": {"type": "report/watchlist", "attributes": {"report-template-id": "T", "query": {"ssn": "1"}}}}, 400, "ssn"),
    ({"data": {"type": "report/watchlist", "attributes": {"report-template-id": "rptp_nope", "query": {"term": "x"}}}}, 404, None),
    ({"data": {"type": "report/politically-exposed-person", "attributes": {"report-template-id": "T", "query": {"term": "x"}}}}, 422,
     "not politically-exposed-person"),
    ({"data": {"type": "report/watchlist", "attributes": {"report-template-id": "T", "account-id": "act_nope", "query": {"term": "x"}}}}, 404, None),
    ({"data": {"type": "report/watchlist", "attributes": {"report-template-id": "T", "query": {"term": "x"}}}, "meta": {"processing-mode": "later"}}, 400,
     "processing-mode"),
    ({"data": {"type": "report/watchlist", "attributes": {"report-template-id": "T", "query": {"term": "x"}}}, "meta": {"rush": True}}, 400, "meta.rush"),
    ({"data": {"type": "report/watchlist", "attributes": {"report-template-id": "T", "query": {"term": "x"}}}, "meta": {"auto-create-account": "yes"}}, 400,
     "auto-create-account"),
])
def test_bad_input(client, engine, body, status, details) -> None:
    template_id = _template(client)
    attrs = body["data"]["attributes"]
    if attrs.get("report-template-id") == "T":
        attrs["report-template-id"] = template_id
    answer = client.post("/api/v1/reports", json=body)
    assert answer.status_code == status, answer.text
    error = answer.json()["errors"][0]
    assert error["title"] and (details is None or details in error["details"])
    with transaction(session_factory(engine)) as db:
        assert db.scalar(select(Report.id)) is None  # nothing half-written


def test_sync_processing_mode_screens_in_the_request(client, engine, sdn, spec) -> None:
    """`meta.processing-mode: sync` (Persona's option): the create answer is already screened, no job queued."""
    from openidv.models import Job

    template_id = _template(client)
    meta = {"processing-mode": "sync", "auto-create-account": False, "auto-create-account-reference-id": "u-1"}
    answer = _report(client, template_id, {"term": "Viktor Petrovsky", "birthdate": "1961-03-14"}, **meta)
    assert answer.status_code == 201, answer.text
    data = answer.json()["data"]
    _valid(spec, data)
    assert data["attributes"]["status"] == "ready" and data["attributes"]["has-match"] is True and data["relationships"]["account"]["data"] is None
    with transaction(session_factory(engine)) as db:
        assert db.scalar(select(Job.id).where(Job.name == "reports.run")) is None


def test_pending_until_the_job_runs(client, engine, sdn) -> None:
    """No job worker here: the report stays `pending` with its run job queued; a second run is refused."""
    from openidv.models import Job

    report_id = _report(client, _template(client), {"term": "Viktor Petrovsky"}).json()["data"]["id"]
    assert client.post(f"/api/v1/reports/{report_id}/run").status_code == 409
    assert _events(engine, report_id) == []
    with transaction(session_factory(engine)) as db:
        (job,) = db.scalars(select(Job).where(Job.name == "reports.run"))
        assert job.kwargs == {"report_id": report_id, "run_type": "initial"} and job.state == "queued"
    runtime.configure(session_factory(engine, writer=True))
    tasks.run_report(report_id=report_id)  # what the worker does
    tasks.run_report(report_id=report_id)  # at least once: a repeat changes nothing
    assert client.get(f"/api/v1/reports/{report_id}").json()["data"]["attributes"]["status"] == "ready"
    assert _events(engine, report_id) == ["report/watchlist.ready", "report/watchlist.matched"]


def test_a_run_job_that_gives_up_errors_the_report(client, engine, sdn) -> None:
    from openidv.jobs.port import registry

    report_id = _report(client, _template(client), {"term": "Viktor Petrovsky"}).json()["data"]["id"]
    with transaction(session_factory(engine, writer=True)) as db:  # what the worker does after the last failed attempt
        registry["reports.run"].on_give_up(db, report_id=report_id, run_type="initial")
    attributes = client.get(f"/api/v1/reports/{report_id}").json()["data"]["attributes"]
    assert attributes["status"] == "errored"
    assert _events(engine, report_id) == ["report/watchlist.errored"]


def test_errors_and_permissions(client, engine, world, sdn, job_worker) -> None:
    assert client.get("/api/v1/reports/rep_nope").status_code == 404
    template_id = _template(client)
    report_id = _screened(client, _report(client, template_id, {"term": "Jane Doe"}))["id"]
    assert client.post(f"/api/v1/reports/{report_id}/pause").status_code == 409  # not continuous
    assert client.post(f"/api/v1/reports/{report_id}/dismiss", json={"data": {"attributes": {"entity-id": "x", "reason": "r"}}}).status_code == 422
    loose = {"data": {"attributes": {"kind": "watchlist", "name": "x", "match-preset": "loose"}}}
    assert client.post("/api/v1/report-templates", json=loose).status_code == 400
    from openidv.auth import service as auth
    from openidv.models import Environment

    with transaction(session_factory(engine, writer=True)) as db:
        secret = auth.create_api_key(db, db.get(Environment, world.sandbox_id), name="reader", granted=["report.read"]).secret
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(f"/api/v1/reports/{report_id}", headers=headers).status_code == 200
    assert client.post("/api/v1/reports", headers=headers, json={}).status_code == 403


@pytest.fixture
def receiver():
    sys.path.insert(0, str(Path(__file__).parent.parent / "webhooks"))
    from webhook_receiver import Receiver

    r = Receiver()
    yield r
    r.close()


def test_list_load_queues_delta_job_and_matched_webhook(client, engine, sdn, receiver, monkeypatch, job_worker) -> None:
    """`openidv lists load` commits the snapshot with its delta job; a worker screens and `.matched` reaches a webhook."""
    from openidv.reports import commands
    from openidv.webhooks import delivery

    monkeypatch.setattr(delivery.policy, "allow_private_urls", True)  # the receiver is on loopback
    answer = client.post("/api/v1/webhooks", json={"data": {"attributes": {"name": "t", "url": receiver.url, "enabled-events": ["report/watchlist.matched"]}}})
    assert answer.status_code == 201, answer.text
    template_id = _template(client, **{"rerun-interval-days": 30})
    report_id = _screened(client, _report(client, template_id, {"name-first": "Amara", "name-last": "Okonkwo-Bello"}))["id"]
    added = (FIXTURES / "sdn.xml").read_bytes().replace(b"</sdnList>", AMARA + b"</sdnList>")
    with transaction(session_factory(engine, writer=True)) as db:
        lines = commands.load_bytes(db, added, "ofac-sdn", "OFAC SDN", out=io.StringIO())
    assert "diff: 1 added, 0 changed, 0 removed" in lines[2] and "queued" in lines[3]
    (got,) = receiver.wait_for(1)  # the job worker runs the delta job: one run, one `.matched`, one delivery
    assert got.body["data"]["attributes"]["name"] == "report/watchlist.matched"
    assert got.body["data"]["attributes"]["payload"]["data"]["id"] == report_id
