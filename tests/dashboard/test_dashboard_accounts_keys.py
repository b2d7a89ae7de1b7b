"""Accounts (list, search, page with its inquiries) and API keys (created with the secret shown once, revoked) from the dashboard."""

from dashboard_support import API, make_user, new_inquiry, post, signed_in
from fastapi.testclient import TestClient
from sqlalchemy import select

from openidv.models import ApiKey, AuditLog


def test_accounts_list_search_and_page(app, client, engine, world):
    make_user(engine, "viewer@example.com", "viewer")
    fields = {"name-first": "Mia", "name-last": "Wong", "email-address": "mia@example.com"}
    body = {"data": {"attributes": {"reference-id": "cust-7", "fields": fields, "tags": ["gold"]}}}
    account_id = client.post(f"{API}/accounts", json=body).json()["data"]["id"]
    other_id = client.post(f"{API}/accounts", json={"data": {"attributes": {"reference-id": "cust-8"}}}).json()["data"]["id"]
    inquiry_id = new_inquiry(client, world.templates["Government ID"], **{"account-id": account_id})
    c = signed_in(app, "viewer@example.com")
    everyone = c.get("/dashboard/accounts").text
    assert account_id in everyone and other_id in everyone
    for query in ("search=mia+wong", "search=MIA@example.com", "reference_id=cust-7"):
        found = c.get(f"/dashboard/accounts?{query}").text
        assert account_id in found and other_id not in found, query
    page = c.get(f"/dashboard/accounts/{account_id}").text
    assert "Mia" in page and "gold" in page and inquiry_id in page
    assert f'href="/dashboard/accounts/{account_id}"' in c.get(f"/dashboard/inquiries/{inquiry_id}").text
    assert c.get("/dashboard/accounts/act_nope").status_code == 404
    assert "Mia Wong" not in page.split("Inquiries of this account")[1]  # a viewer sees no names in lists

    make_user(engine, "reviewer@example.com", "reviewer")
    named = new_inquiry(client, world.templates["Government ID"], **{"account-id": account_id, "fields": fields})
    rows = signed_in(app, "reviewer@example.com").get(f"/dashboard/accounts/{account_id}").text.split("Inquiries of this account")[1]
    assert named in rows and "Mia Wong" in rows and "Government ID" in rows  # names and template names, as the lists show them


def test_api_keys_created_once_and_revoked_by_admins_only(app, engine, world, db):
    make_user(engine, "admin@example.com", "admin")
    make_user(engine, "reviewer@example.com", "reviewer")
    c = signed_in(app, "admin@example.com")
    answer = post(c, "/dashboard/api-keys", name="backend", permissions="inquiry.read")
    assert answer.status_code == 200
    secret = answer.text.split('id="secret" value="')[1].split('"')[0]
    assert secret.startswith("persona_sandbox_")
    assert secret not in c.get("/dashboard/api-keys").text  # shown once
    api = TestClient(app, headers={"Authorization": f"Bearer {secret}"})
    assert api.get(f"{API}/inquiries").status_code == 200
    assert api.post(f"{API}/inquiries", json={"data": {"attributes": {"inquiry-template-id": world.templates["Phone"]}}}).status_code == 403
    assert post(c, "/dashboard/api-keys", name="x", permissions="everything").status_code == 400
    db.rollback()
    key = db.scalars(select(ApiKey).where(ApiKey.name == "backend")).one()
    reviewer = signed_in(app, "reviewer@example.com")
    assert post(reviewer, "/dashboard/api-keys", name="sneaky").status_code == 403
    assert post(reviewer, f"/dashboard/api-keys/{key.id}/revoke").status_code == 403
    assert post(c, f"/dashboard/api-keys/{key.id}/revoke").status_code == 303
    assert api.get(f"{API}/inquiries").status_code == 401
    db.rollback()
    assert [a.action for a in db.scalars(select(AuditLog).order_by(AuditLog.created_at, AuditLog.id))] == ["api-key.create", "api-key.revoke"]
    assert db.scalars(select(ApiKey).where(ApiKey.name.in_(("x", "sneaky")))).all() == []
