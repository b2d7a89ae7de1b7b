"""The dashboard's inquiry list, review queue and the actions a reviewer takes on an inquiry: decisions (then the
queue's next inquiry, with a message), the confirmation a reversing decision needs, bulk tags, the CSV export."""

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from openidv.dashboard import auth, pages, repository, review, service
from openidv.inquiries import service as inquiries
from openidv.inquiry_templates import repository as templates_repository
from openidv.kit.clock import now
from openidv.kit.db import transaction
from openidv.kit.jsonapi import Page

router = APIRouter(include_in_schema=False)
LIST = f"{pages.HOME}/inquiries"
QUEUE = f"{pages.HOME}/queue"
# The inquiry the reviewer opened from the queue: deciding on it opens the queue's next one. A cookie, so that the
# case page's forms need not carry it; it only steers where a decision leads, so it needs no signature.
REVIEWING = "openidv_reviewing"
ALONE = "No other inquiry waits in the review queue."


def _review(request: Request, inquiry_id: str, message: str | None = None) -> Response:
    """Open an inquiry as the queue's current one (with a message when there is one)."""
    url = f"{LIST}/{inquiry_id}"
    response = pages.flash_to(request, url, message) if message else pages.to(url)
    response.set_cookie(REVIEWING, inquiry_id, httponly=True, secure=request.url.scheme == "https", samesite="strict", path=pages.HOME)
    return response


@router.get(LIST)
def inquiry_list(request: Request) -> Response:
    def build(db: Session, who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        f = service.Filters.of(dict(request.query_params))
        result = service.list_inquiries(db, env_id, f, pages.page_of(request))
        links = pages.links(result, f.active())
        return "inquiries.html", {"result": result, "rows": review.rows(db, who, env_id, result.items), "f": f, "links": links,
                                  "statuses": service.STATUSES, "templates": templates_repository.all_templates(db, env_id), "title": "Inquiries",
                                  "query": urlencode(f.active()), "names": review.may_see_names(who)}

    return pages.page(request, build)


@router.get(f"{LIST}.csv")
def inquiry_export(request: Request) -> Response:
    """The filtered list as CSV, streamed page by page from a read session of its own; the export is audited."""
    def build(db: Session, who: auth.DashboardSession, env_id: str) -> Response:
        f = service.Filters.of(dict(request.query_params))
        service.list_inquiries(db, env_id, f, Page(size=1, after=None, before=None))  # a bad filter gets its error page now, not a broken download
        see = review.may_see_names(who)
        with transaction(request.app.state.writer) as writer:
            service.audit(writer, who, env_id, "inquiries.export", None, None, None, urlencode(f.active()) or "all")

        def lines() -> Iterator[str]:
            with transaction(request.app.state.reader) as reader:
                yield from review.export_rows(reader, see, env_id, f)

        name = f"inquiries-{now().strftime('%Y%m%d-%H%M%S')}.csv"
        headers = {**pages.HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
        return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers=headers)

    return pages.page(request, build)


@router.get(QUEUE)
def review_queue(request: Request) -> Response:
    def build(db: Session, who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        after_id = request.query_params.get("after")
        after = inquiries.load(db, env_id, after_id) if after_id else None
        items = repository.review_queue(db, env_id, 26, after)
        return "queue.html", {"rows": review.rows(db, who, env_id, items[:25]), "more": items[24].id if len(items) > 25 else None,
                              "title": "Review queue", "names": review.may_see_names(who)}

    return pages.page(request, build)


@router.get(f"{QUEUE}/next")
def queue_next(request: Request) -> Response:
    """The inquiry after `after` in the queue (the `n` key), else the queue's first; an empty queue says so."""
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> Response:
        after_id = request.query_params.get("after")
        following = review.next_in_queue(db, env_id, inquiries.load(db, env_id, after_id) if after_id else None)
        if following is None:
            return pages.flash_to(request, QUEUE, "The review queue is empty.")
        return _review(request, following.id, ALONE if after_id == following.id else None)

    return pages.page(request, build)


@router.get(QUEUE + "/open/{inquiry_id}")
def queue_open(request: Request, inquiry_id: str) -> Response:
    """An inquiry opened from the queue: its decision leads to the next one."""
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> Response:
        return _review(request, inquiries.load(db, env_id, inquiry_id).id)

    return pages.page(request, build)


@router.post(f"{LIST}/bulk-tag")
async def bulk_tag(request: Request) -> Response:
    """Add a tag to the rows chosen in the list (`pick-<id>` boxes), then back to the same filtered list."""
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        ids = [k.removeprefix("pick-") for k, v in form.items() if k.startswith("pick-") and v == "on"]
        changed = review.bulk_tag(db, who, env_id, ids, form.get("tag", ""))
        back = urlencode(service.Filters.of(dict(request.query_params)).active())  # rebuilt from known filters: no open redirect
        tag = form.get("tag", "").strip()
        return pages.flash_to(request, LIST + (f"?{back}" if back else ""), f"Tagged {changed} of {len(ids)} inquiries with “{tag}”.")

    return await pages.action(request, run)


@router.post(pages.HOME + "/inquiries/{inquiry_id}/{action}")
async def inquiry_action(request: Request, inquiry_id: str, action: str) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        reverses = review.reversal(db, env_id, inquiry_id, action) if action in review.DONE else None
        if reverses and form.get("confirmed") != "yes":  # approved <-> declined: nothing written until confirmed
            inquiry = inquiries.load(db, env_id, inquiry_id)
            return pages.render("decision_confirm.html", who=who, csrf=form.get("csrf", ""), inquiry=inquiry, action=action, reverses=reverses,
                                comment=form.get("comment", ""), title="Confirm the decision")
        link = service.act(db, who, env_id, inquiry_id, action, form, pages.secrets_of(request))
        if action not in review.DONE:
            return pages.to(f"{LIST}/{inquiry_id}" + (f"?{urlencode({'link': link})}" if link else ""))
        done = f"{review.DONE[action]} {inquiry_id}."
        if request.cookies.get(REVIEWING) != inquiry_id:  # not opened from the queue: stay on the inquiry
            return pages.flash_to(request, f"{LIST}/{inquiry_id}", done)
        following = review.next_in_queue(db, env_id, inquiries.load(db, env_id, inquiry_id))
        if following is None:
            return pages.flash_to(request, QUEUE, f"{done} The review queue is empty.")
        if following.id == inquiry_id:  # still in the queue (marked for review), and nothing else is
            return _review(request, inquiry_id, f"{done} {ALONE}")
        return _review(request, following.id, f"{done} Next in the queue: {following.id}.")

    return await pages.action(request, run)
