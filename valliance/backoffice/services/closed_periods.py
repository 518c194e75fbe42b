"""Members by tier at each closed month's end, and each day's 114 referrals once final.

Both are written once, by alliance_days.roll_up (the rollup's one write path), and read back
with the open months and days computed live by the same functions:

- a month is closed from the second day of the next month: members keep their joining time
  and tier changes are recorded with the time they are made, so its end is what it was (a
  yearly review re-run later with corrected spend amends or drops that year's changes: the
  stored months keep the tiers members held then, the open months show the correction);
- a referral converts when the member buys at the merchant within 7 days, so a day's
  conversions are final 7 days after it ends (with one more day for what is in flight).
"""

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from valliance import points
from valliance.backoffice.dashboard_models import AllianceReferralDay, AllianceTierMonth
from valliance.directory.models import Referral
from valliance.directory.services import CONVERSION_DAYS, converted_clause
from valliance.members.models import TIERS, Member, TierChange
from valliance.merchants.services.reports import shanghai_midnight

#: a referral's day is final once this many days have begun since
FINAL_AFTER_DAYS = CONVERSION_DAYS + 2


def next_month(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def insert_missing(session: Session, table, rows: list[dict], keys: list[str]) -> None:
    """INSERT the rows, skipping any a concurrent request has just written (same keys)."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    conn.execute(insert(table).on_conflict_do_nothing(index_elements=keys), rows)


def tiers_at(session: Session, ends: list[datetime], joined_since: tuple[datetime, ...] = ()
             ) -> tuple[dict[str, int], list[dict], list[int]]:
    """Members by tier now, and just before each instant: rebuilt backwards from the tiers they
    hold now and the tier changes since (members who joined after an instant are not in it);
    and how many joined since each of joined_since (the same pass over the members)."""
    rows = session.execute(
        select(Member.tier, *(func.count().filter(Member.created_at < end) for end in ends),
               *(func.count().filter(Member.created_at >= since) for since in joined_since),
               func.count()).group_by(Member.tier)).all()
    now = dict.fromkeys(TIERS, 0)
    months = [dict.fromkeys(TIERS, 0) for _ in ends]
    joined = [0] * len(joined_since)
    for tier, *counts, total in rows:
        now[tier] = total
        for month, count in zip(months, counts[:len(ends)], strict=True):
            month[tier] = count
        joined = [a + b for a, b in zip(joined, counts[len(ends):], strict=True)]
    if not ends:
        return now, months, joined
    # members there at an instant whose tier changed after it: undo each change
    undo = session.execute(
        select(TierChange.from_tier, TierChange.to_tier,
               *(func.count().filter(Member.created_at < end, TierChange.created_at >= end)
                 for end in ends))
        .join(Member, Member.id == TierChange.member_id)
        .where(TierChange.created_at >= min(ends))
        .group_by(TierChange.from_tier, TierChange.to_tier)).all()
    for from_tier, to_tier, *counts in undo:
        for month, count in zip(months, counts, strict=True):
            month[to_tier] = month.get(to_tier, 0) - count
            month[from_tier] = month.get(from_tier, 0) + count
    return now, months, joined


def _closed_months(starts: list[date], today: date) -> list[date]:
    return [start for start in starts if next_month(start) + timedelta(days=1) <= today]


def roll_up_tier_months(session: Session, starts: list[date], today: date) -> int:
    """Store the tiers at the end of every closed month not stored yet; flush. Months stored."""
    closed = _closed_months(starts, today)
    done = set(session.scalars(select(AllianceTierMonth.month).distinct()
                               .where(AllianceTierMonth.month.in_(closed))))
    missing = [start for start in closed if start not in done]
    if missing:
        _, counts, _ = tiers_at(session, [shanghai_midnight(next_month(m)) for m in missing])
        insert_missing(session, AllianceTierMonth.__table__,
                       [{"month": month, "tier": tier, "members": by_tier.get(tier, 0)}
                        for month, by_tier in zip(missing, counts, strict=True)
                        for tier in TIERS], ["month", "tier"])
    return len(missing)


def tier_trend(session: Session, starts: list[date], today: date,
               joined_since: tuple[date, ...] = ()
               ) -> tuple[dict[str, int], list[dict[str, int]], list[int]]:
    """Members by tier now, and at the end of each month (this month: now); and how many
    joined since each Shanghai day of joined_since."""
    stored: dict[date, dict[str, int]] = {}
    for month, tier, members in session.execute(
            select(AllianceTierMonth.month, AllianceTierMonth.tier, AllianceTierMonth.members)
            .where(AllianceTierMonth.month >= starts[0])):
        stored.setdefault(date.fromisoformat(str(month)[:10]), {})[tier] = members
    open_months = [start for start in starts if start not in stored and start != starts[-1]]
    now, counts, joined = tiers_at(session,
                                   [shanghai_midnight(next_month(m)) for m in open_months],
                                   tuple(shanghai_midnight(day) for day in joined_since))
    stored.update(zip(open_months, counts, strict=True))
    stored[starts[-1]] = now
    return now, [stored[start] for start in starts], joined


def _referrals_by_day(session: Session, first: date, last: date) -> dict[date, tuple[int, int]]:
    day = points.shanghai_day(session, Referral.created_at).label("day")
    rows = session.execute(
        select(day, func.count(), func.count().filter(converted_clause(session)))
        .where(Referral.created_at >= shanghai_midnight(first),
               Referral.created_at < shanghai_midnight(last + timedelta(days=1)))
        .group_by(day))
    return {date.fromisoformat(str(when)[:10]): (count, int(converted or 0))
            for when, count, converted in rows}


def roll_up_referral_days(session: Session, first: date, today: date) -> int:
    """Store the referrals of every final day from `first` not stored yet; flush. Days stored."""
    last = today - timedelta(days=FINAL_AFTER_DAYS)
    if last < first:
        return 0
    done = set(session.scalars(select(AllianceReferralDay.day).where(
        AllianceReferralDay.day >= first, AllianceReferralDay.day <= last)))
    missing = [first + timedelta(days=i) for i in range((last - first).days + 1)
               if first + timedelta(days=i) not in done]
    if missing:
        found = _referrals_by_day(session, missing[0], missing[-1])
        insert_missing(session, AllianceReferralDay.__table__,
                       [{"day": day, "referrals": found.get(day, (0, 0))[0],
                         "conversions": found.get(day, (0, 0))[1]} for day in missing], ["day"])
    return len(missing)


def referrals(session: Session, first: date, today: date) -> tuple[int, int]:
    """Referrals made from `first` to today and how many converted (stored days, then live)."""
    last = today - timedelta(days=FINAL_AFTER_DAYS)
    referred, converted = session.execute(
        select(func.coalesce(func.sum(AllianceReferralDay.referrals), 0),
               func.coalesce(func.sum(AllianceReferralDay.conversions), 0))
        .where(AllianceReferralDay.day >= first, AllianceReferralDay.day <= last)).one()
    referred, converted = int(referred), int(converted)
    for count, conversions in _referrals_by_day(session, max(first, last + timedelta(days=1)),
                                                today).values():
        referred, converted = referred + count, converted + conversions
    return referred, converted
