"""The dashboard's daily rollup: what each closed Shanghai day brought, per merchant.

Written by one function only, valliance.backoffice.services.alliance_days.roll_up, and only
for days that are over (two days back and earlier): purchases never change their day or
amount, and the ledger's transfers are append-only (a refund today counts today), so a closed
day's figures never change. The dashboard reads these rows for the months behind it and the
live tables for yesterday and today.
"""

from datetime import date

from sqlalchemy import BigInteger, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from valliance.db import Base

#: merchant_id of a day's row for what no merchant moved (bill payments' points)
NO_MERCHANT = ""
#: merchant_id of a day's row summing its merchants' rows; every rolled-up day has one (and
#: a NO_MERCHANT row), so a day with no trade is known to be rolled up
ALL_MERCHANTS = "*"


class AllianceDay(Base):
    __tablename__ = "alliance_days"
    __table_args__ = (Index("ix_alliance_days_day", "day"),)

    #: the primary key leads with the merchant: a day range of one row kind is one index range
    merchant_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    purchases: Mapped[int] = mapped_column(Integer, default=0)
    #: fen, list price
    sales: Mapped[int] = mapped_column(BigInteger, default=0)
    #: points credited to members, net of reversals (valliance.points.alliance_figures)
    points_issued: Mapped[int] = mapped_column(BigInteger, default=0)
    #: points members spent, net of returns
    points_redeemed: Mapped[int] = mapped_column(BigInteger, default=0)


class AllianceTierMonth(Base):
    """Members by tier at the end of a closed month (every tier has its row, zero or not)."""

    __tablename__ = "alliance_tier_months"

    month: Mapped[date] = mapped_column(Date, primary_key=True)  #: the month's first day
    tier: Mapped[str] = mapped_column(String(16), primary_key=True)
    members: Mapped[int] = mapped_column(Integer, default=0)


class AllianceReferralDay(Base):
    """114 referrals made on a day and how many converted, once no more can convert."""

    __tablename__ = "alliance_referral_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    referrals: Mapped[int] = mapped_column(Integer, default=0)
    conversions: Mapped[int] = mapped_column(Integer, default=0)


class AllianceBuyer(Base):
    """Each member's last closed day with a purchase (the active members: who bought since)."""

    __tablename__ = "alliance_buyers"
    __table_args__ = (Index("ix_alliance_buyers_last_day", "last_day"),)

    member_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_day: Mapped[date] = mapped_column(Date)
