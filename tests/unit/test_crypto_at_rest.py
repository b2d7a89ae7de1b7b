"""Encryption at rest: sealed columns hold no plaintext, a sealed value is bound to its row, blind indexes match."""

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import text
from sqlalchemy.orm import Session

from openidv.kit import crypto
from openidv.models import Account, Inquiry


def _inquiry(client, world, **fields) -> str:
    body = {"data": {"attributes": {"inquiry-template-id": world.templates["Government ID"], "fields": fields}}}
    answer = client.post("/api/v1/inquiries", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]["id"]


def test_raw_column_holds_no_plaintext(client, world, engine) -> None:
    inquiry_id = _inquiry(client, world, **{"name-first": "Plaintextname", "email-address": "plain@example.com"})
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT fields_sealed, email_index FROM inquiries WHERE id = :id"), {"id": inquiry_id}).one()
        tokens = list(conn.scalars(text("SELECT token FROM name_tokens WHERE owner_id = :id"), {"id": inquiry_id}))
    sealed = bytes(raw[0])
    assert b"Plaintextname" not in sealed and b"plain@example.com" not in sealed and b"name-first" not in sealed
    assert raw[1] and "plain" not in raw[1]
    assert tokens and not any("plaintext" in token.lower() for token in tokens)  # the name's search tokens are blind too
    assert crypto.open_json(sealed, inquiry_id)["name-first"]["value"] == "Plaintextname"


def test_sealed_value_is_bound_to_its_row(client, world, engine) -> None:
    secret_id = _inquiry(client, world, **{"name-first": "Bound"})
    other_id = _inquiry(client, world)
    with engine.begin() as conn:
        sealed = conn.execute(text("SELECT fields_sealed FROM inquiries WHERE id = :id"), {"id": secret_id}).scalar_one()
        conn.execute(text("UPDATE inquiries SET fields_sealed = :s WHERE id = :id"), {"s": sealed, "id": other_id})
    with pytest.raises(InvalidTag):  # the row id is associated data
        crypto.open_json(bytes(sealed), other_id)
    with Session(engine) as session, pytest.raises(InvalidTag):
        session.get(Inquiry, other_id).fields  # noqa: B018
    assert crypto.open_json(bytes(sealed), secret_id)["name-first"]["value"] == "Bound"


def test_blind_index_equality(client, world, engine) -> None:
    a = _inquiry(client, world, **{"name-first": "Jane", "name-last": "Roe", "email-address": "jr@example.com"})
    b = _inquiry(client, world, **{"name-first": "Jane", "name-last": "Roe", "email-address": "jr@example.com"})
    c = _inquiry(client, world, **{"name-first": "Jane", "name-last": "Rue", "email-address": "other@example.com"})
    with engine.connect() as conn:
        rows = {r[0]: r[1] for r in conn.execute(text("SELECT id, email_index FROM inquiries"))}
        tokens = {i: set(conn.scalars(text("SELECT token FROM name_tokens WHERE owner_id = :id"), {"id": i})) for i in (a, b, c)}
    assert rows[a] == rows[b] != rows[c]
    assert tokens[a] == tokens[b] != tokens[c] and tokens[a] & tokens[c]  # same name, same tokens; "Jane" shared
    ring = crypto.ring()
    assert rows[a] == ring.blind_index("email", "jr@example.com")
    assert ring.blind_index("name", "Jane Roe") != ring.blind_index("email", "Jane Roe")  # purposes are separated


def test_account_fields_sealed(client, world, engine) -> None:
    answer = client.post("/api/v1/accounts", json={"data": {"attributes": {"fields": {"name-first": "Accountname"}}}})
    account_id = answer.json()["data"]["id"]
    with engine.connect() as conn:
        sealed = conn.execute(text("SELECT fields_sealed FROM accounts WHERE id = :id"), {"id": account_id}).scalar_one()
    assert b"Accountname" not in bytes(sealed)
    assert Account.__table__.c.fields_sealed is not None and Inquiry.__table__.c.fields_sealed is not None


def test_events_payload_sealed(client, world, engine) -> None:
    inquiry_id = _inquiry(client, world, **{"name-first": "Eventname"})
    with engine.connect() as conn:
        columns = [c["name"] for c in __import__("sqlalchemy").inspect(conn).get_columns("events")]
        sealed_column = next(c for c in columns if "payload" in c)
        raw = conn.execute(text(f"SELECT {sealed_column} FROM events WHERE object_id = :id"), {"id": inquiry_id}).scalar_one()
    assert b"Eventname" not in (bytes(raw) if not isinstance(raw, str) else raw.encode())
