"""The Users page and a user's own password over HTTP: admins only, every action audited, bad input a 4xx
that changes nothing, sessions ended on the server, TOTP required before anything else."""

import re
import time

import pytest
from dashboard_support import PASSWORD, make_user, post, sign_in, signed_in
from fastapi.testclient import TestClient
from sqlalchemy import select

from openidv.auth import passwords
from openidv.dashboard import auth
from openidv.models import AuditLog, User


@pytest.fixture
def people(engine, world):
    return {role: make_user(engine, f"{role}@example.com", role) for role in ("admin", "reviewer", "viewer")}


def _audit(db) -> list[tuple[str, str | None, str | None, str | None]]:
    db.rollback()
    return [(a.action, a.object_id, a.before_status, a.after_status) for a in db.scalars(select(AuditLog).order_by(AuditLog.created_at, AuditLog.id))]


def test_only_admins_see_and_use_the_users_page(app, people, db):
    reviewer = signed_in(app, "reviewer@example.com")
    assert 'href="/dashboard/users"' not in reviewer.get("/dashboard/inquiries").text
    assert reviewer.get("/dashboard/users").status_code == 403
    for action in ("disable", "reset-password", "require-totp", "role"):
        answer = post(reviewer, f"/dashboard/users/{people['viewer']}/{action}", role="admin", required="on")
        assert answer.status_code == 403, action
    db.rollback()
    viewer = db.get(User, people["viewer"])
    assert (viewer.role, viewer.disabled_at, viewer.totp_required) == ("viewer", None, False)
    assert _audit(db) == []
    admin = signed_in(app, "admin@example.com")
    page = admin.get("/dashboard/users")
    assert page.status_code == 200 and 'href="/dashboard/users"' in page.text
    assert all(f"{role}@example.com" in page.text for role in ("admin", "reviewer", "viewer"))


def test_each_admin_action_is_audited_and_takes_effect(app, people, db):
    admin, reviewer = signed_in(app, "admin@example.com"), signed_in(app, "reviewer@example.com")
    target = people["reviewer"]
    answer = post(admin, f"/dashboard/users/{target}/role", role="viewer", sandbox_only="on")
    assert (answer.status_code, answer.headers["location"]) == (303, "/dashboard/users?done=role")
    assert "Role saved." in admin.get(answer.headers["location"]).text
    assert reviewer.get("/dashboard/inquiries", follow_redirects=False).status_code == 303  # limited: its sessions ended
    assert post(admin, f"/dashboard/users/{target}/require-totp", required="on").status_code == 303
    asked = post(admin, f"/dashboard/users/{target}/reset-password")
    assert asked.status_code == 200 and "Reset this password?" in asked.text and "reviewer@example.com" in asked.text
    assert reviewer.get("/dashboard/inquiries", follow_redirects=False).status_code == 303  # (ended by the role change)
    reset = post(admin, f"/dashboard/users/{target}/reset-password", confirmed="yes")
    new_password = re.search(r'id="new-password" value="([^"]+)"', reset.text).group(1)
    assert reset.headers["cache-control"] == "no-store" and new_password not in admin.get("/dashboard/users").text
    passwords.check_strength(new_password)
    assert "Disable this user?" in post(admin, f"/dashboard/users/{target}/disable").text
    assert sign_in(TestClient(app), "reviewer@example.com", new_password).status_code == 303  # not yet: only asked
    assert post(admin, f"/dashboard/users/{target}/disable", confirmed="yes").status_code == 303
    assert sign_in(TestClient(app), "reviewer@example.com", new_password).status_code == 401  # disabled
    assert post(admin, f"/dashboard/users/{target}/enable").status_code == 303
    assert sign_in(TestClient(app), "reviewer@example.com", new_password).status_code == 303
    assert _audit(db) == [
        ("user.role", target, "reviewer", "viewer sandbox"),
        ("user.totp-required", target, None, None),
        ("user.password-reset", target, None, None),
        ("user.disable", target, "enabled", "disabled"),
        ("user.enable", target, "disabled", "enabled"),
    ]


def test_bad_input_is_a_clear_4xx_and_changes_nothing(app, people, db):
    admin = signed_in(app, "admin@example.com")
    bad_role = post(admin, f"/dashboard/users/{people['viewer']}/role", role="owner")
    assert bad_role.status_code == 400 and "role must be one of admin, reviewer, viewer" in bad_role.text
    assert post(admin, "/dashboard/users/user_nobody/disable").status_code == 404  # refused before being asked to confirm
    myself = post(admin, f"/dashboard/users/{people['admin']}/disable", confirmed="yes")
    assert myself.status_code == 400 and "cannot disable yourself" in myself.text
    last_admin = post(admin, f"/dashboard/users/{people['admin']}/role", role="viewer")
    assert last_admin.status_code == 400 and "only enabled admin" in last_admin.text
    forged = admin.post(f"/dashboard/users/{people['viewer']}/disable", data={"csrf": "0" * 64, "confirmed": "yes"}, follow_redirects=False)
    assert forged.status_code == 403
    db.rollback()
    assert [(u.role, u.disabled_at) for u in db.scalars(select(User).order_by(User.email))] == [("admin", None), ("reviewer", None), ("viewer", None)]
    assert _audit(db) == []


def test_an_admin_adds_a_user_who_signs_in_with_the_password_shown_once(app, people, db):
    admin = signed_in(app, "admin@example.com")
    assert 'action="/dashboard/users"' in admin.get("/dashboard/users").text
    made = post(admin, "/dashboard/users", email=" New.Reviewer@Example.com ", role="reviewer", sandbox_only="on")
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    password = re.search(r'id="new-password" value="([^"]+)"', made.text).group(1)
    assert "New user new.reviewer@example.com" in made.text and password not in admin.get("/dashboard/users").text
    assert sign_in(TestClient(app), "new.reviewer@example.com", password).status_code == 303
    db.rollback()
    user = db.scalars(select(User).where(User.email == "new.reviewer@example.com")).one()
    assert (user.role, user.sandbox_only) == ("reviewer", True)
    assert _audit(db) == [("user.create", user.id, None, "reviewer sandbox")]


def test_adding_a_user_refuses_bad_input_and_other_roles_and_writes_nothing(app, people, db):
    admin, reviewer = signed_in(app, "admin@example.com"), signed_in(app, "reviewer@example.com")
    assert post(reviewer, "/dashboard/users", email="x@example.com", role="viewer").status_code == 403
    for email, role, why in (("viewer@example.com", "viewer", "exists already"), ("not-an-address", "viewer", "e-mail address"),
                             ("y@example.com", "owner", "role must be one of")):
        answer = post(admin, "/dashboard/users", email=email, role=role)
        assert answer.status_code == 400 and why in answer.text, (email, answer.text)
    db.rollback()
    assert db.scalars(select(User.email).order_by(User.email)).all() == ["admin@example.com", "reviewer@example.com", "viewer@example.com"]
    assert _audit(db) == []


def test_a_user_required_to_use_totp_sets_it_up_first(app, people, db):
    admin = signed_in(app, "admin@example.com")
    assert post(admin, f"/dashboard/users/{people['viewer']}/require-totp", required="on").status_code == 303
    viewer = signed_in(app, "viewer@example.com")
    answer = viewer.get("/dashboard/inquiries", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/dashboard/security")
    page = viewer.get("/dashboard/security").text
    assert "An admin requires an authenticator code" in page
    secret = re.search(r"<code>([A-Z2-7]+)</code>", page).group(1)
    pending = re.search(r'name="pending" value="([^"]+)"', page).group(1)
    assert post(viewer, "/dashboard/security/totp", pending=pending, code=auth.totp(secret, time.time())).status_code == 303
    assert viewer.get("/dashboard/inquiries").status_code == 200
    refused = post(viewer, "/dashboard/security/totp", code=auth.totp(secret, time.time() + 30))
    assert refused.status_code == 400 and "stays on" in refused.text


def test_a_user_changes_their_own_password(app, people, db):
    c, elsewhere = signed_in(app, "viewer@example.com"), signed_in(app, "viewer@example.com")
    assert c.get("/dashboard/password").status_code == 200
    for form, message in (
        ({"current": "not it at all", "new": "a brand new phrase 7", "repeat": "a brand new phrase 7"}, "current password is not right"),
        ({"current": PASSWORD, "new": "aaaaaaaaaa", "repeat": "aaaaaaaaaa"}, "too easy to guess"),
        ({"current": PASSWORD, "new": "a brand new phrase 7", "repeat": "another phrase 7"}, "two new passwords differ"),
    ):
        answer = post(c, "/dashboard/password", **form)
        assert answer.status_code == 400 and message in answer.text, message
    assert sign_in(TestClient(app), "viewer@example.com").status_code == 303  # unchanged so far
    done = post(c, "/dashboard/password", current=PASSWORD, new="a brand new phrase 7", repeat="a brand new phrase 7")
    assert (done.status_code, done.headers["location"]) == (303, "/dashboard/password?done=1")
    assert "Your password was changed" in c.get("/dashboard/password?done=1").text  # this browser goes on
    assert elsewhere.get("/dashboard/inquiries", follow_redirects=False).status_code == 303  # the others ended
    assert sign_in(TestClient(app), "viewer@example.com").status_code == 401
    assert sign_in(TestClient(app), "viewer@example.com", "a brand new phrase 7").status_code == 303
    assert [a[0] for a in _audit(db)] == ["user.password-change"]


def test_a_sandbox_only_user_left_in_production_is_refused(app, people, engine, db):
    from openidv.kit.db import session_factory, transaction

    viewer = signed_in(app, "viewer@example.com")
    assert post(viewer, "/dashboard/environment", environment="production").status_code == 303
    assert viewer.get("/dashboard/inquiries").status_code == 200
    with transaction(session_factory(engine, writer=True)) as w:  # limited behind the service's back: pages refuse anyway
        w.get(User, people["viewer"]).sandbox_only = True
    refused = viewer.get("/dashboard/api-keys")
    assert refused.status_code == 403 and "limited to the sandbox" in refused.text
    assert post(viewer, "/dashboard/environment", environment="bogus").status_code == 400
    assert post(viewer, "/dashboard/environment", environment="sandbox").status_code == 303  # the way back
    assert viewer.get("/dashboard/api-keys").status_code == 200


def test_expired_sessions_and_forgotten_failures_are_pruned(app, people, db):
    from datetime import timedelta

    from openidv.dashboard import tasks
    from openidv.jobs import runtime
    from openidv.kit import clock
    from openidv.models import SignInThrottle, UserSession

    signed_in(app, "viewer@example.com")
    assert sign_in(TestClient(app), "viewer@example.com", "wrong guess 12345").status_code == 401
    runtime.configure(app.state.writer)
    assert tasks.prune_sign_ins() == 0  # nothing expired or forgotten yet
    clock.advance(timedelta(hours=13))
    assert tasks.prune_sign_ins() == 3  # the session, the address's and the e-mail's failure counts
    clock.reset()
    db.rollback()
    assert db.scalars(select(UserSession)).all() == [] and db.scalars(select(SignInThrottle)).all() == []
