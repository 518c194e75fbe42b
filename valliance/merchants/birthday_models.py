"""The extra points of a sale in a member's double-points birthday month (issue #18).

The sale's own accrual (contract §5's points_earned) is the merchant's, as always; the extra,
as many points again, is the alliance's: a `reward` transfer from its rewards account, one row
here per sale, reversed share by share with the sale's refunds."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from valliance.db import Base, BigId, UTCDateTime, utcnow


class BirthdayBonus(Base):
    __tablename__ = "birthday_bonuses"
    __table_args__ = (CheckConstraint("points > 0", name="points"),)

    purchase_id: Mapped[str] = mapped_column(ForeignKey("purchases.id"), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    merchant_id: Mapped[str] = mapped_column(String(40))
    #: the extra points credited (= the sale's points_earned) and their `reward` transfer
    points: Mapped[int] = mapped_column(Integer)
    transfer_id: Mapped[int] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
