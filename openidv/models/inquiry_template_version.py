from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, json_dict, parent, timestamp
from openidv.models.inquiry_template import InquiryTemplate


class InquiryTemplateVersion(Base):
    """`itmplv_`: one immutable configuration of a template (a draft until published).

    `config` holds the steps (verification kinds in order, required checks), allowed countries and ID
    classes, attempt limit, expiry intervals, redirect URI and field schema; see
    `openidv.inquiry_templates.config` for its schema.
    """

    __tablename__ = "inquiry_template_versions"

    id: Mapped[str] = id_column()
    template_id: Mapped[str] = mapped_column(ForeignKey("inquiry_templates.id"), nullable=False, index=True)
    template: Mapped[InquiryTemplate] = parent()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="draft")
    name_display: Mapped[str | None] = mapped_column(String(200), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    config: Mapped[dict[str, Any]] = json_dict()
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime | None] = timestamp()
    published_at: Mapped[datetime | None] = timestamp()
