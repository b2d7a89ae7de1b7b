"""Helpers shared by the core API tests (uniquely named so pytest's rootdir imports cannot clash)."""

from typing import Any

from sqlalchemy import func, select

from openidv.models import Account, Event, Inquiry, InquirySession

API = "/api/v1"


def create(client, template_id: str, *, attrs: dict[str, Any] | None = None, meta: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"data": {"attributes": {"inquiry-template-id": template_id, **(attrs or {})}}}
    if meta is not None:
        body["meta"] = meta
    answer = client.post(f"{API}/inquiries", json=body, **kw)
    assert answer.status_code == 201, answer.text
    return answer.json()


def steps(client, inquiry: dict[str, Any]) -> list[dict[str, Any]]:
    version_id = inquiry["relationships"]["inquiry-template-version"]["data"]["id"]
    return client.get(f"{API}/inquiry-template-versions/{version_id}").json()["meta"]["configuration"]["steps"]


def simulate(client, inquiry_id: str, *actions: dict[str, Any] | str):
    body = [{"type": a} if isinstance(a, str) else a for a in actions]
    return client.post(f"{API}/inquiries/{inquiry_id}/perform-simulate-actions", json={"meta": {"simulate-actions": body}})


def verification(step_id: str, passed: bool) -> dict[str, Any]:
    kind = "create_passed_verification" if passed else "create_failed_verification"
    return {"type": kind, "data": {"verification-template-id": step_id}}


def event_names(db, object_id: str) -> list[str]:
    """Names of an object's events, oldest first (a fresh snapshot: the API committed in other sessions)."""
    db.rollback()
    rows = db.execute(select(Event.name).where(Event.object_id == object_id).order_by(Event.created_at, Event.id)).all()
    return [r[0] for r in rows]


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {m.__tablename__: conn.scalar(select(func.count()).select_from(m)) for m in (Inquiry, Event, Account, InquirySession)}


def assert_error(answer, status: int, *, details: bool = True) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"errors"} and len(body["errors"]) == 1, body
    error = body["errors"][0]
    assert isinstance(error["title"], str) and error["title"]
    if status == 401:
        assert set(error) == {"title"}, error
    elif details:
        assert isinstance(error.get("details"), str) and error["details"], error
    assert "detail" not in error
    return error
