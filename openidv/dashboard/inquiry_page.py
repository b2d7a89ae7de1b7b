"""The case page: one inquiry with every piece of its evidence (`openidv.inquiries.case`), for the reviewer who
decides on it. Images come through the API's expiring signed links; a redacted inquiry shows that it was."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from openidv.dashboard import auth, pages, repository
from openidv.flow.service import qr_svg
from openidv.inquiries import case as cases, printing, service as inquiries
from openidv.kit.errors import not_found

router = APIRouter(include_in_schema=False)


@router.get(pages.HOME + "/inquiries/{inquiry_id}")
def inquiry_page(request: Request, inquiry_id: str) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        inquiry = inquiries.load(db, env_id, inquiry_id)
        case = cases.gather(db, inquiry)
        events = [e.id for e in repository.events_of(db, env_id, [inquiry.id] + [v.row.id for v in case.verifications])]
        link = request.query_params.get("link")
        return "inquiry.html", {
            "inquiry": inquiry, "case": case, "title": f"Inquiry {inquiry.id}",
            "deliveries": repository.deliveries_of_events(db, env_id, events),
            "link": link, "qr": Markup(qr_svg(link)) if link else None,
        }

    return pages.page(request, build)


@router.get(pages.HOME + "/inquiries/{inquiry_id}/print")
def inquiry_pdf(request: Request, inquiry_id: str) -> Response:
    """The same PDF as the API's `GET /inquiries/{id}/print`, for the signed-in reviewer."""
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> Response:
        case = cases.gather(db, inquiries.load(db, env_id, inquiry_id))
        headers = {**pages.HEADERS, "Content-Disposition": f'attachment; filename="{printing.filename(case)}"'}
        return Response(printing.render(case), media_type="application/pdf", headers=headers)

    return pages.page(request, build)


@router.get(pages.HOME + "/inquiries/{inquiry_id}/files/{file_id}/preview")
def document_preview(request: Request, inquiry_id: str, file_id: str) -> Response:
    """A PDF document's first page as a picture, for the case page (the CSP allows no embedded PDF viewer)."""
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> Response:
        found = cases.document_preview(db, inquiries.load(db, env_id, inquiry_id), file_id)
        if found is None:
            raise not_found("document file", file_id)
        return Response(found, media_type="image/png", headers={**pages.HEADERS, "Cache-Control": "private, no-store"})

    return pages.page(request, build)
