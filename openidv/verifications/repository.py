"""SQL for verifications."""

from sqlalchemy.orm import Session

from openidv.models import Verification


def get(session: Session, environment_id: str, verification_id: str) -> Verification | None:
    row = session.get(Verification, verification_id)
    return row if row is not None and row.environment_id == environment_id else None
