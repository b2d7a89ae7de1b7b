"""Accounts: CRUD, reference-id uniqueness, upsert-by, tags, redaction, consolidation."""

from core_support import API, assert_error, counts, create, event_names
from sqlalchemy import select

from openidv.models import Account, Event


def _create(client, **attrs):
    return client.post(f"{API}/accounts", json={"data": {"attributes": attrs}})


def test_crud(client, world, db) -> None:
    made = _create(client, **{"reference-id": "u1", "fields": {"name-first": "Ada", "birthdate": "1990-01-01"}, "tags": ["a"]})
    assert made.status_code == 201, made.text
    account = made.json()["data"]
    assert account["type"] == "account" and account["id"].startswith("act_")
    assert account["attributes"]["fields"]["name-first"] == {"type": "string", "value": "Ada"}
    assert account["attributes"]["tags"] == ["a"] and account["attributes"]["redacted-at"] is None
    got = client.get(f"{API}/accounts/{account['id']}").json()["data"]
    assert got == account
    changes = {"fields": {"name-last": "L"}, "account-status": "Active", "reference-id": "u1b"}
    patched = client.patch(f"{API}/accounts/{account['id']}", json={"data": {"attributes": changes}}).json()["data"]
    attrs = patched["attributes"]
    assert attrs["fields"]["name-first"]["value"] == "Ada" and attrs["fields"]["name-last"]["value"] == "L"
    assert attrs["account-status"] == "Active" and attrs["reference-id"] == "u1b"
    assert event_names(db, account["id"]) == ["account.created", "account.updated-fields"]
    assert [a["id"] for a in client.get(f"{API}/accounts").json()["data"]] == [account["id"]]
    assert_error(client.get(f"{API}/accounts/act_missing"), 404)


def test_2023_top_level_pii(client, world) -> None:
    headers = {"Persona-Version": "2023-01-05"}
    made = client.post(f"{API}/accounts", json={"data": {"attributes": {"name-first": "Bo", "country-code": "DE"}}}, headers=headers).json()["data"]
    assert made["attributes"]["name-first"] == "Bo" and made["attributes"]["country-code"] == "DE"
    assert "name-first" not in client.get(f"{API}/accounts/{made['id']}").json()["data"]["attributes"]


def test_reference_id_is_unique(client, world, engine) -> None:
    first = _create(client, **{"reference-id": "dup"}).json()["data"]
    other = _create(client, **{"reference-id": "other"}).json()["data"]
    before = counts(engine)
    error = assert_error(_create(client, **{"reference-id": "dup"}), 409)
    assert error["title"] == "Record not unique"
    assert_error(client.patch(f"{API}/accounts/{other['id']}", json={"data": {"attributes": {"reference-id": "dup"}}}), 409)
    assert counts(engine) == before
    # The same reference id in the other environment is another account.
    prod = client.post(f"{API}/accounts", json={"data": {"attributes": {"reference-id": "dup"}}}, headers={"Authorization": f"Bearer {world.production_key}"})
    assert prod.status_code == 201 and prod.json()["data"]["id"] != first["id"]


def test_upsert_by_reference_id(client, world, engine) -> None:
    body = {"data": {"attributes": {"reference-id": "ups", "fields": {"name-first": "A"}}}, "meta": {"upsert-by": "reference-id"}}
    first = client.post(f"{API}/accounts", json=body)
    assert first.status_code == 201
    body["data"]["attributes"]["fields"] = {"name-first": "B"}
    second = client.post(f"{API}/accounts", json=body)
    assert second.status_code == 200
    assert second.json()["data"]["id"] == first.json()["data"]["id"]
    assert second.json()["data"]["attributes"]["fields"]["name-first"]["value"] == "B"
    assert counts(engine)["accounts"] == 1
    assert_error(client.post(f"{API}/accounts", json={**body, "meta": {"upsert-by": "email"}}), 400)


def test_tags(client, world, db) -> None:
    account = _create(client).json()["data"]
    url = f"{API}/accounts/{account['id']}"
    assert client.post(f"{url}/add-tag", json={"meta": {"tag-name": "x"}}).json()["data"]["attributes"]["tags"] == ["x"]
    assert client.post(f"{url}/add-tag", json={"meta": {"tag-name": "y"}}).json()["data"]["attributes"]["tags"] == ["x", "y"]
    assert client.post(f"{url}/remove-tag", json={"meta": {"tag-name": "x"}}).json()["data"]["attributes"]["tags"] == ["y"]
    assert client.post(f"{url}/set-tags", json={"meta": {"tag-name": ["p", "q"]}}).json()["data"]["attributes"]["tags"] == ["p", "q"]
    assert client.post(f"{url}/set-tags", json={"meta": {"tag-name": []}}).json()["data"]["attributes"]["tags"] == []
    assert event_names(db, account["id"]) == [
        "account.created", "account.tag-added", "account.tag-added", "account.tag-removed", "account.updated-tags", "account.updated-tags",
    ]
    assert_error(client.post(f"{url}/add-tag", json={"meta": {}}), 400)
    assert_error(client.post(f"{url}/add-tag", json={"meta": {"tag-id": "tag_missing"}}), 404)


def test_redact_removes_pii_and_redacts_inquiries(client, world, db) -> None:
    account = _create(client, **{"reference-id": "red", "fields": {"name-first": "Secret", "email-address": "s@example.com"}}).json()["data"]
    inquiry = create(client, world.templates["Government ID"], attrs={"account-id": account["id"], "fields": {"name-first": "Secret"}})["data"]
    answer = client.delete(f"{API}/accounts/{account['id']}")
    assert answer.status_code == 200
    attrs = answer.json()["data"]["attributes"]
    assert attrs["fields"] == {} and attrs["redacted-at"] is not None and attrs["reference-id"] == "red"
    row = db.get(Account, account["id"])
    db.refresh(row)
    assert row.fields == {} and row.email_index is None
    redacted = client.get(f"{API}/inquiries/{inquiry['id']}").json()["data"]["attributes"]
    assert redacted["redacted-at"] is not None and redacted["fields"] == {}
    db.rollback()
    for event in db.scalars(select(Event).where(Event.object_id.in_([account["id"], inquiry["id"]]))):
        assert "Secret" not in str(event.payload), event.name
    assert "account.redacted" in event_names(db, account["id"])
    assert_error(client.delete(f"{API}/accounts/{account['id']}"), 409)
    # A redacted account stays updatable.
    assert client.post(f"{API}/accounts/{account['id']}/add-tag", json={"meta": {"tag-name": "gone"}}).status_code == 200


def test_consolidate(client, world, db, engine) -> None:
    target = _create(client, **{"reference-id": "keep"}).json()["data"]
    source = _create(client, **{"reference-id": "old"}).json()["data"]
    moved = create(client, world.templates["Government ID"], attrs={"account-id": source["id"]})["data"]
    answer = client.post(f"{API}/accounts/{target['id']}/consolidate", json={"meta": {"source-account-ids": [source["id"]]}})
    assert answer.status_code == 202 and answer.json()["data"]["id"] == target["id"]
    assert client.get(f"{API}/inquiries/{moved['id']}").json()["data"]["relationships"]["account"]["data"]["id"] == target["id"]
    assert event_names(db, source["id"])[-2:] == ["account.consolidated", "account.archived"]
    assert event_names(db, target["id"])[-1] == "account.consolidated-with"
    db.rollback()
    assert db.get(Account, source["id"]).archived_at is not None
    before = counts(engine)
    for attrs in ({"account-id": source["id"]}, {"reference-id": "old"}):
        body = {"data": {"attributes": {"inquiry-template-id": world.templates["Government ID"], **attrs}}}
        error = assert_error(client.post(f"{API}/inquiries", json=body), 422)
        assert "consolidated" in error["details"]
    assert_error(client.post(f"{API}/accounts/{target['id']}/consolidate", json={"meta": {"source-account-ids": [source["id"]]}}), 409)
    assert_error(client.post(f"{API}/accounts/{target['id']}/consolidate", json={"meta": {"source-account-ids": [target["id"]]}}), 400)
    assert_error(client.post(f"{API}/accounts/{target['id']}/consolidate", json={"meta": {"source-account-ids": ["act_missing"]}}), 404)
    assert_error(client.post(f"{API}/accounts/{target['id']}/consolidate", json={"meta": {"source-account-ids": "x"}}), 400)
    assert counts(engine) == before


def test_a_reference_id_taken_concurrently_answers_409_even_when_a_follow_up_flushes_first(engine, world, monkeypatch) -> None:
    """Two creations with one reference id, the second past the look-up before the first committed: the unique index
    decides. A webhook on `account.created` makes the event's follow-up flush the account (its delivery job's
    look-up) before `create` flushes it itself; either way the answer is Persona's 409, not a raw integrity error."""
    import pytest

    from openidv.accounts import repository as accounts_repository, service as accounts
    from openidv.kit.db import session_factory, transaction
    from openidv.kit.errors import ApiError
    from openidv.kit.ids import new_id
    from openidv.models import Webhook

    writer = session_factory(engine, writer=True)
    with transaction(writer) as db:
        db.add(Webhook(id=new_id("wbh"), environment_id=world.sandbox_id, status="enabled", url="https://example.com/hook",
                       api_version="2023-01-05", enabled_events=["account.created"], name="accounts"))
        accounts.create(db, world.sandbox_id, reference_id="raced", actor="test")
    monkeypatch.setattr(accounts_repository, "by_reference", lambda *_: None)  # the look-up ran before the first commit
    with pytest.raises(ApiError) as raised, transaction(writer) as db:
        accounts.create(db, world.sandbox_id, reference_id="raced", actor="test")
    assert raised.value.status == 409 and "raced already exists" in str(raised.value.body())
