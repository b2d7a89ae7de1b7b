"""`POST /<resources>/{id}/add-tag | remove-tag | set-tags`: one shape for accounts, inquiries and reports.

`meta.tag-name` / `meta.tag-id` (arrays for set-tags) name the tags; each resource brings how it loads its
object, how its service changes the tags (events included) and how it answers."""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Path, Response
from sqlalchemy.orm import Session

from openidv.api.context import ApiContext, Permission
from openidv.kit.jsonapi import Body
from openidv.tags import service as tag_names

Change = Callable[[Session, Any, list[str], str], None]


def _endpoint(param: str, write: Permission, load: Callable[[ApiContext, str], Any], answer: Callable[[ApiContext, Any], Response],
              change: Change, many: bool) -> Callable[..., Response]:
    def endpoint(ctx: ApiContext = Depends(write), object_id: str = Path(alias=param)) -> Response:
        target = load(ctx, object_id)
        change(ctx.db, target, tag_names.names_from_meta(ctx.db, ctx.environment_id, Body.of(ctx.body).meta, many=many), ctx.actor)
        return answer(ctx, target)

    return endpoint


def tag_endpoints(router: APIRouter, path: str, *, write: Permission, load: Callable[[ApiContext, str], Any],
                  answer: Callable[[ApiContext, Any], Response], add: Change, remove: Change, replace: Change) -> None:
    """Register the three endpoints under `path` (e.g. `/accounts/{account_id}`)."""
    param = path.rsplit("{", 1)[1].rstrip("}")
    resource = path.strip("/").split("/", 1)[0].replace("-", "_")
    for suffix, change, many in (("add-tag", add, False), ("remove-tag", remove, False), ("set-tags", replace, True)):
        router.add_api_route(f"{path}/{suffix}", _endpoint(param, write, load, answer, change, many), methods=["POST"],
                             name=f"{resource}_{suffix.replace('-', '_')}")
