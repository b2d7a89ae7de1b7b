"""HTTP for webhooks (COMPAT.md §8) and openidv's delivery-log extension."""

from collections.abc import Callable

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from openidv.api.context import ApiContext, Permission
from openidv.kit.errors import not_found
from openidv.kit.jsonapi import Body, get_int, page_params
from openidv.lifecycle import WebhookDeliveryStatus
from openidv.models import Webhook
from openidv.webhooks import repository, schemas, service

router = APIRouter()
read = Permission("webhook.read")
write = Permission("webhook.write")
PATH = "/api/v1/webhooks"


def _production(ctx: ApiContext) -> bool:
    return ctx.environment.name == "production"


def _one(ctx: ApiContext, webhook: Webhook, status: int = 200, *, with_secret: bool = False) -> Response:
    return ctx.respond({"data": schemas.render_webhook(webhook, with_secret=with_secret)}, status)


@router.get("/webhooks")
def list_webhooks(ctx: ApiContext = Depends(read)) -> Response:
    result = repository.list_page(ctx.db, ctx.environment_id, page_params(ctx.query))
    return ctx.respond_page(PATH, result, schemas.render_webhook)


@router.post("/webhooks", status_code=201)
def create_webhook(ctx: ApiContext = Depends(write)) -> Response:
    attributes = Body.of(ctx.body).attributes
    webhook = service.create(ctx.db, ctx.environment_id, attributes, version=ctx.version,
                             production=_production(ctx), actor=ctx.actor)
    return _one(ctx, webhook, 201, with_secret=True)


@router.get("/webhooks/{webhook_id}")
def retrieve_webhook(webhook_id: str, ctx: ApiContext = Depends(read)) -> Response:
    return _one(ctx, service.load(ctx.db, ctx.environment_id, webhook_id), with_secret=True)


@router.patch("/webhooks/{webhook_id}")
def update_webhook(webhook_id: str, ctx: ApiContext = Depends(write)) -> Response:
    webhook = service.load(ctx.db, ctx.environment_id, webhook_id, for_update=True)
    service.update(ctx.db, webhook, Body.of(ctx.body).attributes, production=_production(ctx))
    return _one(ctx, webhook)


def _status_action(action: str) -> Callable[..., Response]:
    def endpoint(webhook_id: str, ctx: ApiContext = Depends(write)) -> Response:
        webhook = service.load(ctx.db, ctx.environment_id, webhook_id, for_update=True)
        service.change_status(ctx.db, webhook, action, ctx.actor)
        return _one(ctx, webhook)

    endpoint.__name__ = f"{action}_webhook"
    return endpoint


for _action in ("enable", "disable", "archive"):
    router.post(f"/webhooks/{{webhook_id}}/{_action}")(_status_action(_action))


@router.post("/webhooks/{webhook_id}/rotate-secret")
def rotate_secret(webhook_id: str, ctx: ApiContext = Depends(write)) -> Response:
    webhook = service.load(ctx.db, ctx.environment_id, webhook_id, for_update=True)
    meta = Body.of(ctx.body or {}).meta if ctx.body else {}
    service.rotate_secret(ctx.db, webhook, get_int(meta, "expires-in-seconds", "meta", minimum=0, maximum=30 * 86400))
    return _one(ctx, webhook, with_secret=True)


@router.post("/webhooks/{webhook_id}/clone", status_code=201)
def clone_webhook(webhook_id: str, ctx: ApiContext = Depends(write)) -> Response:
    copy = service.clone(ctx.db, service.load(ctx.db, ctx.environment_id, webhook_id), ctx.actor)
    return _one(ctx, copy, 201, with_secret=True)


# --- openidv extensions: the delivery log and manual redelivery ---------------------------------

@router.get("/webhooks/{webhook_id}/deliveries")
def list_deliveries(webhook_id: str, ctx: ApiContext = Depends(read)) -> Response:
    webhook = service.load(ctx.db, ctx.environment_id, webhook_id)
    result = repository.deliveries_page(ctx.db, webhook.id, page_params(ctx.query))
    return ctx.respond_page(f"{PATH}/{webhook.id}/deliveries", result, schemas.render_delivery)


@router.post("/webhook-deliveries/{delivery_id}/redeliver")
def redeliver(delivery_id: str, ctx: ApiContext = Depends(write)) -> Response:
    item = repository.delivery_of_environment(ctx.db, ctx.environment_id, delivery_id)
    if item is None:
        raise not_found("webhook delivery", delivery_id)
    service.redeliver(ctx.db, item, ctx.actor)
    return ctx.respond({"data": schemas.render_delivery(item)})


@router.post("/webhooks/{webhook_id}/redeliver-failed")
def redeliver_failed(webhook_id: str, ctx: ApiContext = Depends(write)) -> Response:
    webhook = service.load(ctx.db, ctx.environment_id, webhook_id)
    failed = repository.deliveries_with_status(ctx.db, webhook.id, WebhookDeliveryStatus.FAILED)
    for item in failed:
        service.redeliver(ctx.db, item, ctx.actor)
    return ctx.respond({"data": [schemas.render_delivery(item) for item in failed], "meta": {"redelivered": len(failed)}})
