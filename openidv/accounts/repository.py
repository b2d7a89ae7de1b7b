"""SQL for accounts."""

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from openidv.kit.jsonapi import Page
from openidv.kit.paging import PageResult, paged
from openidv.models import Account, Inquiry
from openidv.search import repository as search
from openidv.search.service import Kind, Search


def get(session: Session, environment_id: str, account_id: str) -> Account | None:
    account = session.get(Account, account_id)
    return account if account is not None and account.environment_id == environment_id else None


def by_reference(session: Session, environment_id: str, reference_id: str) -> Account | None:
    return session.scalar(select(Account).where(Account.environment_id == environment_id, Account.reference_id == reference_id))


def list_page(
    session: Session, environment_id: str, page: Page, reference_ids: list[str] | None = None, *,
    name_tokens: tuple[str, ...] | None = None, email_index: str | None = None,
) -> PageResult[Account]:
    query = select(Account).where(Account.environment_id == environment_id)
    if reference_ids:
        query = query.where(Account.reference_id.in_(reference_ids))
    if name_tokens:
        query = query.where(search.name_matches(session, Account, environment_id, name_tokens))
    if email_index:
        query = query.where(Account.email_index == email_index)
    return paged(session, query, Account, page)


# Persona's searchable attributes of an account (`type`, `status`, times; `fields.*` and `identifiers.*` only where
# openidv keeps an index: the names and the e-mail), and reference_id and a partial name, for POST /accounts/search.
SEARCHABLE: dict[str, Kind] = {
    "type": "exact", "status": "exact", "created_at": "time", "updated_at": "time", "reference_id": "exact",
    "name": "name", "fields.name_first": "name", "fields.name_last": "name", "fields.email_address": "email",
}
SORTABLE = ("created_at", "updated_at")
_COLUMNS = {"type": Account.account_type_name, "status": Account.account_status, "created_at": Account.created_at, "updated_at": Account.updated_at,
            "reference_id": Account.reference_id, "fields.email_address": Account.email_index}


def search_page(session: Session, environment_id: str, wanted: Search) -> PageResult[Account]:
    query = select(Account).where(Account.environment_id == environment_id)
    if wanted.query is not None:
        query = query.where(search.condition(session, wanted.query, Account, environment_id, _COLUMNS))
    return search.keyset_page(session, environment_id, query, Account, _COLUMNS[wanted.sort], wanted.ascending, wanted.page)


def consolidated_into(session: Session, account_id: str) -> list[Account]:
    return list(session.scalars(select(Account).where(Account.consolidated_into_id == account_id)))


def move_inquiries(session: Session, from_account_id: str, to_account_id: str) -> None:
    """Consolidation: the source account's inquiries now belong to the target."""
    session.execute(update(Inquiry).where(Inquiry.account_id == from_account_id).values(account_id=to_account_id))
