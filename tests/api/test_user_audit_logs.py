"""Persona's user audit logs (`/user-audit-logs`): the dashboard's audit log through the API."""

from datetime import datetime

from api.core_support import API, assert_error  # type: ignore[import-not-found]
from dashboard.dashboard_support import make_user, new_inquiry, post, signed_in, simulate  # type: ignore[import-not-found]


def test_a_dashboard_decision_appears_with_its_actor_action_object_and_time(app, client, engine, world) -> None:
    user_id = make_user(engine, "reviewer@example.com", "reviewer")
    inquiry_id = new_inquiry(client, world.templates["Government ID"])
    simulate(client, inquiry_id, "start_inquiry", "mark_for_review_inquiry")
    browser = signed_in(app, "reviewer@example.com")
    assert post(browser, f"/dashboard/inquiries/{inquiry_id}/approve", comment="Documents match").status_code == 303

    answer = client.get(f"{API}/user-audit-logs")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    [entry] = body["data"]
    assert entry["type"] == "user-audit-log" and entry["relationships"]["user"]["data"] == {"type": "user", "id": user_id}
    attributes = entry["attributes"]
    assert attributes["path"] == f"/dashboard/inquiries/{inquiry_id}/approve" and attributes["method"] == "POST"
    assert attributes["context"] == {
        "action": "approve", "object-id": inquiry_id, "status-before": "needs_review", "status-after": "approved",
        "detail": "Documents match", "user-email-address": "reviewer@example.com",
    }
    assert abs((datetime.now().astimezone() - datetime.fromisoformat(attributes["created-at"])).total_seconds()) < 60
    assert body["included"] == [{"type": "user", "id": user_id, "attributes": {"email-address": "reviewer@example.com"}}]
    assert body["links"] == {"prev": None, "next": None}
    assert "included" not in client.get(f"{API}/user-audit-logs", params={"include": ""}).json()

    one = client.get(f"{API}/user-audit-logs/{entry['id']}")
    assert one.status_code == 200 and one.json()["data"] == entry and "included" not in one.json()
    assert client.get(f"{API}/user-audit-logs/{entry['id']}", params={"include": "user"}).json()["included"] == body["included"]
    assert_error(client.get(f"{API}/user-audit-logs/{entry['id']}", params={"include": "inquiry"}), 400)
    assert_error(client.get(f"{API}/user-audit-logs/audit_missing"), 404)


def test_a_key_without_user_audit_log_read_gets_403_and_environments_stay_apart(app, client, engine, world) -> None:
    make_user(engine, "admin@example.com", "admin")
    inquiry_id = new_inquiry(client, world.templates["Government ID"])
    assert post(signed_in(app, "admin@example.com"), f"/dashboard/inquiries/{inquiry_id}/note", note="seen").status_code == 303
    [entry] = client.get(f"{API}/user-audit-logs").json()["data"]
    assert entry["attributes"]["context"]["action"] == "note"

    made = client.post(f"{API}/api-keys", json={"data": {"attributes": {"name": "no audit", "permissions": ["inquiry.read"]}}})
    secret = made.json()["data"]["attributes"]["value"]
    assert_error(client.get(f"{API}/user-audit-logs", headers={"Authorization": f"Bearer {secret}"}), 403)
    assert_error(client.get(f"{API}/user-audit-logs/{entry['id']}", headers={"Authorization": f"Bearer {secret}"}), 403)

    production = {"Authorization": f"Bearer {world.production_key}"}
    assert client.get(f"{API}/user-audit-logs", headers=production).json()["data"] == []
    assert_error(client.get(f"{API}/user-audit-logs/{entry['id']}", headers=production), 404)
