"""The dashboard's other pages: audit log, jobs, templates, analytics, accounts and API keys."""

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from openidv.accounts import repository as accounts_repository
from openidv.auth import repository as environments_repository
from openidv.auth.permissions import ALL as ALL_PERMISSIONS
from openidv.dashboard import auth, pages, repository, review, service
from openidv.inquiries import repository as inquiries_repository
from openidv.inquiry_templates import repository as templates_repository
from openidv.inquiry_templates.service import config_of
from openidv.jobs import admin as jobs_admin, registry as job_registry
from openidv.jobs.port import QUEUES
from openidv.kit.clock import now
from openidv.kit.errors import not_found
from openidv.kit.jsonapi import Page

router = APIRouter(include_in_schema=False)


# ---------------------------------------------------------------- audit log


@router.get(f"{pages.HOME}/audit")
def audit_log(request: Request) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        q = {k: (request.query_params.get(k) or "").strip()[:255] for k in ("user", "action", "object")}
        result = repository.audit_page(db, env_id, pages.page_of(request, 50), user_email=q["user"], action=q["action"], object_id=q["object"])
        links = pages.links(result, q)
        return "audit.html", {"result": result, "q": q, "links": links, "title": "Audit log"}

    return pages.page(request, build)

# ---------------------------------------------------------------- jobs


@router.get(f"{pages.HOME}/jobs")
def job_list(request: Request) -> Response:
    def build(db: Session, _who: auth.DashboardSession, _env_id: str) -> tuple[str, dict[str, Any]]:
        q = {k: (request.query_params.get(k) or "").strip()[:100] for k in ("status", "queue", "kind")}
        filters = jobs_admin.Filters((q["status"],) if q["status"] else jobs_admin.ATTENTION, q["queue"] or None, q["kind"] or None)
        at = now()
        found = [(job, jobs_admin.status_of(job, at)) for job in jobs_admin.find(db, filters, at)]
        return "jobs.html", {"jobs": found, "q": q, "statuses": jobs_admin.STATUSES, "queues": QUEUES, "kinds": sorted(job_registry),
                             "title": "Jobs"}

    return pages.page(request, build)


@router.post(pages.HOME + "/jobs/{job_id}/{action}")
async def job_action(request: Request, job_id: str, action: str) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, _form: dict[str, str]) -> Response:
        service.change_job(db, who, env_id, job_id, action)
        return pages.to(f"{pages.HOME}/jobs")

    return await pages.action(request, run)

# ---------------------------------------------------------------- templates


@router.get(f"{pages.HOME}/templates")
def template_list(request: Request) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        return "templates.html", {"templates": templates_repository.all_templates(db, env_id), "title": "Templates"}

    return pages.page(request, build)


@router.get(pages.HOME + "/templates/{template_id}")
def template_page(request: Request, template_id: str) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        template = service.load_template(db, env_id, template_id)
        versions = templates_repository.list_versions(db, env_id, template.id, Page(size=100, after=None, before=None)).items
        latest = next((v for v in versions if v.id == template.latest_published_version_id), None)
        config = config_of(latest) if latest else None
        return "template.html", {"template": template, "versions": versions, "config": config, "kinds": service.VERIFICATION_KINDS,
                                 "title": f"Template {template.name}"}

    return pages.page(request, build)


@router.post(pages.HOME + "/templates/{template_id}/versions")
async def template_new_version(request: Request, template_id: str) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        service.new_template_version(db, who, env_id, template_id, form)
        return pages.to(f"{pages.HOME}/templates/{template_id}")

    return await pages.action(request, run)


@router.post(pages.HOME + "/templates/{template_id}/inquiries")
async def template_new_inquiry(request: Request, template_id: str) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        inquiry, link = service.create_inquiry(db, who, env_id, template_id, form, pages.secrets_of(request))
        return pages.to(f"{pages.HOME}/inquiries/{inquiry.id}?{urlencode({'link': link})}")

    return await pages.action(request, run)


@router.post(pages.HOME + "/templates/{template_id}/versions/{version_id}/publish")
async def template_publish(request: Request, template_id: str, version_id: str) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, _form: dict[str, str]) -> Response:
        service.publish_template_version(db, who, env_id, template_id, version_id)
        return pages.to(f"{pages.HOME}/templates/{template_id}")

    return await pages.action(request, run)

# ---------------------------------------------------------------- analytics


@router.get(f"{pages.HOME}/analytics")
def analytics_page(request: Request) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        q = {k: (request.query_params.get(k) or "").strip()[:40] for k in ("template", "created_from", "created_to")}
        numbers = service.analytics(db, env_id, q["template"] or None, q["created_from"] or None, q["created_to"] or None)
        return "analytics.html", {"a": numbers, "q": q, "templates": templates_repository.all_templates(db, env_id), "title": "Analytics"}

    return pages.page(request, build)

# ---------------------------------------------------------------- accounts


@router.get(f"{pages.HOME}/accounts")
def account_list(request: Request) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        q = {k: (request.query_params.get(k) or "").strip()[:255] for k in ("search", "reference_id")}
        result = service.list_accounts(db, env_id, q["search"], q["reference_id"], pages.page_of(request))
        links = pages.links(result, q)
        return "accounts.html", {"result": result, "q": q, "links": links, "title": "Accounts"}

    return pages.page(request, build)


@router.get(pages.HOME + "/accounts/{account_id}")
def account_page(request: Request, account_id: str) -> Response:
    def build(db: Session, who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        account = accounts_repository.get(db, env_id, account_id)
        if account is None:
            raise not_found("account", account_id)
        fields = {} if account.redacted_at else account.fields
        rows = review.rows(db, who, env_id, inquiries_repository.of_account(db, account.id))  # names, as the lists show them
        return "account.html", {"account": account, "fields": fields, "rows": rows, "names": review.may_see_names(who),
                                "title": f"Account {account.id}"}

    return pages.page(request, build)

# ---------------------------------------------------------------- API keys


def _keys_page(db: Session, env_id: str, created: Any = None) -> tuple[str, dict[str, Any]]:
    return "api_keys.html", {"keys": environments_repository.api_keys(db, env_id), "created": created, "permissions": ALL_PERMISSIONS, "title": "API keys"}


@router.get(f"{pages.HOME}/api-keys")
def api_key_list(request: Request) -> Response:
    return pages.page(request, lambda db, _who, env_id: _keys_page(db, env_id))


@router.post(f"{pages.HOME}/api-keys")
async def api_key_create(request: Request) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        created = service.create_api_key(db, who, env_id, form)
        name, values = _keys_page(db, env_id, created)  # the secret is shown in this answer only, never stored
        return pages.render(name, who=who, csrf=auth.csrf_token(pages.key(request), who.nonce), **values)

    return await pages.action(request, run)


@router.post(pages.HOME + "/api-keys/{key_id}/revoke")
async def api_key_revoke(request: Request, key_id: str) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, _form: dict[str, str]) -> Response:
        service.revoke_api_key(db, who, env_id, key_id)
        return pages.to(f"{pages.HOME}/api-keys")

    return await pages.action(request, run)
