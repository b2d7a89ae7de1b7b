"""API keys found in the last second are trusted without SQL; revoking through openidv ends that at once."""

from openidv.auth import repository, service as auth
from openidv.kit.db import session_factory, transaction


def test_revoked_key_is_refused_at_once(client, world, engine) -> None:
    assert client.get("/api/v1/inquiries").status_code == 200  # the key is now remembered
    with transaction(session_factory(engine, writer=True)) as db:
        for key in repository.api_keys(db, world.sandbox_id):
            auth.revoke_api_key(db, key)
    answer = client.get("/api/v1/inquiries")
    assert answer.status_code == 401
    assert answer.json() == {"errors": [{"title": "Token is invalid"}]}


def test_remembered_key_stays_in_its_environment(client, world) -> None:
    assert client.get("/api/v1/inquiries").headers["Persona-Environment-Id"] == world.sandbox_id
    other = client.get("/api/v1/inquiries", headers={"Authorization": f"Bearer {world.production_key}"})
    assert other.headers["Persona-Environment-Id"] == world.production_id
    assert client.get("/api/v1/inquiries").headers["Persona-Environment-Id"] == world.sandbox_id
