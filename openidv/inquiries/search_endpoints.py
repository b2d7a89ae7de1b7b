"""Persona's `POST /inquiries/search` and `POST /accounts/search`: openidv.search's engine (the dashboard's too), names
matched by their blind-indexed tokens. Both here, since they answer alike (inquiries may import accounts, not back)."""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from openidv.accounts import repository as accounts, schemas as account_schemas
from openidv.api.context import ApiContext, Permission
from openidv.inquiries import repository as inquiries, schemas as inquiry_schemas
from openidv.kit.jsonapi import list_body, list_links
from openidv.kit.paging import PageResult
from openidv.search import service as search

router = APIRouter()
read_inquiries = Permission("inquiry.read")
read_accounts = Permission("account.read")


def _answer(ctx: ApiContext, path: str, size: int, result: PageResult[Any], render: Callable[[Any], dict[str, Any]]) -> Response:
    """A list page whose links (POSTed again with the same body, as Persona says) carry the page size."""
    first, last = (result.items[0].id, result.items[-1].id) if result.items else (None, None)
    links = list_links(path, {**ctx.query, "page[size]": str(size)}, first, last, result.has_prev, result.has_next)
    return ctx.respond(list_body([render(row) for row in result.items], links))


@router.post("/inquiries/search")
def search_inquiries(ctx: ApiContext = Depends(read_inquiries)) -> Response:
    wanted = search.parse(ctx.body, ctx.query, inquiries.SEARCHABLE, inquiries.SORTABLE)
    result = inquiries.search_page(ctx.db, ctx.environment_id, wanted)
    return _answer(ctx, "/api/v1/inquiries/search", wanted.page.size, result, lambda row: inquiry_schemas.render_inquiry(ctx.db, row))


@router.post("/accounts/search")
def search_accounts(ctx: ApiContext = Depends(read_accounts)) -> Response:
    wanted = search.parse(ctx.body, ctx.query, accounts.SEARCHABLE, accounts.SORTABLE)
    result = accounts.search_page(ctx.db, ctx.environment_id, wanted)
    return _answer(ctx, "/api/v1/accounts/search", wanted.page.size, result, account_schemas.render_account)
