"""SQL for events."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from openidv.kit.jsonapi import Page
from openidv.kit.paging import PageResult, paged
from openidv.models import Event


def get(session: Session, environment_id: str, event_id: str) -> Event | None:
    event = session.get(Event, event_id)
    return event if event is not None and event.environment_id == environment_id else None


def of_object(session: Session, object_id: str) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.object_id == object_id).order_by(Event.created_at, Event.id)))


def of_objects(session: Session, environment_id: str, object_ids: list[str]) -> list[Event]:
    """The events of these objects, oldest first (an inquiry's timeline)."""
    query = select(Event).where(Event.environment_id == environment_id, Event.object_id.in_(object_ids))
    return list(session.scalars(query.order_by(Event.created_at, Event.id)))


def list_page(
    session: Session, environment_id: str, page: Page, *, names: list[str] | None = None, object_ids: list[str] | None = None, ids: list[str] | None = None
) -> PageResult[Event]:
    query = select(Event).where(Event.environment_id == environment_id)
    if names:
        query = query.where(Event.name.in_(names))
    if object_ids:
        query = query.where(Event.object_id.in_(object_ids))
    if ids:
        query = query.where(Event.id.in_(ids))
    return paged(session, query, Event, page)
