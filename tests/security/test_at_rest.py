"""Issue 17, "Plain text at rest": inquiries' notes, reviewers' comments and audit details are sealed in the
database (read here from the raw rows and the raw database file), existing rows are sealed by the migration,
and the data folder is 0700 with the database and stored files 0600. SQLite commits with synchronous=NORMAL
(WAL: a commit survives a killed process) unless OPENIDV_SQLITE_SYNCHRONOUS=full asks for power-loss durability."""

import os
import secrets
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from cryptography.exceptions import InvalidTag
from sqlalchemy import select, text

from openidv.auth import service as auth
from openidv.config import Settings
from openidv.inquiry_templates import service as templates
from openidv.inquiry_templates.config import starter_templates
from openidv.kit import storage
from openidv.kit.db import make_engine, session_factory, transaction
from openidv.migrate import alembic_config, upgrade
from openidv.models import AuditLog, Inquiry

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dashboard"))
from dashboard_support import make_user, post, signed_in

API = "/api/v1"
OPENIDV = str(Path(sys.executable).parent / "openidv")
AUDIT_REVISION = "5d1a0b7c2e91"  # the revision before the one that seals notes, comments and audit details


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _database_file(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _raw_bytes(url: str) -> bytes:
    """Every byte SQLite keeps of the database: the file and its write-ahead log."""
    path = _database_file(url)
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def _raw_rows(engine, table: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(f"SELECT * FROM {table}"))]


def _contains(rows: list[tuple], secret: str) -> bool:
    needle = secret.encode()
    return any(needle in (v if isinstance(v, bytes) else str(v).encode()) for row in rows for v in row if v is not None)


def test_note_comment_and_audit_detail_are_sealed_in_the_database(app, client, engine, world, database_url, db) -> None:
    note, comment = f"Called-{secrets.token_hex(6)}", f"Looks-fine-{secrets.token_hex(6)}"
    made = client.post(f"{API}/inquiries", json={"data": {"attributes": {"inquiry-template-id": world.templates["Government ID"], "note": note}}})
    assert made.status_code == 201, made.text
    inquiry_id = made.json()["data"]["id"]
    simulate = client.post(f"{API}/inquiries/{inquiry_id}/perform-simulate-actions",
                           json={"meta": {"simulate-actions": [{"type": "start_inquiry"}, {"type": "mark_for_review_inquiry"}]}})
    assert simulate.status_code == 200, simulate.text
    make_user(engine, "reviewer@example.com", "reviewer")
    assert post(signed_in(app, "reviewer@example.com"), f"/dashboard/inquiries/{inquiry_id}/approve", comment=comment).status_code == 303

    # Read back as before: the API, the note filter (exact), the model.
    attributes = client.get(f"{API}/inquiries/{inquiry_id}").json()["data"]["attributes"]
    assert (attributes["note"], attributes["reviewer-comment"]) == (note, comment)
    assert [i["id"] for i in client.get(f"{API}/inquiries", params={"filter[note]": note}).json()["data"]] == [inquiry_id]
    assert client.get(f"{API}/inquiries", params={"filter[note]": note.lower()}).json()["data"] == []
    db.rollback()
    assert db.scalars(select(AuditLog).where(AuditLog.object_id == inquiry_id)).one().detail == comment

    # Raw: neither in any column of the rows, nor anywhere in the database file or its log.
    for table in ("inquiries", "audit_logs"):
        rows = _raw_rows(engine, table)
        assert rows and not _contains(rows, note) and not _contains(rows, comment), table
    if database_url.startswith("sqlite"):
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
        raw = _raw_bytes(database_url)
        assert note.encode() not in raw and comment.encode() not in raw

    # A sealed value is bound to its row: copied into another row, it does not open.
    other = client.post(f"{API}/inquiries", json={"data": {"attributes": {"inquiry-template-id": world.templates["Government ID"]}}}).json()["data"]["id"]
    with transaction(session_factory(engine, writer=True)) as session:
        session.get(Inquiry, other).note_sealed = session.get(Inquiry, inquiry_id).note_sealed
    with transaction(session_factory(engine)) as session, pytest.raises(InvalidTag):
        _ = session.get(Inquiry, other).note


def test_redaction_clears_the_sealed_note_and_its_index(client, engine, world) -> None:
    note = f"Redact-me-{secrets.token_hex(6)}"
    inquiry_id = client.post(f"{API}/inquiries", json={"data": {"attributes": {
        "inquiry-template-id": world.templates["Government ID"], "note": note}}}).json()["data"]["id"]
    assert client.delete(f"{API}/inquiries/{inquiry_id}").status_code == 200
    with engine.connect() as conn:
        row = conn.execute(text("SELECT note_sealed, note_index, reviewer_comment_sealed FROM inquiries WHERE id = :id"), {"id": inquiry_id}).one()
    assert tuple(row) == (None, None, None)
    assert client.get(f"{API}/inquiries", params={"filter[note]": note}).json()["data"] == []


def test_the_migration_seals_existing_rows_and_its_downgrade_opens_them(tmp_path: Path, settings) -> None:  # settings: the key ring
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url)
    engine = make_engine(url, pool_size=1)
    with transaction(session_factory(engine, writer=True)) as db:
        sandbox = auth.ensure_environments(db)[0]
        template, version = templates.create_template(db, sandbox.id, "Old", dict(starter_templates())["Government ID"])[:2]
        ids = (sandbox.id, template.id, version.id)
    engine.dispose()
    command.downgrade(alembic_config(url), AUDIT_REVISION)
    note, comment, detail = "Old-note-Alpha", "Old-comment-Beta", "Old-detail-Gamma"
    raw = sqlite3.connect(tmp_path / "old.db")
    raw.execute(
        "INSERT INTO inquiries (id, environment_id, template_id, template_version_id, status, note, reviewer_comment, tags, creator, behaviors,"
        " created_at, updated_at) VALUES ('inq_old', ?, ?, ?, 'approved', ?, ?, '[]', 'API', '{}',"
        " '2026-01-01 00:00:00', '2026-01-01 00:00:00')", (*ids, note, comment))
    raw.execute("INSERT INTO audit_logs (id, environment_id, user_id, user_email, action, detail, created_at)"
                " VALUES ('audit_old', ?, 'usr_x', 'a@example.com', 'approve', ?, '2026-01-01 00:00:00')", (ids[0], detail))
    raw.commit()
    raw.close()

    upgrade(url)
    engine = make_engine(url, pool_size=1)
    try:
        assert not any(_contains(_raw_rows(engine, t), s) for t in ("inquiries", "audit_logs") for s in (note, comment, detail))
        with transaction(session_factory(engine)) as db:
            inquiry = db.get(Inquiry, "inq_old")
            assert (inquiry.note, inquiry.reviewer_comment, db.get(AuditLog, "audit_old").detail) == (note, comment, detail)
            assert db.scalars(select(Inquiry.id).where(Inquiry.note_index == Inquiry.note_index_of(note))).all() == ["inq_old"]
    finally:
        engine.dispose()

    command.downgrade(alembic_config(url), AUDIT_REVISION)
    raw = sqlite3.connect(tmp_path / "old.db")
    assert raw.execute("SELECT note, reviewer_comment FROM inquiries").fetchall() == [(note, comment)]
    assert raw.execute("SELECT detail FROM audit_logs").fetchall() == [(detail,)]
    raw.close()


def _permissive() -> None:
    os.umask(0o022)  # the usual umask: what openidv leaves to it would be 0755 and 0644


def test_setup_makes_a_private_data_folder_and_database(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh" / "openidv-data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENIDV_")}
    done = subprocess.run([OPENIDV, "setup", "--json", "--data-dir", str(data_dir)], capture_output=True, text=True, env=env,
                          timeout=120, check=False, preexec_fn=_permissive)
    assert done.returncode == 0, done.stderr
    assert _mode(data_dir) == 0o700
    database = data_dir / "openidv.db"
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm"), data_dir / "secrets.json"):
        if path.exists():
            assert _mode(path) == 0o600, path
    assert database.exists()


def test_existing_loose_modes_are_tightened(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    database = folder / "openidv.db"
    database.touch()
    os.chmod(database, 0o644)
    storage.private_dir(folder)
    make_engine(f"sqlite:///{database}", pool_size=1).dispose()
    assert (_mode(folder), _mode(database)) == (0o700, 0o600)


def test_stored_files_are_0600_in_a_0700_folder(settings) -> None:
    old = os.umask(0o022)
    try:
        storage.put(settings.store, "at-rest-probe", b"photo bytes")
    finally:
        os.umask(old)
    files = settings.data_dir / "files"
    try:
        assert (_mode(files), _mode(files / "at-rest-probe")) == (0o700, 0o600)
        assert b"photo bytes" not in (files / "at-rest-probe").read_bytes()
    finally:
        storage.delete(settings.store, "at-rest-probe")


def _synchronous(engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA synchronous").scalar_one())


def test_sqlite_commits_with_synchronous_normal_by_default(tmp_path: Path, app, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'sync.db'}"
    engines = [make_engine(url, pool_size=1), make_engine(url, pool_size=1, sqlite_synchronous="full")]
    try:
        assert [_synchronous(e) for e in engines] == [1, 2]  # NORMAL (WAL: survives a killed process), FULL
    finally:
        for e in engines:
            e.dispose()
    with pytest.raises(ValueError, match="synchronous"):
        make_engine(url, sqlite_synchronous="off")
    if app.state.settings.is_sqlite:
        with app.state.writer() as session:
            assert int(session.execute(text("PRAGMA synchronous")).scalar_one()) == 1
    assert Settings().sqlite_synchronous == "normal"
    monkeypatch.setenv("OPENIDV_SQLITE_SYNCHRONOUS", "full")
    assert Settings().sqlite_synchronous == "full"
    monkeypatch.setenv("OPENIDV_SQLITE_SYNCHRONOUS", "off")
    with pytest.raises(ValueError):
        Settings()
