"""SQL for reports, report templates, list snapshots and list entries."""

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from openidv.kit.jsonapi import Page
from openidv.kit.paging import PageResult, paged
from openidv.models import ListEntry, ListSnapshot, Report, ReportTemplate


def get(session: Session, environment_id: str, report_id: str) -> Report | None:
    report = session.get(Report, report_id)
    return report if report is not None and report.environment_id == environment_id else None


def get_for_run(session: Session, report_id: str) -> Report | None:
    """The report, locked until the transaction ends: two runs of one report (a retry racing the first attempt,
    or a re-run ordered twice) screen it one after the other, and the second finds it no longer pending."""
    return session.scalars(select(Report).where(Report.id == report_id).with_for_update()).first()


def list_page(session: Session, environment_id: str, page: Page, reference_ids: list[str] | None, account_ids: list[str] | None, *,
              has_match: bool | None = None) -> PageResult[Report]:
    query = select(Report).where(Report.environment_id == environment_id)
    if has_match is not None:
        query = query.where(Report.has_match.is_(has_match))
    if reference_ids:
        query = query.where(Report.reference_id.in_(reference_ids))
    if account_ids:
        query = query.where(Report.account_id.in_(account_ids))
    return paged(session, query, Report, page)


def of_inquiry(session: Session, inquiry_id: str) -> list[Report]:
    return list(session.scalars(select(Report).where(Report.inquiry_id == inquiry_id).order_by(Report.created_at)))


def monitored(session: Session, kind: str) -> Iterator[Report]:
    """Continuous, unpaused, unredacted reports of one kind (the monitored subjects)."""
    query = select(Report).where(Report.kind == kind, Report.continuous.is_(True), Report.paused.is_(False), Report.redacted_at.is_(None))
    yield from session.scalars(query.execution_options(yield_per=1000))


def due(session: Session, when: datetime) -> list[str]:
    query = select(Report.id).where(Report.continuous.is_(True), Report.paused.is_(False), Report.redacted_at.is_(None), Report.next_run_at <= when)
    return list(session.scalars(query))


def template(session: Session, environment_id: str, template_id: str) -> ReportTemplate | None:
    row = session.get(ReportTemplate, template_id)
    return row if row is not None and row.environment_id == environment_id else None


def templates_page(session: Session, environment_id: str, page: Page) -> PageResult[ReportTemplate]:
    return paged(session, select(ReportTemplate).where(ReportTemplate.environment_id == environment_id), ReportTemplate, page)


def template_by_name(session: Session, environment_id: str, name: str) -> ReportTemplate | None:
    return session.scalar(select(ReportTemplate).where(ReportTemplate.environment_id == environment_id, ReportTemplate.name == name))


def current_snapshot(session: Session, list_name: str) -> ListSnapshot | None:
    return session.scalar(select(ListSnapshot).where(ListSnapshot.list_name == list_name, ListSnapshot.current.is_(True)))


def current_snapshots(session: Session) -> list[ListSnapshot]:
    return list(session.scalars(select(ListSnapshot).where(ListSnapshot.current.is_(True)).order_by(ListSnapshot.list_name)))


def snapshot(session: Session, snapshot_id: str) -> ListSnapshot | None:
    return session.get(ListSnapshot, snapshot_id)


def versions_of(session: Session, list_name: str) -> list[ListSnapshot]:
    """Every snapshot of one list, newest version first."""
    return list(session.scalars(select(ListSnapshot).where(ListSnapshot.list_name == list_name).order_by(ListSnapshot.version.desc())))


def snapshot_version(session: Session, list_name: str, version: int) -> ListSnapshot | None:
    return session.scalar(select(ListSnapshot).where(ListSnapshot.list_name == list_name, ListSnapshot.version == version))


def next_version(session: Session, list_name: str) -> int:
    return (session.scalar(select(func.max(ListSnapshot.version)).where(ListSnapshot.list_name == list_name)) or 0) + 1


def retire(session: Session, list_name: str) -> None:
    session.execute(update(ListSnapshot).where(ListSnapshot.list_name == list_name, ListSnapshot.current.is_(True)).values(current=False))


def entry_hashes(session: Session, snapshot_id: str) -> dict[str, str]:
    return dict(session.execute(select(ListEntry.entity_id, ListEntry.content_hash).where(ListEntry.snapshot_id == snapshot_id)).all())


def entries(session: Session, snapshot_id: str, entity_ids: list[str] | None = None) -> list[ListEntry]:
    query = select(ListEntry).where(ListEntry.snapshot_id == snapshot_id)
    if entity_ids is not None:
        query = query.where(ListEntry.entity_id.in_(entity_ids))
    return list(session.scalars(query))


def add_entries(session: Session, rows: list[dict]) -> None:
    if rows:  # one Core INSERT of many rows (`__table__` is typed as a FromClause; the metadata holds it as the Table)
        session.execute(ListEntry.metadata.tables[ListEntry.__tablename__].insert(), rows)
