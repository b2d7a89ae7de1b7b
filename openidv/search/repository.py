"""SQL for search: the name tokens of inquiries and accounts, a search tree turned into a WHERE clause, keyset pages."""

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, exists, insert, not_, or_, select
from sqlalchemy.orm import Session, aliased

from openidv.kit.errors import bad_request
from openidv.kit.jsonapi import Page
from openidv.kit.paging import PageResult
from openidv.models.name_token import NameToken


def replace(session: Session, environment_id: str, owner_id: str, tokens: set[str], *, new: bool = False) -> None:
    """`new`: the owner is being created, so it has no rows to delete. The tokens are pending ORM rows, written in the
    request's flush with the owner's row, without flushing the rest of the request's work first."""
    if not new:
        session.execute(delete(NameToken).where(NameToken.owner_id == owner_id))
    session.add_all([NameToken(owner_id=owner_id, token=t, environment_id=environment_id) for t in sorted(tokens)])


def add_many(session: Session, rows: list[dict[str, str]]) -> None:
    """Bulk insert of prepared (owner_id, token, environment_id) rows, for owners being created in bulk."""
    if rows:
        session.execute(insert(NameToken), rows)


def forget(session: Session, owner_ids: list[str]) -> None:
    if owner_ids:
        session.execute(delete(NameToken).where(NameToken.owner_id.in_(owner_ids)))


def tokens_of(session: Session, owner_id: str) -> list[str]:
    return list(session.scalars(select(NameToken.token).where(NameToken.owner_id == owner_id)))


# Up to this many matches, a name search lists the matching ids and the page is sorted from them; beyond it, matches
# are common enough that walking the newest rows first finds a page at once. Either way no plan reads every row: the
# walk alone was 0.4 s at 100,000 inquiries for a name nobody has (bench/dashboard.py).
FEW = 500


def _owners(environment_id: str, token: str) -> Select[Any]:
    """The ids of everything in the environment whose name has this token or prefix (for `id IN (...)`)."""
    return select(NameToken.owner_id).where(NameToken.environment_id == environment_id, NameToken.token == token)


def name_matches(session: Session, model: Any, environment_id: str, tokens: tuple[str, ...]) -> ColumnElement[bool]:
    """Rows whose first or last name has every one of these tokens (or prefixes)."""
    # The first token (the longest word: likely the rarest) drives; the others are probes of the primary key.
    first, *others = tokens
    driver = aliased(NameToken)
    matching = select(driver.owner_id).where(driver.environment_id == environment_id, driver.token == first)
    for token in others:
        matching = matching.where(exists().where(NameToken.owner_id == driver.owner_id, NameToken.token == token))
    few = list(session.scalars(matching.limit(FEW + 1)))
    if len(few) <= FEW:
        return model.id.in_(few)
    return and_(*(model.id.in_(_owners(environment_id, t)) for t in tokens))


def condition(session: Session, node: Any, model: Any, environment_id: str, columns: dict[str, Any]) -> ColumnElement[bool]:
    """A search.service tree as a WHERE clause; `columns` maps each exact, time and email attribute to its column."""
    op = getattr(node, "op", None)
    if op is not None:
        parts = [condition(session, item, model, environment_id, columns) for item in node.items]
        return not_(parts[0]) if op == "not" else and_(*parts) if op == "and" else or_(*parts)
    if isinstance(node.value, tuple):  # a name: its token indexes
        return name_matches(session, model, environment_id, node.value)
    column = columns[node.attribute]
    compare = {"eq": column.__eq__, "gt": column.__gt__, "gte": column.__ge__, "lt": column.__lt__, "lte": column.__le__}[node.operator]
    return compare(node.value)


def keyset_page(session: Session, environment_id: str, query: Select[Any], model: Any, sort: Any, ascending: bool, page: Page) -> PageResult[Any]:
    """A page ordered by (sort column, id), either way; `page[after]` follows the order, `page[before]` goes back.
    A cursor must be a row the query could list (same environment), else 400."""
    cursor_id = page.after or page.before
    forward = True
    if cursor_id:
        cursor = session.get(model, cursor_id)
        if cursor is None or cursor.environment_id != environment_id:
            raise bad_request(f"page cursor {cursor_id} was not found")
        value, ident = getattr(cursor, sort.key), cursor.id
        forward = page.after is not None
        later = ascending == forward  # rows after the cursor in the direction we walk
        beyond = or_(sort > value, and_(sort == value, model.id > ident)) if later else or_(sort < value, and_(sort == value, model.id < ident))
        query = query.where(beyond)
    walk_ascending = ascending == forward
    order = (sort.asc(), model.id.asc()) if walk_ascending else (sort.desc(), model.id.desc())
    rows = list(session.scalars(query.order_by(*order).limit(page.size + 1)))
    more, items = len(rows) > page.size, rows[: page.size]
    if forward:
        return PageResult(items, has_prev=bool(page.after), has_next=more)
    return PageResult(list(reversed(items)), has_prev=more, has_next=True)

