"""SQL for imported records."""

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from openidv.models import Record


def candidates(session: Session, source: str, indexes: dict[str, str], limit: int = 50) -> list[Record]:
    """Records of `source` that share any blind index (birthdate, name, number, e-mail, phone) with the claims."""
    columns = {"birthdate": Record.birthdate_index, "name": Record.name_index, "identification_number": Record.identification_number_index,
               "email": Record.email_index, "phone": Record.phone_index}
    terms = [columns[k] == v for k, v in indexes.items() if v]
    if not terms:
        return []
    return list(session.scalars(select(Record).where(Record.source == source, or_(*terms)).order_by(Record.id).limit(limit)))


def by_references(session: Session, source: str, references: list[str]) -> dict[str, Record]:
    found: dict[str, Record] = {}
    for start in range(0, len(references), 500):
        chunk = references[start : start + 500]
        found.update({r.reference: r for r in session.scalars(select(Record).where(Record.source == source, Record.reference.in_(chunk)))})
    return found


def count(session: Session, source: str) -> int:
    return int(session.scalar(select(func.count()).select_from(Record).where(Record.source == source)) or 0)
