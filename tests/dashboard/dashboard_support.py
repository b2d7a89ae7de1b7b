"""Helpers for the dashboard tests (uniquely named so pytest's rootdir imports cannot clash)."""

import re
from typing import Any

from fastapi.testclient import TestClient

from openidv.auth import service as auth
from openidv.kit.db import session_factory, transaction

API = "/api/v1"
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def make_user(engine, email: str, role: str, totp_secret: str | None = None) -> str:
    with transaction(session_factory(engine, writer=True)) as db:
        user = auth.create_user(db, email, PASSWORD, role)
        user.totp_secret = totp_secret
        return user.id


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD, code: str | None = None):
    form = client.get("/dashboard")
    data = {"csrf": csrf_of(form.text), "email": email, "password": password}
    if code is not None:
        data["code"] = code
    return client.post("/dashboard/sign-in", data=data, follow_redirects=False)


def signed_in(app, email: str) -> TestClient:
    """A new browser-like client (its own cookies; no API key) signed in as `email`."""
    c = TestClient(app)
    answer = sign_in(c, email)
    assert answer.status_code == 303, answer.text
    return c


def post(c: TestClient, path: str, **form: str):
    page = c.get("/dashboard/inquiries")
    return c.post(path, data={"csrf": csrf_of(page.text), **form}, follow_redirects=False)


def new_inquiry(api: TestClient, template_id: str, *, fields: dict[str, Any] | None = None, **attrs: Any) -> str:
    body = {"data": {"attributes": {"inquiry-template-id": template_id, "fields": fields or {}, **attrs}}}
    answer = api.post(f"{API}/inquiries", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]["id"]


def simulate(api: TestClient, inquiry_id: str, *actions: str) -> None:
    answer = api.post(f"{API}/inquiries/{inquiry_id}/perform-simulate-actions", json={"meta": {"simulate-actions": [{"type": a} for a in actions]}})
    assert answer.status_code == 200, answer.text
