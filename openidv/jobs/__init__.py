"""The job port: durable background work that commits with the change that started it.

    @job("webhooks.deliver")
    def deliver(delivery_id: str) -> None: ...

    enqueue_in_tx(db, deliver, key=f"whd:{id}:1", delivery_id=id)   # visible only if `db` commits
    enqueue(deliver, delay_seconds=3, delivery_id=id)                # its own transaction
    cancel_in_tx(db, f"whd:{id}:1")                                  # a waiting job that is no longer needed

    @every(60, "inquiries.expire-due")
    def sweep() -> None: ...

`job` and `every` only describe; `openidv.wiring` installs the jobs and timers of every module
(`install`), so the server, `openidv worker`, the CLI and the tests know the same ones.
A job opens its own session with `openidv.jobs.session()` and changes statuses only through
`openidv.lifecycle`. Jobs run at least once: they must be safe to repeat. See `runtime` for the workers.
"""

from openidv.jobs.port import Periodic, add, cancel_in_tx, enqueue, enqueue_in_tx, every, install, job, registry, session

__all__ = ["Periodic", "add", "cancel_in_tx", "enqueue", "enqueue_in_tx", "every", "install", "job", "registry", "session"]
