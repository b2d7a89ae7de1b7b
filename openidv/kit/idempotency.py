"""Idempotency-Key on POST: the first response is stored and replayed for 24 hours."""

import hashlib
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openidv.kit.clock import now
from openidv.models import IdempotencyRecord

TTL = timedelta(hours=24)


def request_hash(method: str, path: str, query: str, body: bytes) -> str:
    return hashlib.sha256(b"\0".join([method.encode(), path.encode(), query.encode(), body])).hexdigest()


def find(session: Session, environment_id: str, key: str) -> IdempotencyRecord | None:
    record = session.scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.environment_id == environment_id, IdempotencyRecord.key == key)
    )
    if record is not None and record.created_at < now() - TTL:
        session.delete(record)
        session.flush()
        return None
    return record


def store(session: Session, environment_id: str, key: str, digest: str, status_code: int, body: bytes) -> None:
    session.add(IdempotencyRecord(environment_id=environment_id, key=key, request_hash=digest, status_code=status_code, body=body, created_at=now()))
    try:
        session.flush()
    except IntegrityError:  # a concurrent request with the same key stored first; theirs stands
        session.rollback()


def purge_expired(session: Session) -> int:
    result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now() - TTL))
    return result.rowcount or 0
