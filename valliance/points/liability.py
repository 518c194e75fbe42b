"""What the alliance owes its members in points: balances, points owed back, and what expires.

Grouped by a column of the members table (their tier), reached by name through the shared
metadata, as sales.py reaches purchases: points imports no feature package. Two statements,
each one pass: member accounts joined to members (the unique points_account_id), and the open
lots due within the longest horizon (the partial index ix_lots_due on expires_at).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from valliance.db import Base
from valliance.points.accounts import BALANCE, accounts
from valliance.points.models import Lot
from valliance.points.rules import MEMBER

lots = Lot.__table__


@dataclass
class Outstanding:
    """One group's member accounts: how many, the points they hold and the points they owe."""

    accounts: int = 0
    points: int = 0
    #: points members owe after a reversal found too few (collected from their next credits)
    owed: int = 0
    owing_accounts: int = 0


def _group_column(column: str):
    return Base.metadata.tables["members"].c[column]


def outstanding_by(session: Session, column: str = "tier") -> dict[str | None, Outstanding]:
    """Member accounts grouped by a members column (None: an account without a member)."""
    members = Base.metadata.tables["members"]
    group = _group_column(column)
    rows = session.execute(
        select(group, func.count(), func.coalesce(func.sum(BALANCE), 0),
               func.coalesce(func.sum(accounts.c.owed), 0),
               func.count(case((accounts.c.owed > 0, 1))))
        .select_from(accounts.outerjoin(members, members.c.points_account_id == accounts.c.id))
        .where(accounts.c.kind == MEMBER)
        .group_by(group)
    ).all()
    return {key: Outstanding(int(n), int(points), int(owed), int(owing))
            for key, n, points, owed, owing in rows}


def expiring_by(session: Session, now: datetime, days: tuple[int, ...],
                column: str = "tier") -> dict[str | None, tuple[int, ...]]:
    """Points in open lots that expire before now + each of `days` (cumulative; lots already
    past their date and not yet swept by expire_due count in every horizon), by group."""
    members = Base.metadata.tables["members"]
    group = _group_column(column)
    horizons = [now + timedelta(days=d) for d in days]
    last = max(horizons)  # the WHERE keeps only lots before the last horizon: no CASE for it
    sums = [func.coalesce(func.sum(lots.c.remaining if moment == last else case(
        (lots.c.expires_at < moment, lots.c.remaining), else_=0)), 0) for moment in horizons]
    rows = session.execute(
        select(group, *sums)
        .select_from(lots.outerjoin(members, members.c.points_account_id == lots.c.account_id))
        .where(lots.c.remaining > 0, lots.c.expires_at < last)
        .group_by(group)
    ).all()
    return {row[0]: tuple(int(value) for value in row[1:]) for row in rows}
