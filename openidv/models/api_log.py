from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, json_list


class ApiLog(Base):
    """One authenticated API request: who (API key), what (method, path without query, parameter names), from where
    (IP, user agent), and the answer's status. No bodies, no query values, no secrets."""

    __tablename__ = "api_logs"
    __table_args__ = (Index("ix_api_logs_environment_created", "environment_id", "created_at"),)

    id: Mapped[str] = id_column()  # req_, the Request-Id of the answer
    environment_id: Mapped[str] = mapped_column(String(40), nullable=False)
    api_key_id: Mapped[str] = mapped_column(String(40), nullable=False)
    method: Mapped[str] = mapped_column(String(10), nullable=False)
    path: Mapped[str] = mapped_column(String(500), nullable=False)
    parameter_names: Mapped[list[str]] = json_list()
    status: Mapped[int] = mapped_column(Integer, nullable=False)
    ip_address: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    user_agent: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    persona_version: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    created_at: Mapped[datetime] = created_at_column()
