"""The case page: one inquiry with its evidence, for the reviewer who decides on it."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from openidv.dashboard import auth, pages, repository
from openidv.flow.service import qr_svg
from openidv.inquiries import service as inquiries

router = APIRouter(include_in_schema=False)


def _timeline(db: Session, env_id: str, ids: list[str]) -> list[dict[str, Any]]:
    return [{"name": e.name, "at": e.created_at, "actor": e.actor, "object_id": e.object_id, "id": e.id} for e in repository.events_of(db, env_id, ids)]


@router.get(pages.HOME + "/inquiries/{inquiry_id}")
def inquiry_page(request: Request, inquiry_id: str) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        inquiry = inquiries.load(db, env_id, inquiry_id)
        checks = repository.inquiry_verifications(db, inquiry.id)
        timeline = _timeline(db, env_id, [inquiry.id] + [v.id for v in checks])
        link = request.query_params.get("link")
        return "inquiry.html", {
            "inquiry": inquiry, "fields": {} if inquiry.redacted_at else inquiry.fields, "verifications": checks, "timeline": timeline,
            "deliveries": repository.deliveries_of_events(db, env_id, [e["id"] for e in timeline]), "title": f"Inquiry {inquiry.id}",
            "link": link, "qr": Markup(qr_svg(link)) if link else None,
        }

    return pages.page(request, build)
