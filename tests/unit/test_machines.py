"""Verification, inquiry-session and account machines, every (status, action) pair, on real rows."""

import pytest
from sqlalchemy import func, select

from openidv import lifecycle
from openidv.accounts import service as accounts
from openidv.inquiry_sessions import service as sessions
from openidv.kit.db import session_factory, transaction
from openidv.lifecycle.machines import ACCOUNT, ACCOUNT_STATUSES, INQUIRY_SESSION, SESSION_STATUSES, VERIFICATION, VERIFICATION_STATUSES
from openidv.models import Account, Event, Inquiry, InquirySession, Verification
from openidv.verifications import service as verifications

VERIFICATION_PAIRS = [(s, a) for s in VERIFICATION_STATUSES for a in sorted({a for (_, a) in VERIFICATION if a != "create"})]
SESSION_PAIRS = [(s, a) for s in SESSION_STATUSES for a in sorted({a for (_, a) in INQUIRY_SESSION if a != "create"})]
ACCOUNT_PAIRS = [(s, a) for s in ACCOUNT_STATUSES for a in sorted({a for (_, a) in ACCOUNT if a != "create"})]


@pytest.fixture
def inquiry_id(client, world) -> str:
    body = {"data": {"attributes": {"inquiry-template-id": world.templates["Government ID"]}}}
    return client.post("/api/v1/inquiries", json=body).json()["data"]["id"]


def _writer(engine):
    return transaction(session_factory(engine, writer=True))


def _events(session, object_id: str) -> list[str]:
    return list(session.scalars(select(Event.name).where(Event.object_id == object_id).order_by(Event.created_at, Event.id)))


def _check(engine, model, row_id: str, status: str, action: str, table: dict, stamp_none_before: bool = True) -> None:
    with _writer(engine) as session:
        row = session.get(model, row_id)
        row.status = status  # test set-up only: put the row in the from-status
    move = table.get((status, action))
    with _writer(engine) as session:
        total = session.scalar(select(func.count()).select_from(Event))
        before = _events(session, row_id)
    if move is None:
        with pytest.raises(lifecycle.IllegalTransition) as raised, _writer(engine) as session:
            lifecycle.transition(session, session.get(model, row_id), action, actor="test")
        assert raised.value.status == 409
        assert raised.value.body()["errors"][0]["title"] == "Conflict"
        with _writer(engine) as session:
            assert session.get(model, row_id).status == status
            assert session.scalar(select(func.count()).select_from(Event)) == total
        return
    with _writer(engine) as session:
        row = session.get(model, row_id)
        returned = lifecycle.transition(session, row, action, actor="test")
        assert [e.name for e in returned] == list(move.events)
    with _writer(engine) as session:
        row = session.get(model, row_id)
        assert row.status == (move.to or status)
        if move.stamp:
            assert getattr(row, move.stamp) is not None
        assert _events(session, row_id)[len(before):] == list(move.events)


@pytest.mark.parametrize(("status", "action"), VERIFICATION_PAIRS, ids=[f"{s}-{a}" for s, a in VERIFICATION_PAIRS])
def test_verification_transition(engine, inquiry_id: str, status: str, action: str) -> None:
    with _writer(engine) as session:
        inquiry = session.get(Inquiry, inquiry_id)
        created = verifications.create(session, inquiry, "government-id", None, actor="test")
        assert created.status == "initiated"
        assert _events(session, created.id) == ["verification.created"]
        row_id = created.id
    _check(engine, Verification, row_id, status, action, VERIFICATION)


@pytest.mark.parametrize(("status", "action"), SESSION_PAIRS, ids=[f"{s}-{a}" for s, a in SESSION_PAIRS])
def test_session_transition(engine, inquiry_id: str, status: str, action: str) -> None:
    with _writer(engine) as session:
        created = sessions.create_session(session, session.get(Inquiry, inquiry_id), actor="test")
        assert created.status == "new" and _events(session, created.id) == []
        row_id = created.id
    _check(engine, InquirySession, row_id, status, action, INQUIRY_SESSION)


@pytest.mark.parametrize(("status", "action"), ACCOUNT_PAIRS, ids=[f"{s}-{a}" for s, a in ACCOUNT_PAIRS])
def test_account_transition(engine, world, status: str, action: str) -> None:
    with _writer(engine) as session:
        created = accounts.create(session, world.sandbox_id, reference_id=f"machine-{status}-{action}", actor="test")
        assert created.status == "active"
        assert _events(session, created.id) == ["account.created"]
        row_id = created.id
    _check(engine, Account, row_id, status, action, ACCOUNT)


def test_tables_name_only_known_statuses() -> None:
    for table, statuses in ((VERIFICATION, VERIFICATION_STATUSES), (INQUIRY_SESSION, SESSION_STATUSES), (ACCOUNT, ACCOUNT_STATUSES)):
        for (source, _), move in table.items():
            assert source is None or source in statuses
            assert move.to is None or move.to in statuses
