"""The dashboard's webhook pages: the list, one webhook (edit, enable, disable, archive, rotate the secret) with its
delivery log, and one delivery (the request body, each attempt's response, redelivery). Every role reads; admins act."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from openidv.dashboard import auth, pages, webhook_service
from openidv.kit import versions
from openidv.webhooks import delivery as http, repository, service as webhooks

router = APIRouter(include_in_schema=False)
HOME = f"{pages.HOME}/webhooks"
# What the page says after an action (`?done=`): fixed texts, so a link cannot make the page say anything else.
DONE = {
    "updated": "Webhook saved.",
    "enable": "Webhook enabled: new events are delivered to it.",
    "disable": "Webhook disabled: no new deliveries, pending retries cancelled.",
    "archive": "Webhook archived.",
    "redelivered": "Redelivery queued: a new round of attempts starts now.",
}
# Why each destructive action asks first.
CONFIRM = {
    "disable": ("Disable this webhook?", "It stops receiving events and its pending retries are cancelled.", "Disable webhook"),
    "archive": ("Archive this webhook?", "An archived webhook receives nothing and can no longer be changed or enabled.", "Archive webhook"),
    "rotate-secret": ("Rotate the signing secret?", "A new secret signs every delivery from now on; the old one stops signing when the "
                      "hours you gave have passed, so the receiver must switch to the new one in time.", "Rotate secret"),
}


@router.get(HOME)
def webhook_list(request: Request) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        result = repository.list_page(db, env_id, pages.page_of(request))
        return "webhooks.html", {"result": result, "links": pages.links(result, {}), "versions": versions.KNOWN, "form": {}, "title": "Webhooks"}

    return pages.page(request, build)


@router.post(HOME)
async def webhook_create(request: Request) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        webhook, secret = webhook_service.create(db, who, env_id, form)
        return _detail(request, db, who, env_id, webhook.id, secret=secret, done="Webhook created.")

    return await pages.action(request, run)


def _detail(request: Request, db: Session, who: auth.DashboardSession, env_id: str, webhook_id: str, *, secret: str | None = None,
            done: str | None = None) -> Response:
    """The webhook page; right after a creation or rotation it carries the new secret (this answer only)."""
    webhook = webhooks.load(db, env_id, webhook_id)
    result = repository.deliveries_page(db, webhook.id, pages.page_of(request))
    values: dict[str, Any] = {"hook": webhook, "result": result, "links": pages.links(result, {}), "versions": versions.KNOWN, "secret": secret,
              "done": done or DONE.get(request.query_params.get("done", "")), "attempts_total": http.attempts_total(),
              "title": f"Webhook {webhook.name or webhook.id}"}
    return pages.render("webhook.html", who=who, csrf=auth.csrf_token(pages.key(request), who.nonce), **values)


@router.get(HOME + "/{webhook_id}")
def webhook_page(request: Request, webhook_id: str) -> Response:
    return pages.page(request, lambda db, who, env_id: _detail(request, db, who, env_id, webhook_id))


@router.post(HOME + "/{webhook_id}")
async def webhook_update(request: Request, webhook_id: str) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        webhook_service.update(db, who, env_id, webhook_id, form)
        return pages.to(f"{HOME}/{webhook_id}?done=updated")

    return await pages.action(request, run)


@router.post(HOME + "/{webhook_id}/rotate-secret")
async def webhook_rotate(request: Request, webhook_id: str) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        if not pages.confirmed(form):
            return _ask(who, form, "rotate-secret", webhook_id)
        webhook, secret = webhook_service.rotate_secret(db, who, env_id, webhook_id, form)
        return _detail(request, db, who, env_id, webhook.id, secret=secret, done="Secret rotated.")

    return await pages.action(request, run)


@router.post(HOME + "/{webhook_id}/deliveries/{delivery_id}/redeliver")
async def delivery_redeliver(request: Request, webhook_id: str, delivery_id: str) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, _form: dict[str, str]) -> Response:
        webhook_service.redeliver(db, who, env_id, webhook_id, delivery_id)
        return pages.to(f"{HOME}/{webhook_id}/deliveries/{delivery_id}?done=redelivered")

    return await pages.action(request, run)


@router.post(HOME + "/{webhook_id}/{action}")
async def webhook_status(request: Request, webhook_id: str, action: str) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        if action in CONFIRM and not pages.confirmed(form):
            return _ask(who, form, action, webhook_id)
        webhook_service.change_status(db, who, env_id, webhook_id, action)
        return pages.to(f"{HOME}/{webhook_id}?done={action}")

    return await pages.action(request, run)


def _ask(who: auth.DashboardSession, form: dict[str, str], action: str, webhook_id: str) -> Response:
    webhook_service.require_admin(who)  # a role that may not act is refused before it is asked to confirm
    title, message, button = CONFIRM[action]
    return pages.confirm(who, form, title=title, message=message, button=button, back=f"{HOME}/{webhook_id}")


@router.get(HOME + "/{webhook_id}/deliveries/{delivery_id}")
def delivery_page(request: Request, webhook_id: str, delivery_id: str) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        webhook = webhooks.load(db, env_id, webhook_id)
        item = webhook_service.load_delivery(db, env_id, webhook.id, delivery_id)
        return "webhook_delivery.html", {"hook": webhook, "item": item, "body": webhook_service.request_body(db, item, webhook),
                                         "done": DONE.get(request.query_params.get("done", "")), "title": f"Delivery {item.id}"}

    return pages.page(request, build)
