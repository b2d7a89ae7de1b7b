"""`/metrics` scraped after real requests, jobs, webhook deliveries and verifications: the named metrics are
there, labelled by route template, job name, kind and outcome, with no ids in any label."""

import http.server
import threading
import time

import pytest
from conftest import scrape, value
from fastapi.testclient import TestClient
from sqlalchemy import select

from openidv.kit.db import session_factory, transaction
from openidv.models import Job, WebhookDelivery
from openidv.webhooks import delivery

TOKEN = "metrics-token-for-tests"


@pytest.fixture
def token(app, monkeypatch):
    monkeypatch.setattr(app.state.settings, "metrics_token", TOKEN)
    return {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def receiver():
    """A webhook receiver on loopback answering 200."""

    class Ok(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    saved = delivery.policy.allow_private_urls
    delivery.policy.allow_private_urls = True
    yield f"http://127.0.0.1:{server.server_port}/hook"
    delivery.policy.allow_private_urls = saved
    server.shutdown()


def _inquiry(client, world) -> str:
    made = client.post("/api/v1/inquiries", json={"data": {"attributes": {"inquiry-template-id": world.templates["Database"]}}})
    assert made.status_code == 201, made.text
    return made.json()["data"]["id"]


def test_metrics_refused_to_strangers_without_the_token(client, app):
    client.headers.pop("Authorization")
    answer = client.get("/metrics")
    assert answer.status_code == 403
    assert answer.json()["errors"][0]["title"] == "Forbidden"
    app.state.settings.metrics_token = None
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 403  # no token set: no empty match


def test_metrics_served_to_loopback_clients(app, world):
    with TestClient(app, client=("127.0.0.1", 50000)) as local:
        assert local.get("/metrics").status_code == 200


def test_request_latency_by_route_template_and_status(client, world, token):
    inquiry_id = _inquiry(client, world)
    before = scrape(client, **token)
    for _ in range(3):
        assert client.get(f"/api/v1/inquiries/{inquiry_id}").status_code == 200
    assert client.get("/api/v1/inquiries/inq_doesnotexist0000000000000").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    text = client.get("/metrics", headers=token).text
    after = scrape(client, **token)
    name = "openidv_http_request_duration_seconds_count"
    route = "/api/v1/inquiries/{inquiry_id}"
    assert value(after, name, method="GET", route=route, status="200") - value(before, name, method="GET", route=route, status="200") == 3
    assert value(after, name, method="GET", route=route, status="404") - value(before, name, method="GET", route=route, status="404") == 1
    assert value(after, name, method="GET", route="<unmatched>", status="404") >= 1
    assert value(after, name, method="POST", route="/api/v1/inquiries", status="201") >= 1
    assert value(after, "openidv_http_request_duration_seconds_sum", method="GET", route=route, status="200") > 0
    assert inquiry_id not in text and "doesnotexist" not in text and "/no/such/page" not in text  # no ids or raw paths in labels


def test_job_queue_depth_and_oldest_due_age_at_scrape_time(client, world, token, receiver, db):
    hook = {"data": {"attributes": {"name": "m", "url": receiver, "enabled-events": ["inquiry.created"]}}}
    assert client.post("/api/v1/webhooks", json=hook).status_code == 201
    _inquiry(client, world)
    _inquiry(client, world)
    queue = db.scalar(select(Job.queue).where(Job.name == "webhooks.deliver"))
    time.sleep(0.05)
    samples = scrape(client, **token)
    assert value(samples, "openidv_job_queue_depth", queue=queue, kind="webhooks.deliver") == 2
    assert value(samples, "openidv_job_queue_oldest_due_seconds", queue=queue, kind="webhooks.deliver") > 0


def test_webhook_deliveries_and_jobs_are_counted_when_they_run(client, world, token, receiver, job_worker, engine):
    hook = {"data": {"attributes": {"name": "m", "url": receiver, "enabled-events": ["inquiry.created"]}}}
    assert client.post("/api/v1/webhooks", json=hook).status_code == 201
    before = scrape(client, **token)
    _inquiry(client, world)
    deadline = time.monotonic() + 20
    while True:
        with transaction(session_factory(engine)) as db:
            statuses = list(db.scalars(select(WebhookDelivery.status)))
        if statuses == ["succeeded"]:
            break
        assert time.monotonic() < deadline, statuses
        time.sleep(0.05)
    deadline = time.monotonic() + 10
    while True:  # the job's own run is recorded as it returns, just after its transaction committed
        after = scrape(client, **token)
        ran = value(after, "openidv_job_duration_seconds_count", kind="webhooks.deliver", outcome="succeeded")
        if ran > value(before, "openidv_job_duration_seconds_count", kind="webhooks.deliver", outcome="succeeded") or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert value(after, "openidv_webhook_deliveries_total", outcome="succeeded") - value(before, "openidv_webhook_deliveries_total", outcome="succeeded") == 1
    assert value(after, "openidv_webhook_delivery_delay_seconds_count") - value(before, "openidv_webhook_delivery_delay_seconds_count") == 1
    assert value(after, "openidv_webhook_delivery_delay_seconds_sum") > value(before, "openidv_webhook_delivery_delay_seconds_sum")
    assert ran > value(before, "openidv_job_duration_seconds_count", kind="webhooks.deliver", outcome="succeeded")
    waiting = [v for (name, labels), v in after.items() if name == "openidv_job_queue_depth" and ("kind", "webhooks.deliver") in labels]
    assert sum(waiting) == 0  # delivered: nothing waits


def test_verifications_counted_by_kind_and_outcome(client, world, token):
    inquiry_id = _inquiry(client, world)
    before = scrape(client, **token)
    made = client.post("/api/v1/verification/databases", json={"data": {"attributes": {"inquiry-id": inquiry_id, "name-first": "Nobody",
                                                                                        "name-last": "Known", "birthdate": "1970-01-01"}}})
    assert made.status_code == 201, made.text
    done = client.post(f"/api/v1/verification/databases/{made.json()['data']['id']}/submit")
    assert done.status_code == 200, done.text
    outcome = done.json()["data"]["attributes"]["status"]
    assert outcome in ("passed", "failed", "requires_retry")
    after = scrape(client, **token)
    assert value(after, "openidv_verifications_total", kind="database", outcome=outcome) - value(before, "openidv_verifications_total", kind="database",
                                                                                                   outcome=outcome) == 1
    name = "openidv_verification_duration_seconds_count"
    assert value(after, name, kind="database", outcome=outcome) - value(before, name, kind="database", outcome=outcome) == 1
