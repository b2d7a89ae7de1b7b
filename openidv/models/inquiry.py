from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, exact_index, id_column, json_dict, json_list, parent, sealed_dict, sealed_text, timestamp
from openidv.models.account import Account
from openidv.models.inquiry_template import InquiryTemplate
from openidv.models.inquiry_template_version import InquiryTemplateVersion


class Inquiry(Base):
    """`inq_`: one person's attempt to verify. Its status is written only by `openidv.lifecycle`."""

    __tablename__ = "inquiries"
    __table_args__ = (
        Index("ix_inquiries_env_created", "environment_id", "created_at", "id"),
        Index("ix_inquiries_env_status", "environment_id", "status", "created_at"),
        Index("ix_inquiries_expires", "status", "expires_at"),
    )

    id: Mapped[str] = id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), nullable=False)
    template_id: Mapped[str] = mapped_column(ForeignKey("inquiry_templates.id"), nullable=False, index=True)
    template_version_id: Mapped[str] = mapped_column(ForeignKey("inquiry_template_versions.id"), nullable=False)
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"), nullable=True, index=True)
    account: Mapped[Account | None] = parent()
    template: Mapped[InquiryTemplate] = parent()
    template_version: Mapped[InquiryTemplateVersion] = parent()
    reference_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="created")
    note_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    note_index: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)  # filter[note]
    tags: Mapped[list[str]] = json_list()
    creator: Mapped[str] = mapped_column(String(255), nullable=False, default="API")
    reviewer_comment_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    reviewer_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    reviewer_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    behaviors: Mapped[dict[str, Any]] = json_dict()
    fields_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    email_index: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    redirect_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    previous_step_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    next_step_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # expiry policy fixed at creation (template values, overridden by the create request's meta)
    expire_after_start_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    expire_after_resume_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
    started_at: Mapped[datetime | None] = timestamp()
    expires_at: Mapped[datetime | None] = timestamp()
    completed_at: Mapped[datetime | None] = timestamp()
    failed_at: Mapped[datetime | None] = timestamp()
    marked_for_review_at: Mapped[datetime | None] = timestamp()
    decisioned_at: Mapped[datetime | None] = timestamp()
    expired_at: Mapped[datetime | None] = timestamp()
    redacted_at: Mapped[datetime | None] = timestamp()

    fields = sealed_dict("fields_sealed")
    note = sealed_text("note_sealed", index="note_index")
    reviewer_comment = sealed_text("reviewer_comment_sealed")

    @staticmethod
    def note_index_of(note: str) -> str:
        """What `note_index` holds for an inquiry whose note is `note` (filter[note])."""
        return exact_index("note_sealed", note)
