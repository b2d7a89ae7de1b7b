"""Dashboard actions on webhooks (admins only): each runs the webhook service's own rule and writes one audit row
(never commits). Secrets are never audited nor logged; a new one is returned once, to be shown once."""

import json
from typing import Any

from sqlalchemy.orm import Session

from openidv.dashboard.auth import DashboardSession
from openidv.dashboard.service import audit, form_int, form_list
from openidv.events import repository as events_repository
from openidv.kit import versions
from openidv.kit.errors import ApiError, bad_request, not_found
from openidv.models import Webhook, WebhookDelivery
from openidv.webhooks import repository, service as webhooks

STATUS_ACTIONS = ("enable", "disable", "archive")


def require_admin(who: DashboardSession) -> None:
    if not who.is_admin:
        raise ApiError(403, "only an admin may manage webhooks")


def attributes_of(form: dict[str, str]) -> dict[str, Any]:
    """The webhook form as Persona's attributes (the service validates them as it does the API's)."""
    attributes: dict[str, Any] = {
        "name": form.get("name", "").strip() or None,
        "url": form.get("url", "").strip(),
        "description": form.get("description", "").strip() or None,
        "enabled-events": form_list(form.get("enabled_events", "")),
        "api-version": form.get("api_version", "").strip() or versions.DEFAULT,
        "api-key-inflection": form.get("api_key_inflection", "").strip() or "kebab",
        "standard-webhooks": form.get("standard_webhooks") == "on",
        "api-attributes-blocklist": form_list(form.get("blocklist", "")),
        "payload-filter": _json_object(form.get("payload_filter", ""), "Payload filter"),
    }
    lifetime = form_int(form, "file_link_seconds", "File link lifetime, in seconds,")
    if lifetime is not None:
        attributes["file-access-token-expires-in"] = lifetime
    return attributes


def _json_object(text: str, label: str) -> Any:
    """An optional JSON field of the form: None when empty, a 400 naming the field when it is not JSON."""
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise bad_request(f"{label} is not valid JSON: {exc}") from None


def _production(who: DashboardSession) -> bool:
    return who.environment == "production"


def create(db: Session, who: DashboardSession, env_id: str, form: dict[str, str]) -> tuple[Webhook, str]:
    """A new enabled webhook and its secret (returned once: the page shows it, nothing else ever does)."""
    require_admin(who)
    attributes = attributes_of(form)
    webhook = webhooks.create(db, env_id, attributes, version=attributes["api-version"], production=_production(who), actor=who.user.id)
    audit(db, who, env_id, "webhook.create", webhook.id, None, webhook.status, webhook.url)
    return webhook, webhook.secrets[0]["value"]


def update(db: Session, who: DashboardSession, env_id: str, webhook_id: str, form: dict[str, str]) -> Webhook:
    require_admin(who)
    webhook = webhooks.load(db, env_id, webhook_id, for_update=True)
    webhooks.update(db, webhook, attributes_of(form), production=_production(who))
    audit(db, who, env_id, "webhook.update", webhook.id, webhook.status, webhook.status, webhook.url)
    return webhook


def change_status(db: Session, who: DashboardSession, env_id: str, webhook_id: str, action: str) -> Webhook:
    if action not in STATUS_ACTIONS:
        raise not_found("action", action)
    require_admin(who)
    webhook = webhooks.load(db, env_id, webhook_id, for_update=True)
    before = webhook.status
    webhooks.change_status(db, webhook, action, who.user.id)
    audit(db, who, env_id, f"webhook.{action}", webhook.id, before, webhook.status)
    return webhook


def rotate_secret(db: Session, who: DashboardSession, env_id: str, webhook_id: str, form: dict[str, str]) -> tuple[Webhook, str]:
    """A new secret signs from now on; the old one keeps signing for the hours asked (0: stops at once)."""
    require_admin(who)
    raw = form.get("old_secret_hours", "").strip() or "24"
    if not raw.isdigit() or int(raw) > 30 * 24:
        raise bad_request("The old secret's remaining hours must be a whole number from 0 to 720.")
    webhook = webhooks.load(db, env_id, webhook_id, for_update=True)
    webhooks.rotate_secret(db, webhook, int(raw) * 3600)
    audit(db, who, env_id, "webhook.rotate-secret", webhook.id, webhook.status, webhook.status, f"old secret valid for {raw} h")
    return webhook, webhook.secrets[0]["value"]


def load_delivery(db: Session, env_id: str, webhook_id: str, delivery_id: str) -> WebhookDelivery:
    item = repository.delivery(db, delivery_id)
    if item is None or item.environment_id != env_id or item.webhook_id != webhook_id:
        raise not_found("webhook delivery", delivery_id)
    return item


def redeliver(db: Session, who: DashboardSession, env_id: str, webhook_id: str, delivery_id: str) -> WebhookDelivery:
    """A new round of attempts through the delivery job (the webhook service enqueues it)."""
    require_admin(who)
    item = repository.delivery_of_environment(db, env_id, delivery_id)
    if item is None or item.webhook_id != webhook_id:
        raise not_found("webhook delivery", delivery_id)
    before = item.status
    webhooks.redeliver(db, item, who.user.id)
    audit(db, who, env_id, "webhook.redeliver", item.id, before, item.status, item.event_name)
    return item


def request_body(db: Session, item: WebhookDelivery, webhook: Webhook) -> str | None:
    """The body an attempt signs and sends, pretty-printed: rendered from the event as the delivery job renders it
    (no copy is kept, so a redaction shows here too); None once the event is gone."""
    event = events_repository.get(db, item.environment_id, item.event_id)
    body = None if event is None else webhooks.render_body(db, event, webhook, filtered=False)
    return None if body is None else json.dumps(json.loads(body), indent=2)
