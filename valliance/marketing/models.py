"""What marketing keeps: each member's RFM score, and saved segments."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from valliance.db import Base, UTCDateTime, utcnow

#: the eight classic RFM cells, each high (True) or low on recency, frequency and monetary
#: (the exact rule: valliance/marketing/services/rfm.py and docs/marketing.md)
RFM_CELLS = ("important_value", "important_develop", "important_keep", "important_retain",
             "general_value", "general_develop", "general_keep", "general_retain")


class MemberScore(Base):
    """A member's RFM scores as last computed (one row per member who was scored)."""

    __tablename__ = "member_scores"
    __table_args__ = (
        CheckConstraint("r BETWEEN 1 AND 5 AND f BETWEEN 1 AND 5 AND m BETWEEN 1 AND 5",
                        name="scores"),
        Index("ix_member_scores_cell", "cell"),
    )

    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), primary_key=True)
    #: days since the last purchase or bill paid (as of scored_at)
    recency_days: Mapped[int] = mapped_column(Integer)
    #: purchases and bills paid in the scoring window
    frequency: Mapped[int] = mapped_column(Integer)
    #: fen spent in the scoring window (purchases net of refunds, bills paid)
    monetary_fen: Mapped[int] = mapped_column()
    r: Mapped[int] = mapped_column(Integer)
    f: Mapped[int] = mapped_column(Integer)
    m: Mapped[int] = mapped_column(Integer)
    #: one of RFM_CELLS
    cell: Mapped[str] = mapped_column(String(24))
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Segment(Base):
    """A saved set of filters that names a group of members (previewed before use)."""

    __tablename__ = "segments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    #: the filters, as valliance.marketing.services.segments reads them
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HomeMerchant(Base):
    """Each member's most frequent merchant as of the last scoring run (the segments'
    district filter; services/home_merchants.py)."""

    __tablename__ = "member_home_merchants"
    __table_args__ = (Index("ix_member_home_merchants_merchant_id", "merchant_id"),)

    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    #: when the run that wrote it began: purchases from then on are ranked live
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
