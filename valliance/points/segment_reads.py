"""Member accounts picked by their points, as selectables other packages filter with
(marketing's segments): a balance in a range, points expiring soon."""

from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from valliance.db import select_where_in
from valliance.points.accounts import BALANCE, accounts
from valliance.points.models import Lot
from valliance.points.rules import MEMBER

lots = Lot.__table__


def accounts_with_balance(low: int | None, high: int | None) -> Select:
    """SELECT of member account ids whose posted balance is within [low, high] (None: open)."""
    query = select(accounts.c.id).where(accounts.c.kind == MEMBER)
    if low is not None:
        query = query.where(low <= BALANCE)
    if high is not None:
        query = query.where(high >= BALANCE)
    return query


def accounts_with_points_expiring(before: datetime) -> Select:
    """SELECT of account ids holding points (an open lot) that expire before this moment."""
    return (select(lots.c.account_id)
            .where(lots.c.remaining > 0, lots.c.expires_at < before))


def points_expiring_by(session: Session, account_ids: list[int], before: datetime
                       ) -> dict[int, tuple[int, datetime]]:
    """account id → (points expiring before this moment, when the soonest of them expire), for
    those of these accounts that have any (a campaign message's {expiring_points})."""
    query = (select(lots.c.account_id, func.sum(lots.c.remaining), func.min(lots.c.expires_at))
             .where(lots.c.remaining > 0, lots.c.expires_at < before)
             .group_by(lots.c.account_id))
    rows = select_where_in(session, query, lots.c.account_id, sorted(set(account_ids)))
    return {account: (int(points), soonest) for account, points, soonest in rows}
