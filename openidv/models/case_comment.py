from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, parent, sealed_text
from openidv.models.case import Case


class CaseComment(Base):
    """`cscm_`: a reviewer's (or a workflow's) comment on a case; the message is sealed, since reviewers quote
    names and numbers. Redacting the case deletes its comments."""

    __tablename__ = "case_comments"
    __table_args__ = (Index("ix_case_comments_case", "case_id", "created_at"),)

    id: Mapped[str] = id_column()
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), nullable=False)
    message_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    commenter_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    commenter_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
    case: Mapped[Case] = parent()

    message = sealed_text("message_sealed")
