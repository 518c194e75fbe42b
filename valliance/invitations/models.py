"""Old brings new (老带新, contract §11): each member's invitation code, who invited whom, the
flags staff review, and the phones that were ever rewarded as newcomers.

(Not the 114 directory's referrals to merchants: those are `directory`'s.)
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from valliance.db import Base, UTCDateTime, utcnow

STATUSES = ("pending", "rewarded", "refused", "clawed_back")
FLAG_REASONS = ("self_referral", "self_referral_attempt", "phone_rewarded_before",
                "yearly_cap", "clawback", "coupon_not_issued")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class InvitationCode(Base):
    """A member's invitation code (8 characters without 0/O/1/I), made on first need."""

    __tablename__ = "invitation_codes"

    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Invitation(Base):
    """A newcomer who signed up with a member's code; rewarded once, on the first purchase of
    at least REFERRAL_MIN_SPEND_FEN paid; clawed back on its full refund within 30 days."""

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        Index("ix_invitations_referrer_status", "referrer_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    referrer_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    #: one invitation per newcomer, ever
    newcomer_id: Mapped[str] = mapped_column(ForeignKey("members.id"), unique=True)
    code: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    #: the qualifying purchase (one reward per purchase, and per invitation)
    purchase_id: Mapped[str | None] = mapped_column(ForeignKey("purchases.id"), unique=True)
    #: the reward's ledger transfers (kind `reward`) and coupons; None: not given
    referrer_transfer_id: Mapped[int | None] = mapped_column()
    newcomer_transfer_id: Mapped[int | None] = mapped_column()
    referrer_points: Mapped[int] = mapped_column(default=0)
    newcomer_points: Mapped[int] = mapped_column(default=0)
    referrer_coupon: Mapped[str | None] = mapped_column(String(12))
    newcomer_coupon: Mapped[str | None] = mapped_column(String(12))
    #: points taken back (what the members' balances covered and what they now owe)
    clawed_back_points: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rewarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clawed_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InvitationFlag(Base):
    """A case for staff: a self-referral, a phone rewarded before, a cap hit, a clawback."""

    __tablename__ = "invitation_flags"
    __table_args__ = (CheckConstraint(_in("reason", FLAG_REASONS), name="reason"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    referrer_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    invitation_id: Mapped[str | None] = mapped_column(ForeignKey("invitations.id"))
    reason: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[str | None] = mapped_column(String(100))


class RewardedPhone(Base):
    """A phone once rewarded as a newcomer (sha256): never again, whatever becomes of the
    member (a closed and re-registered account included)."""

    __tablename__ = "invitation_rewarded_phones"

    phone_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    invitation_id: Mapped[str] = mapped_column(ForeignKey("invitations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
