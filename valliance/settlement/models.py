"""Monthly settlement: closed periods, one statement per merchant, and what is paid on it.

A closed period and its statements are never updated (amounts are fixed when the period
closes); money moving on a statement is a separate row whose status changes.
"""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from valliance.db import Base, UTCDateTime, utcnow

#: collect: the merchant owes the alliance; payout: the alliance owes the merchant
DIRECTIONS = ("collect", "payout")
SETTLEMENT_STATUSES = ("due", "paid")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class SettlementPeriod(Base):
    __tablename__ = "settlement_periods"
    __table_args__ = (
        CheckConstraint("cutoff_seq >= lower_seq", name="seq_range"),
    )

    #: 'YYYY-MM', an Asia/Shanghai calendar month
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the period covers ledger transfers with lower_seq < id <= cutoff_seq
    lower_seq: Mapped[int] = mapped_column(BigInteger)
    #: the highest transfer id created before ends_at, fixed when the period closed
    cutoff_seq: Mapped[int] = mapped_column(BigInteger)
    #: the rates in force when the period closed (fen per point)
    cost_per_point_fen: Mapped[int] = mapped_column()
    reimburse_per_point_fen: Mapped[int] = mapped_column()
    #: alliance-wide points over the period (the reconciliation's terms)
    points_issued_by_merchants: Mapped[int] = mapped_column(BigInteger)
    points_issued_by_alliance: Mapped[int] = mapped_column(BigInteger)
    points_redeemed: Mapped[int] = mapped_column(BigInteger)
    points_expired: Mapped[int] = mapped_column(BigInteger)
    outstanding_change: Mapped[int] = mapped_column(BigInteger)
    #: all members' balances right after cutoff_seq
    outstanding_at_cutoff: Mapped[int] = mapped_column(BigInteger)
    cost_fen: Mapped[int] = mapped_column(BigInteger)
    reimbursement_fen: Mapped[int] = mapped_column(BigInteger)
    #: alliance-wide coupons paid back: coupon lines with coupon_lower_id < id <= coupon_cutoff_id
    coupon_lower_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    coupon_cutoff_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    coupon_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by: Mapped[str] = mapped_column(String(100))


class Statement(Base):
    __tablename__ = "settlement_statements"
    __table_args__ = (
        UniqueConstraint("period", "merchant_id"),
        Index("ix_settlement_statements_merchant_id_period", "merchant_id", "period"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    period: Mapped[str] = mapped_column(ForeignKey("settlement_periods.period"))
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    #: net of reversals; negative when refunds of earlier months outweigh this month's points
    points_issued: Mapped[int] = mapped_column(BigInteger)
    #: net of points returned on refunds
    points_redeemed: Mapped[int] = mapped_column(BigInteger)
    #: owed by the merchant: points_issued × cost per point
    cost_fen: Mapped[int] = mapped_column(BigInteger)
    #: owed to the merchant: points_redeemed × reimbursement per point
    reimbursement_fen: Mapped[int] = mapped_column(BigInteger)
    #: owed to the merchant: alliance-wide coupons used in its shop, net of refunds
    coupon_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    #: cost − reimbursement − coupons: > 0 the merchant pays, < 0 the alliance pays out
    net_fen: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    settlement: Mapped["Settlement | None"] = relationship(back_populates="statement")


class Settlement(Base):
    """The money owed on one statement, in one direction, and whether it has been paid."""

    __tablename__ = "settlements"
    __table_args__ = (
        CheckConstraint(_in("direction", DIRECTIONS), name="direction"),
        CheckConstraint(_in("status", SETTLEMENT_STATUSES), name="status"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        Index("ix_settlements_status_direction", "status", "direction"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    statement_id: Mapped[str] = mapped_column(ForeignKey("settlement_statements.id"),
                                              unique=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    direction: Mapped[str] = mapped_column(String(8))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(8), default="due")
    #: the bank transfer's or Stripe's reference, given when it was paid
    reference: Mapped[str | None] = mapped_column(String(255))
    #: "staff:<id>" or "stripe"
    paid_by: Mapped[str | None] = mapped_column(String(100))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: a merchant paying through Stripe: the Checkout Session opened for it
    stripe_checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    statement: Mapped[Statement] = relationship(back_populates="settlement")
