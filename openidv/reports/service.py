"""Report rules: create, run (screen against the template's current lists), dismiss, pause/resume,
tags, redaction, report templates, and delta screening after a new list snapshot."""

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from openidv import jobs
from openidv.accounts import service as accounts
from openidv.inquiry_templates import repository as template_repository, service as template_service
from openidv.kit.clock import iso, now
from openidv.kit.errors import ApiError, bad_request, conflict, not_found, unprocessable
from openidv.kit.ids import new_id
from openidv.lifecycle import ReportStatus
from openidv.lifecycle.transition import create as create_in_machine, transition
from openidv.models import Inquiry, ListSnapshot, Report, ReportTemplate
from openidv.reports import lists, repository, schemas  # noqa: F401 - schemas registers the event snapshot of a report
from openidv.screening.matcher import PRESETS, Hit, Index, Query
from openidv.screening.record import Name, Record
from openidv.tags import service as tag_names

KINDS = {"watchlist": "sanction", "politically-exposed-person": "pep"}
RUN_JOB = "reports.run"  # defined in `tasks`
SCREEN_DELTA_JOB = "reports.screen-delta"  # defined in `tasks`
QUERY_KEYS = ("name-first", "name-middle", "name-last", "term", "birthdate", "country-code")


def clean_query(query: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(query, dict):
        raise bad_request("data.attributes.query must be an object")
    if "address-country-code" in query and "country-code" not in query:
        query = {**query, "country-code": query["address-country-code"]}
    unknown = sorted(set(query) - set(QUERY_KEYS) - {"address-country-code"})
    if unknown:
        raise bad_request(f"data.attributes.query.{unknown[0]} is not a permitted attribute")
    out: dict[str, Any] = {}
    for key in QUERY_KEYS:
        value = query.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise bad_request(f"data.attributes.query.{key} must be a string")
        if value.strip():
            out[key] = value.strip()[:255]
    if not any(out.get(k) for k in ("name-first", "name-middle", "name-last", "term")):
        raise unprocessable("At least one of name-first, name-middle, name-last or term is required", "data.attributes.query")
    birthdate = out.get("birthdate")
    if birthdate is not None:
        try:
            date.fromisoformat(birthdate)
        except ValueError:
            raise bad_request("data.attributes.query.birthdate must be a date in YYYY-MM-DD format") from None
    country = out.get("country-code")
    if country is not None and (len(country) != 2 or not country.isalpha()):
        raise bad_request("data.attributes.query.country-code must be an ISO 3166-1 alpha-2 code")
    if country:
        out["country-code"] = country.upper()
    return out


def query_name(query: dict[str, Any]) -> str:
    return query.get("term") or " ".join(query[k] for k in ("name-first", "name-middle", "name-last") if query.get(k))


# ------------------------------------------------------------------ templates


def create_template(session: Session, environment_id: str, *, kind: str, name: str, lists_: list[str], match_preset: str,
                    rerun_interval_days: int | None) -> ReportTemplate:
    if kind not in KINDS:
        raise bad_request(f"report template kind must be one of {', '.join(KINDS)}")
    if match_preset not in PRESETS:
        raise bad_request(f"match-preset must be one of {', '.join(PRESETS)}")
    if rerun_interval_days is not None and rerun_interval_days < 1:
        raise bad_request("rerun-interval-days must be at least 1")
    template = ReportTemplate(id=new_id("rptp"), environment_id=environment_id, kind=kind, name=name, lists=lists_, match_preset=match_preset,
                              rerun_interval_days=rerun_interval_days, created_at=now(), updated_at=now())
    session.add(template)
    session.flush()
    return template


def ensure_default_templates(session: Session, environment_id: str) -> list[ReportTemplate]:
    made = []
    for kind, name in (("watchlist", "Watchlist"), ("politically-exposed-person", "Politically Exposed Person")):
        made.append(repository.template_by_name(session, environment_id, name)
                    or create_template(session, environment_id, kind=kind, name=name, lists_=[], match_preset="strict", rerun_interval_days=30))
    return made


# ------------------------------------------------------------------ reports


def create(
    session: Session, environment_id: str, *, kind: str, template_id: str, query: dict[str, Any], account_id: str | None = None,
    auto_account_reference: str | None = None, reference_id: str | None = None, inquiry_id: str | None = None, tags: list[str] | None = None,
    actor: str | None = None, sync: bool = False, qualifiers: dict[str, Any] | None = None,
) -> Report:
    """A `pending` report and its run job; `sync` (Persona's `processing-mode: sync`) screens in the caller's transaction instead."""
    if kind not in KINDS:
        raise bad_request(f"data.type must be one of {', '.join('report/' + k for k in KINDS)}")
    template = repository.template(session, environment_id, template_id)
    if template is None:
        raise not_found("report template", template_id)
    if template.kind != kind:
        raise unprocessable(f"Report template {template_id} is a {template.kind} template, not {kind}", "data.attributes.report-template-id")
    cleaned = clean_query(query)
    if account_id is not None:
        account_id = accounts.usable(session, environment_id, account_id).id
    elif auto_account_reference:
        account_id = accounts.find_or_create(session, environment_id, auto_account_reference, actor).id
    report = Report(
        id=new_id("rep"), environment_id=environment_id, kind=kind, template_id=template.id, account_id=account_id, inquiry_id=inquiry_id,
        reference_id=reference_id, continuous=bool(template.rerun_interval_days), tags=tags or [], created_at=now(), updated_at=now(),
    )
    report.query = {**cleaned, **(qualifiers or {})}
    tag_names.register(session, environment_id, report.tags)
    create_in_machine(session, report, actor)
    if sync:
        run(session, report, actor=actor, run_type="initial")
    else:
        _queue(session, report, "initial")
    return report


def _queue(session: Session, report: Report, run_type: str) -> None:
    """The screening job, committed with the `pending` status that asked for it (the machine allows one pending run)."""
    jobs.enqueue_in_tx(session, RUN_JOB, key=f"rrun:{report.id}:{new_id('r')}", report_id=report.id, run_type=run_type)


def request_run(session: Session, report: Report, *, actor: str | None = None, run_type: str = "manual") -> None:
    """`POST /reports/{id}/run`: back to `pending`, screened by the job worker (409 while a run is pending)."""
    if report.redacted_at is not None:
        raise conflict("Cannot run a redacted report")
    transition(session, report, "rerun", actor)
    _queue(session, report, run_type)


def _template_of(session: Session, report: Report) -> ReportTemplate:
    template = session.get(ReportTemplate, report.template_id)
    if template is None:  # reports.template_id is a non-null foreign key
        raise LookupError(f"report template {report.template_id} of report {report.id} does not exist")
    return template


def _hit_key(hit: Hit) -> str:
    return f"{hit.list_name}:{hit.record.entity_id}"


def screen(session: Session, report: Report, template: ReportTemplate) -> tuple[list[Hit], dict[str, ListSnapshot]]:
    query = report.query
    index, snapshots = lists.index_for(session, KINDS[report.kind], template.lists)
    missing = [name for name in template.lists if name not in snapshots]
    if missing:  # screening against fewer lists than asked would report "no match" falsely
        raise LookupError(f"list {missing[0]} has no snapshot loaded (openidv lists load)")
    if not snapshots:
        raise LookupError(f"no {KINDS[report.kind]} list is loaded (openidv lists load)")
    subject = Query(query_name(query), query.get("birthdate"), query.get("country-code"), query.get("gender"), tuple(query.get("identification-numbers", ())))
    hits = index.search(subject, template.match_preset)
    return hits, snapshots


def run(session: Session, report: Report, *, actor: str | None = None, run_type: str = "manual") -> None:
    """Screen now, inside a job (the run job, delta screening, interval re-runs). Dismissed hits stay quiet until
    their entry's content changes; new hits raise `.matched`; a screening failure makes the report `errored`."""
    if report.redacted_at is not None:
        raise conflict("Cannot run a redacted report")
    if report.status != ReportStatus.PENDING:
        transition(session, report, "rerun", actor)
    try:
        template = _template_of(session, report)
        hits, snapshots = screen(session, report, template)
    except Exception as exc:  # noqa: BLE001 - any screening failure errors the report, visibly
        report.error = str(exc)[:500]
        transition(session, report, "error", actor)
        return
    previous = set((report.result or {}).get("keys", []))
    live = [h for h in hits if report.dismissed.get(_hit_key(h)) != h.record.content_hash()]
    new = [h for h in live if _hit_key(h) not in previous]
    stamp = now()
    report.result = {
        "keys": [_hit_key(h) for h in live],
        "hits": [{**h.explanation, "content-hash": h.record.content_hash(), "record": h.record.as_dict(), "list-url": h.record.source_url} for h in live],
        "snapshots": {name: {"id": s.id, "version": s.version} for name, s in snapshots.items()},
    }
    report.has_match = bool(live)
    report.error = None
    report.run_count += 1
    report.history = [*report.history, {"type": "run", "id": new_id("rpr"), "run-type": run_type, "completed-at": iso(stamp), "matches": len(live)}]
    if report.continuous and template.rerun_interval_days:
        report.next_run_at = stamp + timedelta(days=template.rerun_interval_days)
    transition(session, report, "complete_matched" if new else "complete", actor)


def _action(report: Report, kind: str, actor: str | None) -> None:
    report.history = [*report.history, {"type": kind, "id": new_id("ract"), "created-at": iso(now()), "creator-name": actor or "API"}]


def dismiss(session: Session, report: Report, *, entity_id: str | None, reason: str, actor: str | None) -> None:
    """Dismiss one matched entity (`entity-id`) or every current match; remembered with the entry's content hash."""
    hits = (report.result or {}).get("hits", [])
    chosen = [h for h in hits if entity_id is None or h["entity-id"] == entity_id]
    if entity_id is not None and not chosen:
        raise unprocessable(f"Report {report.id} has no match with entity id {entity_id}", "data.attributes.entity-id")
    dismissed = dict(report.dismissed)
    for hit in chosen:
        dismissed[f"{hit['list']}:{hit['entity-id']}"] = hit["content-hash"]
    report.dismissed = dismissed
    left = [h for h in hits if h not in chosen]
    ignored = [*(report.result or {}).get("ignored", []), *({"ignored-at": iso(now()), "reason": reason, "user": actor or "API", "hit": h} for h in chosen)]
    report.result = {**report.result, "hits": left, "keys": [f"{h['list']}:{h['entity-id']}" for h in left], "ignored": ignored}
    report.has_match = bool(left)
    _action(report, "dismiss", actor)
    transition(session, report, "dismiss", actor)


def pause(session: Session, report: Report, actor: str | None) -> None:
    if not report.continuous:
        raise conflict("Report is not continuous")
    report.paused = True
    _action(report, "pause", actor)
    transition(session, report, "update", actor)


def resume(session: Session, report: Report, actor: str | None) -> None:
    if not report.continuous:
        raise conflict("Report is not continuous")
    report.paused = False
    _action(report, "resume", actor)
    transition(session, report, "update", actor)


def redact(session: Session, report: Report, actor: str | None) -> None:
    if report.redacted_at is not None:
        raise conflict("Report already redacted")
    report.query = {}
    report.result = {}
    report.dismissed = {}
    report.continuous = False
    transition(session, report, "redact", actor)


def set_tags(session: Session, report: Report, names: list[str], actor: str | None) -> None:
    tag_names.register(session, report.environment_id, names)
    report.tags = names
    transition(session, report, "update", actor)


def add_tags(session: Session, report: Report, names: list[str], actor: str | None) -> None:
    set_tags(session, report, list(report.tags) + [n for n in names if n not in report.tags], actor)


def remove_tags(session: Session, report: Report, names: list[str], actor: str | None) -> None:
    set_tags(session, report, [t for t in report.tags if t not in names], actor)


# ------------------------------------------------------------------ continuous monitoring


def enqueue_delta(session: Session, snapshot: ListSnapshot) -> str:
    """Queue the delta screening in the snapshot's own transaction: both commit or neither does."""
    return jobs.enqueue_in_tx(session, SCREEN_DELTA_JOB, key=f"rdelta:{snapshot.id}", snapshot_id=snapshot.id)


def screen_delta(session: Session, snapshot: ListSnapshot) -> list[str]:
    """Screen only the snapshot's added and changed entries against a reverse index of monitored subjects;
    the subjects that may match are re-run (which raises `.matched` for new, undismissed hits). Returns their ids."""
    changed = snapshot.diff.get("added", []) + snapshot.diff.get("changed", [])
    if not changed:
        return []
    kind = next(k for k, t in KINDS.items() if t == snapshot.list_type)
    subjects = Index()
    presets: dict[str, str] = {}
    templates: dict[str, ReportTemplate] = {}
    for report in repository.monitored(session, kind):
        template = templates.get(report.template_id) or templates.setdefault(report.template_id, _template_of(session, report))
        if template.lists and snapshot.list_name not in template.lists:
            continue
        query = report.query
        subjects.add("subjects", Record(report.id, names=[Name(query_name(query))]))
        presets[report.id] = template.match_preset
    affected: set[str] = set()
    for entry in repository.entries(session, snapshot.id, changed):
        record = Record.from_dict(entry.record)
        for name in record.names:
            for hit in subjects.search(Query(name.full), "tolerant", reverse=True):
                affected.add(hit.record.entity_id)
    for report_id in sorted(affected):
        subject = session.get(Report, report_id)  # listed by `monitored` above, in this transaction
        if subject is not None and subject.status != ReportStatus.PENDING:  # a pending report's queued run screens the new snapshot anyway
            run(session, subject, run_type="list-update")
    return sorted(affected)


def order_for_inquiry(session: Session, inquiry: Inquiry, actor: str | None = None) -> list[Report]:
    """Reports an inquiry template orders on completion, filled from the inquiry's fields."""
    version = template_repository.get_version(session, inquiry.environment_id, inquiry.template_version_id)
    wanted = template_service.config_of(version).reports if version is not None else []
    made = []
    for order in wanted:
        kind = str(order.get("kind") or order.get("type") or "").removeprefix("report/")
        template_id = order.get("report_template_id") or order.get("report-template-id")
        if kind in KINDS and template_id and (report := screen_inquiry(session, inquiry, kind, template_id, actor)) is not None:
            made.append(report)
    return made


def screen_inquiry(session: Session, inquiry: Inquiry, kind: str, template_id: str, actor: str | None = None) -> Report | None:
    """One report of `kind` on the person an inquiry's fields name (a template's order, a workflow's step); None when
    the inquiry names nobody to screen."""
    fields = inquiry.fields

    def value(key: str) -> str | None:
        raw = fields.get(key)
        raw = raw.get("value") if isinstance(raw, dict) else raw
        return raw if isinstance(raw, str) and raw.strip() else None

    query = {k: value(k) for k in ("name-first", "name-middle", "name-last", "birthdate")}
    query["country-code"] = value("address-country-code") or value("country-code")
    query = {k: v for k, v in query.items() if v}
    # qualifiers Persona's query has no keys for: stored with the (sealed) query, never echoed
    extra = {"gender": {"male": "male", "female": "female", "m": "male", "f": "female"}.get((value("sex") or value("gender") or "").lower()),
             "identification-numbers": [n for n in [value("identification-number")] if n]}
    try:
        return create(session, inquiry.environment_id, kind=kind, template_id=template_id, query=query, account_id=inquiry.account_id,
                      inquiry_id=inquiry.id, reference_id=inquiry.reference_id, actor=actor, qualifiers={k: v for k, v in extra.items() if v})
    except ApiError:
        return None  # an inquiry without a name cannot be screened; nothing to order
