"""Persona's API logs: every authenticated request is recorded (who, what, when, from where, status), without
bodies, query values or secrets; `api_log.read` reads them; old rows are purged."""

import json
from datetime import timedelta

from api.core_support import API, assert_error, create  # type: ignore[import-not-found]

from openidv.kit import clock


def _logs(client) -> list[dict]:
    answer = client.get(f"{API}/api-logs", params={"page[size]": 100})
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def test_calls_are_logged_without_pii_or_query_values(client, world) -> None:
    inquiry = create(client, next(iter(world.templates.values())), attrs={"fields": {"name-first": "Zelda", "email-address": "zelda@example.com"}})["data"]
    found = client.get(f"{API}/accounts", params={"filter[reference-id]": "secret-ref-42"}, headers={"User-Agent": "audit-test/1"})
    assert found.status_code == 200
    client.get(f"{API}/inquiries/inq_missing")
    logs = _logs(client)
    dump = json.dumps(logs)
    assert "Zelda" not in dump and "zelda@example.com" not in dump and "secret-ref-42" not in dump and world.sandbox_key not in dump

    by_path = {(entry["attributes"]["request"]["method"], entry["attributes"]["request"]["path"]): entry for entry in logs}
    created = by_path[("POST", f"{API}/inquiries")]["attributes"]
    assert created["response"]["status"] == 201 and created["request"]["ip-address"] and created["created-at"]
    assert "post-params" not in created["request"]
    listed = by_path[("GET", f"{API}/accounts")]
    assert listed["attributes"]["request"]["get-params"] == {"filter[reference-id]": "[FILTERED]"}
    assert by_path[("GET", f"{API}/inquiries/inq_missing")]["attributes"]["response"]["status"] == 404
    assert inquiry["id"]

    detail = client.get(f"{API}/api-logs/{listed['id']}")
    assert detail.status_code == 200, detail.text
    headers = detail.json()["data"]["attributes"]["request"]["headers"]
    assert headers["User-Agent"] == "audit-test/1" and world.sandbox_key not in json.dumps(headers)
    assert headers["Authorization"].startswith("Bearer [FILTERED] api_")
    # The log id is the answer's Request-Id.
    answer = client.get(f"{API}/inquiries")
    assert client.get(f"{API}/api-logs/{answer.headers['Request-Id']}").status_code == 200
    assert_error(client.get(f"{API}/api-logs/req_missing"), 404)


def test_a_key_without_api_log_read_gets_403_and_other_environments_stay_apart(client, world) -> None:
    made = client.post(f"{API}/api-keys", json={"data": {"attributes": {"name": "no logs", "permissions": ["inquiry.read"]}}})
    secret = made.json()["data"]["attributes"]["value"]
    assert_error(client.get(f"{API}/api-logs", headers={"Authorization": f"Bearer {secret}"}), 403)
    assert_error(client.get(f"{API}/api-logs/req_x", headers={"Authorization": f"Bearer {secret}"}), 403)
    sandbox_ids = {entry["id"] for entry in _logs(client)}
    production = client.get(f"{API}/api-logs", headers={"Authorization": f"Bearer {world.production_key}"}).json()["data"]
    assert sandbox_ids and not sandbox_ids & {entry["id"] for entry in production}


def test_unauthenticated_calls_are_not_logged_and_old_rows_are_purged(client, app) -> None:
    from openidv.api_logs import service, tasks
    from openidv.jobs import runtime

    client.get(f"{API}/inquiries", headers={"Authorization": "Bearer nope"})
    assert all(entry["attributes"]["response"]["status"] != 401 for entry in _logs(client))
    runtime.configure(app.state.writer)
    service.flush(app.state.writer)
    clock.advance(timedelta(days=tasks.Retention.days + 1))
    assert tasks.purge_expired() >= 1
    clock.reset()
    assert [entry["attributes"]["request"]["path"] for entry in _logs(client)] == []
