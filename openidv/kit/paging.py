"""Cursor paging, newest first: `page[after]=<id>` goes older, `page[before]=<id>` goes newer.

Any listed id is a cursor. Rows are ordered by (created_at, id) descending, so rows created in the
same millisecond still page without gap or duplicate.
"""

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BinaryExpression, BindParameter

from openidv.kit.errors import bad_request
from openidv.kit.jsonapi import Page

T = TypeVar("T")


@dataclass
class PageResult(Generic[T]):
    items: list[T]
    has_prev: bool
    has_next: bool


def _outside(query: Select[Any], model: Any, cursor: Any) -> bool:
    """True when the cursor row belongs to another environment than the one the query lists."""
    if query.whereclause is None or not hasattr(model, "environment_id"):
        return False
    column = model.__table__.c.environment_id
    for node in visitors.iterate(query.whereclause):
        if isinstance(node, BinaryExpression) and isinstance(node.right, BindParameter) and column.shares_lineage(node.left):
            return bool(cursor.environment_id != node.right.value)
    return False


def paged(session: Session, query: Select[Any], model: Any, page: Page) -> PageResult[Any]:
    cursor_id = page.after or page.before
    if cursor_id:
        cursor = session.get(model, cursor_id)
        if cursor is not None and _outside(query, model, cursor):
            cursor = None  # another environment's id must not serve as a cursor (it would leak its timestamp)
        if cursor is None:
            raise bad_request(f"page cursor {cursor_id} was not found")
        created, ident = cursor.created_at, cursor.id
        older = or_(model.created_at < created, and_(model.created_at == created, model.id < ident))
        newer = or_(model.created_at > created, and_(model.created_at == created, model.id > ident))
    if page.before:
        rows = list(session.scalars(query.where(newer).order_by(model.created_at.asc(), model.id.asc()).limit(page.size + 1)))
        has_prev = len(rows) > page.size
        items = list(reversed(rows[: page.size]))
        return PageResult(items, has_prev=has_prev, has_next=True)
    if page.after:
        query = query.where(older)
    rows = list(session.scalars(query.order_by(model.created_at.desc(), model.id.desc()).limit(page.size + 1)))
    return PageResult(rows[: page.size], has_prev=bool(page.after), has_next=len(rows) > page.size)
