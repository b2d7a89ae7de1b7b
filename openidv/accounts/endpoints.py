"""HTTP for accounts (COMPAT.md §6)."""

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy.orm import Session

from openidv.accounts import repository, schemas, service
from openidv.api import included
from openidv.api.context import ApiContext, Permission
from openidv.api.tags import tag_endpoints
from openidv.kit import fields as typed_fields, versions
from openidv.kit.errors import bad_request, not_found
from openidv.kit.jsonapi import Body, get_dict, get_str, get_str_list, page_params
from openidv.models import Account
from openidv.tags import service as tag_names

router = APIRouter()
read = Permission("account.read")
write = Permission("account.write")
ATTR = "data.attributes"
WRITABLE = frozenset({"account-type-id", "account-status", "reference-id", "selfie-photo", "tags", "fields", "identification-numbers", *versions.ACCOUNT_PII})


def _load(ctx: ApiContext, account_id: str) -> Account:
    account = repository.get(ctx.db, ctx.environment_id, account_id)
    if account is None:
        raise not_found("account", account_id)
    return account


def _document(ctx: ApiContext, account: Account, status: int = 200) -> Response:
    return ctx.respond(included.document(ctx.db, ctx.environment_id, schemas.render_account(account), ctx.include, permissions=ctx.api_key.permissions), status)


def _fields(attrs: dict[str, Any]) -> dict[str, Any] | None:
    written = dict(get_dict(attrs, "fields", ATTR) or {})
    for key in versions.ACCOUNT_PII:
        if attrs.get(key) is not None:
            written.setdefault(key, attrs[key])
    return typed_fields.normalise(written) if written or "fields" in attrs else None


def _check_attributes(attrs: dict[str, Any]) -> None:
    unknown = sorted(set(attrs) - WRITABLE)
    if unknown:
        raise bad_request(f"{ATTR}.{unknown[0]} is not a permitted attribute")
    get_str(attrs, "account-type-id", ATTR, max_length=255)  # accepted for compatibility; still typed


@router.get("/accounts")
def list_accounts(ctx: ApiContext = Depends(read)) -> Response:
    references = [v for k, v in ctx.query_items if k.startswith("filter[reference-id]") or k.startswith("filter[reference_id]")]
    result = repository.list_page(ctx.db, ctx.environment_id, page_params(ctx.query), references or None)
    return ctx.respond_page("/api/v1/accounts", result, schemas.render_account)


@router.post("/accounts", status_code=201)
def create_account(ctx: ApiContext = Depends(write)) -> Response:
    body = Body.of(ctx.body)
    attrs = body.attributes
    _check_attributes(attrs)
    reference_id = get_str(attrs, "reference-id", ATTR, max_length=255)
    upsert_by = body.meta.get("upsert-by")
    if upsert_by is not None and upsert_by not in ("reference-id", "reference_id", ["reference-id"]):
        raise bad_request("meta.upsert-by must be reference-id")
    if upsert_by is not None and reference_id:
        existing = repository.by_reference(ctx.db, ctx.environment_id, reference_id)
        if existing is not None:
            service.update(ctx.db, existing, reference_id=None, fields=_fields(attrs), tags=get_str_list(attrs, "tags", ATTR),
                           account_status=get_str(attrs, "account-status", ATTR, max_length=20), actor=ctx.actor)
            return _document(ctx, existing, 200)
    account = service.create(
        ctx.db, ctx.environment_id, reference_id=reference_id, fields=_fields(attrs),
        tags=tag_names.clean(get_str_list(attrs, "tags", ATTR) or [], f"{ATTR}.tags"),
        account_status=get_str(attrs, "account-status", ATTR, max_length=20), actor=ctx.actor,
    )
    return _document(ctx, account, 201)


@router.get("/accounts/{account_id}")
def retrieve_account(account_id: str, ctx: ApiContext = Depends(read)) -> Response:
    return _document(ctx, _load(ctx, account_id))


@router.patch("/accounts/{account_id}")
def update_account(account_id: str, ctx: ApiContext = Depends(write)) -> Response:
    account = _load(ctx, account_id)
    attrs = Body.of(ctx.body).attributes
    _check_attributes(attrs)
    tags = get_str_list(attrs, "tags", ATTR)
    service.update(
        ctx.db, account, reference_id=get_str(attrs, "reference-id", ATTR, max_length=255), fields=_fields(attrs),
        tags=tag_names.clean(tags, f"{ATTR}.tags") if tags is not None else None,
        account_status=get_str(attrs, "account-status", ATTR, max_length=20), actor=ctx.actor,
    )
    return _document(ctx, account)


@router.delete("/accounts/{account_id}")
def redact_account(account_id: str, ctx: ApiContext = Depends(write)) -> Response:
    account = _load(ctx, account_id)
    service.redact(ctx.db, account, ctx.actor)
    return _document(ctx, account)


tag_endpoints(router, "/accounts/{account_id}", write=write, load=_load, answer=_document,
              add=service.add_tag, remove=service.remove_tag, replace=service.set_tags)


@router.post("/accounts/{account_id}/consolidate", status_code=202)
def consolidate(account_id: str, ctx: ApiContext = Depends(write)) -> Response:
    account = _load(ctx, account_id)
    sources = Body.of(ctx.body).meta.get("source-account-ids")
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise bad_request("meta.source-account-ids must be an array of account ids")
    service.consolidate(ctx.db, account, sources, ctx.actor)
    return _document(ctx, account, 202)



def load_included(db: Session, environment_id: str, account_id: str) -> dict[str, Any] | None:
    account = repository.get(db, environment_id, account_id)
    return schemas.render_account(account) if account else None
