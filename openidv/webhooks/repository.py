"""SQL for webhooks and their deliveries."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from openidv.kit.db import once_per_transaction
from openidv.kit.jsonapi import Page
from openidv.kit.paging import PageResult, paged
from openidv.lifecycle import WebhookDeliveryStatus, WebhookStatus
from openidv.models import Webhook, WebhookDelivery


def get(db: Session, environment_id: str, webhook_id: str, *, for_update: bool = False) -> Webhook | None:
    query = select(Webhook).where(Webhook.id == webhook_id, Webhook.environment_id == environment_id)
    return db.scalar(_locked(db, query) if for_update else query)


def list_page(db: Session, environment_id: str, page: Page) -> PageResult[Webhook]:
    return paged(db, select(Webhook).where(Webhook.environment_id == environment_id), Webhook, page)


def enabled_of_environment(db: Session, environment_id: str) -> list[Webhook]:
    """Read once per transaction: every event fans out, and one request records several (an inquiry's creation
    records its account's and its own). Read again when this transaction changed a webhook."""
    return once_per_transaction(db, "enabled_webhooks", environment_id, Webhook, lambda: list(
        db.scalars(select(Webhook).where(Webhook.environment_id == environment_id, Webhook.status == WebhookStatus.ENABLED))))


def _locked(db: Session, query):  # noqa: ANN001, ANN202
    """Row lock on PostgreSQL: the worker recording an attempt and a manual redelivery must not interleave
    (SQLite writers are serialised already)."""
    return query.with_for_update() if db.get_bind().dialect.name == "postgresql" else query


def delivery(db: Session, delivery_id: str, *, for_update: bool = False) -> WebhookDelivery | None:
    query = select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
    return db.scalar(_locked(db, query) if for_update else query)


def delivery_of_environment(db: Session, environment_id: str, delivery_id: str) -> WebhookDelivery | None:
    return db.scalar(_locked(db, select(WebhookDelivery).where(WebhookDelivery.id == delivery_id, WebhookDelivery.environment_id == environment_id)))


def deliveries_page(db: Session, webhook_id: str, page: Page) -> PageResult[WebhookDelivery]:
    return paged(db, select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id), WebhookDelivery, page)


def deliveries_with_status(db: Session, webhook_id: str, status: str, limit: int = 1000) -> list[WebhookDelivery]:
    query = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.status == status).limit(limit)
    return list(db.scalars(_locked(db, query)))


def overdue(db: Session, before: datetime, limit: int = 500) -> list[WebhookDelivery]:
    return list(db.scalars(
        select(WebhookDelivery).where(WebhookDelivery.status == WebhookDeliveryStatus.PENDING, WebhookDelivery.next_attempt_at < before).limit(limit)
    ))
