"""Sales and points per Shanghai day and merchant: closed days from the rollup, recent days live.

`roll_up` is the one writer of `alliance_days`. It writes each closed day once — every day
before yesterday (Shanghai), so a transfer stamped just before midnight and committed just
after is never missed — from the same queries that read the recent days live: a day's
figures are the same whether read from the rollup or live. Purchases keep their day and
amount; the ledger is append-only and a refund counts on the day it is made, so a closed
day never changes. (A history written afterwards with past dates, as `flask demo seed` does,
belongs in an alliance whose dashboard has not been opened yet.)
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from valliance import points
from valliance.backoffice.dashboard_models import ALL_MERCHANTS, NO_MERCHANT, AllianceDay
from valliance.backoffice.services import buyers, closed_periods
from valliance.merchants.models import Purchase
from valliance.merchants.services.reports import shanghai_midnight

#: today and yesterday are read live; earlier days from the rollup
LIVE_DAYS = 2


@dataclass
class DayFigures:
    purchases: int = 0
    sales: int = 0  #: fen, list price
    points_issued: int = 0
    points_redeemed: int = 0

    def add(self, other: "DayFigures") -> None:
        self.purchases += other.purchases
        self.sales += other.sales
        self.points_issued += other.points_issued
        self.points_redeemed += other.points_redeemed


def last_closed_day(today: date) -> date:
    return today - timedelta(days=LIVE_DAYS)


def live(session: Session, first: date, last: date) -> dict[tuple[date, str], DayFigures]:
    """Figures per (day, merchant id; NO_MERCHANT for bill payments, ALL_MERCHANTS for the
    sum of the merchants) read from the purchases and the ledger, for the days first..last."""
    since, until = shanghai_midnight(first), shanghai_midnight(last + timedelta(days=1))
    day = points.shanghai_day(session, Purchase.created_at).label("day")
    found: dict[tuple[date, str], DayFigures] = {}
    for when, merchant_id, count, amount in session.execute(
            select(day, Purchase.merchant_id, func.count(), func.sum(Purchase.amount))
            .where(Purchase.created_at >= since, Purchase.created_at < until)
            .group_by(day, Purchase.merchant_id)):
        found[(date.fromisoformat(str(when)[:10]), merchant_id)] = DayFigures(
            purchases=count, sales=int(amount or 0))
    for (when, merchant_id), moved in points.points_by_day(session, since, until).items():
        figures = found.setdefault((when, merchant_id or NO_MERCHANT), DayFigures())
        figures.points_issued += moved.issued
        figures.points_redeemed += moved.redeemed
    return _with_totals(found)


def _with_totals(found: dict[tuple[date, str], DayFigures]) -> dict:
    """Add each day's ALL_MERCHANTS row: the sum of its merchants' rows."""
    totals: dict[tuple[date, str], DayFigures] = {}
    for (day, merchant_id), figures in found.items():
        if merchant_id != NO_MERCHANT:
            totals.setdefault((day, ALL_MERCHANTS), DayFigures()).add(figures)
    return {**found, **totals}


def roll_up(session: Session, first: date, today: date) -> int:
    """Write the rollup of every closed day, month and final referral day from `first` not
    written yet (the rollup's one write path); flush. Days of trade written."""
    month = first.replace(day=1)
    months = []
    while month <= today:
        months.append(month)
        month = closed_periods.next_month(month)
    closed_periods.roll_up_tier_months(session, months, today)
    closed_periods.roll_up_referral_days(session, first, today)
    return _roll_up_days(session, first, today)


def _roll_up_days(session: Session, first: date, today: date) -> int:
    last = last_closed_day(today)
    if last < first:
        return 0
    done = set(session.scalars(select(AllianceDay.day).where(
        AllianceDay.merchant_id == ALL_MERCHANTS, AllianceDay.day >= first,
        AllianceDay.day <= last)))
    missing = [first + timedelta(days=i) for i in range((last - first).days + 1)
               if first + timedelta(days=i) not in done]
    if not missing:
        return 0
    found = live(session, missing[0], missing[-1])
    for day in missing:  # every day gets both rows: ALL_MERCHANTS marks it rolled up
        found.setdefault((day, NO_MERCHANT), DayFigures())
        found.setdefault((day, ALL_MERCHANTS), DayFigures())
    wanted = set(missing)
    rows = [{"day": day, "merchant_id": merchant_id, **vars(figures)}
            for (day, merchant_id), figures in sorted(found.items()) if day in wanted]
    closed_periods.insert_missing(session, AllianceDay.__table__, rows, ["merchant_id", "day"])
    buyers.roll_up(session, missing[0], missing[-1])
    return len(missing)


def _figures(row) -> DayFigures:
    return DayFigures(*(int(value or 0) for value in row))


def by_day(session: Session, first: date, today: date, recent: dict
           ) -> tuple[dict[date, DayFigures], dict[date, DayFigures]]:
    """Per day, first..today: what happened at merchants, and the points of bill payments."""
    at_merchants: dict[date, DayFigures] = {}
    elsewhere: dict[date, DayFigures] = {}
    rows = session.execute(
        select(AllianceDay.merchant_id, AllianceDay.day, AllianceDay.purchases,
               AllianceDay.sales, AllianceDay.points_issued, AllianceDay.points_redeemed)
        .where(AllianceDay.merchant_id.in_((ALL_MERCHANTS, NO_MERCHANT)),
               AllianceDay.day >= first, AllianceDay.day <= last_closed_day(today)))
    for merchant_id, day, *figures in rows:
        into = at_merchants if merchant_id == ALL_MERCHANTS else elsewhere
        into[date.fromisoformat(str(day)[:10])] = _figures(figures)
    for (day, merchant_id), figures in recent.items():
        if day >= first and merchant_id in (ALL_MERCHANTS, NO_MERCHANT):
            into = at_merchants if merchant_id == ALL_MERCHANTS else elsewhere
            into.setdefault(day, DayFigures()).add(figures)
    return at_merchants, elsewhere


def by_merchant(session: Session, first: date, today: date, recent: dict
                ) -> dict[str, DayFigures]:
    """Each merchant's figures over first..today."""
    columns = (func.sum(AllianceDay.purchases), func.sum(AllianceDay.sales),
               func.sum(AllianceDay.points_issued), func.sum(AllianceDay.points_redeemed))
    merchants = {row[0]: _figures(row[1:]) for row in session.execute(
        select(AllianceDay.merchant_id, *columns)
        .where(AllianceDay.day >= first, AllianceDay.day <= last_closed_day(today),
               AllianceDay.merchant_id.notin_((ALL_MERCHANTS, NO_MERCHANT)))
        .group_by(AllianceDay.merchant_id))}
    for (day, merchant_id), figures in recent.items():
        if day >= first and merchant_id not in (ALL_MERCHANTS, NO_MERCHANT):
            merchants.setdefault(merchant_id, DayFigures()).add(figures)
    return merchants
