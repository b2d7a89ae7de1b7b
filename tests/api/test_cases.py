"""Cases API (Persona's /cases and /case-templates): create, list, search, retrieve, update, assign, set status,
objects, tags, redaction, and the case.* events each records; bad input answers 4xx and writes nothing."""

import pytest
from core_support import API, assert_error, create, event_names
from sqlalchemy import func, select

from openidv.auth import service as auth
from openidv.cases import service as cases
from openidv.kit.db import session_factory, transaction
from openidv.models import Case, CaseComment, CaseObject, Environment, Event


@pytest.fixture
def template_id(engine, world) -> str:
    with transaction(session_factory(engine, writer=True)) as db:
        made = cases.ensure_default_templates(db, world.sandbox_id)[0].id
        auth.create_user(db, "reviewer@example.com", "a long enough password 1", "reviewer")
        auth.create_user(db, "viewer@example.com", "a long enough password 1", "viewer")
    return made


def _case(client, template_id: str, object_ids: list[str] | None = None, **attrs) -> dict:
    body = {"data": {"attributes": {"case-template-id": template_id, **attrs}}, "meta": {"object-ids": object_ids or []}}
    answer = client.post(f"{API}/cases", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


def _rows(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {m.__tablename__: conn.scalar(select(func.count()).select_from(m)) or 0 for m in (Case, CaseObject, CaseComment, Event)}


def test_create_retrieve_list_update(client, world, db, template_id) -> None:
    inquiry = create(client, world.templates["Government ID"], attrs={"reference-id": "ref-1"})["data"]
    account_id = inquiry["relationships"]["account"]["data"]["id"]
    case = _case(client, template_id, [inquiry["id"], account_id], fields={"risk-level": "high"})
    assert case["type"] == "case" and case["id"].startswith("case_")
    attrs, rels = case["attributes"], case["relationships"]
    assert attrs["status"] == "Open" and attrs["resolution"] is None and attrs["fields"] == {"risk-level": "high"}
    assert attrs["creator-type"] == "api-key" and attrs["name"].startswith("CASE-")
    assert rels["inquiries"]["data"] == [{"type": "inquiry", "id": inquiry["id"]}]
    assert rels["accounts"]["data"] == [{"type": "account", "id": account_id}]
    assert rels["case-template"]["data"] == {"type": "case-template", "id": template_id}
    assert event_names(db, case["id"]) == ["case.created"]
    created = db.scalar(select(Event).where(Event.object_id == case["id"]))
    assert created.payload["data"]["relationships"]["inquiries"]["data"][0]["id"] == inquiry["id"]  # the snapshot holds its objects

    got = client.get(f"{API}/cases/{case['id']}", params={"include": "case-template"}).json()
    assert got["data"] == case
    assert got["included"][0]["type"] == "case-template" and got["included"][0]["attributes"]["resolutions"] == ["Approved", "Declined"]
    template = client.get(f"{API}/case-templates/{template_id}").json()["data"]
    assert template["attributes"]["name"] == "Manual review" and template["attributes"]["status"] == "active"

    other = _case(client, template_id)
    listed = client.get(f"{API}/cases").json()
    assert [c["id"] for c in listed["data"]] == [other["id"], case["id"]] and listed["links"]["next"] is None
    for key, value in (("inquiry-id", inquiry["id"]), ("account-id", account_id), ("reference-id", "ref-1"), ("status", "open")):
        ids = [c["id"] for c in client.get(f"{API}/cases", params={f"filter[{key}]": value}).json()["data"]]
        assert case["id"] in ids and (key == "status" or ids == [case["id"]]), key
    paged = client.get(f"{API}/cases", params={"page[size]": 1}).json()
    assert len(paged["data"]) == 1 and "page%5Bafter%5D" in paged["links"]["next"]

    patched = client.patch(f"{API}/cases/{case['id']}", json={"data": {"attributes": {"fields": {"reviewer-notes": "ok"}}},
                                                             "meta": {"sla-expires-in-seconds": 3600}}).json()["data"]["attributes"]
    assert patched["fields"] == {"risk-level": "high", "reviewer-notes": "ok"} and patched["sla-expires-at"] is not None
    assert event_names(db, case["id"])[-1] == "case.updated-fields"
    cleared = client.patch(f"{API}/cases/{case['id']}", json={"meta": {"sla-expires-in-seconds": None}}).json()["data"]["attributes"]
    assert cleared["sla-expires-at"] is None
    assert_error(client.get(f"{API}/cases/case_missing"), 404)
    assert_error(client.get(f"{API}/case-templates/ctmpl_missing"), 404)
    # The other environment sees none of it.
    other_env = {"Authorization": f"Bearer {world.production_key}"}
    assert_error(client.get(f"{API}/cases/{case['id']}", headers=other_env), 404)
    assert client.get(f"{API}/cases", headers=other_env).json()["data"] == []


def test_assign_and_status(client, world, db, template_id) -> None:
    case = _case(client, template_id)
    assigned = client.post(f"{API}/cases/{case['id']}/assign", json={"meta": {"user-email-address": "Reviewer@Example.com"}}).json()["data"]["attributes"]
    assert assigned["assignee-id"] == "reviewer@example.com" and assigned["assigned-at"] and assigned["assigner-type"] == "api-key"
    assert_error(client.post(f"{API}/cases/{case['id']}/assign", json={"meta": {"user-email-address": "nobody@example.com"}}), 422)
    assert_error(client.post(f"{API}/cases/{case['id']}/assign", json={"meta": {"user-email-address": "viewer@example.com"}}), 422)
    assert_error(client.post(f"{API}/cases/{case['id']}/assign", json={"meta": {}}), 400)

    def status(value: str):
        return client.post(f"{API}/cases/{case['id']}/set-status", json={"meta": {"status": value}})

    assert status("pending").json()["data"]["attributes"]["status"] == "Pending"
    resolved = status("Approved").json()["data"]["attributes"]
    assert resolved["status"] == "Approved" and resolved["resolution"] == "Approved" and resolved["resolved-at"] and resolved["resolver-type"] == "api-key"
    assert_error(status("pending"), 409)  # a resolved case reopens first
    assert_error(status("Approved"), 409)
    assert_error(status("closed"), 422)
    reopened = status("Open").json()["data"]["attributes"]
    assert reopened["status"] == "Open" and reopened["resolution"] is None and reopened["resolved-at"] is None
    assert status("declined").json()["data"]["attributes"]["resolution"] == "Declined"
    assert event_names(db, case["id"]) == [
        "case.created", "case.assigned", "case.status-updated", "case.status-updated", "case.resolved",
        "case.status-updated", "case.reopened", "case.status-updated", "case.resolved",
    ]


def test_objects_and_tags(client, world, db, template_id, engine) -> None:
    first = create(client, world.templates["Government ID"])["data"]
    second = create(client, world.templates["Government ID"])["data"]
    case = _case(client, template_id, [first["id"]])
    added = client.post(f"{API}/cases/{case['id']}/add-objects", json={"meta": {"object-ids": [second["id"], first["id"]]}}).json()["data"]
    assert {i["id"] for i in added["relationships"]["inquiries"]["data"]} == {first["id"], second["id"]}
    before = _rows(engine)
    assert_error(client.post(f"{API}/cases/{case['id']}/add-objects", json={"meta": {"object-ids": ["inq_missing"]}}), 404)
    prod_inquiry = create(client, world.production_templates["Government ID"], headers={"Authorization": f"Bearer {world.production_key}"})["data"]
    before = _rows(engine)
    assert_error(client.post(f"{API}/cases/{case['id']}/add-objects", json={"meta": {"object-ids": [prod_inquiry["id"]]}}), 404)
    assert _rows(engine) == before
    removed = client.post(f"{API}/cases/{case['id']}/remove-objects", json={"meta": {"object-ids": [first["id"], "inq_never_held"]}}).json()["data"]
    assert [i["id"] for i in removed["relationships"]["inquiries"]["data"]] == [second["id"]]
    assert [c["id"] for c in client.get(f"{API}/cases", params={"filter[inquiry-id]": first["id"]}).json()["data"]] == []

    tagged = client.post(f"{API}/cases/{case['id']}/add-tag", json={"meta": {"tag-name": "urgent"}}).json()["data"]["attributes"]
    assert tagged["tags"] == ["urgent"]
    assert client.post(f"{API}/cases/{case['id']}/set-tags", json={"meta": {"tag-name": ["a", "b"]}}).json()["data"]["attributes"]["tags"] == ["a", "b"]
    assert client.post(f"{API}/cases/{case['id']}/remove-tag", json={"meta": {"tag-name": "a"}}).json()["data"]["attributes"]["tags"] == ["b"]
    assert event_names(db, case["id"]).count("case.updated-tags") == 3


def test_search(client, world, template_id) -> None:
    open_case = _case(client, template_id)
    pending = _case(client, template_id)
    client.post(f"{API}/cases/{pending['id']}/set-status", json={"meta": {"status": "Pending"}})

    def search(body: dict):
        return client.post(f"{API}/cases/search", json=body)

    def ids(body: dict) -> list[str]:
        answer = search(body)
        assert answer.status_code == 200, answer.text
        assert set(answer.json()["links"]) == {"prev", "next"}
        return [c["id"] for c in answer.json()["data"]]

    assert ids({}) == [pending["id"], open_case["id"]]
    assert ids({"query": {"attribute": "status", "operator": "eq", "value": "open"}}) == [open_case["id"]]
    assert ids({"query": {"not": {"attribute": "status", "operator": "eq", "value": "Open"}}}) == [pending["id"]]
    either = {"or": [{"attribute": "status", "operator": "eq", "value": "pending"}, {"attribute": "template", "operator": "eq", "value": "ctmpl_x"}]}
    assert ids({"query": {"and": [either, {"attribute": "created_at", "operator": "gte", "value": "2000-01-01T00:00:00Z"}]}}) == [pending["id"]]
    assert ids({"query": {"attribute": "created_at", "operator": "lt", "value": "2000-01-01"}}) == []
    page = search({"page": {"size": 1}}).json()
    assert [c["id"] for c in page["data"]] == [pending["id"]] and page["links"]["next"]
    for bad in ({"query": {"attribute": "fields.priority", "operator": "eq", "value": "x"}},
                {"query": {"attribute": "status", "operator": "like", "value": "x"}},
                {"query": {"attribute": "created_at", "operator": "gt", "value": "yesterday"}}, {"query": {"and": []}},
                {"query": {"and": [{"and": [{"and": [{"attribute": "status", "operator": "eq", "value": "x"}]}]}]}},
                {"sort": {"attribute": "status", "direction": "asc"}}, {"page": {"size": 0}}, {"unknown": 1}):
        assert_error(search(bad), 400)


def test_redaction_reaches_every_copy(client, world, db, template_id, engine) -> None:
    inquiry = create(client, world.templates["Government ID"])["data"]
    with transaction(session_factory(engine, writer=True)) as session:
        made = cases.create_case(session, world.sandbox_id, objects=[("inquiry", inquiry["id"])], actor="wfr_test", comment="matched Zelda Secret")
        case_id = made.id
    client.patch(f"{API}/cases/{case_id}", json={"data": {"attributes": {"fields": {"ssn-note": "123-45-6789"}}}})
    got = client.get(f"{API}/cases/{case_id}", params={"include": "case-comments"}).json()
    assert got["data"]["attributes"]["creator-type"] == "workflow-run" and got["data"]["attributes"]["creator-id"] == "wfr_test"
    assert got["included"][0]["attributes"]["message"] == "matched Zelda Secret"

    answer = client.delete(f"{API}/cases/{case_id}")
    assert answer.status_code == 200, answer.text
    attrs = answer.json()["data"]["attributes"]
    assert attrs["fields"] == {} and attrs["redacted-at"] and attrs["status"] == "Open"
    assert answer.json()["data"]["relationships"]["case-comments"]["data"] == []
    db.rollback()
    payloads = [str(e.payload) for e in db.scalars(select(Event).where(Event.object_id == case_id))]
    assert len(payloads) >= 3 and not any(secret in p for p in payloads for secret in ("Zelda", "123-45-6789"))
    assert db.scalar(select(func.count()).select_from(CaseComment).where(CaseComment.case_id == case_id)) == 0
    assert event_names(db, case_id)[-1] == "case.redacted"
    assert_error(client.delete(f"{API}/cases/{case_id}"), 409)


def test_bad_input_writes_nothing(client, world, template_id, engine) -> None:
    before = _rows(engine)
    for body, status in (
        (None, 400), ([], 400), ({"data": {"attributes": {}}}, 400), ({"data": {"attributes": {"case-template-id": 7}}}, 400),
        ({"data": {"attributes": {"case-template-id": "ctmpl_missing"}}}, 404),
        ({"data": {"attributes": {"case-template-id": template_id, "color": "red"}}}, 400),
        ({"data": {"attributes": {"case-template-id": template_id, "case-queue-id": "cqueue_x"}}}, 404),
        ({"data": {"attributes": {"case-template-id": template_id, "creator-email-address": "ghost@example.com"}}}, 422),
        ({"data": {"attributes": {"case-template-id": template_id}}, "meta": {"sla-expires-in-seconds": 91 * 86400}}, 400),
        ({"data": {"attributes": {"case-template-id": template_id}}, "meta": {"sla-expires-in-seconds": "soon"}}, 400),
        ({"data": {"attributes": {"case-template-id": template_id}}, "meta": {"object-ids": ["inq_missing"]}}, 404),
        ({"data": {"attributes": {"case-template-id": template_id}}, "meta": {"object-ids": "inq_x"}}, 400),
        ({"data": {"attributes": {"case-template-id": template_id, "fields": []}}}, 400),
    ):
        assert_error(client.post(f"{API}/cases", json=body), status)
    assert _rows(engine) == before
    case = _case(client, template_id)
    before = _rows(engine)
    for path, body, status in (
        ("", {"data": {"attributes": {"attachments": [{"filename": "a.pdf", "data": "AA=="}]}}}, 422),
        ("/set-status", {"meta": {"status": 3}}, 400), ("/set-status", {}, 400), ("/add-tag", {"meta": {}}, 400),
    ):
        method = client.patch if not path else client.post
        assert_error(method(f"{API}/cases/{case['id']}{path}", json=body), status)
    assert _rows(engine) == before


def test_permissions(client, world, engine, template_id) -> None:
    with transaction(session_factory(engine, writer=True)) as db:
        key = auth.create_api_key(db, db.get(Environment, world.sandbox_id), name="no cases", granted=["inquiry.read"]).secret
    assert_error(client.get(f"{API}/cases", headers={"Authorization": f"Bearer {key}"}), 403)
    assert_error(client.post(f"{API}/cases", json={}, headers={"Authorization": f"Bearer {key}"}), 403)


def test_due_time_expiry_is_told_once(client, world, db, engine, template_id) -> None:
    from datetime import timedelta

    from openidv.jobs import runtime
    from openidv.kit import clock

    runtime.configure(session_factory(engine, writer=True))
    due = _case(client, template_id)
    resolved = _case(client, template_id)
    for case in (due, resolved):
        client.patch(f"{API}/cases/{case['id']}", json={"meta": {"sla-expires-in-seconds": 60}})
    client.post(f"{API}/cases/{resolved['id']}/set-status", json={"meta": {"status": "Declined"}})
    assert cases.expire_sla() == 0  # not yet
    clock.advance(timedelta(minutes=2))
    assert cases.expire_sla() == 1
    assert cases.expire_sla() == 0  # once per due time
    assert event_names(db, due["id"])[-1] == "case.sla-expired" and "case.sla-expired" not in event_names(db, resolved["id"])
    client.patch(f"{API}/cases/{due['id']}", json={"meta": {"sla-expires-in-seconds": 60}})  # a new due time
    clock.advance(timedelta(minutes=2))
    assert cases.expire_sla() == 1
    assert event_names(db, due["id"]).count("case.sla-expired") == 2
