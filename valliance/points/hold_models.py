"""Holds: points set aside for a payment that has not completed yet (积分抵话费).

A pending hold counts in its member account's `debits_pending`, so the points are no longer
available to spend, but they stay in the member's balance and lots until the hold is
captured (a posted transfer, lots consumed soonest-expiring first) or released (nothing
posted, nothing consumed). `flask ledger verify` proves that each member's pending holds add
up to its debits_pending, and that each captured hold has its transfer.
"""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from valliance.db import Base, BigId, UTCDateTime, utcnow

PENDING, CAPTURED, RELEASED = "pending", "captured", "released"
HOLD_STATUSES = (CAPTURED, PENDING, RELEASED)


class Hold(Base):
    __tablename__ = "holds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("status IN ('captured', 'pending', 'released')", name="status"),
        CheckConstraint("(status = 'captured') = (transfer_id IS NOT NULL)",
                        name="captured_has_transfer"),
        # the release job's question: pending holds past their expiry
        Index("ix_holds_pending_expires_at", "expires_at",
              sqlite_where=text("status = 'pending'"),
              postgresql_where=text("status = 'pending'")),
        Index("ix_holds_account_id_id", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    #: what the points are held for, e.g. "payment:pay_…" (one hold per reference)
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    #: after this the release job gives the points back if no event settled the hold
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the REDEEM transfer a capture posted
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"))
    #: why it was released: payment_failed, expired, …
    reason: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
