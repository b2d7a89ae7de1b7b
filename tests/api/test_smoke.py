"""The core path end to end: create, simulate verifications, complete, approve, with events."""


def _steps(client, inquiry):
    version_id = inquiry["relationships"]["inquiry-template-version"]["data"]["id"]
    return client.get(f"/api/v1/inquiry-template-versions/{version_id}").json()["meta"]["configuration"]["steps"]


def test_inquiry_completes_when_every_required_verification_passes(client, world):
    created = client.post("/api/v1/inquiries", json={"data": {"attributes": {"inquiry-template-id": world.templates["Government ID and Selfie"]}}})
    assert created.status_code == 201, created.text
    inquiry = created.json()["data"]
    assert inquiry["attributes"]["status"] == "created"
    assert created.json()["meta"] == {"session-token": None, "one-time-link": None, "one-time-link-short": None}
    steps = _steps(client, inquiry)
    assert [s["kind"] for s in steps] == ["government-id", "selfie"]

    actions = [{"type": "create_passed_verification", "data": {"verification-template-id": s["id"]}} for s in steps]
    done = client.post(f"/api/v1/inquiries/{inquiry['id']}/perform-simulate-actions", json={"meta": {"simulate-actions": actions}})
    assert done.status_code == 200, done.text
    assert done.json()["data"]["attributes"]["status"] == "completed"
    assert len(done.json()["data"]["relationships"]["verifications"]["data"]) == 2

    approved = client.post(f"/api/v1/inquiries/{inquiry['id']}/approve", json={"meta": {"comment": "looks right"}})
    assert approved.status_code == 200
    assert approved.json()["data"]["attributes"]["status"] == "approved"
    assert approved.json()["data"]["attributes"]["reviewer-comment"] == "looks right"

    names = [e["attributes"]["name"] for e in client.get(f"/api/v1/events?filter[object-id]={inquiry['id']}&page[size]=100").json()["data"]]
    assert names[::-1][:1] == ["inquiry.created"]
    for name in ("inquiry.created", "inquiry.started", "inquiry.completed", "inquiry.approved"):
        assert name in names
