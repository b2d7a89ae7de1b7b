"""Persona's API keys endpoints: list, create, retrieve, update, expire, clone; permissions; the secret shown once."""

from datetime import timedelta

from api.core_support import API, assert_error  # type: ignore[import-not-found]
from sqlalchemy import select

from openidv.kit import clock
from openidv.models import ApiKey


def _create(client, **attributes) -> dict:
    answer = client.post(f"{API}/api-keys", json={"data": {"attributes": {"name": "ci", **attributes}}})
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


def test_create_shows_the_secret_once_and_stores_only_its_hash(client, db) -> None:
    made = _create(client, permissions=["inquiry.read"], note="for CI", **{"api-version": "2023-01-05"})
    attributes = made["attributes"]
    assert made["type"] == "api-key" and made["id"].startswith("api_")
    assert attributes["value"].startswith("persona_sandbox_") and attributes["permissions"] == ["inquiry.read"]
    assert attributes["note"] == "for CI" and attributes["api-version"] == "2023-01-05" and attributes["expires-at"] is None
    stored = db.scalar(select(ApiKey).where(ApiKey.id == made["id"]))
    assert attributes["value"] not in (stored.secret_hash, stored.secret_hint) and len(stored.secret_hash) == 64

    again = client.get(f"{API}/api-keys/{made['id']}")
    assert again.status_code == 200 and "value" not in again.json()["data"]["attributes"]
    listed = client.get(f"{API}/api-keys").json()
    assert made["id"] in [k["id"] for k in listed["data"]] and all("value" not in k["attributes"] for k in listed["data"])
    named = client.get(f"{API}/api-keys", params={"filter[name]": "ci"}).json()["data"]
    assert [k["id"] for k in named] == [made["id"]]

    new_key = client.get(f"{API}/inquiries", headers={"Authorization": f"Bearer {attributes['value']}"})
    assert new_key.status_code == 200
    assert client.get(f"{API}/accounts", headers={"Authorization": f"Bearer {attributes['value']}"}).status_code == 403


def test_update_and_clone(client) -> None:
    made = _create(client, permissions=["inquiry.read"])
    updated = client.patch(f"{API}/api-keys/{made['id']}", json={"data": {"attributes": {"name": "renamed", "permissions": ["event.read"]}}})
    assert updated.status_code == 200, updated.text
    assert updated.json()["data"]["attributes"]["name"] == "renamed" and updated.json()["data"]["attributes"]["permissions"] == ["event.read"]
    copy = client.post(f"{API}/api-keys/{made['id']}/clone")
    assert copy.status_code == 200, copy.text
    cloned = copy.json()["data"]
    assert cloned["id"] != made["id"] and cloned["attributes"]["permissions"] == ["event.read"]
    assert cloned["attributes"]["value"] != made["attributes"]["value"]
    assert client.get(f"{API}/events", headers={"Authorization": f"Bearer {cloned['attributes']['value']}"}).status_code == 200


def test_expire_makes_a_key_stop_working(client) -> None:
    made = _create(client)
    secret = made["attributes"]["value"]
    assert client.get(f"{API}/inquiries", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    later = client.post(f"{API}/api-keys/{made['id']}/expire", json={"meta": {"expires-in-seconds": 60}})
    assert later.status_code == 200 and later.json()["data"]["attributes"]["expires-at"]
    assert client.get(f"{API}/inquiries", headers={"Authorization": f"Bearer {secret}"}).status_code == 200  # not yet
    clock.advance(timedelta(seconds=61))
    assert_error(client.get(f"{API}/inquiries", headers={"Authorization": f"Bearer {secret}"}), 401)

    other = _create(client)
    assert client.post(f"{API}/api-keys/{other['id']}/expire", json={"meta": {"expires-in-seconds": 0}}).status_code == 200
    assert_error(client.get(f"{API}/inquiries", headers={"Authorization": f"Bearer {other['attributes']['value']}"}), 401)
    assert_error(client.post(f"{API}/api-keys/{other['id']}/expire", json={"meta": {}}), 400)


def test_permissions(client) -> None:
    reader = _create(client, permissions=["api_key.read"])["attributes"]["value"]
    nothing = _create(client, permissions=["inquiry.read"])["attributes"]["value"]
    assert client.get(f"{API}/api-keys", headers={"Authorization": f"Bearer {reader}"}).status_code == 200
    assert_error(client.post(f"{API}/api-keys", json={"data": {"attributes": {"name": "x"}}}, headers={"Authorization": f"Bearer {reader}"}), 403)
    for method, path in (("GET", "/api-keys"), ("POST", "/api-keys"), ("GET", "/api-keys/api_x"), ("PATCH", "/api-keys/api_x"),
                         ("POST", "/api-keys/api_x/expire"), ("POST", "/api-keys/api_x/clone")):
        answer = client.request(method, f"{API}{path}", json={"data": {"attributes": {"name": "x"}}}, headers={"Authorization": f"Bearer {nothing}"})
        assert_error(answer, 403)
    # A key grants only what it holds itself; unknown permissions are bad requests.
    writer = _create(client, permissions=["api_key.write"])["attributes"]["value"]
    escalate = {"data": {"attributes": {"name": "x", "permissions": ["inquiry.write"]}}}
    assert_error(client.post(f"{API}/api-keys", json=escalate, headers={"Authorization": f"Bearer {writer}"}), 403)
    assert_error(client.post(f"{API}/api-keys", json={"data": {"attributes": {"name": "x", "permissions": ["nope"]}}}), 400)


def test_other_environment_keys_are_not_found(client, world) -> None:
    production = client.post(f"{API}/api-keys", json={"data": {"attributes": {"name": "p"}}}, headers={"Authorization": f"Bearer {world.production_key}"})
    assert production.status_code == 201
    assert_error(client.get(f"{API}/api-keys/{production.json()['data']['id']}"), 404)


def test_ip_address_allowlist(client) -> None:
    made = _create(client, **{"ip-address-allowlist": ["203.0.113.0/24"]})
    assert_error(client.get(f"{API}/inquiries", headers={"Authorization": f"Bearer {made['attributes']['value']}"}), 401)
    assert_error(client.post(f"{API}/api-keys", json={"data": {"attributes": {"name": "x", "ip-address-allowlist": ["not an ip"]}}}), 400)


def test_a_keys_attribute_blocklist_hides_those_attributes_from_every_answer(client) -> None:
    """Persona's `api-attributes-blocklist` on a key: names (`name-*`) and paths (`/data/attributes/fields/...`)
    never reach that key, in a single object, a list or included objects; other keys still see them."""
    made = _create(client, permissions=["inquiry.read", "inquiry.write", "account.read"], **{"api-version": "2023-01-05"},
                   **{"api-attributes-blocklist": ["name-*", "birthdate", "/data/attributes/fields/name-first"]})
    blocked = {"Authorization": f"Bearer {made['attributes']['value']}"}
    created = client.post(f"{API}/inquiries", json={"data": {"attributes": {
        "inquiry-template-id": client.get(f"{API}/inquiry-templates").json()["data"][0]["id"],
        "fields": {"name-first": "Alexander", "name-last": "Sample", "birthdate": "1977-07-17"}}}})
    assert created.status_code == 201, created.text
    inquiry_id = created.json()["data"]["id"]
    seen = client.get(f"{API}/inquiries/{inquiry_id}", headers={"Persona-Version": "2023-01-05"}).json()["data"]["attributes"]
    assert seen["name-first"] == "Alexander" and seen["fields"]["name-first"]["value"] == "Alexander"  # the owner sees them

    for answer in (client.get(f"{API}/inquiries/{inquiry_id}", headers=blocked),
                   client.get(f"{API}/inquiries", headers=blocked, params={"filter[inquiry-id]": inquiry_id})):
        assert answer.status_code == 200, answer.text
        data = answer.json()["data"]
        attributes = (data[0] if isinstance(data, list) else data)["attributes"]
        assert not [k for k in attributes if k.startswith("name-")] and "birthdate" not in attributes
        assert "name-first" not in attributes["fields"] and attributes["fields"]["name-last"]["value"] == "Sample"
        assert attributes["status"] == "created"
    made_by_blocked = client.post(f"{API}/inquiries", headers=blocked, json={"data": {"attributes": {
        "inquiry-template-id": client.get(f"{API}/inquiry-templates").json()["data"][0]["id"], "fields": {"name-first": "Ann"}}}})
    assert made_by_blocked.status_code == 201 and "name-first" not in made_by_blocked.json()["data"]["attributes"]
