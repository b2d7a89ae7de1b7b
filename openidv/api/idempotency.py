"""Idempotency-Key on POST: the first response is stored and replayed for 24 hours."""

import hashlib
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openidv.kit.clock import as_utc, now
from openidv.kit.db import affected_rows
from openidv.models import IdempotencyRecord

TTL = timedelta(hours=24)
IN_PROGRESS = 0  # status_code of a claimed key whose request is still running
ABANDONED = timedelta(minutes=5)  # a claim this old belongs to a process that died
MAX_KEY_LENGTH = 255


def request_hash(method: str, path: str, query: str, body: bytes) -> str:
    return hashlib.sha256(b"\0".join([method.encode(), path.encode(), query.encode(), body])).hexdigest()


def find(session: Session, environment_id: str, key: str) -> IdempotencyRecord | None:
    record = session.scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.environment_id == environment_id, IdempotencyRecord.key == key)
    )
    if record is not None and as_utc(record.created_at) < now() - TTL:
        session.delete(record)
        session.flush()
        return None
    return record


def reserve(session: Session, environment_id: str, key: str, digest: str) -> IdempotencyRecord | None:
    """Claim `key` for a request about to run; returns the record instead when the key is already taken."""
    record = find(session, environment_id, key)
    if record is not None and record.status_code == IN_PROGRESS and as_utc(record.created_at) < now() - ABANDONED:
        session.delete(record)  # its process died mid-request
        session.flush()
        record = None
    if record is not None:
        return record
    session.add(IdempotencyRecord(environment_id=environment_id, key=key, request_hash=digest, status_code=IN_PROGRESS, body=b"", created_at=now()))
    try:
        session.flush()
    except IntegrityError:  # a concurrent request claimed it first
        session.rollback()
        return find(session, environment_id, key)
    return None


def complete(session: Session, environment_id: str, key: str, status_code: int, body: bytes) -> None:
    """Store the answer of the request that claimed `key`, for replay."""
    session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.environment_id == environment_id, IdempotencyRecord.key == key)
        .values(status_code=status_code, body=body)
    )


def release(session: Session, environment_id: str, key: str) -> None:
    session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.environment_id == environment_id, IdempotencyRecord.key == key, IdempotencyRecord.status_code == IN_PROGRESS
        )
    )


def purge_expired(session: Session) -> int:
    result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now() - TTL))
    return affected_rows(result)
