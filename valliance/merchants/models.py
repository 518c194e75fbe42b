"""Merchants, their offers (with per-tier rates), POS terminals, purchases and refunds."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from valliance.db import Base, UTCDateTime, utcnow

CATEGORIES = ("餐饮", "酒店", "零售", "娱乐", "美容美发", "汽车服务", "教育培训", "医疗健康",
              "生活服务")
MERCHANT_STATUSES = ("pending", "approved", "rejected", "suspended")
#: owners run offers, terminals and staff; cashiers sell and refund
MERCHANT_ROLES = ("owner", "cashier")
#: percentages with two decimals: 12.5 % off is stored exactly
Percent = Numeric(5, 2, asdecimal=True)


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Merchant(Base):
    __tablename__ = "merchants"
    __table_args__ = (
        CheckConstraint(_in("status", MERCHANT_STATUSES), name="status"),
        CheckConstraint("avg_spend >= 0", name="avg_spend_not_negative"),
        Index("ix_merchants_status_category", "status", "category"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(20))
    district: Mapped[str] = mapped_column(String(50))
    address: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    #: typical spend per customer, in fen
    avg_spend: Mapped[int] = mapped_column(default=0)
    licence_no: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    #: ledger accounts: points this merchant issued, and points spent in its shop
    issued_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    redeemed_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the alliance staff member who last approved, rejected or suspended it, when and why
    reviewed_by: Mapped[str | None] = mapped_column(String(40))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str] = mapped_column(String(500), default="")

    offers: Mapped[list["Offer"]] = relationship(back_populates="merchant",
                                                 order_by="Offer.created_at")


class Offer(Base):
    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint("percent_off >= 0 AND percent_off <= 90", name="percent_off_range"),
        CheckConstraint("points_per_yuan >= 0 AND points_per_yuan <= 100",
                        name="points_per_yuan_range"),
        Index("ix_offers_merchant_id", "merchant_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    title: Mapped[str] = mapped_column(String(100))
    #: the product information the merchant publishes to members
    description: Mapped[str] = mapped_column(Text, default="")
    percent_off: Mapped[Decimal] = mapped_column(Percent, default=Decimal(0))
    points_per_yuan: Mapped[int] = mapped_column(Integer, default=1)
    #: inclusive Asia/Shanghai dates; None = open-ended
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    merchant: Mapped[Merchant] = relationship(back_populates="offers")
    tier_rates: Mapped[list["OfferTierRate"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")

    def percent_off_for(self, tier: str) -> Decimal:
        """The tier's override if there is one, else the base percent_off."""
        for rate in self.tier_rates:
            if rate.tier == tier:
                return rate.percent_off
        return self.percent_off


class OfferTierRate(Base):
    """A tier override: replaces the base percent_off for that tier only."""

    __tablename__ = "offer_tier_rates"
    __table_args__ = (
        CheckConstraint("percent_off >= 0 AND percent_off <= 90", name="percent_off_range"),
    )

    offer_id: Mapped[str] = mapped_column(ForeignKey("offers.id"), primary_key=True)
    tier: Mapped[str] = mapped_column(String(16), primary_key=True)
    percent_off: Mapped[Decimal] = mapped_column(Percent)


class Terminal(Base):
    __tablename__ = "terminals"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    #: sha256 of the API key; the key itself is shown once
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Purchase(Base):
    __tablename__ = "purchases"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount",
                        name="refunded_in_range"),
        Index("ix_purchases_merchant_id_created_at", "merchant_id", "created_at"),
        Index("ix_purchases_member_id", "member_id"),
        # who bought lately, read from the index alone (the alliance dashboard, migration 0017)
        Index("ix_purchases_created_at_member_id", "created_at", "member_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    terminal_id: Mapped[str | None] = mapped_column(ForeignKey("terminals.id"))
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    card_id: Mapped[str] = mapped_column(ForeignKey("cards.id"))
    offer_id: Mapped[str | None] = mapped_column(ForeignKey("offers.id"))
    reference: Mapped[str | None] = mapped_column(String(100))
    tier: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column()
    percent_off: Mapped[Decimal] = mapped_column(Percent)
    discount: Mapped[int] = mapped_column()
    redeem_points: Mapped[int] = mapped_column()
    points_value: Mapped[int] = mapped_column()
    payable: Mapped[int] = mapped_column()
    points_earned: Mapped[int] = mapped_column()
    #: the member's balance right after the purchase
    points_balance: Mapped[int] = mapped_column()
    refunded_amount: Mapped[int] = mapped_column(default=0)
    accrual_transfer_id: Mapped[int | None] = mapped_column()
    redemption_transfer_id: Mapped[int | None] = mapped_column()
    #: the coupon used (contract §11) and what it took off; no foreign key: coupons point here
    coupon_code: Mapped[str | None] = mapped_column(String(12), index=True)
    coupon_value: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    refunds: Mapped[list["Refund"]] = relationship(order_by="Refund.created_at",
                                                   lazy="selectin")


class Refund(Base):
    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    purchase_id: Mapped[str] = mapped_column(ForeignKey("purchases.id"), index=True)
    #: list-price units, like the purchase's amount
    amount: Mapped[int] = mapped_column()
    cash_refund: Mapped[int] = mapped_column()
    points_reversed: Mapped[int] = mapped_column()
    points_returned: Mapped[int] = mapped_column()
    points_balance: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)




class MerchantUser(Base):
    """A person who signs in to the merchant portal: the owner or a cashier of one merchant."""

    __tablename__ = "merchant_users"
    __table_args__ = (CheckConstraint(_in("role", MERCHANT_ROLES), name="role"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    #: normalized mainland mobile number; the sign-in name, unique across merchants
    phone: Mapped[str] = mapped_column(String(11), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: moves on when the user signs out: every session cookie made before stops working
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    merchant: Mapped[Merchant] = relationship(lazy="joined")
