"""What the back office keeps of its own: points adjustments waiting for a second person."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from valliance.db import Base, UTCDateTime, utcnow

#: the reason codes of contract §13, in the order forms list them
ADJUSTMENT_REASONS = ("goodwill", "correction", "service_compensation", "migration",
                      "fraud_reversal")
PENDING, APPLIED, REJECTED = "pending_approval", "applied", "rejected"
ADJUSTMENT_STATUSES = (PENDING, APPLIED, REJECTED)


class PointAdjustment(Base):
    """A staff request to add or take points; applied at once, or by a second person."""

    __tablename__ = "point_adjustments"
    __table_args__ = (
        CheckConstraint("points <> 0", name="points_not_zero"),
        CheckConstraint("status IN ('pending_approval', 'applied', 'rejected')", name="status"),
        Index("ix_point_adjustments_status", "status", "created_at"),
        Index("ix_point_adjustments_member_id", "member_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    #: signed: positive adds points, negative takes them
    points: Mapped[int] = mapped_column()
    #: one of ADJUSTMENT_REASONS
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    #: the staff user who asked for it (the maker)
    made_by: Mapped[str] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the second person who approved or rejected it (the maker, when applied at once)
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: why it was rejected
    decision_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: the ledger transfer of kind `adjust` that applied it
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"))
    #: bumped on every decision: an approval names the version it saw (one applies)
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
