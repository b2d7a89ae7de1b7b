"""What an inquiry creation says to the database (issue 19): its rows are written in one flush at the end, so the
write transaction (SQLite's write lock) is short, and nothing is read back that the request itself just made."""

from collections.abc import Iterator
from contextlib import contextmanager

from core_support import API, create
from sqlalchemy import event

from openidv.models import Account, Event, Inquiry


@contextmanager
def statements(engine) -> Iterator[list[str]]:
    said: list[str] = []

    def listen(_conn, _cursor, statement: str, *_: object) -> None:
        said.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield said
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def _kinds(said: list[str]) -> list[str]:
    """Each statement as its verb and table, in order: `INSERT inquiries`, `SELECT inquiry_templates`..."""
    out = []
    for statement in said:
        words = statement.replace("(", " ").split()
        verb = words[0].upper()
        if verb in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SET", "SHOW"):
            continue
        table = words[words.index("INTO") + 1] if verb == "INSERT" else words[words.index("FROM") + 1] if "FROM" in words else "?"
        out.append(f"{verb} {table}")
    return out


def test_a_creation_writes_its_rows_in_one_flush_and_reads_nothing_back(app, client, world) -> None:
    create(client, world.templates["Government ID"])  # warm: the API key and the template are known
    with statements(app.state.engine) as said:
        doc = create(client, world.templates["Government ID"], attrs={"fields": {"name-first": "Ada", "name-last": "Lovelace"}})
    kinds = _kinds(said)
    kinds = [k for k in kinds if k != "INSERT api_logs"]  # the API log is written apart, by its own flusher
    writes = [k for k in kinds if k.startswith("INSERT")]
    # The account, both events (in one statement), the inquiry and its name tokens (one statement): nothing else.
    assert sorted(writes) == sorted(f"INSERT {table}" for table in (Account.__tablename__, Event.__tablename__, Inquiry.__tablename__, "name_tokens")), kinds
    first_write = next(i for i, k in enumerate(kinds) if k.startswith("INSERT"))
    assert not [k for k in kinds[first_write:] if k.startswith("SELECT")], f"a read after the first write: {kinds}"
    # A new inquiry has no sessions, verifications, documents or reports in the database: none is looked for.
    assert not [s for s in said if "inquiry_sessions" in s and s.startswith("SELECT")], kinds
    assert doc["data"]["relationships"]["sessions"]["data"] == []
    events = client.get(f"{API}/events", params={"filter[object-id]": doc["data"]["id"]}).json()["data"]
    assert [e["attributes"]["name"] for e in events] == ["inquiry.created"]
    snapshot = events[0]["attributes"]["payload"]["data"]["attributes"]
    assert snapshot["status"] == "created" and snapshot["created-at"] == doc["data"]["attributes"]["created-at"]


def test_a_session_made_with_the_inquiry_is_listed_before_either_is_written(client, world) -> None:
    doc = create(client, world.templates["Government ID"], meta={"auto-create-inquiry-session": True})
    listed = doc["data"]["relationships"]["sessions"]["data"]
    assert len(listed) == 1 and listed[0]["id"].startswith("iqse_")
    again = client.get(f"{API}/inquiries/{doc['data']['id']}").json()["data"]["relationships"]["sessions"]["data"]
    assert again == listed
