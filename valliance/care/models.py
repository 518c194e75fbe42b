"""The birthday programme's configuration: one row, written by alliance staff on its page.

The greeting itself is a daily campaign of the marketing engine (audience: members whose
birthday is this month; once a year by the engine's rule), named by `campaign_id`; this row
says which gift goes with it."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from valliance.db import Base, UTCDateTime, utcnow

#: the programme's only row
PROGRAMME_ID = 1


class BirthdayProgramme(Base):
    __tablename__ = "birthday_programmes"
    __table_args__ = (
        CheckConstraint("gift IN ('none', 'points', 'double', 'coupon')", name="gift"),
        CheckConstraint("bonus_points >= 0", name="bonus_points"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[str | None] = mapped_column(ForeignKey("campaigns.id"))
    #: members.gift_models.GIFT_KINDS
    gift: Mapped[str] = mapped_column(String(8), default="none")
    #: gift points: points per member
    bonus_points: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: gift coupon: the template issued (source "birthday")
    coupon_template_id: Mapped[str | None] = mapped_column(ForeignKey("coupon_templates.id"))
    updated_by: Mapped[str | None] = mapped_column(String(60))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
