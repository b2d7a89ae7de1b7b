"""The Workflows API (Persona's operations and openidv's extensions) against the spec, with bad input."""

import json
from pathlib import Path

import jsonschema
import pytest
from workflows.support import API, finished_run, inquiry, simulate

SPEC = json.loads((Path(__file__).parents[2] / "vendor/persona-openapi/2025-12-08/openapi-bundled.json").read_text())

API_TRIGGERED = """\
trigger:
  api:
    fields:
      inquiry-id: {type: string, required: true}
      score: {type: integer}
steps:
  - name: review
    if: trigger.fields.score > 50
    action: mark-for-review
    with: {comment: High score}
    end: true
  - name: approve
    action: approve
"""


def _response_schema(path: str, method: str) -> dict:
    schema = SPEC["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
    return {**schema, "components": SPEC["components"]}


def _valid(answer, path: str, method: str = "get") -> dict:
    assert answer.status_code == 200, answer.text
    body = answer.json()
    jsonschema.validate(body, _response_schema(path, method))
    return body


def _error(answer, status: int, fragment: str) -> dict:
    assert answer.status_code == status, answer.text
    (error,) = answer.json()["errors"]
    assert fragment in error["details"], error
    return error


def _create(client, name: str, definition: str) -> dict:
    answer = client.post(f"{API}/workflows", json={"data": {"attributes": {"name": name, "definition": definition}}})
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


def test_define_publish_enable_trigger_and_read_runs(client, world, engine, job_worker) -> None:
    workflow = _create(client, "api", API_TRIGGERED)
    assert workflow["attributes"]["status"] == "disabled" and workflow["relationships"]["live-version"]["data"] is None
    _error(client.post(f"{API}/workflows/{workflow['id']}/enable"), 409, "Publish a version")
    published = client.post(f"{API}/workflows/{workflow['id']}/publish", json={"data": {"attributes": {"description": "first"}}}).json()["data"]
    assert published["attributes"]["status"] == "published"
    assert client.post(f"{API}/workflows/{workflow['id']}/enable").json()["data"]["attributes"]["status"] == "enabled"

    versions = _valid(client.get(f"{API}/workflow-versions", params={"filter[workflow-id]": workflow["id"]}), "/workflow-versions")
    (version,) = versions["data"]
    assert version["attributes"]["live"] is True and version["attributes"]["trigger-type"] == "api"
    assert version["attributes"]["inputs"] == [{"name": "inquiry-id", "type": "string", "required": True},
                                               {"name": "score", "type": "integer", "required": False}]

    high, low = inquiry(client, world.templates["Government ID"]), inquiry(client, world.templates["Government ID"])
    for inquiry_id, score in ((high, 90), (low, 10)):
        fields = {"inquiry-id": inquiry_id, "score": score}
        body = _valid(client.post(f"{API}/workflows/{workflow['id']}/trigger", json={"data": {"attributes": {"fields": fields}}}),
                      "/workflows/{workflow-id}/trigger", "post")
        assert body["data"]["relationships"]["workflow-version"]["data"]["id"] == version["id"]
    assert finished_run(engine, high).status == "completed" and finished_run(engine, low).status == "completed"
    assert client.get(f"{API}/inquiries/{high}").json()["data"]["attributes"]["status"] == "needs_review"
    assert client.get(f"{API}/inquiries/{low}").json()["data"]["attributes"]["status"] == "approved"

    runs = _valid(client.get(f"{API}/workflow-runs", params={"filter[status]": "completed"}), "/workflow-runs")
    assert len(runs["data"]) == 2
    run_id = runs["data"][0]["id"]
    run = _valid(client.get(f"{API}/workflow-runs/{run_id}"), "/workflow-runs/{workflow-run-id}")
    assert run["data"]["attributes"]["status"] == "completed" and run["data"]["attributes"]["completed-at"]
    trace = client.get(f"{API}/workflow-runs/{run_id}/steps").json()["data"]["attributes"]
    assert [(s["name"], s["status"]) for s in trace["steps"]] in ([("review", "skipped"), ("approve", "done")], [("review", "done")])


def test_bad_input_is_refused_in_personas_error_shape(client, world) -> None:
    bad = "trigger: {event: inquiry.completed}\nsteps:\n  - name: x\n    action: approve\n    if: 'inquiry.status =='\n"
    error = _error(client.post(f"{API}/workflows", json={"data": {"attributes": {"name": "bad", "definition": bad}}}), 422, "line 5")
    assert error["source"] == {"pointer": "data.attributes.definition"} and "not a valid CEL expression" in error["details"]
    _error(client.post(f"{API}/workflows", json={"data": {"attributes": {"name": "bad", "definition": "steps: ["}}}), 422, "not valid YAML")
    _error(client.post(f"{API}/workflows", json={"data": {"attributes": {"name": "bad", "extra": 1}}}), 400, "extra")
    assert client.get(f"{API}/workflows").json()["data"] == []  # nothing half-written

    workflow = _create(client, "api", API_TRIGGERED)
    _error(client.post(f"{API}/workflows", json={"data": {"attributes": {"name": "api"}}}), 409, "already exists")
    looping = "trigger: {event: workflow-run.created}\nsteps: [{name: a, action: approve}]"
    _error(client.patch(f"{API}/workflows/{workflow['id']}", json={"data": {"attributes": {"definition": looping}}}), 422, "cannot start runs")
    assert client.get(f"{API}/workflows/{workflow['id']}").json()["data"]["attributes"]["draft-definition"] == API_TRIGGERED

    trigger = f"{API}/workflows/{workflow['id']}/trigger"
    _error(client.post(trigger, json={"data": {"attributes": {"fields": {}}}}), 409, "not enabled")
    client.post(f"{API}/workflows/{workflow['id']}/publish")
    client.post(f"{API}/workflows/{workflow['id']}/enable")
    _error(client.post(trigger, json={"data": {"attributes": {"fields": {}}}}), 422, "inquiry-id")
    _error(client.post(trigger, json={"data": {"attributes": {"fields": {"inquiry-id": "inq_x", "score": "high"}}}}), 422, "score")
    _error(client.post(trigger, json={"data": {"attributes": {"fields": {"inquiry-id": "inq_nope"}}}}), 404, "inquiry")
    _error(client.post(trigger, json={"data": {"attributes": {}}}), 400, "fields")
    _error(client.post(f"{API}/workflows/wfl_nope/trigger", json={"data": {"attributes": {"fields": {}}}}), 404, "workflow")
    _error(client.get(f"{API}/workflow-versions"), 400, "filter[workflow-id]")
    _error(client.get(f"{API}/workflow-runs/wfr_nope"), 404, "workflow run")
    _error(client.get(f"{API}/workflow-runs", params={"filter[status]": "nope"}), 400, "filter[status]")
    assert client.get(f"{API}/workflow-runs").json()["data"] == []


def test_dry_run_shows_the_path_without_acting(client, world) -> None:
    workflow = _create(client, "dry", """\
trigger: {event: inquiry.completed}
steps:
  - {name: decline-doe, if: 'inquiry.fields["name-last"] == "Doe"', action: decline, end: true}
  - {name: approve, action: approve}
""")
    doe = inquiry(client, world.templates["Government ID"], **{"name-last": "Doe"})
    simulate(client, doe, "complete_inquiry")
    answer = client.post(f"{API}/workflows/{workflow['id']}/dry-run", json={"data": {"attributes": {"inquiry-id": doe}}})
    assert answer.status_code == 200, answer.text
    steps = answer.json()["data"]["attributes"]["steps"]
    assert [(s["name"], s["would"]) for s in steps] == [("decline-doe", "do"), (None, "stop")]
    assert client.get(f"{API}/inquiries/{doe}").json()["data"]["attributes"]["status"] == "completed"
    _error(client.post(f"{API}/workflows/{workflow['id']}/dry-run", json={"data": {"attributes": {"inquiry-id": doe, "version": "live"}}}), 400, "no live")


@pytest.mark.parametrize("path", ["/workflow-runs", "/workflows"])
def test_other_environments_see_nothing(client, world, path) -> None:
    _create(client, "mine", API_TRIGGERED)
    other = client.get(f"{API}{path}", headers={"Authorization": f"Bearer {world.production_key}"})
    assert other.status_code == 200 and other.json()["data"] == []
