from collections.abc import Iterator

import pytest
from webhook_receiver import Receiver

from openidv.jobs import runtime
from openidv.kit.db import session_factory
from openidv.webhooks import delivery

FAST = "0.2,0.2,0.2,0.2,0.2,0.2,0.2"


@pytest.fixture
def policy() -> Iterator[delivery.Policy]:
    """Loopback receivers allowed and a shrunken schedule; restored afterwards."""
    saved = (delivery.policy.allow_private_urls, delivery.policy.schedule)
    delivery.policy.allow_private_urls = True
    delivery.policy.schedule = delivery.parse_schedule(FAST)
    yield delivery.policy
    delivery.policy.allow_private_urls, delivery.policy.schedule = saved


@pytest.fixture
def worker(engine, world, policy) -> Iterator[runtime.Worker]:
    w = runtime.Worker(session_factory(engine, writer=True), executor_id="test", threads=2, lease_seconds=10, poll_seconds=0.05, periodic=False)
    w.start()
    yield w
    w.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()
