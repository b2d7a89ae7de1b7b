"""The dashboard over plain HTTP: sign-in, lock-out, TOTP, CSRF, roles, environments, filters, actions, audit, redaction."""

import time
from datetime import timedelta

import pytest
from dashboard_support import API, csrf_of, make_user, new_inquiry, post, sign_in, signed_in, simulate
from sqlalchemy import select

from openidv.dashboard import auth
from openidv.kit import clock
from openidv.models import AuditLog, Inquiry, User

PAGES = ["/dashboard/inquiries", "/dashboard/queue", "/dashboard/audit", "/dashboard/inquiries/inq_x"]
ACTIONS = ["/dashboard/inquiries/inq_x/approve", "/dashboard/inquiries/inq_x/redact", "/dashboard/environment", "/dashboard/sign-out"]


@pytest.fixture
def people(engine, world):
    return {role: make_user(engine, f"{role}@example.com", role) for role in ("admin", "reviewer", "viewer")}


def test_without_a_session_everything_redirects_to_sign_in(app, world):
    from fastapi.testclient import TestClient

    c = TestClient(app)
    for path in PAGES:
        answer = c.get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/dashboard"), path
    for path in ACTIONS:
        answer = c.post(path, data={"csrf": "x"}, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/dashboard"), path
    c.cookies.set(auth.COOKIE, "forged.cookie", path="/dashboard")
    assert c.get("/dashboard/inquiries", follow_redirects=False).status_code == 303
    form = c.get("/dashboard")
    assert 'for="email">Email<' in form.text and 'for="password">Password<' in form.text and ">Sign in</button>" in form.text
    assert "default-src 'self'" in form.headers["content-security-policy"]


def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_ends_it(app, people):
    from fastapi.testclient import TestClient

    c = TestClient(app)
    answer = sign_in(c, "Reviewer@Example.com")
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/inquiries"
    cookie = [h for h in answer.headers.get_list("set-cookie") if h.startswith(auth.COOKIE + "=")][0].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/dashboard" in cookie
    assert c.get("/dashboard/inquiries").status_code == 200
    assert post(c, "/dashboard/sign-out").status_code == 303
    assert c.get("/dashboard/inquiries", follow_redirects=False).status_code == 303


def test_sign_in_form_needs_its_csrf_token(app, people):
    from fastapi.testclient import TestClient

    c = TestClient(app)
    c.get("/dashboard")
    answer = c.post("/dashboard/sign-in", data={"email": "admin@example.com", "password": "correct horse battery"}, follow_redirects=False)
    assert answer.status_code == 403 and auth.COOKIE not in answer.cookies


def test_failures_wait_instead_of_locking(app, people, db):
    from fastapi.testclient import TestClient

    from openidv.auth import throttle

    c = TestClient(app)
    for _ in range(throttle.FREE["email"]):
        assert sign_in(c, "viewer@example.com", "wrong password!").status_code == 401
    assert sign_in(c, "viewer@example.com").status_code == 303  # the free failures lock nothing
    assert sign_in(TestClient(app), "nobody@example.com").status_code == 401
    # tests/security/test_sign_in_findings.py covers the backoff per address and per e-mail


def test_totp_follows_rfc_6238_and_is_required_when_set(app, engine, world):
    from fastapi.testclient import TestClient

    rfc_secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # "12345678901234567890", RFC 6238 appendix B
    assert auth.totp(rfc_secret, 59, digits=8) == "94287082"
    assert auth.totp(rfc_secret, 1111111109, digits=8) == "07081804"
    assert auth.totp(rfc_secret, 20000000000, digits=8) == "65353130"
    secret = auth.new_totp_secret()
    make_user(engine, "second@example.com", "reviewer", totp_secret=secret)
    c = TestClient(app)
    assert sign_in(c, "second@example.com").status_code == 401
    wrong = str((int(auth.totp(secret, time.time())) + 1) % 1_000_000).zfill(6)
    assert sign_in(c, "second@example.com", code=wrong).status_code == 401
    assert sign_in(c, "second@example.com", code=auth.totp(secret, time.time())).status_code == 303


def test_actions_need_the_csrf_token(app, client, people, world, db):
    inquiry_id = new_inquiry(client, world.templates["Government ID"])
    c = signed_in(app, "reviewer@example.com")
    answer = c.post(f"/dashboard/inquiries/{inquiry_id}/approve", data={"comment": "ok"}, follow_redirects=False)
    assert answer.status_code == 403
    answer = c.post(f"/dashboard/inquiries/{inquiry_id}/approve", data={"csrf": "0" * 64}, follow_redirects=False)
    assert answer.status_code == 403
    other = signed_in(app, "admin@example.com")  # another session's token is not this one's
    token = csrf_of(other.get("/dashboard/inquiries").text)
    assert c.post(f"/dashboard/inquiries/{inquiry_id}/approve", data={"csrf": token}, follow_redirects=False).status_code == 403
    assert db.get(Inquiry, inquiry_id).status == "created"
    assert db.scalars(select(AuditLog)).all() == []


def test_reviewer_approves_with_a_comment_and_the_audit_log_records_it(app, client, people, world, db):
    inquiry_id = new_inquiry(client, world.templates["Government ID"], fields={"name-first": "Jane", "name-last": "Doe"})
    simulate(client, inquiry_id, "start_inquiry", "mark_for_review_inquiry")
    c = signed_in(app, "reviewer@example.com")
    page = c.get(f"/dashboard/inquiries/{inquiry_id}")
    assert ">Approve</button>" in page.text and ">Decline</button>" in page.text and ">Mark for review</button>" in page.text
    assert "Jane" in page.text and "Redact" not in page.text  # redaction is for admins
    answer = post(c, f"/dashboard/inquiries/{inquiry_id}/approve", comment="Documents match <b>")
    assert answer.status_code == 303
    page = c.get(f"/dashboard/inquiries/{inquiry_id}")
    assert "inquiry.approved" in page.text and "Documents match &lt;b&gt;" in page.text
    api = client.get(f"{API}/inquiries/{inquiry_id}").json()["data"]["attributes"]
    assert api["status"] == "approved" and api["reviewer-comment"] == "Documents match <b>"
    db.rollback()
    row = db.scalars(select(AuditLog)).one()
    assert (row.user_email, row.action, row.object_id, row.before_status, row.after_status) == (
        "reviewer@example.com", "approve", inquiry_id, "needs_review", "approved")
    audit = c.get("/dashboard/audit?action=approve").text
    assert inquiry_id in audit and "needs_review" in audit and "reviewer@example.com" in audit
    assert inquiry_id not in c.get("/dashboard/audit?action=decline").text
    assert db.get(Inquiry, inquiry_id).reviewer_id == people["reviewer"]


def test_viewer_sees_no_decision_buttons_and_is_refused(app, client, people, world, db):
    inquiry_id = new_inquiry(client, world.templates["Government ID"])
    c = signed_in(app, "viewer@example.com")
    page = c.get(f"/dashboard/inquiries/{inquiry_id}")
    assert page.status_code == 200 and ">Approve</button>" not in page.text and ">Decline</button>" not in page.text
    for action in ("approve", "decline", "mark-for-review", "tags", "note", "expire", "redact"):
        assert post(c, f"/dashboard/inquiries/{inquiry_id}/{action}", comment="x", tags="a").status_code == 403, action
    assert db.get(Inquiry, inquiry_id).status == "created"
    reviewer = signed_in(app, "reviewer@example.com")
    assert post(reviewer, f"/dashboard/inquiries/{inquiry_id}/redact", confirm=inquiry_id).status_code == 403


def test_one_environment_never_shows_the_other(app, client, people, world):
    from fastapi.testclient import TestClient

    api_prod = TestClient(app, headers={"Authorization": f"Bearer {world.production_key}"})
    prod_id = new_inquiry(api_prod, world.production_templates["Government ID"], **{"reference-id": "prod-ref"})
    sandbox_id = new_inquiry(client, world.templates["Government ID"], **{"reference-id": "sandbox-ref"})
    c = signed_in(app, "admin@example.com")
    listing = c.get("/dashboard/inquiries").text
    assert sandbox_id in listing and prod_id not in listing and "prod-ref" not in listing
    assert c.get(f"/dashboard/inquiries/{prod_id}").status_code == 404
    assert post(c, f"/dashboard/inquiries/{prod_id}/approve").status_code == 404
    assert c.get(f"/dashboard/inquiries?after={prod_id}").status_code == 400  # no cursor from the other side
    assert post(c, "/dashboard/environment", environment="production").status_code == 303
    listing = c.get("/dashboard/inquiries").text
    assert prod_id in listing and sandbox_id not in listing
    assert c.get(f"/dashboard/inquiries/{sandbox_id}").status_code == 404
    assert post(c, "/dashboard/environment", environment="staging").status_code == 400


def test_filters_search_and_paging(app, client, people, world):
    gov, phone = world.templates["Government ID"], world.templates["Phone"]
    jane_fields = {"name-first": "Jane", "name-last": "Doe", "email-address": "jane@example.com"}
    jane = new_inquiry(client, gov, fields=jane_fields, tags=["vip"], **{"reference-id": "r-1"})
    john = new_inquiry(client, phone, fields={"name-first": "John", "name-last": "Roe"}, tags=["vipx"])
    others = [new_inquiry(client, gov) for _ in range(30)]
    simulate(client, john, "start_inquiry", "mark_for_review_inquiry")
    c = signed_in(app, "viewer@example.com")

    def ids(query: str) -> set[str]:
        page = c.get(f"/dashboard/inquiries?{query}")
        assert page.status_code == 200, page.text
        return {i for i in [jane, john, *others] if i in page.text}

    assert ids("search=jane+doe") == {jane} and ids("search=JANE@example.com") == {jane} and ids("search=nobody") == set()
    assert ids("status=needs_review") == {john}
    assert ids(f"template={phone}") == {john}
    assert ids("tag=vip") == {jane}
    assert ids("reference_id=r-1") == {jane}
    assert ids("created_from=2000-01-01&created_to=2000-12-31") == set()
    assert c.get("/dashboard/inquiries?status=bogus").status_code == 400
    assert c.get("/dashboard/inquiries?created_from=yesterday").status_code == 400
    first = c.get("/dashboard/inquiries")
    assert first.text.count('<a href="/dashboard/inquiries/inq_') == 25 and "Older</a>" in first.text
    older = first.text.split('href="?')[-1].split('"')[0].replace("&amp;", "&")
    second = c.get(f"/dashboard/inquiries?{older}")
    assert second.text.count('<a href="/dashboard/inquiries/inq_') == 7 and "Newer</a>" in second.text
    queue = c.get("/dashboard/queue").text
    assert john in queue and jane not in queue


def test_tags_note_expire_resume_and_one_time_link(app, client, people, world, db):
    inquiry_id = new_inquiry(client, world.templates["Government ID"])
    c = signed_in(app, "reviewer@example.com")
    assert post(c, f"/dashboard/inquiries/{inquiry_id}/tags", tags="fraud-check, vip").status_code == 303
    assert post(c, f"/dashboard/inquiries/{inquiry_id}/note", note="called the customer").status_code == 303
    answer = post(c, f"/dashboard/inquiries/{inquiry_id}/one-time-link")
    page = c.get(answer.headers["location"]).text
    assert "/verify?code=" in page and "<svg" in page
    assert post(c, f"/dashboard/inquiries/{inquiry_id}/expire").status_code == 303
    assert post(c, f"/dashboard/inquiries/{inquiry_id}/one-time-link").status_code == 409
    assert post(c, f"/dashboard/inquiries/{inquiry_id}/resume").status_code == 303
    db.rollback()
    inquiry = db.get(Inquiry, inquiry_id)
    assert (inquiry.tags, inquiry.note, inquiry.status) == (["fraud-check", "vip"], "called the customer", "pending")
    actions = [(a.action, a.before_status, a.after_status) for a in db.scalars(select(AuditLog).order_by(AuditLog.created_at, AuditLog.id))]
    assert [a[0] for a in actions] == ["tags", "note", "one-time-link", "expire", "resume"]
    assert ("expire", "created", "expired") in actions and ("resume", "expired", "pending") in actions
    assert post(c, f"/dashboard/inquiries/{inquiry_id}/bogus").status_code == 404


def test_redacted_inquiry_shows_no_pii(app, client, people, world, db):
    fields = {"name-first": "Zelda", "name-last": "Quux", "email-address": "zq@example.com"}
    inquiry_id = new_inquiry(client, world.templates["Government ID"], fields=fields, note="Zelda called")
    c = signed_in(app, "admin@example.com")
    assert "Zelda" in c.get(f"/dashboard/inquiries/{inquiry_id}").text
    assert post(c, f"/dashboard/inquiries/{inquiry_id}/redact", confirm="wrong").status_code == 400
    assert post(c, f"/dashboard/inquiries/{inquiry_id}/redact", confirm=inquiry_id).status_code == 303
    for path in (f"/dashboard/inquiries/{inquiry_id}", "/dashboard/inquiries", "/dashboard/audit"):
        text = c.get(path).text
        assert "Zelda" not in text and "Quux" not in text and "zq@example.com" not in text, path
    assert c.get("/dashboard/inquiries?search=zelda+quux").text.count(inquiry_id) == 0
    assert "Redacted" in c.get(f"/dashboard/inquiries/{inquiry_id}").text


def test_a_user_turns_totp_on_and_off_from_the_dashboard(app, people, db):
    import re as _re

    # Start one second into a 30 s step, so the test's codes and the server's clock stay in the same step
    # (a run that crossed a step boundary between two lines once found a "used" code fresh again).
    clock.advance(timedelta(seconds=31 - clock.now().timestamp() % 30))
    at = clock.now().timestamp()
    c = signed_in(app, "viewer@example.com")
    page = c.get("/dashboard/security").text
    secret = _re.search(r"<code>([A-Z2-7]+)</code>", page).group(1)
    pending = _re.search(r'name="pending" value="([^"]+)"', page).group(1)
    assert "<svg" in page
    assert post(c, "/dashboard/security/totp", pending=pending, code="000000" if auth.totp(secret, at) != "000000" else "111111").status_code == 400
    assert post(c, "/dashboard/security/totp", pending=pending + "x", code=auth.totp(secret, at)).status_code == 400
    assert post(c, "/dashboard/security/totp", pending=pending, code=auth.totp(secret, at)).status_code == 303
    db.rollback()
    assert db.get(User, people["viewer"]).totp_secret == secret
    from fastapi.testclient import TestClient

    assert sign_in(TestClient(app), "viewer@example.com").status_code == 401  # now the code is required
    # The set-up's code was used; the next step's is accepted (one step of drift) and then used too.
    assert sign_in(TestClient(app), "viewer@example.com", code=auth.totp(secret, at)).status_code == 401
    assert sign_in(TestClient(app), "viewer@example.com", code=auth.totp(secret, at + 30)).status_code == 303
    assert "Turn off" in c.get("/dashboard/security").text
    assert post(c, "/dashboard/security/totp", code=auth.totp(secret, at + 30)).status_code == 400  # used
    assert post(c, "/dashboard/security/totp", code=auth.totp(secret, at + 90)).status_code == 400  # too far ahead
    clock.advance(timedelta(seconds=60))
    assert post(c, "/dashboard/security/totp", code=auth.totp(secret, clock.now().timestamp())).status_code == 303
    db.rollback()
    assert db.get(User, people["viewer"]).totp_secret is None
    assert [a.action for a in db.scalars(select(AuditLog).order_by(AuditLog.created_at, AuditLog.id))] == ["totp.enable", "totp.disable"]
