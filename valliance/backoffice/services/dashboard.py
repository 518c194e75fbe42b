"""The alliance dashboard's figures: members, sales and points through alliance merchants.

Windows are Asia/Shanghai calendar days, today included: "the last 30 days" starts at the
midnight 29 days before today; "the last 12 months" starts on the 1st of the month 11 months
before this one. Sales are purchases at list price (`amount`), refunds not deducted; points come
from the ledger (valliance.points.points_by_day, which defines issued and redeemed).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from valliance import points
from valliance.db import today_shanghai, utcnow
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
    """Every figure of the dashboard except the channels and the work waiting (see others)."""
    today = today or today_shanghai()
    starts = month_starts(today)
    first_day = today - timedelta(days=DAYS - 1)
    daily, monthly, ledger_days = _sales_and_points(session, today, starts, first_day)
    redemption = [_redemption(ledger_days, today, days) for days in (30, 90)]
    return Figures(
        today=today, tiers=_tier_counts(session), trend=_tier_trend(session, today, starts),
        new_this_month=_joined_since(session, shanghai_midnight(today.replace(day=1))),
        new_30_days=_joined_since(session, shanghai_midnight(first_day)),
        active={days: _active(session, today, days) for days in (30, 90)},
        daily=daily, monthly=monthly, top=_top(session, shanghai_midnight(first_day)),
        redemption=redemption, outstanding_points=points.outstanding_points(session))


# --- members ------------------------------------------------------------------------------

def _tier_counts(session: Session) -> dict[str, int]:
    counts = dict.fromkeys(TIERS, 0)
    counts.update(dict(session.execute(
        select(Member.tier, func.count()).group_by(Member.tier)).all()))
    return counts


def _month_of(session: Session, column):
    """SQL: the Shanghai month (YYYY-MM) of a timestamp, as text."""
    return func.substr(cast(points.shanghai_day(session, column), String), 1, 7)


def _tier_trend(session: Session, today: date, starts: list[date]) -> list[TierMonth]:
    """Members by tier at the end of each month, rebuilt backwards from the tiers they hold now
    and the tier changes since (members joined after a month's end are not counted in it)."""
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
    return trend


def _joined_since(session: Session, since: datetime) -> int:
    return session.scalar(select(func.count()).select_from(Member)
                          .where(Member.created_at >= since)) or 0


def _active(session: Session, today: date, days: int) -> int:
    since = shanghai_midnight(today - timedelta(days=days - 1))
    return session.scalar(select(func.count(func.distinct(Purchase.member_id)))
                          .where(Purchase.created_at >= since)) or 0


# --- sales and points ---------------------------------------------------------------------

def _sales_and_points(session: Session, today: date, starts: list[date], first_day: date):
    since, until = shanghai_midnight(starts[0]), utcnow() + timedelta(days=1)
    day = points.shanghai_day(session, Purchase.created_at).label("day")
    sold = session.execute(
        select(day, func.count(), func.sum(Purchase.amount))
        .where(Purchase.created_at >= since).group_by(day)).all()
    by_day: dict[date, Period] = {}
    for when, count, amount in sold:
        when = date.fromisoformat(str(when)[:10])
        by_day[when] = Period(when, when, purchases=count, sales=int(amount or 0))
    ledger_days = points.points_by_day(session, since, until)
    for when, moved in ledger_days.items():
        period = by_day.setdefault(when, Period(when, when))
        period.points_issued, period.points_redeemed = moved.merchant_issued, moved.redeemed
    daily = [by_day.get(first_day + timedelta(days=i),
                        Period(first_day + timedelta(days=i), first_day + timedelta(days=i)))
             for i in range(DAYS)]
    monthly = [Period(start, _month_end(start, today)) for start in starts]
    for when, period in by_day.items():
        for month in monthly:
            if month.first <= when <= month.last:
                month.purchases += period.purchases
                month.sales += period.sales
                month.points_issued += period.points_issued
                month.points_redeemed += period.points_redeemed
    return daily, monthly, ledger_days


def _redemption(ledger_days: dict, today: date, days: int) -> Redemption:
    """Points redeemed and issued over the last `days` days (within the 12 months read)."""
    moved = points.DayPoints()
    for when, figures_of_day in ledger_days.items():
        if today - timedelta(days=days - 1) <= when <= today:
            moved.add(figures_of_day)
    return Redemption(days, moved.issued, moved.redeemed)


def _top(session: Session, since: datetime) -> list[TopMerchant]:
    sales = func.sum(Purchase.amount).label("sales")
    ranked = (select(Purchase.merchant_id, func.count().label("purchases"), sales)
              .where(Purchase.created_at >= since).group_by(Purchase.merchant_id)
              .order_by(sales.desc(), Purchase.merchant_id).limit(TOP).subquery())
    rows = session.execute(
        select(Merchant.id, Merchant.name, Merchant.district, ranked.c.purchases,
               ranked.c.sales).join(ranked, ranked.c.merchant_id == Merchant.id)
        .order_by(ranked.c.sales.desc(), Merchant.id)).all()
    return [TopMerchant(row[0], row[1], row[2], row[3], int(row[4])) for row in rows]
