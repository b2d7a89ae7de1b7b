"""Webhook rules: configuration, secrets, fan-out of events into deliveries, and attempt outcomes."""

import json
import secrets as random_secrets
import string
from datetime import timedelta
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy.orm import Session

from openidv import lifecycle
from openidv.events.schemas import render_event
from openidv.jobs import enqueue_in_tx
from openidv.kit import versions
from openidv.kit.clock import now
from openidv.kit.errors import ApiError, not_found
from openidv.kit.ids import new_id
from openidv.kit.inflection import INFLECTIONS, inflect
from openidv.kit.jsonapi import get_bool, get_int, get_str, get_str_list
from openidv.lifecycle import WebhookDeliveryStatus, WebhookStatus
from openidv.lifecycle.machines import MACHINES
from openidv.models import Event, Webhook, WebhookDelivery
from openidv.webhooks import delivery as http, repository, shaping, ssrf

ROTATION_DEFAULT_SECONDS = 24 * 3600
DELIVER_JOB = "webhooks.deliver"  # defined in `tasks`
_OPTIONS = ("api-attributes-blocklist", "file-access-token-expires-in", "payload-filter", "included-allowlist", "relationship-allowlist")


def event_names() -> frozenset[str]:
    """Every event name Persona's spec declares (the `webhooks` section), plus openidv's own."""
    ours = {name for machine in MACHINES.values() for move in machine.values() for name in move.events}
    return frozenset(ours | _shipped_event_names())


@cache
def _shipped_event_names() -> frozenset[str]:
    """event_names.txt, shipped in the package (scripts/event_names.py writes it from the vendored spec)."""
    text = resources.files("openidv.webhooks").joinpath("event_names.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


_SECRET_ALPHABET = string.ascii_letters + string.digits


def new_secret() -> str:
    """`wbhsec_` and 44 letters and digits (262 random bits): Persona's form, and valid base64 of 33 bytes,
    so `whsec_` + the part after the prefix is the same secret for a Standard Webhooks library."""
    return "wbhsec_" + "".join(random_secrets.choice(_SECRET_ALPHABET) for _ in range(44))


def load(db: Session, environment_id: str, webhook_id: str, *, for_update: bool = False) -> Webhook:
    webhook = repository.get(db, environment_id, webhook_id, for_update=for_update)
    if webhook is None:
        raise not_found("webhook", webhook_id)
    return webhook


def _apply(webhook: Webhook, attributes: dict[str, Any], *, production: bool, creating: bool) -> None:
    where = "data.attributes"
    if creating or "url" in attributes:
        url = get_str(attributes, "url", where, required=True, max_length=2048) or ""
        ssrf.check_url(url, allow_private=http.policy.allow_private_urls, https_only=production)
        webhook.url = url
    if creating or "name" in attributes:
        webhook.name = get_str(attributes, "name", where, required=creating, max_length=255)
    if "description" in attributes:
        webhook.description = get_str(attributes, "description", where)
    if creating or "enabled-events" in attributes:
        names = get_str_list(attributes, "enabled-events", where)
        if not names:
            raise ApiError(422, "enabled-events must list at least one event name or *", pointer="/data/attributes/enabled-events")
        unknown = [n for n in names if n != "*" and n not in event_names()]
        if unknown:
            raise ApiError(422, f"unknown event names: {', '.join(unknown[:10])}", pointer="/data/attributes/enabled-events")
        webhook.enabled_events = list(dict.fromkeys(names))
    if "api-version" in attributes:
        version = get_str(attributes, "api-version", where) or ""
        if version not in versions.KNOWN:
            raise ApiError(422, f"api-version must be one of {', '.join(versions.KNOWN)}", pointer="/data/attributes/api-version")
        webhook.api_version = version
    if "api-key-inflection" in attributes:
        inflection = get_str(attributes, "api-key-inflection", where) or ""
        if inflection not in INFLECTIONS:
            raise ApiError(422, "api-key-inflection must be kebab, camel or snake", pointer="/data/attributes/api-key-inflection")
        webhook.api_key_inflection = inflection
    if "standard-webhooks" in attributes:  # openidv extension
        webhook.standard_webhooks = get_bool(attributes, "standard-webhooks", where, False)
    options = dict(webhook.options or {})
    for key in _OPTIONS:
        if key in attributes:
            if key == "file-access-token-expires-in":
                options[key] = get_int(attributes, key, where, minimum=1, maximum=7 * 24 * 3600)
            else:
                options[key] = shaping.validate(key, attributes[key])
    webhook.options = options


def create(db: Session, environment_id: str, attributes: dict[str, Any], *, version: str, production: bool, actor: str) -> Webhook:
    webhook = Webhook(id=new_id("wbh"), environment_id=environment_id, api_version=version, api_key_inflection="kebab",
                      enabled_events=[], options={}, standard_webhooks=False, created_at=now())
    _apply(webhook, attributes, production=production, creating=True)
    webhook.secrets = [{"value": new_secret(), "expires-at": None}]
    lifecycle.create(db, webhook, actor=actor)
    return webhook


def update(db: Session, webhook: Webhook, attributes: dict[str, Any], *, production: bool) -> None:
    if webhook.status == WebhookStatus.ARCHIVED:
        raise ApiError(409, "Cannot update an archived webhook")
    _apply(webhook, attributes, production=production, creating=False)
    webhook.updated_at = now()
    db.flush()


def change_status(db: Session, webhook: Webhook, action: str, actor: str) -> None:
    if action == "enable":
        ssrf.check_url(webhook.url, allow_private=http.policy.allow_private_urls)
    lifecycle.transition(db, webhook, action, actor=actor)
    if action in ("disable", "archive"):
        cancel_pending(db, webhook, actor)


def cancel_pending(db: Session, webhook: Webhook, actor: str) -> None:
    """Disabling cancels pending retries."""
    for pending in repository.deliveries_with_status(db, webhook.id, WebhookDeliveryStatus.PENDING):
        lifecycle.transition(db, pending, "cancel", actor=actor)


def rotate_secret(db: Session, webhook: Webhook, expires_in: int | None) -> None:
    """A new secret signs from now on; the old one still signs (a second pair) until it expires."""
    seconds = ROTATION_DEFAULT_SECONDS if expires_in is None else expires_in
    at = now()
    old = [dict(s, **{"expires-at": s.get("expires-at") or (at + timedelta(seconds=seconds)).isoformat()}) for s in webhook.secrets]
    old = [s for s in old if http.live_secrets([s], at)]
    webhook.secrets = [{"value": new_secret(), "expires-at": None}, *old[:1]]
    webhook.updated_at = at
    db.flush()


def clone(db: Session, webhook: Webhook, actor: str) -> Webhook:
    copy = Webhook(id=new_id("wbh"), environment_id=webhook.environment_id, name=webhook.name, description=webhook.description,
                   url=webhook.url, api_version=webhook.api_version, api_key_inflection=webhook.api_key_inflection,
                   enabled_events=list(webhook.enabled_events), options=dict(webhook.options or {}),
                   standard_webhooks=webhook.standard_webhooks, created_at=now())
    copy.secrets = [{"value": new_secret(), "expires-at": None}]
    lifecycle.create(db, copy, actor=actor)
    return copy


# --- fan-out and delivery outcomes -------------------------------------------------------------

def subscribed(webhook: Webhook, name: str) -> bool:
    return "*" in webhook.enabled_events or name in webhook.enabled_events


def render_body(db: Session, event: Event, webhook: Webhook, *, filtered: bool = True) -> bytes | None:
    """The body this webhook receives, or None when its payload filter turns the event away (`filtered`:
    the filter decides at fan-out; an attempt renders again, unfiltered, from the event as it is then)."""
    version = versions.shape_of(webhook.api_version)
    rendered = render_event(event, version, with_included=True)
    options = webhook.options or {}
    if filtered and not shaping.accepts(options, rendered["attributes"]["payload"]):
        return None
    rendered["attributes"]["payload"] = shaping.shape(db, event.environment_id, event.name, rendered["attributes"]["payload"], options)
    raw = frozenset({"fields"}) if version == versions.V2025 else frozenset()
    return json.dumps(inflect({"data": rendered}, webhook.api_key_inflection, raw_keys_under=raw), separators=(",", ":")).encode()


def fan_out(db: Session, event: Event) -> None:
    """Events follow-up: one delivery per enabled subscribed webhook, and its job, in the caller's transaction."""
    for webhook in repository.enabled_of_environment(db, event.environment_id):
        if not subscribed(webhook, event.name):
            continue
        body = render_body(db, event, webhook)
        if body is None:
            continue
        # No copy of the body is kept: each attempt renders it from the event, so a delivery never holds (nor
        # sends again) what a redaction has since scrubbed from the event and its objects.
        item = WebhookDelivery(id=new_id("whd"), environment_id=event.environment_id, webhook_id=webhook.id, event_id=event.id,
                               event_name=event.name, attempts_made=0, round=0, log=[], created_at=now(), next_attempt_at=now())
        lifecycle.create(db, item)
        enqueue_in_tx(db, DELIVER_JOB, key=job_key(item), delivery_id=item.id)


def job_key(item: WebhookDelivery) -> str:
    return f"whd:{item.id}:{item.round}:{item.attempts_made + 1}"


def record_outcome(db: Session, item: WebhookDelivery, webhook: Webhook, outcome: http.Outcome) -> None:
    """After one attempt: succeed, disable the webhook on 410, or schedule the next attempt (or fail)."""
    item.attempts_made += 1
    item.first_attempted_at = item.first_attempted_at or outcome.at
    item.last_status_code = outcome.status_code
    item.log = [*item.log, outcome.log_entry(item.attempts_made)]
    item.updated_at = now()
    if outcome.succeeded:
        lifecycle.transition(db, item, "succeed", actor="system")
        return
    if outcome.status_code == 410:
        lifecycle.transition(db, item, "fail", actor="system")
        if webhook.status == WebhookStatus.ENABLED:
            change_status(db, webhook, "disable", actor="system")
        return
    wait = http.next_wait(item.attempts_made, outcome.retry_after)
    if wait is None:
        lifecycle.transition(db, item, "fail", actor="system")
        return
    item.next_attempt_at = now() + timedelta(seconds=wait)
    enqueue_in_tx(db, DELIVER_JOB, key=job_key(item), delay_seconds=wait, delivery_id=item.id)


def redeliver(db: Session, item: WebhookDelivery, actor: str) -> None:
    """Manual redelivery: a new round of attempts starting now, with the event rendered as it is then
    (redacted, if its object was)."""
    lifecycle.transition(db, item, "redeliver", actor=actor)
    item.body_sealed = None  # a body stored by an earlier version of openidv
    item.round += 1
    item.attempts_made = 0
    item.first_attempted_at = None
    item.next_attempt_at = now()
    enqueue_in_tx(db, DELIVER_JOB, key=job_key(item), delivery_id=item.id)
