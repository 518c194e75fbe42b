"""Reading members' points for the back office: many balances at once, and the points that
expire soonest (the lots still open, oldest expiry first)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from valliance.db import select_where_in
from valliance.points.accounts import BALANCE, accounts
from valliance.points.models import Lot
from valliance.points.rules import MEMBER

lots = Lot.__table__


@dataclass(frozen=True)
class ExpiringPoints:
    points: int
    expires_at: datetime


def member_balances(session: Session, account_ids: list[int]) -> dict[int, int]:
    """account id → posted balance, for these member accounts."""
    query = select(accounts.c.id, BALANCE).where(accounts.c.kind == MEMBER)
    return dict(select_where_in(session, query, accounts.c.id, sorted(set(account_ids))))


def expiring_points(session: Session, account_id: int, *, limit: int = 5
                    ) -> tuple[list[ExpiringPoints], int]:
    """The member's points by expiry date, soonest first (at most `limit` dates), and how many
    points have an expiry date at all."""
    soonest = session.execute(
        select(lots.c.expires_at, func.sum(lots.c.remaining))
        .where(lots.c.account_id == account_id, lots.c.remaining > 0)
        .group_by(lots.c.expires_at).order_by(lots.c.expires_at).limit(limit)).all()
    total = session.scalar(select(func.coalesce(func.sum(lots.c.remaining), 0))
                           .where(lots.c.account_id == account_id, lots.c.remaining > 0))
    return [ExpiringPoints(int(points), at) for at, points in soonest], int(total or 0)
