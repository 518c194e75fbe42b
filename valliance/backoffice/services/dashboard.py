"""The alliance dashboard's figures: members, sales and points through alliance merchants.

Windows are Asia/Shanghai calendar days, today included: "the last 30 days" starts at the
midnight 29 days before today; "the last 12 months" starts on the 1st of the month 11 months
before this one. Sales are purchases at list price (`amount`), refunds not deducted; points come
from the ledger (valliance.points.points_by_day, which defines issued and redeemed). Days
before yesterday are read from the daily rollup (services/alliance_days.py), which this
request writes for any closed day not rolled up yet.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from valliance import points
from valliance.backoffice.dashboard_models import NO_MERCHANT
from valliance.backoffice.services import alliance_days as days
from valliance.db import today_shanghai
from valliance.members.models import TIERS, Member, TierChange
from valliance.merchants.models import Merchant, Purchase
from valliance.merchants.services.reports import shanghai_midnight

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
    extra: dict = field(default_factory=dict)


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
    starts = month_starts(today)
    first_day = today - timedelta(days=DAYS - 1)
    days.roll_up(session, starts[0], today)
    recent = days.live(session, days.last_closed_day(today) + timedelta(days=1), today)
    daily, monthly = _periods(days.by_day(session, starts[0], today, recent), today, starts)
    last_30 = days.by_merchant(session, first_day, today, recent)
    last_90 = days.by_merchant(session, today - timedelta(days=89), today, recent)
    tiers, trend = _tier_trend(session, starts)
    return Figures(
        today=today, tiers=tiers, trend=trend,
        new_this_month=_joined_since(session, shanghai_midnight(today.replace(day=1))),
        new_30_days=_joined_since(session, shanghai_midnight(first_day)),
        active=_active(session, today, (30, 90)), daily=daily, monthly=monthly,
        top=_top(session, last_30), redemption=[_redemption(30, last_30), _redemption(90, last_90)],
        outstanding_points=points.outstanding_points(session))


# --- members ------------------------------------------------------------------------------

def _month_of(session: Session, column):
    """SQL: the Shanghai month (YYYY-MM) of a timestamp, as text."""
    return func.substr(cast(points.shanghai_day(session, column), String), 1, 7)


def _tier_trend(session: Session, starts: list[date]) -> tuple[dict[str, int], list[TierMonth]]:
    """Members by tier now, and at the end of each month, rebuilt backwards from the tiers they
    hold now and the tier changes since (members joined after a month's end are not in it)."""
    joined = _month_of(session, Member.created_at).label("joined")
    by_month = session.execute(
        select(joined, Member.tier, func.count()).group_by(joined, Member.tier)).all()
    changed = _month_of(session, TierChange.created_at).label("changed")
    changes = session.execute(
        select(joined, changed, TierChange.from_tier, TierChange.to_tier, func.count())
        .join(Member, Member.id == TierChange.member_id)
        .where(TierChange.created_at >= shanghai_midnight(starts[0]))
        .group_by(joined, changed, TierChange.from_tier, TierChange.to_tier)).all()
    trend = []
    for start in starts:
        key = start.isoformat()[:7]
        counts = dict.fromkeys(TIERS, 0)
        for month, tier, count in by_month:
            if str(month) <= key and tier in counts:
                counts[tier] += count
        for month, when, from_tier, to_tier, count in changes:
            if str(month) <= key < str(when):  # a member of that month, changed later: undo
                counts[to_tier] = counts.get(to_tier, 0) - count
                counts[from_tier] = counts.get(from_tier, 0) + count
        trend.append(TierMonth(start, counts))
    now = dict.fromkeys(TIERS, 0)
    for _, tier, count in by_month:
        now[tier] = now.get(tier, 0) + count
    return now, trend


def _joined_since(session: Session, since: datetime) -> int:
    return session.scalar(select(func.count()).select_from(Member)
                          .where(Member.created_at >= since)) or 0


def _active(session: Session, today: date, windows: tuple[int, ...]) -> dict[int, int]:
    """Members who bought in each window of days (one pass over the purchases index)."""
    since = {days: shanghai_midnight(today - timedelta(days=days - 1)) for days in windows}
    counts = session.execute(
        select(*(func.count(func.distinct(Purchase.member_id))
                 .filter(Purchase.created_at >= since[days]) for days in windows))
        .where(Purchase.created_at >= min(since.values()))).one()
    return {days: int(count or 0) for days, count in zip(windows, counts, strict=True)}


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


def _redemption(window: int, merchants: dict) -> Redemption:
    """Points redeemed and issued (at merchants and for bill payments) over the window."""
    return Redemption(window, sum(f.points_issued for f in merchants.values()),
                      sum(f.points_redeemed for f in merchants.values()))


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
