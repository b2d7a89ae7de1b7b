"""The composition root: every router, job, timer, event renderer, `include` loader, follow-up,
lifecycle observer and verification kind of openidv, listed here and nowhere else.

`install(settings)` puts them in place; the app (`create_app`), `openidv worker`, every CLI command
and the tests call it, so every process knows the same jobs whatever it happened to import. No module
registers anything when it is imported. Adding a verification kind: one folder under
`openidv/verifications/` and one line in `KINDS`.
"""

from pathlib import Path
from typing import Any

from fastapi import APIRouter

from openidv import jobs
from openidv.accounts import endpoints as accounts_endpoints, schemas as accounts_schemas
from openidv.api import included
from openidv.api_keys import endpoints as api_keys_endpoints
from openidv.api_logs import endpoints as api_logs_endpoints, service as api_logs, tasks as api_logs_tasks
from openidv.api_reference import endpoints as api_reference_endpoints
from openidv.cases import endpoints as cases_endpoints, schemas as cases_schemas, service as cases_service
from openidv.config import Settings, bootstrap
from openidv.dashboard import (
    cases as dashboard_cases,
    endpoints as dashboard_endpoints,
    inquiries as dashboard_inquiries,
    inquiry_page as dashboard_inquiry_page,
    lists as dashboard_lists,
    pages as dashboard_pages,
    reports as dashboard_reports,
    sign_in as dashboard_sign_in,
    tasks as dashboard_tasks,
    users as dashboard_users,
    webhooks as dashboard_webhooks,
    workflows as dashboard_workflows,
)
from openidv.documents import endpoints as documents_endpoints, schemas as documents_schemas, tasks as documents_tasks
from openidv.events import endpoints as events_endpoints, service as events, snapshot
from openidv.flow import endpoints as flow_endpoints, engines as flow_engines
from openidv.inquiries import (
    endpoints as inquiries_endpoints,
    progress,
    schemas as inquiries_schemas,
    search_endpoints,
    service as inquiries,
    session_endpoints,
)
from openidv.inquiry_sessions import schemas as sessions_schemas, service as inquiry_sessions
from openidv.inquiry_templates import endpoints as templates_endpoints
from openidv.jobs import maintenance
from openidv.kit import file_links
from openidv.lifecycle.transition import Observer, install_observers
from openidv.models import Account, Case, Document, Inquiry, InquirySession, Report, Verification, WorkflowRun
from openidv.operations import endpoints as operations_endpoints, metrics
from openidv.reports import endpoints as reports_endpoints, schemas as reports_schemas, tasks as reports_tasks
from openidv.user_audit_logs import endpoints as user_audit_logs_endpoints
from openidv.verifications import (
    database,
    document,
    email_address,
    endpoints as verifications_endpoints,
    government_id,
    kinds,
    phone_number,
    schemas as verifications_schemas,
    selfie,
    tasks as verifications_tasks,
)
from openidv.verifications.kinds import VerificationKind
from openidv.verifications.selfie import service as selfie_service
from openidv.webhooks import delivery as webhook_delivery, endpoints as webhooks_endpoints, service as webhooks, tasks as webhooks_tasks
from openidv.workflows import endpoints as workflows_endpoints, schemas as workflows_schemas, service as workflows, tasks as workflows_tasks

KINDS: tuple[VerificationKind, ...] = (
    government_id.VERIFICATION_KIND,
    selfie.VERIFICATION_KIND,
    document.VERIFICATION_KIND,
    database.VERIFICATION_KIND,
    phone_number.VERIFICATION_KIND,
    email_address.VERIFICATION_KIND,
)

# Under /api/v1, in this order (a kind's own routes come after the generic /verifications/{id}).
API_ROUTERS: tuple[APIRouter, ...] = (
    search_endpoints.router,  # POST /inquiries/search and /accounts/search, before /inquiries/{id}
    inquiries_endpoints.router,
    accounts_endpoints.router,
    session_endpoints.router,
    templates_endpoints.router,
    events_endpoints.router,
    verifications_endpoints.router,
    *(kind.router for kind in KINDS),
    reports_endpoints.router,
    workflows_endpoints.router,
    webhooks_endpoints.router,
    documents_endpoints.router,
    api_keys_endpoints.router,
    api_logs_endpoints.router,
    user_audit_logs_endpoints.router,
    cases_endpoints.router,  # /cases, /case-templates
)

# Where the API middleware puts each authenticated request's log row (kept in memory, written in batches).
API_LOG = api_logs

# Outside the API: (router, its static folder mounted at (path, name)).
PAGES: tuple[tuple[APIRouter, str, Path, str], ...] = (
    (flow_endpoints.router, "/flow/static", flow_endpoints.STATIC, "flow-static"),  # /verify, /widget, /preload, /flow/*
    (api_reference_endpoints.router, api_reference_endpoints.ASSETS, api_reference_endpoints.STATIC, "api-reference-static"),  # /api/v1/docs
)

# The dashboard's areas (/dashboard/*), one router each, in this order; what they share is openidv.dashboard.pages.
DASHBOARD: tuple[APIRouter, ...] = (
    dashboard_sign_in.router,  # sign-in, sign-out, environment, second factor
    dashboard_users.router,  # users (admins), own password
    dashboard_inquiries.router,  # inquiry list, review queue, decisions
    dashboard_inquiry_page.router,  # one inquiry with its evidence (the reviewer's case page)
    dashboard_endpoints.router,  # audit log, jobs, templates, analytics, accounts, API keys
    dashboard_webhooks.router,  # webhooks, their delivery log, redelivery
    dashboard_reports.router,  # reports and the review of their matches
    dashboard_lists.router,  # screening lists: versions and what each load changed
    dashboard_cases.router,  # cases: the reviewers' queue, one case (assign, due time, status, comments)
    dashboard_workflows.router,  # workflows: list, editor (errors at their lines), publish, enable, dry run, runs and their steps
)
DASHBOARD_STATIC = ("/dashboard/static", dashboard_pages.STATIC, "dashboard-static")

# Outside the API, without a key: /healthz, /readyz, /metrics (openidv.operations).
OPERATIONS: tuple[APIRouter, ...] = (operations_endpoints.router,)

JOBS = (
    webhooks_tasks.deliver,
    reports_tasks.run_report,
    reports_tasks.screen_delta,
    workflows_tasks.run_step,
    workflows_tasks.wake,
    documents_tasks.process_job,
    verifications_tasks.send_confirmation,
    verifications_tasks.time_out_confirmation,
    *(kind.processing_job for kind in KINDS if kind.processing_job is not None),
)

# The queue of each job not on "default" (workflows, reports, timers, the rest). Every worker runs each queue
# with threads of its own (OPENIDV_JOB_THREADS_VERIFICATIONS, _DELIVERIES, _DEFAULT), so a burst of photos
# to process never holds back a webhook.
JOB_QUEUES = {
    "verifications": (documents_tasks.process_job, *(kind.processing_job for kind in KINDS if kind.processing_job is not None)),
    "deliveries": (webhooks_tasks.deliver,),
}

TIMERS = (
    progress.expire_due,
    cases_service.expire_sla,  # case.sla-expired when a due time passes
    maintenance.prune_jobs,
    dashboard_tasks.prune_sign_ins,  # expired dashboard sessions, forgotten sign-in failures
    api_logs_tasks.purge_expired,
    webhooks_tasks.reconcile,
    reports_tasks.run_due_reports,
    reports_tasks.update_lists,
    workflows_tasks.run_scheduled,
    *(timer for kind in KINDS for timer in kind.periodic),
)

# How each model that events are recorded on renders into the event payload.
SNAPSHOTS: tuple[tuple[type, str, snapshot.Renderer], ...] = (
    (Inquiry, "inquiry", inquiries_schemas.render_inquiry),
    (Verification, "verification", verifications_schemas.render_verification),
    (Account, "account", accounts_schemas.render_snapshot),
    (InquirySession, "inquiry-session", sessions_schemas.render_snapshot),
    (Document, "document", documents_schemas.render_document),
    (Report, "report", reports_schemas.render_snapshot),
    (WorkflowRun, "workflow-run", workflows_schemas.render_snapshot),
    (Case, "case", cases_schemas.render_case),
)

# `?include=` loaders by JSON:API type (or family before the slash).
INCLUDED: dict[str, included.Loader] = {
    "inquiry": inquiries_endpoints.load_included,
    "account": accounts_endpoints.load_included,
    "inquiry-session": session_endpoints.load_included,
    "document": documents_endpoints.load_included,
    "verification": verifications_endpoints.load_included,
    "inquiry-template": templates_endpoints.load_included_template,
    "inquiry-template-version": templates_endpoints.load_included_version,
    "case-template": cases_endpoints.load_included_template,
    "case-comment": cases_endpoints.load_included_comment,
}

# Work every recorded event starts in its own transaction.
FOLLOW_UPS: tuple[events.FollowUp, ...] = (
    webhooks.fan_out,  # one delivery per subscribed webhook
    reports_tasks.order_on_completion,  # a template's reports, when its inquiry completes
    inquiries.redact_with_account,  # an account's redaction takes its inquiries
    workflows.start_on_event,  # runs of the workflows an event triggers; runs waiting for it go on
    inquiry_sessions.forget_clients_of_redacted,  # a redacted inquiry's sessions forget who opened them
)

# Who watches a resource's moves: the inquiry's owner follows its verifications.
OBSERVERS: tuple[tuple[str, Observer], ...] = (
    ("verification", inquiries.fill_from_verification),  # first: a passed ID's fields are in place when the inquiry completes
    ("verification", progress.on_verification_moved),
    ("verification", metrics.on_verification_moved),  # counted once committed
    ("webhook-delivery", metrics.on_webhook_delivery_moved),
)

# Modules that keep settings-derived state of their own (the data folder, secrets, policies).
CONFIGURE = (
    file_links.configure,
    webhook_delivery.configure,
    flow_engines.configure,
    selfie_service.configure,
    reports_tasks.configure,
    api_logs_tasks.configure,
)


def install(settings: Settings | None = None) -> Settings:
    """Put everything above in place for this process; idempotent. Returns the bootstrapped settings."""
    settings = bootstrap(settings or Settings())
    kinds.install(KINDS)
    jobs.install(JOBS, TIMERS, JOB_QUEUES)
    snapshot.install(SNAPSHOTS)
    included.install(INCLUDED)
    events.install_follow_ups(FOLLOW_UPS)
    install_observers(OBSERVERS)
    for configure in CONFIGURE:
        configure(settings)
    return settings


def job_names() -> list[str]:
    """The jobs this process knows (`openidv jobs list`)."""
    return sorted(jobs.registry)


def describe() -> dict[str, Any]:
    """What is installed, for `openidv jobs list --json` and the wiring tests."""
    return {"jobs": job_names(), "timers": sorted(jobs.port.periodic), "kinds": [k.name for k in kinds.installed()],
            "queues": {name: spec.queue for name, spec in sorted(jobs.registry.items())}}
