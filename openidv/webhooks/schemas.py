"""Webhook and delivery resources (2025-12-08 kebab form)."""

from typing import Any

from openidv.kit.clock import iso
from openidv.kit.jsonapi import resource
from openidv.lifecycle import WebhookDeliveryStatus
from openidv.models import Webhook, WebhookDelivery


def render_webhook(webhook: Webhook, *, with_secret: bool = False) -> dict[str, Any]:
    options = webhook.options or {}
    attributes: dict[str, Any] = {
        "status": webhook.status,
        "url": webhook.url,
        "name": webhook.name,
        "description": webhook.description,
    }
    if with_secret:
        secrets = webhook.secrets
        attributes["secret"] = secrets[0]["value"] if secrets else None
        attributes["secrets"] = secrets
    attributes |= {
        "api-version": webhook.api_version,
        "api-key-inflection": webhook.api_key_inflection,
        "api-attributes-blocklist": options.get("api-attributes-blocklist", []),
        "file-access-token-expires-in": options.get("file-access-token-expires-in", 21600),
        "enabled-events": list(webhook.enabled_events),
        "payload-filter": options.get("payload-filter"),
        "included-allowlist": options.get("included-allowlist", {"state": "include_none"}),
        "relationship-allowlist": options.get("relationship-allowlist", {"state": "include_all"}),
        "created-at": iso(webhook.created_at),
    }
    return resource("webhook", webhook.id, attributes)


def render_delivery(delivery: WebhookDelivery) -> dict[str, Any]:
    """openidv extension: a delivery and its attempt log."""
    return resource("webhook-delivery", delivery.id, {
        "status": delivery.status,
        "webhook-id": delivery.webhook_id,
        "event-id": delivery.event_id,
        "event-name": delivery.event_name,
        "attempts-made": delivery.attempts_made,
        "first-attempted-at": iso(delivery.first_attempted_at),
        "next-attempt-at": iso(delivery.next_attempt_at) if delivery.status == WebhookDeliveryStatus.PENDING else None,
        "last-status-code": delivery.last_status_code,
        "attempts": list(delivery.log),
        "created-at": iso(delivery.created_at),
    })
