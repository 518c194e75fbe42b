"""Alliance staff accounts."""

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from valliance.db import Base, UTCDateTime, utcnow


class StaffUser(Base):
    """Someone who works for the alliance: approves merchants and answers for every point."""

    __tablename__ = "staff_users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: moves on when the user signs out: every session cookie made before stops working
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: the roles held, space-separated in valliance.staff.roles.ROLES order (contract §13)
    roles: Mapped[str] = mapped_column(String(120), default="", server_default="")
    #: a mobile number for test sends of marketing messages (optional)
    phone: Mapped[str | None] = mapped_column(String(11))

    @property
    def role_list(self) -> tuple[str, ...]:
        return tuple(self.roles.split()) if self.roles else ()
