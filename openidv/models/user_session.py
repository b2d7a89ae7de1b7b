from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base, UtcDateTime
from openidv.models._columns import created_at_column, parent
from openidv.models.user import User


class UserSession(Base):
    """A signed-in dashboard browser. The cookie holds a random token; only its SHA-256 is kept here, so
    deleting the row (sign-out, disable, password change) ends the session on the server at once."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie's token
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    user: Mapped[User] = parent()
    environment: Mapped[str] = mapped_column(String(20), nullable=False)  # sandbox | production
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
