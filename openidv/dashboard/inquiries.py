"""The dashboard's inquiry list, review queue and the actions a reviewer takes on an inquiry."""

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from openidv.dashboard import auth, pages, repository, service
from openidv.inquiries import service as inquiries
from openidv.inquiry_templates import repository as templates_repository

router = APIRouter(include_in_schema=False)


@router.get(f"{pages.HOME}/inquiries")
def inquiry_list(request: Request) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        f = service.Filters.of(dict(request.query_params))
        result = service.list_inquiries(db, env_id, f, pages.page_of(request))
        links = pages.links(result, f.active())
        return "inquiries.html", {"result": result, "f": f, "links": links, "statuses": service.STATUSES,
                                  "templates": templates_repository.all_templates(db, env_id), "title": "Inquiries"}

    return pages.page(request, build)


@router.get(f"{pages.HOME}/queue")
def review_queue(request: Request) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        after_id = request.query_params.get("after")
        after = inquiries.load(db, env_id, after_id) if after_id else None
        items = repository.review_queue(db, env_id, 26, after)
        return "queue.html", {"items": items[:25], "more": items[24].id if len(items) > 25 else None, "title": "Review queue"}

    return pages.page(request, build)


@router.post(pages.HOME + "/inquiries/{inquiry_id}/{action}")
async def inquiry_action(request: Request, inquiry_id: str, action: str) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        link = service.act(db, who, env_id, inquiry_id, action, form, pages.secrets_of(request))
        return pages.to(f"{pages.HOME}/inquiries/{inquiry_id}" + (f"?{urlencode({'link': link})}" if link else ""))

    return await pages.action(request, run)
