"""满就送 rules ("spend ≥ X at merchant M → coupon C") and the coupons they gave.

A rule names one merchant (a merchant owner's own shop) or none (alliance staff: a purchase at
any alliance merchant qualifies), the least a purchase must cost the member, the template its
coupon is issued from, and optionally the Asia/Shanghai dates it runs. Each coupon a sale earns
is a grant row, one per rule and purchase: the staff page counts them, and the refund that
completes the purchase voids the coupon still unused (docs/coupons.md).
"""

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from valliance.db import Base, BigId, UTCDateTime, utcnow


class CouponRule(Base):
    __tablename__ = "coupon_rules"
    __table_args__ = (
        CheckConstraint("min_spend >= 1", name="min_spend_positive"),
        CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on",
                        name="dates_in_order"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: None: a purchase at any alliance merchant qualifies (made by alliance staff)
    merchant_id: Mapped[str | None] = mapped_column(ForeignKey("merchants.id"), index=True)
    template_id: Mapped[str] = mapped_column(ForeignKey("coupon_templates.id"))
    #: the least a purchase must cost the member (fen): payable + points_value, that is the
    #: list price less the member discount and any coupon used
    min_spend: Mapped[int] = mapped_column()
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: the first and last Asia/Shanghai dates it runs (None: open)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    #: "staff:<id>", "merchant:<id>" (the merchant user), "demo"
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CouponRuleGrant(Base):
    """A coupon a purchase earned by a rule (one per rule and purchase)."""

    __tablename__ = "coupon_rule_grants"
    __table_args__ = (UniqueConstraint("rule_id", "purchase_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[str] = mapped_column(ForeignKey("coupon_rules.id"))
    purchase_id: Mapped[str] = mapped_column(ForeignKey("purchases.id"), index=True)
    coupon_id: Mapped[str] = mapped_column(ForeignKey("coupons.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
