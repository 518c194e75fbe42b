"""Members' most frequent merchants, kept for the segments' district filter.

Ranking every member's merchants means grouping every purchase (over a second for 1,000,000
purchases), too slow for a preview. So each scoring run (nightly, `flask rfm score`) writes
every member's most frequent merchant (segments.most_frequent_merchants, the rule in
segments.py's doc) with the moment the run began. The district filter then reads those rows
for members who have not bought since, and ranks live only the members who have (a day's
buyers): the answer is the rule's, worked out over all purchases, as long as purchases are
dated when recorded (a purchase imported later with an earlier date shows after the next run).
Before the first run everything is ranked live.
"""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ColumnElement, Select, delete, func, insert, literal, or_, select
from sqlalchemy.orm import Session

from valliance.db import utcnow
from valliance.marketing.models import HomeMerchant
from valliance.members.models import Member
from valliance.merchants.models import Merchant, Purchase

homes = HomeMerchant.__table__


def refresh(session: Session, ranked: Select, now: datetime | None = None) -> int:
    """Replace every row with `ranked` (a SELECT of member_id, merchant_id); flushed; how many
    rows. Their computed_at is the moment given, which must not be later than the run's
    start."""
    now = now or utcnow()
    session.execute(delete(HomeMerchant))
    ranked = ranked.subquery("ranked")
    session.execute(insert(homes).from_select(
        ["member_id", "merchant_id", "computed_at"],
        select(ranked.c.member_id, ranked.c.merchant_id, literal(now, homes.c.computed_at.type))))
    session.flush()
    return session.scalar(select(func.count()).select_from(homes))


def last_run(session: Session) -> datetime | None:
    """When the stored rows were computed (None: never, or nobody had bought)."""
    return session.scalar(select(func.max(homes.c.computed_at)))


def in_districts(districts, since: datetime, live: Callable[[Select], Select]) -> ColumnElement:
    """Members whose most frequent merchant is in one of these districts: the stored rows of
    members who have not bought since `since`, and live(ids) — a SELECT of (member_id,
    merchant_id) ranked over those members' purchases — for those who have."""
    in_district = select(Merchant.id).where(Merchant.district.in_(districts))
    recent = select(Purchase.member_id).where(Purchase.created_at >= since).correlate(None)
    stored = select(homes.c.member_id).where(homes.c.merchant_id.in_(in_district),
                                             homes.c.member_id.not_in(recent))
    fresh = live(recent).subquery("fresh")
    return or_(Member.id.in_(stored),
               Member.id.in_(select(fresh.c.member_id)
                             .where(fresh.c.merchant_id.in_(in_district))))
