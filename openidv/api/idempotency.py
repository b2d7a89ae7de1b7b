"""Idempotency-Key on POST: the first response is stored (sealed) and replayed for 24 hours.

A key belongs to the API key that first used it: the replay goes only to that API key, after the route's
permission check; another API key sending the same Idempotency-Key gets 409 Conflict (like a key reused with
other parameters), never the stored response. The answer is stored in the request's own transaction
(`ApiContext.respond`), or before the response leaves the middleware, so a retry arriving after the first
response never finds the key "in progress". Redacting the object a request created deletes its record.
"""

import hashlib
import json
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openidv.kit import crypto
from openidv.kit.clock import as_utc, now
from openidv.kit.db import affected_rows
from openidv.models import IdempotencyRecord

TTL = timedelta(hours=24)
IN_PROGRESS = 0  # status_code of a claimed key whose request is still running
ABANDONED = timedelta(minutes=5)  # a claim this old belongs to a process that died
MAX_KEY_LENGTH = 255


def request_hash(method: str, path: str, query: str, body: bytes) -> str:
    return hashlib.sha256(b"\0".join([method.encode(), path.encode(), query.encode(), body])).hexdigest()


def _bound_to(environment_id: str, key: str) -> str:
    return f"idempotency:{environment_id}:{key}"


def seal(environment_id: str, key: str, body: bytes) -> bytes:
    return crypto.ring().seal(body, _bound_to(environment_id, key))


def body_of(record: IdempotencyRecord) -> bytes:
    """The stored response, opened."""
    if not record.body_sealed:
        return b""
    return crypto.ring().open(bytes(record.body_sealed), _bound_to(record.environment_id, record.key))


def created_object_id(status_code: int, body: bytes) -> str | None:
    """The id of the object a successful POST answered with (`data.id`), to delete its record on redaction."""
    if not 200 <= status_code < 300:
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return None
    data = document.get("data") if isinstance(document, dict) else None
    object_id = data.get("id") if isinstance(data, dict) else None
    return object_id if isinstance(object_id, str) and len(object_id) <= 40 else None


def find(session: Session, environment_id: str, key: str) -> IdempotencyRecord | None:
    record = session.scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.environment_id == environment_id, IdempotencyRecord.key == key)
    )
    if record is not None and as_utc(record.created_at) < now() - TTL:
        session.delete(record)
        session.flush()
        return None
    return record


def reserve(session: Session, environment_id: str, key: str, digest: str, api_key_id: str | None = None) -> IdempotencyRecord | None:
    """Claim `key` for a request about to run; returns the record instead when the key is already taken."""
    record = find(session, environment_id, key)
    if record is not None and record.status_code == IN_PROGRESS and as_utc(record.created_at) < now() - ABANDONED:
        session.delete(record)  # its process died mid-request
        session.flush()
        record = None
    if record is not None:
        return record
    session.add(
        IdempotencyRecord(
            environment_id=environment_id, key=key, api_key_id=api_key_id, request_hash=digest, status_code=IN_PROGRESS, body_sealed=None, created_at=now()
        )
    )
    try:
        session.flush()
    except IntegrityError:  # a concurrent request claimed it first
        session.rollback()
        return find(session, environment_id, key)
    return None


def complete(session: Session, environment_id: str, key: str, status_code: int, body: bytes) -> None:
    """Store the answer of the request that claimed `key`, sealed, for replay."""
    session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.environment_id == environment_id, IdempotencyRecord.key == key)
        .values(status_code=status_code, body_sealed=seal(environment_id, key, body), object_id=created_object_id(status_code, body))
    )


def release(session: Session, environment_id: str, key: str) -> None:
    session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.environment_id == environment_id, IdempotencyRecord.key == key, IdempotencyRecord.status_code == IN_PROGRESS
        )
    )


def forget(session: Session, object_ids: list[str]) -> None:
    """Redaction: the stored responses that created these objects go (they hold the object's data)."""
    if object_ids:
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.object_id.in_(object_ids)))


def purge_expired(session: Session) -> int:
    result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now() - TTL))
    return affected_rows(result)
