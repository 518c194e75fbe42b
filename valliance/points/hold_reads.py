"""Reading holds: a member's points held now, and what points spent on bills cost the alliance.

Points spent on telecom bills go to the alliance's bills account (never a merchant's), so
what they cost is that account's balance: captured holds less what refunds returned.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from valliance.points.accounts import accounts, entries
from valliance.points.hold_models import CAPTURED, PENDING, RELEASED, Hold
from valliance.points.rules import ALLIANCE_BILLS, ALLIANCE_OWNER

holds = Hold.__table__


@dataclass(frozen=True)
class HeldPoints:
    id: int
    points: int
    reference: str
    created_at: datetime
    expires_at: datetime


@dataclass
class BillPointsFigures:
    #: points spent on bills, net of what refunds returned (the alliance's cost)
    spent: int = 0
    #: bills paid partly with points (captured holds)
    bills: int = 0
    #: members who paid a bill with points
    members: int = 0
    held: int = 0
    held_count: int = 0
    released: int = 0
    released_count: int = 0


def held_points(session: Session, account_id: int) -> list[HeldPoints]:
    """A member's pending holds, newest first (the points history shows them as pending)."""
    rows = session.execute(
        select(holds.c.id, holds.c.amount, holds.c.reference, holds.c.created_at,
               holds.c.expires_at)
        .where(holds.c.account_id == account_id, holds.c.status == PENDING)
        .order_by(holds.c.id.desc())).all()
    return [HeldPoints(*row) for row in rows]


def bill_points_figures(session: Session, *, since: datetime | None = None) -> BillPointsFigures:
    """Points spent on bills, bills and members, points held now and released (holds made
    since `since`, or all)."""
    query = (select(holds.c.status, func.count(), func.coalesce(func.sum(holds.c.amount), 0),
                    func.count(func.distinct(holds.c.account_id)))
             .group_by(holds.c.status))
    if since is not None:
        query = query.where(holds.c.created_at >= since)
    figures = BillPointsFigures()
    for status, count, points, members in session.execute(query).all():
        if status == CAPTURED:
            figures.bills, figures.members = int(count), int(members)
        elif status == PENDING:
            figures.held, figures.held_count = int(points), int(count)
        elif status == RELEASED:
            figures.released, figures.released_count = int(points), int(count)
    spent = select(func.coalesce(func.sum(entries.c.amount), 0)).select_from(
        entries.join(accounts, accounts.c.id == entries.c.account_id)).where(
        accounts.c.kind == ALLIANCE_BILLS, accounts.c.owner_id == ALLIANCE_OWNER)
    if since is not None:
        spent = spent.where(entries.c.created_at >= since)
    figures.spent = int(session.scalar(spent) or 0)
    return figures
