"""JSON:API rendering of accounts (canonical 2025-12-08 kebab form)."""

from typing import Any

from sqlalchemy.orm import Session

from openidv.kit.clock import iso
from openidv.kit.jsonapi import resource
from openidv.models import Account


def render_account(account: Account) -> dict[str, Any]:
    return resource(
        "account",
        account.id,
        {
            "reference-id": account.reference_id,
            "account-type-name": account.account_type_name,
            "created-at": iso(account.created_at),
            "updated-at": iso(account.updated_at),
            "redacted-at": iso(account.redacted_at),
            "fields": {} if account.redacted_at else account.fields,
            "tags": list(account.tags or []),
            "account-status": account.account_status,
        },
        {"account-type": {"data": {"type": "account-type", "id": "acttp_default"}}},
    )


def render_snapshot(session: Session, account: Account) -> dict[str, Any]:  # noqa: ARG001
    return render_account(account)

