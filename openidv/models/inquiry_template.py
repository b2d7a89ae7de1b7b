from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, json_list, timestamp


class InquiryTemplate(Base):
    """`itmpl_`: a named template; what it collects lives in its immutable versions."""

    __tablename__ = "inquiry_templates"

    id: Mapped[str] = id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="active")
    latest_published_version_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    embedded_flow_domain_allowlist: Mapped[list[str]] = json_list()
    hosted_flow_redirect_uri_schemes: Mapped[list[str]] = json_list()
    # openidv's own: hosts the hosted flow may redirect to besides the embedded-flow allowlist (flow/redirects.py)
    redirect_uri_domain_allowlist: Mapped[list[str]] = json_list()
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime | None] = timestamp()
