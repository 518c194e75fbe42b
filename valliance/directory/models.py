"""114 operators, the callers they look up, and the referrals they give."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from valliance.db import Base, BigId, UTCDateTime, utcnow


class Operator(Base):
    """A 114 operator (a person or a console seat) with an API key."""

    __tablename__ = "operators"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    #: sha256 of the API key; the key itself is shown once
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Referral(Base):
    """An operator sent a caller to a merchant's offer. Converted when that caller's card buys
    at that merchant within 7 days (worked out from purchases, never stored twice)."""

    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_member_id_merchant_id", "member_id", "merchant_id"),
        Index("ix_referrals_created_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    operator_id: Mapped[str] = mapped_column(ForeignKey("operators.id"), index=True)
    #: the caller's membership, when the caller has a V-card; the phone itself is not kept
    member_id: Mapped[str | None] = mapped_column(ForeignKey("members.id"))
    caller_has_vcard: Mapped[bool] = mapped_column(Boolean)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), index=True)
    offer_id: Mapped[str | None] = mapped_column(ForeignKey("offers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CallerLookup(Base):
    """The log of caller lookups: which operator asked, when, and whether a card was found."""

    __tablename__ = "caller_lookups"
    __table_args__ = (Index("ix_caller_lookups_operator_id_id", "operator_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    operator_id: Mapped[str] = mapped_column(ForeignKey("operators.id"))
    #: keyed hash of the phone (HMAC with the app's secret): repeat callers can be counted,
    #: the number cannot be read back
    phone_digest: Mapped[str] = mapped_column(String(64))
    found: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
