"""Photos are sealed into the data folder while the request's transaction is open: a request that then
rolls back must leave no orphaned file (a commit keeps them)."""

from contextlib import nullcontext

import pytest

from openidv.kit import storage
from openidv.kit.db import session_factory, transaction
from openidv.kit.file_links import Files
from openidv.testdata.idgen import make
from openidv.verifications.government_id import service as government_ids


def _create(engine, world, inquiry_id: str, *, fail: bool) -> str:
    sample = make("drivers_license", 3)
    attrs = {"inquiry-id": inquiry_id, "country-code": "US", "id-class": "dl", "front-photo": sample.jpeg("front"), "back-photo": sample.jpeg("back")}
    made: list[str] = []
    with pytest.raises(RuntimeError) if fail else nullcontext(), transaction(session_factory(engine, writer=True)) as db:
        made.append(government_ids.create(db, world.sandbox_id, attrs, "tests").id)
        assert storage.get(Files.store, government_ids._file(made[0], "front")) == sample.jpeg("front")
        if fail:
            raise RuntimeError("something later in the request failed")
    return made[0]


def test_a_rolled_back_creation_leaves_no_photo_and_a_committed_one_keeps_them(engine, world, client):
    body = {"data": {"attributes": {"inquiry-template-id": world.templates["Government ID"]}}}
    inquiry_id = client.post("/api/v1/inquiries", json=body).json()["data"]["id"]
    rolled_back = _create(engine, world, inquiry_id, fail=True)
    assert [storage.get(Files.store, government_ids._file(rolled_back, side)) for side in ("front", "back")] == [None, None]
    kept = _create(engine, world, inquiry_id, fail=False)
    assert all(storage.get(Files.store, government_ids._file(kept, side)) for side in ("front", "back"))
