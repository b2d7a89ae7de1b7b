"""The dashboard's cases: the queue with its status and assignee filters, one case page, and the actions a
reviewer takes there (assign, due time, status, comment, open a case), each audited; viewers only read, and bad
input shows an error page and writes nothing."""

from datetime import UTC, datetime, timedelta

from dashboard_support import csrf_of, make_user, new_inquiry, signed_in
from sqlalchemy import func, select

from openidv.cases import service as cases
from openidv.kit.db import session_factory, transaction
from openidv.models import AuditLog, Case, Event


def _case(engine, env_id: str, objects: list[tuple[str, str]], **kw) -> str:
    with transaction(session_factory(engine, writer=True)) as db:
        return cases.create_case(db, env_id, objects=objects, actor="wfr_starter", **kw).id


def _post(c, case_id: str, what: str, **form: str):
    page = c.get(f"/dashboard/cases/{case_id}")
    return c.post(f"/dashboard/cases/{case_id}/{what}", data={"csrf": csrf_of(page.text), **form}, follow_redirects=False)


def test_queue_and_case_page(app, client, world, engine, db) -> None:
    make_user(engine, "rev@example.com", "reviewer")
    make_user(engine, "other@example.com", "reviewer")
    inquiry = new_inquiry(client, world.templates["Government ID"])
    first = _case(engine, world.sandbox_id, [("inquiry", inquiry)], name="MATCH-1", comment="Watchlist <b>match</b>")
    second = _case(engine, world.sandbox_id, [], name="MATCH-2")
    c = signed_in(app, "rev@example.com")
    queue = c.get("/dashboard/cases")
    assert queue.status_code == 200 and "MATCH-1" in queue.text and "MATCH-2" in queue.text
    page = c.get(f"/dashboard/cases/{first}")
    assert page.status_code == 200 and f'href="/dashboard/inquiries/{inquiry}"' in page.text
    assert "Watchlist &lt;b&gt;match&lt;/b&gt;" in page.text  # escaped
    assert "case.created" in page.text

    assert _post(c, first, "assign", to="me").status_code == 303
    assert _post(c, second, "assign", assignee="other@example.com").status_code == 303
    mine = c.get("/dashboard/cases", params={"assignee": "me"}).text
    assert "MATCH-1" in mine and "MATCH-2" not in mine
    assert "MATCH-1" not in c.get("/dashboard/cases", params={"assignee": "nobody"}).text
    assert _post(c, first, "due", due="2099-01-01T10:00").status_code == 400  # more than 90 days away: an error page
    soon = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    assert _post(c, first, "due", due=soon).status_code == 303
    assert "Due" in c.get("/dashboard/cases").text and soon.replace("T", " ") in c.get("/dashboard/cases").text
    assert _post(c, first, "due", due="").status_code == 303
    assert _post(c, first, "comment", comment="Checked the list entry").status_code == 303
    assert _post(c, first, "status", status="Approved").status_code == 303
    assert "MATCH-1" not in c.get("/dashboard/cases").text  # resolved: out of the queue
    assert "MATCH-1" in c.get("/dashboard/cases", params={"status": "approved"}).text
    page = c.get(f"/dashboard/cases/{first}").text
    assert "Checked the list entry" in page and "Reopen" in page and "Approve</button>" not in page

    db.rollback()
    row = db.get(Case, first)
    assert row.status == "Approved" and row.assignee_id == "rev@example.com" and row.resolver_type == "user"
    rows = db.scalars(select(AuditLog).where(AuditLog.object_id == first).order_by(AuditLog.created_at))
    audits = [(a.action, a.before_status, a.after_status) for a in rows]
    kept = ("Open", "Open")
    assert audits == [("case.assign", *kept), ("case.due", *kept), ("case.due", *kept), ("case.comment", *kept), ("case.status", "Open", "Approved")]
    names = [e.name for e in db.scalars(select(Event).where(Event.object_id == first).order_by(Event.created_at, Event.id))]
    assert names == ["case.created", "case.assigned", "case.status-updated", "case.resolved"]


def test_open_a_case_and_bad_input(app, client, world, engine, db) -> None:
    make_user(engine, "rev@example.com", "reviewer")
    make_user(engine, "viewer@example.com", "viewer")
    inquiry = new_inquiry(client, world.templates["Government ID"])
    c = signed_in(app, "rev@example.com")
    token = csrf_of(c.get("/dashboard/cases").text)
    made = c.post("/dashboard/cases", data={"csrf": token, "objects": f"{inquiry}", "comment": "looks odd"}, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"].startswith("/dashboard/cases/case_")
    case_id = made.headers["location"].rsplit("/", 1)[1]

    def count(model) -> int:
        db.rollback()
        return db.scalar(select(func.count()).select_from(model)) or 0

    before = (count(Case), count(Event), count(AuditLog))
    for form in ({"objects": "inq_missing"}, {"objects": " "}):
        answer = c.post("/dashboard/cases", data={"csrf": token, **form}, follow_redirects=False)
        assert answer.status_code in (400, 404) and "error" in answer.text.lower()
    assert _post(c, case_id, "status", status="Closed").status_code == 422
    assert _post(c, case_id, "assign", assignee="viewer@example.com").status_code == 422
    assert _post(c, case_id, "due", due="tomorrow").status_code == 400
    assert _post(c, case_id, "comment", comment="   ").status_code == 400
    assert _post(c, case_id, "explode").status_code == 404
    assert c.post(f"/dashboard/cases/{case_id}/comment", data={"csrf": "forged", "comment": "x"}).status_code == 403
    assert c.get("/dashboard/cases", params={"status": "bogus"}).status_code == 400
    assert c.get("/dashboard/cases/case_missing").status_code == 404
    assert (count(Case), count(Event), count(AuditLog)) == before

    viewer = signed_in(app, "viewer@example.com")
    page = viewer.get(f"/dashboard/cases/{case_id}")
    assert page.status_code == 200 and "Assign to me" not in page.text and "looks odd" in page.text
    assert _post(viewer, case_id, "assign", to="me").status_code == 403
    assert (count(Case), count(Event), count(AuditLog)) == before
