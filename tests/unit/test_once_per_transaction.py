"""`kit.db.once_per_transaction`: a per-transaction read (the enabled webhooks, the event-triggered workflows) is
read again once the transaction writes a row of its model, whether that row is still pending or already flushed."""

from openidv.kit.db import once_per_transaction, session_factory, transaction
from openidv.kit.ids import new_id
from openidv.models import Webhook
from openidv.webhooks import repository


def _webhook(environment_id: str) -> Webhook:
    return Webhook(id=new_id("wbh"), environment_id=environment_id, status="enabled", url="https://example.com/hook",
                   api_version="2023-01-05", enabled_events=["inquiry.created"], name="test")


def test_a_webhook_flushed_after_the_read_is_seen_by_the_next_read(engine, world) -> None:
    with transaction(session_factory(engine, writer=True)) as db:
        db.connection()  # the transaction has begun, as in a request that has already read something
        before = repository.enabled_of_environment(db, world.sandbox_id)
        db.add(_webhook(world.sandbox_id))
        db.flush()  # no longer pending: only the flush count tells the memo it is stale
        after = repository.enabled_of_environment(db, world.sandbox_id)
        assert len(after) == len(before) + 1
        db.rollback()


def test_the_read_is_kept_while_nothing_of_its_model_is_written(engine, world) -> None:
    reads: list[int] = []

    def load() -> list[int]:
        reads.append(1)
        return [len(reads)]

    with transaction(session_factory(engine, writer=True)) as db:
        db.connection()
        assert once_per_transaction(db, "test_memo", world.sandbox_id, Webhook, load) == [1]
        assert once_per_transaction(db, "test_memo", world.sandbox_id, Webhook, load) == [1]
        db.add(_webhook(world.sandbox_id))
        assert once_per_transaction(db, "test_memo", world.sandbox_id, Webhook, load) == [2]  # pending: flushed, read again
        assert once_per_transaction(db, "test_memo", world.sandbox_id, Webhook, load) == [2]
        db.rollback()
