"""Account rules: unique reference ids, sealed fields, redaction, tags, consolidation. Every event goes through
the account machine (`openidv.lifecycle.machines.ACCOUNT`)."""

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openidv import lifecycle
from openidv.accounts import repository
from openidv.api import idempotency
from openidv.events import service as events
from openidv.kit import crypto, fields as typed_fields
from openidv.kit.clock import now
from openidv.kit.errors import ApiError, bad_request, conflict, not_found
from openidv.kit.ids import new_id
from openidv.models import Account
from openidv.search import service as name_search
from openidv.tags import service as tag_names


def _index(session: Session, account: Account, values: dict[str, Any], *, new: bool = False) -> None:
    name_search.index(session, account.environment_id, account.id, values, new=new)
    email = typed_fields.value_of(values, "email-address")
    account.email_index = crypto.ring().blind_index("email", email) if isinstance(email, str) and email else None


def create(
    session: Session,
    environment_id: str,
    *,
    reference_id: str | None = None,
    fields: dict[str, Any] | None = None,
    tags: list[str] | None = None,
    account_status: str | None = None,
    account_type_name: str | None = None,
    actor: str | None = None,
) -> Account:
    if reference_id is not None and repository.by_reference(session, environment_id, reference_id):
        raise conflict(f"An account with reference id {reference_id} already exists", title="Record not unique")
    stamp = now()
    account = Account(
        id=new_id("act"),
        environment_id=environment_id,
        reference_id=reference_id,
        account_type_name=account_type_name or "User",
        account_status=account_status or "Default",
        tags=tags or [],
        created_at=stamp,
        updated_at=stamp,
    )
    values = fields or {}
    account.fields = values
    _index(session, account, values, new=True)
    tag_names.register(session, environment_id, account.tags)
    try:
        lifecycle.create(session, account, actor=actor)  # its follow-ups may flush it (a job's lookup does)
        if reference_id is not None:
            session.flush()  # now, so that a concurrent creation with this reference id answers 409 here
    except IntegrityError:
        if reference_id is None:
            raise
        raise conflict(f"An account with reference id {reference_id} already exists", title="Record not unique") from None
    return account


def find_or_create(session: Session, environment_id: str, reference_id: str, actor: str | None = None) -> Account:
    return repository.by_reference(session, environment_id, reference_id) or create(session, environment_id, reference_id=reference_id, actor=actor)


def usable(session: Session, environment_id: str, account_id: str) -> Account:
    """An account new inquiries may attach to (not consolidated away)."""
    account = repository.get(session, environment_id, account_id)
    if account is None:
        raise not_found("account", account_id)
    if account.consolidated_into_id or account.archived_at:
        raise ApiError(422, f"Account {account_id} was consolidated into another account", title="Unprocessable entity")
    return account


def update(session: Session, account: Account, *, reference_id: str | None, fields: dict[str, Any] | None, tags: list[str] | None,
           account_status: str | None, actor: str | None) -> None:
    if reference_id is not None and reference_id != account.reference_id:
        other = repository.by_reference(session, account.environment_id, reference_id)
        if other is not None and other.id != account.id:
            raise conflict(f"An account with reference id {reference_id} already exists", title="Record not unique")
        account.reference_id = reference_id
    if fields is not None:
        merged = {**account.fields, **fields}
        account.fields = merged
        _index(session, account, merged)
        lifecycle.transition(session, account, "update_fields", actor=actor)
    if tags is not None:
        set_tags(session, account, tags, actor)
    if account_status is not None:
        account.account_status = account_status
    account.updated_at = now()
    session.flush()


def set_tags(session: Session, account: Account, names: list[str], actor: str | None) -> None:
    tag_names.register(session, account.environment_id, names)
    account.tags = names
    lifecycle.transition(session, account, "set_tags", actor=actor)


def add_tag(session: Session, account: Account, names: list[str], actor: str | None) -> None:
    tag_names.register(session, account.environment_id, names)
    account.tags = list(account.tags) + [n for n in names if n not in account.tags]
    lifecycle.transition(session, account, "add_tag", actor=actor)


def remove_tag(session: Session, account: Account, names: list[str], actor: str | None) -> None:
    account.tags = [t for t in account.tags if t not in names]
    lifecycle.transition(session, account, "remove_tag", actor=actor)


def redact(session: Session, account: Account, actor: str | None) -> None:
    """Remove PII irreversibly; the account stays (and stays updatable). Its inquiries follow, in the same
    transaction (`openidv.inquiries.service.redact_with_account` follows `account.redacted`)."""
    if account.redacted_at is not None:
        raise conflict("Account already redacted")
    account.fields = {}
    account.email_index = None
    name_search.forget(session, [account.id])
    events.scrub_object(session, account.id)  # earlier snapshots of the account carried its fields
    idempotency.forget(session, [account.id])  # so did the stored answer of the POST that created it
    lifecycle.transition(session, account, "redact", actor=actor)  # stamps redacted_at


def consolidate(session: Session, target: Account, source_ids: list[str], actor: str | None) -> None:
    """Move the sources' inquiries onto `target`; each source is consolidated once, then archived."""
    if not source_ids:
        raise bad_request("meta.source-account-ids must not be empty")
    for source_id in source_ids:
        if source_id == target.id:
            raise bad_request("an account cannot be consolidated into itself")
        source = repository.get(session, target.environment_id, source_id)
        if source is None:
            raise not_found("account", source_id)
        if source.consolidated_into_id:
            raise conflict(f"Account {source_id} was already consolidated")
        repository.move_inquiries(session, source.id, target.id)
        source.consolidated_into_id = target.id
        lifecycle.transition(session, source, "consolidate", actor=actor)  # archived; account.consolidated, account.archived
    lifecycle.transition(session, target, "consolidate_with", actor=actor)
