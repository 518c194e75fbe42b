"""Which members a segment's filters name: members_of (a selectable of their ids, for
campaigns) and preview (how many, and a few of them), one SQL query for both.

Each filter is a condition on members (EXISTS / IN subqueries), so the count is a single
query. A member's district is the district of their most frequent merchant: the merchant
they bought at most often; on a tie, the one they bought at last, then the smaller merchant
id. Purchases count whatever was refunded since; members who never bought have no district.
It is worked out in one grouped pass over the purchases (a window ranks each member's
merchants), over the purchases of only the members the other filters leave: a subquery per
member was eight times slower (docs/benchmarks.md).
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from valliance.db import SHANGHAI, utcnow
from valliance.marketing.models import MemberScore
from valliance.marketing.services import home_merchants
from valliance.marketing.services.segment_filters import Filters, parse_filters
from valliance.members.models import Member
from valliance.merchants.models import Merchant, Purchase
from valliance.points import accounts_with_balance, accounts_with_points_expiring

__all__ = ["Filters", "Preview", "SampleMember", "members_of", "parse_filters", "preview"]


@dataclass(frozen=True)
class SampleMember:
    name: str
    phone: str
    tier: str
    #: the member's RFM cell, None when not scored yet
    cell: str | None


@dataclass(frozen=True)
class Preview:
    count: int
    sample: list[SampleMember]


def _bought(*conditions) -> ColumnElement:
    return exists(select(Purchase.id).where(Purchase.member_id == Member.id, *conditions)
                  .correlate(Member))


def most_frequent_merchants(among: Select | None = None) -> Select:
    """SELECT of (member_id, merchant_id): each member's most frequent merchant (see the
    module's doc), for the members whose ids `among` selects (None: every member who bought)."""
    rank = func.row_number().over(
        partition_by=Purchase.member_id,
        order_by=(func.count().desc(), func.max(Purchase.created_at).desc(),
                  Purchase.merchant_id))
    grouped = select(Purchase.member_id, Purchase.merchant_id, rank.label("rank"))
    if among is not None:
        grouped = grouped.where(Purchase.member_id.in_(among))
    ranked = grouped.group_by(Purchase.member_id, Purchase.merchant_id).subquery("ranked")
    return select(ranked.c.member_id, ranked.c.merchant_id).where(ranked.c.rank == 1)


def _in_districts(districts, others: list[ColumnElement]) -> ColumnElement:
    # The other filters narrow the purchases ranked (a few hundred members' instead of all);
    # their subquery stands alone (correlate(None)): it is not a condition on the outer member.
    among = select(Member.id).where(*others).correlate(None) if others else None
    top = most_frequent_merchants(among).subquery("top")
    return Member.id.in_(select(top.c.member_id).where(top.c.merchant_id.in_(
        select(Merchant.id).where(Merchant.district.in_(districts)))))


def _start_of(day) -> datetime:
    return datetime.combine(day, time(), SHANGHAI)


def birthday_on(day: date) -> ColumnElement:
    """Members whose birthday is this day; on February 28 of a year without a 29th, also
    those born on February 29."""
    today = and_(Member.birth_month == day.month, Member.birth_day == day.day)
    if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
        return or_(today, and_(Member.birth_month == 2, Member.birth_day == 29))
    return today


def conditions(filters: Filters, now: datetime, session: Session | None = None
               ) -> list[ColumnElement]:
    """The WHERE conditions on members that these filters make (with the session, the
    district filter reads the members' home merchants kept by the last scoring run)."""
    where: list[ColumnElement] = []
    if filters.tiers:
        where.append(Member.tier.in_(filters.tiers))
    if filters.rfm_cells:
        where.append(exists(select(MemberScore.member_id).where(
            MemberScore.member_id == Member.id, MemberScore.cell.in_(filters.rfm_cells))
            .correlate(Member)))
    if filters.inactive_min is not None:
        where.append(~_bought(
            Purchase.created_at > now - timedelta(days=filters.inactive_min)))
    if filters.inactive_max is not None:
        where.append(_bought(
            Purchase.created_at >= now - timedelta(days=filters.inactive_max)))
    if filters.purchases_min is not None:
        where.append(select(func.count(Purchase.id)).where(
            Purchase.member_id == Member.id, Purchase.refunded_amount < Purchase.amount)
            .correlate(Member).scalar_subquery() >= filters.purchases_min)
    if filters.balance_min is not None or filters.balance_max is not None:
        where.append(Member.points_account_id.in_(
            accounts_with_balance(filters.balance_min, filters.balance_max)))
    if filters.expiring_within is not None:
        where.append(Member.points_account_id.in_(accounts_with_points_expiring(
            now + timedelta(days=filters.expiring_within))))
    if filters.categories:
        where.append(_bought(exists(select(Merchant.id).where(
            Merchant.id == Purchase.merchant_id, Merchant.category.in_(filters.categories)))))
    if filters.merchants:
        where.append(_bought(Purchase.merchant_id.in_(filters.merchants)))
    if filters.joined_after is not None:
        where.append(Member.created_at >= _start_of(filters.joined_after))
    if filters.joined_before is not None:
        where.append(Member.created_at < _start_of(filters.joined_before + timedelta(days=1)))
    if filters.opted_in:
        where.append(Member.marketing_opt_in.is_(True))
    if filters.birthday_month is not None:
        where.append(Member.birth_month == filters.birthday_month)
    if filters.birthday_today:
        where.append(birthday_on(now.astimezone(SHANGHAI).date()))
    if filters.birthday_this_month:
        where.append(Member.birth_month == now.astimezone(SHANGHAI).month)
    since = home_merchants.last_run(session) if filters.districts and session else None
    if since is not None:
        where.append(home_merchants.in_districts(filters.districts, since,
                                                 most_frequent_merchants))
    elif filters.districts:
        # before any scoring run: the district's members are picked among those the other
        # filters leave (no need to test those filters a second time)
        return [_in_districts(filters.districts, where)]
    return where


def members_of(session: Session, filters: Filters, *, now: datetime | None = None) -> Select:
    """SELECT of the ids of the members these filters name (not run)."""
    return select(Member.id).where(and_(True, *conditions(filters, now or utcnow(), session)))


def preview(session: Session, filters: Filters, sample: int = 10, *,
            now: datetime | None = None) -> Preview:
    """How many members the filters name, and up to `sample` of them (newest members
    first): one query, which works the filters out once for both."""
    where = and_(True, *conditions(filters, now or utcnow(), session))
    if not sample:
        return Preview(session.scalar(select(func.count()).select_from(Member).where(where))
                       or 0, [])
    # The matching members are found first, then counted and the newest taken from them:
    # walking members newest first and testing each is far slower when few match.
    picked = select(Member.id, Member.created_at).where(where).cte("picked").prefix_with(
        "MATERIALIZED")
    count = select(func.count()).select_from(picked).scalar_subquery()
    rows = session.execute(
        select(count, Member.name, Member.phone, Member.tier, MemberScore.cell)
        .join(picked, picked.c.id == Member.id)
        .outerjoin(MemberScore, MemberScore.member_id == Member.id)
        .order_by(picked.c.created_at.desc(), picked.c.id).limit(sample)).all()
    # no row: nobody matched
    return Preview(rows[0][0] if rows else 0, [SampleMember(*row[1:]) for row in rows])
