"""The win-back programme's settings (one row) and the coupons it gave its entries.

The programme is a standing daily campaign of the marketing engine (campaign_models.Campaign:
channel, message, bonus points, control percent); this row adds what the engine does not
know: the lapse (N days, K purchases, the RFM cells are in the campaign's filters), the
re-entry period (Campaign.reentry_days), the report's window, the coupon template and whether
the programme runs at all.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from valliance.db import Base, BigId, UTCDateTime, utcnow

#: the one programme row's id
PROGRAMME = 1


class WinbackProgramme(Base):
    __tablename__ = "winback_programmes"
    __table_args__ = (
        CheckConstraint("lapse_days >= 1", name="lapse_days"),
        CheckConstraint("min_purchases >= 1", name="min_purchases"),
        CheckConstraint("window_days >= 1", name="window_days"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the standing campaign the programme's entries are rounds of
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"))
    #: the daily job runs a round only when the programme is on
    enabled: Mapped[bool] = mapped_column(default=False)
    #: N: no purchase for at least this many days …
    lapse_days: Mapped[int] = mapped_column(Integer)
    #: K: … after at least this many purchases (not refunded in full)
    min_purchases: Mapped[int] = mapped_column(Integer)
    #: a member came back when they bought within this many days after entering
    window_days: Mapped[int] = mapped_column(Integer)
    #: a coupon of this template to every member reached (coupons source "winback")
    coupon_template_id: Mapped[str | None] = mapped_column(ForeignKey("coupon_templates.id"))
    updated_by: Mapped[str | None] = mapped_column(String(60))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WinbackCoupon(Base):
    """The coupon a reached entry was given (None: the template refused it, e.g. its total
    limit was reached): one row per entry, so a retried job never issues twice."""

    __tablename__ = "winback_coupons"

    delivery_id: Mapped[int] = mapped_column(BigId, ForeignKey("campaign_deliveries.id"),
                                             primary_key=True)
    coupon_id: Mapped[str | None] = mapped_column(ForeignKey("coupons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
