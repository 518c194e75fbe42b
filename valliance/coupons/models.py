"""Coupon templates, the coupons issued from them, and the alliance's coupon lines for settlement.

A template says what a coupon is worth (满减: `value` fen off a purchase of at least
`min_spend`), where it is valid (one merchant, or every alliance merchant when `merchant_id`
is None) and for how long after issue. Each coupon belongs to one member (contract §11).
"""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from valliance.db import Base, BigId, UTCDateTime, utcnow

TEMPLATE_STATUSES = ("active", "retired")
COUPON_STATUSES = ("active", "used", "expired", "void")
CODE_DIGITS = 12


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class CouponTemplate(Base):
    __tablename__ = "coupon_templates"
    __table_args__ = (
        CheckConstraint(_in("status", TEMPLATE_STATUSES), name="status"),
        CheckConstraint("value > 0", name="value_positive"),
        CheckConstraint("min_spend >= 0", name="min_spend_not_negative"),
        CheckConstraint("valid_days >= 1", name="valid_days_positive"),
        CheckConstraint("per_member >= 1", name="per_member_positive"),
        CheckConstraint("total_limit IS NULL OR total_limit >= 1", name="total_limit_positive"),
        CheckConstraint("issued_count >= 0 AND (total_limit IS NULL "
                        "OR issued_count <= total_limit)", name="issued_within_limit"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    #: fen off the purchase
    value: Mapped[int] = mapped_column()
    #: the least list price (fen) the coupon applies to
    min_spend: Mapped[int] = mapped_column()
    #: None: valid at every alliance merchant (the alliance pays it back in settlement)
    merchant_id: Mapped[str | None] = mapped_column(ForeignKey("merchants.id"), index=True)
    #: a coupon is valid for valid_days Asia/Shanghai days, the day of issue the first
    valid_days: Mapped[int] = mapped_column()
    #: how many unexpired active coupons of this template one member may hold
    per_member: Mapped[int] = mapped_column()
    #: None: no limit on how many are issued
    total_limit: Mapped[int | None] = mapped_column()
    issued_count: Mapped[int] = mapped_column(default=0, server_default="0")
    #: comma-separated tiers it may be issued to; None: every tier
    tiers: Mapped[str | None] = mapped_column(String(100))
    #: "staff:<id>", "merchant:<id>", "cli"
    created_by: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(8), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Coupon(Base):
    __tablename__ = "coupons"
    __table_args__ = (
        CheckConstraint(_in("status", COUPON_STATUSES), name="status"),
        CheckConstraint(f"length(code) = {CODE_DIGITS}", name="code_length"),
        Index("ix_coupons_member_id_template_id", "member_id", "template_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: 12 digits, the last a Luhn check digit (scanned or typed at the till)
    code: Mapped[str] = mapped_column(String(CODE_DIGITS), unique=True)
    template_id: Mapped[str] = mapped_column(ForeignKey("coupon_templates.id"))
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    #: "active" past valid_until reads as expired (expired lazily; a job may mark it)
    status: Mapped[str] = mapped_column(String(8), default="active")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the last Asia/Shanghai date it may be used (inclusive)
    valid_until: Mapped[date] = mapped_column(Date)
    used_purchase_id: Mapped[str | None] = mapped_column(ForeignKey("purchases.id"))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: who issued it: "staff:<id>", "campaign:<id>", "cli"
    source: Mapped[str] = mapped_column(String(100))


class CouponLine(Base):
    """What the alliance owes a merchant for alliance-wide coupons, one row per use (+value)
    and per restoring refund (−value): settlement sums them by id range, like the ledger."""

    __tablename__ = "coupon_lines"
    __table_args__ = (CheckConstraint("value_fen <> 0", name="value_not_zero"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    coupon_id: Mapped[str] = mapped_column(ForeignKey("coupons.id"))
    purchase_id: Mapped[str] = mapped_column(ForeignKey("purchases.id"), index=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    value_fen: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
