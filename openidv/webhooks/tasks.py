"""Jobs: webhook delivery and its reconciler (the fan-out that enqueues deliveries is `service.fan_out`,
an event follow-up)."""

from datetime import timedelta

from openidv import jobs
from openidv.events import repository as events_repository
from openidv.kit.clock import now
from openidv.kit.errors import ApiError
from openidv.lifecycle import WebhookDeliveryStatus, WebhookStatus
from openidv.webhooks import delivery as http, repository, service, ssrf

RECONCILE_SECONDS = 60


@jobs.job(service.DELIVER_JOB, max_attempts=3)
def deliver(delivery_id: str) -> None:
    """One attempt. Reads in one transaction, POSTs outside any, records in another: no lock is held
    while the receiver thinks. A crash in between repeats the attempt (at-least-once)."""
    with jobs.session() as db:
        item = repository.delivery(db, delivery_id)
        if item is None or item.status != WebhookDeliveryStatus.PENDING:
            return
        webhook = repository.get(db, item.environment_id, item.webhook_id)
        if webhook is None or webhook.status != WebhookStatus.ENABLED:
            return
        event = events_repository.get(db, item.environment_id, item.event_id)
        body = None if event is None else service.render_body(db, event, webhook, filtered=False)
        url, standard = webhook.url, webhook.standard_webhooks
        secrets = http.live_secrets(webhook.secrets, now())
        attempt_no, first, event_id, round_no = item.attempts_made + 1, item.first_attempted_at or now(), item.event_id, item.round
    try:
        target = ssrf.vet(url, allow_private=http.policy.allow_private_urls)
    except ApiError as refused:
        outcome = http.Outcome(now(), error=f"refused: {refused.details}")
    else:
        if body is None:
            outcome = http.Outcome(now(), error=f"event {event_id} no longer exists")
        else:
            outcome = http.attempt(url, target, body, secrets=secrets, event_id=event_id, attempts_made=attempt_no,
                                   first_attempted_at=first, standard_webhooks=standard)
    with jobs.session() as db:
        item = repository.delivery(db, delivery_id, for_update=True)
        if item is None or item.status != WebhookDeliveryStatus.PENDING or (item.round, item.attempts_made + 1) != (round_no, attempt_no):
            return  # a duplicate run already recorded this attempt, or a redelivery started a new round
        webhook = repository.get(db, item.environment_id, item.webhook_id)
        if webhook is None:  # deliveries.webhook_id is a foreign key, and webhooks are archived, never deleted
            raise LookupError(f"webhook delivery {delivery_id}: webhook {item.webhook_id} does not exist")
        service.record_outcome(db, item, webhook, outcome)


@jobs.every(RECONCILE_SECONDS, "webhooks.reconcile")
def reconcile() -> None:
    """Belt and braces: a pending delivery well past its time gets its attempt job again (same key: no-op
    when the job is still there)."""
    with jobs.session() as db:
        for item in repository.overdue(db, now() - timedelta(seconds=RECONCILE_SECONDS)):
            jobs.enqueue_in_tx(db, deliver, key=service.job_key(item) + ":r", delivery_id=item.id)

