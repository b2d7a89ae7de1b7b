"""Per-webhook shaping of deliveries: payload filter, attribute blocklist, included and relationship allowlists."""

from test_webhooks import API, assert_error, check_delivery, make_webhook, new_inquiry
from webhook_receiver import signature_ok


def _payload(got) -> dict:
    return got.body["data"]["attributes"]["payload"]


def test_payload_filter_delivers_only_matching_events(client, world, worker, receiver) -> None:
    hook = make_webhook(client, receiver.url, ["inquiry.created", "inquiry.approved"],
                        **{"payload-filter": {"data": {"attributes": {"status": "approved"}}}})
    inquiry_id = new_inquiry(client, world)
    assert client.post(f"{API}/inquiries/{inquiry_id}/approve").status_code == 200
    (got,) = receiver.wait_for(1)
    body = check_delivery(got, [hook["attributes"]["secret"]], 1)
    assert body["data"]["attributes"]["name"] == "inquiry.approved"
    new_inquiry(client, world)
    assert len(receiver.wait_for(1, timeout=1.5)) == 1  # the second inquiry.created was filtered out too


def test_blocklist_and_relationship_allowlist(client, world, worker, receiver) -> None:
    hook = make_webhook(client, receiver.url, ["inquiry.created"], **{
        "api-attributes-blocklist": ["name-*", "/data/attributes/fields/name-first"],
        "relationship-allowlist": {"state": "include_none"}})
    new_inquiry(client, world)
    (got,) = receiver.wait_for(1)
    assert signature_ok(got.headers["persona-signature"], got.raw, [hook["attributes"]["secret"]])  # shaped, then signed
    data = _payload(got)["data"]
    assert not [k for k in data["attributes"] if k.startswith("name-")]
    assert "name-first" not in data["attributes"]["fields"] and "status" in data["attributes"]
    assert "relationships" not in data
    assert _payload(got)["included"] == []


def test_included_allowlist(client, world, worker, receiver) -> None:
    make_webhook(client, receiver.url, ["inquiry.created", "inquiry.approved"],
                 **{"included-allowlist": {"state": "custom", "event-types": [
                     {"event-type": "inquiry.approved", "relationships": ["inquiry-template"]}]}})
    inquiry_id = new_inquiry(client, world)
    assert client.post(f"{API}/inquiries/{inquiry_id}/approve").status_code == 200
    got = {g.body["data"]["attributes"]["name"]: _payload(g) for g in receiver.wait_for(2)}
    assert got["inquiry.created"]["included"] == []
    included_types = {item["type"] for item in got["inquiry.approved"]["included"]}
    assert included_types == {"inquiry-template"}, included_types
    assert all(item["id"] for item in got["inquiry.approved"]["included"])


def test_bad_shaping_options(client, world, policy) -> None:
    def post(**attrs):
        body = {"data": {"attributes": {"name": "x", "url": "https://example.com/hook", "enabled-events": ["*"], **attrs}}}
        return client.post(f"{API}/webhooks", json=body)

    assert_error(post(**{"payload-filter": "approved"}), 422)
    assert_error(post(**{"payload-filter": {"status": "approved"}}), 422)
    assert_error(post(**{"api-attributes-blocklist": "name-first"}), 422)
    assert_error(post(**{"api-attributes-blocklist": [""]}), 422)
    assert_error(post(**{"included-allowlist": {"state": "some"}}), 422)
    assert_error(post(**{"relationship-allowlist": {"state": "custom"}}), 422)
    assert_error(post(**{"included-allowlist": {"state": "custom", "event-types": "inquiry.created"}}), 422)
    assert_error(post(**{"included-allowlist": {"state": "custom", "event-types": [{"event-type": "inquiry"}]}}), 422)
    everything = {"state": "custom", "event-types": [{"event-type": "inquiry", "relationships": ["*"]}]}
    made = post(**{"included-allowlist": everything})
    assert made.status_code == 201 and made.json()["data"]["attributes"]["included-allowlist"] == {"state": "include_all"}
    client.post(f"{API}/webhooks/{made.json()['data']['id']}/archive")
    assert [w["attributes"]["status"] for w in client.get(f"{API}/webhooks").json()["data"]] == ["archived"]
