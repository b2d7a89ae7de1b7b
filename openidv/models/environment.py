from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column


class Environment(Base):
    """`sandbox` or `production`; every other row belongs to exactly one environment."""

    __tablename__ = "environments"

    id: Mapped[str] = id_column()  # env_
    organization_id: Mapped[str] = mapped_column(String(40), nullable=False)  # org_
    name: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    created_at: Mapped[datetime] = created_at_column()

    @property
    def is_sandbox(self) -> bool:
        return self.name == "sandbox"
