"""The alliance dashboard's figures: members, sales and points through alliance merchants.

Windows are Asia/Shanghai calendar days, today included: "the last 30 days" starts at the
midnight 29 days before today; "the last 12 months" starts on the 1st of the month 11 months
before this one. Sales are purchases at list price (`amount`), refunds not deducted; points come
from the ledger (valliance.points.points_by_day, which defines issued and redeemed). Days
before yesterday are read from the daily rollup (services/alliance_days.py), which this
request writes for any closed day not rolled up yet.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from valliance import points
from valliance.backoffice.dashboard_models import NO_MERCHANT
from valliance.backoffice.services import alliance_days as days
from valliance.backoffice.services import buyers, closed_periods
from valliance.db import today_shanghai
from valliance.merchants.models import Merchant

DAYS, MONTHS, TOP = 30, 12, 10


@dataclass
class Period:
    """Sales and points of one day or one month."""

    first: date  #: the day, or the month's first day
    last: date  #: the same day, or the month's last day (today for this month)
    purchases: int = 0
    sales: int = 0  #: fen, list price
    points_issued: int = 0  #: at merchants, net of refunds
    points_redeemed: int = 0


@dataclass
class TopMerchant:
    id: str
    name: str
    district: str
    purchases: int
    sales: int


@dataclass
class Redemption:
    days: int
    issued: int
    redeemed: int

    @property
    def per_mille(self) -> int | None:
        """redeemed / issued in tenths of a percent, rounded half up (None: nothing issued)."""
        if self.issued <= 0:
            return None
        return (self.redeemed * 2000 + self.issued) // (self.issued * 2)


@dataclass
class TierMonth:
    month: date  #: the month's first day; counts are as they stood at its end (now, this month)
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Figures:
    today: date
    tiers: dict[str, int]
    trend: list[TierMonth]
    new_this_month: int
    new_30_days: int
    active: dict[int, int]  #: days → members who bought in that window
    daily: list[Period]
    monthly: list[Period]
    top: list[TopMerchant]
    redemption: list[Redemption]
    outstanding_points: int


def month_starts(today: date, months: int = MONTHS) -> list[date]:
    """The first day of each of the last `months` months, oldest first."""
    year, month = today.year, today.month
    starts = []
    for _ in range(months):
        starts.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return starts[::-1]


def _month_end(first: date, today: date) -> date:
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return min(following - timedelta(days=1), today)


def figures(session: Session, today: date | None = None) -> Figures:
    """Every figure of the dashboard except the channels and the work waiting (see others);
    rolls up the closed days not rolled up yet (flush, never commit)."""
    today = today or today_shanghai()
    if session.get_bind().dialect.name == "postgresql":
        # These aggregates look costly to the planner, and compiling them (JIT) costs more
        # than running them: about 12 ms a query, measured on the bench.
        session.execute(text("SET LOCAL jit = off"))
    starts = month_starts(today)
    first_day = today - timedelta(days=DAYS - 1)
    days.roll_up(session, starts[0], today)
    live_from = days.last_closed_day(today) + timedelta(days=1)
    recent = days.live(session, live_from, today)
    at_merchants, elsewhere = days.by_day(session, starts[0], today, recent)
    daily, monthly = _periods(at_merchants, today, starts)
    tiers, months, joined = closed_periods.tier_trend(session, starts, today,
                                                      (today.replace(day=1), first_day))
    trend = [TierMonth(start, counts) for start, counts in zip(starts, months, strict=True)]
    return Figures(
        today=today, tiers=tiers, trend=trend,
        new_this_month=joined[0], new_30_days=joined[1],
        active=buyers.active(session, today, (30, 90), live_from), daily=daily, monthly=monthly,
        top=_top(session, days.by_merchant(session, first_day, today, recent)),
        redemption=[_redemption(window, today, at_merchants, elsewhere) for window in (30, 90)],
        outstanding_points=points.outstanding_points(session))


# --- sales and points ---------------------------------------------------------------------

def _periods(by_day: dict, today: date, starts: list[date]) -> tuple[list[Period], list[Period]]:
    """The last 30 days, and the last 12 months, from the figures of each day."""
    daily = []
    for i in range(DAYS - 1, -1, -1):
        day = today - timedelta(days=i)
        daily.append(_period(day, day, [by_day.get(day)]))
    monthly = []
    for start in starts:
        end = _month_end(start, today)
        monthly.append(_period(start, end, [f for d, f in by_day.items() if start <= d <= end]))
    return daily, monthly


def _period(first: date, last: date, figures: list) -> Period:
    total = days.DayFigures()
    for one in figures:
        if one is not None:
            total.add(one)
    return Period(first, last, total.purchases, total.sales, total.points_issued,
                  total.points_redeemed)


def _redemption(window: int, today: date, *by_day: dict) -> Redemption:
    """Points redeemed and issued (at merchants and for bill payments) over the window."""
    first = today - timedelta(days=window - 1)
    inside = [figures for each in by_day for day, figures in each.items() if day >= first]
    return Redemption(window, sum(f.points_issued for f in inside),
                      sum(f.points_redeemed for f in inside))


def _top(session: Session, merchants: dict) -> list[TopMerchant]:
    """The merchants with the most sales (then the most purchases) over the window."""
    ranked = sorted(((figures.sales, figures.purchases, merchant_id)
                     for merchant_id, figures in merchants.items()
                     if merchant_id != NO_MERCHANT and figures.purchases),
                    key=lambda row: (-row[0], -row[1], row[2]))[:TOP]
    names = {row[0]: row[1:] for row in session.execute(
        select(Merchant.id, Merchant.name, Merchant.district)
        .where(Merchant.id.in_([merchant_id for *_, merchant_id in ranked])))}
    return [TopMerchant(merchant_id, *names[merchant_id], purchases, sales)
            for sales, purchases, merchant_id in ranked if merchant_id in names]
