"""Member payments through Stripe and the Stripe events that fulfil them."""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from valliance.db import Base, UTCDateTime, utcnow

KINDS = ("bill", "vip_fee")
#: created: no Checkout Session yet; pending: the member is at (or left) Stripe's page
STATUSES = ("created", "pending", "succeeded", "failed", "refunded", "partially_refunded")
#: statuses in which Stripe has taken the money (points were credited when it arrived)
PAID_STATUSES = frozenset({"succeeded", "refunded", "partially_refunded"})


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in sorted(values))})"


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount",
                        name="refunded_in_range"),
        CheckConstraint("points_reversed >= 0 AND points_reversed <= points_credited",
                        name="reversed_in_range"),
        CheckConstraint("points_redeemed >= 0", name="points_redeemed_not_negative"),
        # Points never pay a whole payment: Stripe always takes the rest (at least 1 fen).
        CheckConstraint("points_value >= 0 AND points_value < amount",
                        name="points_value_in_range"),
        CheckConstraint("points_returned >= 0 AND points_returned <= points_redeemed",
                        name="points_returned_in_range"),
        Index("ix_payments_member_id_created_at", "member_id", "created_at"),
        Index("ix_payments_paid_at", "paid_at"),  # the alliance dashboard (migration 0017)
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    kind: Mapped[str] = mapped_column(String(16))
    #: fen
    amount: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3), default="cny")
    status: Mapped[str] = mapped_column(String(20), default="created")
    stripe_checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    #: the rate in force when the money arrived (BILL_POINTS_PER_YUAN)
    points_credited: Mapped[int] = mapped_column(default=0)
    #: given back by refunds so far (cumulative, never more than was credited)
    points_reversed: Mapped[int] = mapped_column(default=0)
    #: the ledger's ACCRUE transfer that credited the points (None: no points were due)
    accrual_transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"))
    #: points the member chose to pay with (held at the start, captured when the money
    #: arrives, released when the payment fails or expires): the ledger's hold
    #: "payment:<id>"
    points_redeemed: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    #: what those points paid, in fen (points × POINT_VALUE_FEN); the card pays the rest
    points_value: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    #: redeemed points given back by refunds so far (cumulative)
    points_returned: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    #: fen refunded through Stripe so far (Stripe's cumulative amount_refunded)
    refunded_amount: Mapped[int] = mapped_column(default=0)
    #: why the payment failed or why no points were credited (card_declined, expired, frozen)
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def card_amount(self) -> int:
        """What Stripe charges: the amount less what points paid (fen)."""
        return self.amount - self.points_value

    @property
    def hold_reference(self) -> str:
        """The ledger hold of this payment's points."""
        return f"payment:{self.id}"

    @property
    def paid(self) -> bool:
        return self.status in PAID_STATUSES


class StripeEvent(Base):
    """Every verified event Stripe delivered, kept for audit; applied at most once."""

    __tablename__ = "stripe_events"

    #: Stripe's event id (evt_…): a redelivery finds its row and changes nothing
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    #: when Stripe created the event (its `created`)
    stripe_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: set when the event changed a payment; None for ignored, stale or unknown ones
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: how many times Stripe delivered it (redeliveries only count)
    deliveries: Mapped[int] = mapped_column(default=1)
    payment_id: Mapped[str | None] = mapped_column(ForeignKey("payments.id"), index=True)
    #: the PaymentIntent the event is about: a refund that came before any event linking its
    #: PaymentIntent to a payment is found again and applied when the payment succeeds
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    #: what handling it did: applied, ignored_type, unknown_payment, stale, mismatch, …
    result: Mapped[str] = mapped_column(String(40))
    #: the body exactly as Stripe sent it
    payload: Mapped[str] = mapped_column(Text)
