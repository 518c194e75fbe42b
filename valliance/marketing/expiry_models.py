"""Expiry reminders sent: one row per member, lot expiry moment and stage (30 or 7 days).

A member's message names the soonest date and covers every expiry moment within the stage's
window that no reminder of that stage covered yet; each moment it covers gets its row (the
named one marked `named`), so a moment is reminded once per stage however often the job runs,
and a day the job missed is caught up the next day. The unique (member, expires_at, stage) is
what makes two runs at once send nothing twice.
"""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from valliance.db import Base, BigId, UTCDateTime, utcnow

#: days before the expiry at which members are reminded
STAGES = (30, 7)


class ExpiryReminder(Base):
    __tablename__ = "expiry_reminders"
    __table_args__ = (
        UniqueConstraint("member_id", "expires_at", "stage"),
        CheckConstraint("stage IN (7, 30)", name="stage"),
        Index("ix_expiry_reminders_sent_at", "sent_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[str] = mapped_column(String(40))
    #: the member's points account (the lots it covers: this account's, expiring at expires_at)
    account_id: Mapped[int] = mapped_column(BigInteger)
    #: the lots' expiry moment (lots.expires_at)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stage: Mapped[int] = mapped_column(Integer)
    #: points of those lots left when the reminder went
    points: Mapped[int] = mapped_column(BigInteger)
    #: the date the message named (the soonest of those it covered)
    named: Mapped[bool] = mapped_column(Boolean, default=False)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
