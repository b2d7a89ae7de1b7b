"""Every (status, action) pair of the inquiry machine, through the API where an endpoint exists."""

import pytest
from core_support import API, assert_error, create, event_names, simulate
from sqlalchemy import func, select

from openidv import lifecycle
from openidv.kit.db import session_factory, transaction
from openidv.lifecycle.machines import INQUIRY, INQUIRY_STATUSES
from openidv.models import Event, Inquiry

ACTIONS = sorted({action for (_, action) in INQUIRY if action != "create"})
PAIRS = [(status, action) for status in INQUIRY_STATUSES for action in ACTIONS]

# How to reach each status through the API, from a fresh `created` inquiry.
REACH = {
    "created": [],
    "pending": ["start_inquiry"],
    "completed": ["complete_inquiry"],
    "failed": ["fail_inquiry"],
    "expired": ["expire_inquiry"],
    "needs_review": ["mark_for_review_inquiry"],
    "approved": ["approve_inquiry"],
    "declined": ["decline_inquiry"],
}


def _in_status(client, world, status: str) -> dict:
    inquiry = create(client, world.templates["Government ID"])["data"]
    if REACH[status]:
        answer = simulate(client, inquiry["id"], *REACH[status])
        assert answer.status_code == 200, answer.text
        inquiry = answer.json()["data"]
    assert inquiry["attributes"]["status"] == status
    return inquiry


def _act(client, engine, inquiry_id: str, action: str):
    """Perform `action` the way a client would; None when no endpoint exists (then through lifecycle)."""
    sim = {"start": "start_inquiry", "complete": "complete_inquiry", "fail": "fail_inquiry"}
    if action in sim:
        return simulate(client, inquiry_id, sim[action])
    paths = {"approve": "approve", "decline": "decline", "mark_for_review": "mark-for-review", "expire": "expire", "resume": "resume"}
    if action in paths:
        return client.post(f"{API}/inquiries/{inquiry_id}/{paths[action]}", json={})
    if action == "redact":
        return client.delete(f"{API}/inquiries/{inquiry_id}")
    if action == "update_tags":
        return client.post(f"{API}/inquiries/{inquiry_id}/set-tags", json={"meta": {"tag-name": ["vip"]}})
    return None


def _transition_directly(engine, inquiry_id: str, action: str) -> None:
    with transaction(session_factory(engine, writer=True)) as session:
        lifecycle.transition(session, session.get(Inquiry, inquiry_id), action, actor="test")


def _event_count(db) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(Event))


@pytest.mark.parametrize(("status", "action"), PAIRS, ids=[f"{s}-{a}" for s, a in PAIRS])
def test_inquiry_transition(client, world, engine, db, status: str, action: str) -> None:
    inquiry = _in_status(client, world, status)
    before_events = event_names(db, inquiry["id"])
    before_total = _event_count(db)
    move = INQUIRY.get((status, action))
    # `created` + complete/fail through the simulate actions chains start first (a convenience of the sandbox).
    chained = status == "created" and action in ("complete", "fail")
    answer = None if chained else _act(client, engine, inquiry["id"], action)

    if move is None and not (status == "pending" and action == "resume"):
        if answer is None:
            with pytest.raises(lifecycle.IllegalTransition) as raised:
                _transition_directly(engine, inquiry["id"], action)
            assert raised.value.status == 409
        else:
            assert_error(answer, 409)
        db.expire_all()
        after = client.get(f"{API}/inquiries/{inquiry['id']}").json()["data"]
        assert after["attributes"] == inquiry["attributes"] or after["attributes"]["status"] == status
        assert after["attributes"]["updated-at"] == inquiry["attributes"]["updated-at"]
        assert _event_count(db) == before_total
        return

    if answer is None:
        _transition_directly(engine, inquiry["id"], action)
    else:
        assert answer.status_code == 200, answer.text
    after = client.get(f"{API}/inquiries/{inquiry['id']}").json()["data"]["attributes"]
    new_events = event_names(db, inquiry["id"])[len(before_events):]
    if status == "pending" and action == "resume":  # resume of a pending inquiry only hands out a session
        assert after["status"] == "pending" and new_events == []
        return
    if chained:
        assert new_events == []
        return
    expected_status = move.to or status
    assert after["status"] == expected_status
    expected = list(move.events)
    if action == "start":  # the runner points next-step-name at the first step
        expected.append("inquiry.transitioned")
        assert after["next-step-name"] == "verification_government_id" or after["next-step-name"]
    assert new_events == expected
    if move.stamp:
        assert after[move.stamp.replace("_", "-")] is not None
    if action == "resume":
        assert after["expired-at"] is None and after["expires-at"] is not None


def test_simulate_complete_from_created_chains_start(client, world, db) -> None:
    inquiry = create(client, world.templates["Government ID"])["data"]
    answer = simulate(client, inquiry["id"], "complete_inquiry")
    assert answer.json()["data"]["attributes"]["status"] == "completed"
    names = event_names(db, inquiry["id"])
    assert names[0] == "inquiry.created" and names[1] == "inquiry.started" and names[-1] == "inquiry.completed"


def test_expire_ends_sessions_links_and_pending_verifications(client, world, db) -> None:
    from core_support import steps, verification

    inquiry = create(client, world.templates["Government ID and Selfie"], meta={"auto-create-inquiry-session": True})["data"]
    first = steps(client, inquiry)[0]
    simulate(client, inquiry["id"], verification(first["id"], True))
    answer = client.post(f"{API}/inquiries/{inquiry['id']}/expire")
    assert answer.status_code == 200
    sessions = client.get(f"{API}/inquiry-sessions", params={"filter[inquiry-id]": inquiry["id"]}).json()["data"]
    assert sessions and all(s["attributes"]["status"] == "expired" for s in sessions)
    assert "inquiry-session.expired" in event_names(db, sessions[0]["id"])
    again = client.post(f"{API}/inquiries/{inquiry['id']}/generate-one-time-link", json={})
    assert_error(again, 409)
