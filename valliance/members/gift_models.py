"""Birthday gifts a member was given (issue #18): one row per member and year, written by the
birthday programme when its greeting reaches the member; the till reads the double-points
month from it (merchants.services.birthday_points)."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from valliance.db import Base, BigId, UTCDateTime, utcnow

#: none (a greeting only), points (bonus points), double (double points at alliance merchants
#: for the birthday month), coupon (a coupon of a template)
GIFT_KINDS = ("none", "points", "double", "coupon")


class BirthdayGift(Base):
    __tablename__ = "birthday_gifts"
    __table_args__ = (
        UniqueConstraint("member_id", "year"),
        CheckConstraint("kind IN ('none', 'points', 'double', 'coupon')", name="kind"),
        CheckConstraint("points >= 0", name="points"),
        # the till: is this member in a double-points month today?
        Index("ix_birthday_gifts_member_id_double_until", "member_id", "double_until"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    #: the Asia/Shanghai year of the greeting: one gift a year
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))
    #: the programme's campaign and its delivery row that reached the member
    campaign_id: Mapped[str | None] = mapped_column(String(40))
    delivery_id: Mapped[int | None] = mapped_column(BigId)
    #: kind points: the points credited and their `reward` transfer
    points: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    transfer_id: Mapped[int | None] = mapped_column(BigId)
    #: kind coupon: the coupon issued (None when the template refused one: its limits)
    coupon_id: Mapped[str | None] = mapped_column(String(40))
    #: kind double: the birthday month's first and last day (Asia/Shanghai), inclusive
    double_from: Mapped[date | None] = mapped_column(Date)
    double_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
