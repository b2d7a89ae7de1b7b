"""The readiness checks `/readyz` and `openidv doctor` share: the database answers, it is migrated to every
head of the history, and the file storage takes a write. Each returns a `Check`; none raises, and none puts
a secret, a path or a URL in what it says (the details go to the log)."""

import logging
import secrets
from dataclasses import dataclass
from functools import cache
from typing import Literal

from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from openidv.kit import storage
from openidv.migrate import alembic_config
from openidv.operations import repository

log = logging.getLogger("openidv.operations")
Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str = ""

    def as_json(self) -> dict[str, str]:
        return {"status": self.status, **({"detail": self.detail} if self.detail else {})}


@cache
def _scripts() -> ScriptDirectory:
    """The migration history this release ships (read once: it parses every migration file)."""
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


@cache
def _revisions() -> frozenset[str]:
    return frozenset(script.revision for script in _scripts().walk_revisions())


def missing_revisions(current: set[str]) -> set[str]:
    """The revisions of this release's history that the database, at `current`, has not applied. The version
    table lists heads only, and a head another branch `depends_on` is listed under its dependant, so what is
    applied is everything below the current heads (dependencies included). KeyError: a revision this release
    does not know (the database was migrated by a newer one)."""
    applied = {script.revision for script in _scripts().revision_map.iterate_revisions(tuple(current), "base")}
    return set(_revisions()) - applied


def database(engine: Engine) -> Check:
    try:
        with engine.connect() as connection:
            repository.ping(connection)
    except Exception as exc:  # noqa: BLE001 - any failure means not ready; the class names it, the log has the rest
        log.warning("readiness: the database did not answer: %s", exc)
        return Check("database", "fail", f"unreachable ({type(exc).__name__})")
    return Check("database", "ok", engine.dialect.name)


def migrations(engine: Engine) -> Check:
    try:
        with engine.connect() as connection:
            current = repository.migration_heads(connection)
    except Exception as exc:  # noqa: BLE001
        log.warning("readiness: could not read the migration state: %s", exc)
        return Check("migrations", "fail", f"unknown ({type(exc).__name__})")
    if not current:
        return Check("migrations", "fail", "the database is not migrated: run `openidv migrate`")
    try:
        missing = missing_revisions(current)
    except Exception:  # noqa: BLE001 - alembic raises its own errors for revisions it does not know
        return Check("migrations", "fail", "the database has revisions this release does not know (a newer release migrated it)")
    if missing:
        return Check("migrations", "fail", f"{len(missing)} migration(s) not applied: run `openidv migrate`")
    return Check("migrations", "ok", f"at head ({len(current)} branch head(s))")


def storage_writable(store: storage.Store) -> Check:
    """Write, read back and delete a small probe in the configured file store through the storage's public functions."""
    name = f"probe-{secrets.token_hex(8)}"
    data = secrets.token_bytes(16)
    try:
        storage.put(store, name, data)
        try:
            readable = storage.get(store, name) == data
        finally:
            storage.delete(store, name)
    except Exception as exc:  # noqa: BLE001
        log.warning("readiness: the file storage refused a write: %s", exc)
        return Check("storage", "fail", f"not writable ({type(exc).__name__})")
    if not readable:
        return Check("storage", "fail", "a file written could not be read back")
    return Check("storage", "ok", "a probe file written, read back and deleted")


def readiness(engine: Engine, store: storage.Store) -> list[Check]:
    reached = database(engine)
    if reached.status == "fail":
        return [reached, Check("migrations", "fail", "the database is unreachable"), storage_writable(store)]
    return [reached, migrations(engine), storage_writable(store)]
