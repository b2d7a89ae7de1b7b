from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, parent
from openidv.models.case import Case


class CaseObject(Base):
    """One object under review in a case: its JSON:API type (`inquiry`, `account`, `report/watchlist`,
    `verification/selfie`) and id. A reference only: the object itself stays where it is."""

    __tablename__ = "case_objects"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    object_id: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    object_type: Mapped[str] = mapped_column(String(60), nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    case: Mapped[Case] = parent()
