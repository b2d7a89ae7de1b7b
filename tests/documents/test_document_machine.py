"""The document machine, every (status, action) pair, on a real row: legal moves set the status, stamp
and events; illegal ones answer 409 and change nothing."""

import pytest
from sqlalchemy import func, select

from openidv import lifecycle
from openidv.documents import service  # noqa: F401 - registers the document event snapshot
from openidv.kit.clock import now
from openidv.kit.db import session_factory, transaction
from openidv.kit.ids import new_id
from openidv.lifecycle.machines import DOCUMENT, DOCUMENT_STATUSES
from openidv.models import Document, Event

PAIRS = [(s, a) for s in DOCUMENT_STATUSES for a in sorted({a for (_, a) in DOCUMENT if a != "create"})]


@pytest.mark.parametrize(("status", "action"), PAIRS, ids=[f"{s}-{a}" for s, a in PAIRS])
def test_document_moves(engine, world, status: str, action: str) -> None:
    writer = session_factory(engine, writer=True)
    with transaction(writer) as db:
        document = Document(id=new_id("doc"), environment_id=world.sandbox_id, kind="generic", created_at=now())
        document.data = {"files": []}
        created = lifecycle.create(db, document, actor="test")
        assert [e.name for e in created] == ["document.created"]
        document.status = status  # test set-up only: put the row in the from-status
        doc_id = document.id
    move = DOCUMENT.get((status, action))
    with transaction(writer) as db:
        before = db.scalar(select(func.count()).select_from(Event))
    if move is None:
        with pytest.raises(lifecycle.IllegalTransition) as raised, transaction(writer) as db:
            lifecycle.transition(db, db.get(Document, doc_id), action, actor="test")
        assert raised.value.status == 409
        with transaction(writer) as db:
            assert db.get(Document, doc_id).status == status and db.scalar(select(func.count()).select_from(Event)) == before
        return
    with transaction(writer) as db:
        assert [e.name for e in lifecycle.transition(db, db.get(Document, doc_id), action, actor="test")] == list(move.events)
    with transaction(writer) as db:
        row = db.get(Document, doc_id)
        assert row.status == (move.to or status)
        if move.stamp:
            assert getattr(row, move.stamp) is not None
