"""Request ids and JSON logs: an incoming well-formed X-Request-Id is kept, anything else replaced; the id is
answered in the header and carried by every record logged while the request is handled (in the endpoint's
thread too), with secrets scrubbed from what is logged."""

import io
import json
import logging
import re

import pytest
from fastapi.testclient import TestClient

from openidv import wiring
from openidv.app import create_app
from openidv.operations.logs import JsonFormatter, scrub

log = logging.getLogger("openidv.tests.operations")


@pytest.fixture
def json_app(settings, world):
    app = create_app(settings.model_copy(update={"log_format": "json"}))

    def logs_inside() -> dict:
        log.warning("inside the endpoint, with %s and %s", f"Bearer {world.sandbox_key}", world.sandbox_key)
        return {}

    app.add_api_route("/tests/log-inside", logs_inside)
    yield app
    wiring.install(settings)


@pytest.fixture
def lines():
    """What the JSON formatter writes for openidv's loggers, one parsed object per line."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    target = logging.getLogger("openidv")
    saved = target.level
    target.addHandler(handler)
    target.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in out.getvalue().splitlines()]
    target.removeHandler(handler)
    target.setLevel(saved)


def test_a_well_formed_incoming_request_id_is_kept_and_logged(json_app, world, lines):
    client = TestClient(json_app, headers={"Authorization": f"Bearer {world.sandbox_key}"})
    answer = client.get("/api/v1/inquiries?page[size]=1&access_token=zzz", headers={"X-Request-Id": "trace-42.abc:1"})
    assert answer.status_code == 200
    assert answer.headers["X-Request-Id"] == "trace-42.abc:1"
    access = [line for line in lines() if line["logger"] == "openidv.access"]
    assert len(access) == 1
    line = access[0]
    assert line["request_id"] == "trace-42.abc:1" and line["level"] == "info"
    assert (line["method"], line["route"], line["path"], line["status"]) == ("GET", "/api/v1/inquiries", "/api/v1/inquiries", 200)
    assert line["duration_ms"] >= 0 and line["time"].endswith("Z")
    text = json.dumps(lines())
    assert "zzz" not in text and world.sandbox_key not in text  # no query values, no API key


@pytest.mark.parametrize("incoming", [None, "has spaces", "x" * 129, "semi;colon"])
def test_otherwise_an_id_is_made(json_app, incoming, lines):
    headers = {"X-Request-Id": incoming} if incoming else {}
    answer = TestClient(json_app).get("/healthz", headers=headers)
    made = answer.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{24,}", made)
    assert [line["request_id"] for line in lines() if line["logger"] == "openidv.access"] == [made]


def test_records_logged_inside_an_endpoint_carry_the_id_and_no_secret(json_app, world, lines):
    answer = TestClient(json_app).get("/tests/log-inside", headers={"X-Request-Id": "inside-1"})
    assert answer.status_code == 200
    inside = [line for line in lines() if line["logger"] == "openidv.tests.operations"]
    assert len(inside) == 1
    assert inside[0]["request_id"] == "inside-1" and inside[0]["level"] == "warning"
    assert world.sandbox_key not in inside[0]["message"]
    assert inside[0]["message"] == "inside the endpoint, with Bearer [redacted] and [redacted]"


def test_requests_get_different_ids_and_logs_outside_requests_none(json_app, lines):
    client = TestClient(json_app)
    ids = {client.get("/healthz").headers["X-Request-Id"] for _ in range(5)}
    assert len(ids) == 5
    log.warning("no request here")
    assert "request_id" not in [line for line in lines() if line["message"] == "no request here"][0]


def test_scrub_hides_secrets_in_any_message():
    assert scrub("postgresql://app:hunter2@db/openidv") == "postgresql://app:[redacted]@db/openidv"
    assert scrub("secret wbhsec_QUJDRA== rotated") == "secret [redacted] rotated"
    assert scrub("authorization: bearer abc.def") == "authorization: bearer [redacted]"
