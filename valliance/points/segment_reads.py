"""Member accounts picked by their points, as selectables other packages filter with
(marketing's segments): a balance in a range, points expiring soon."""

from datetime import datetime

from sqlalchemy import Select, select

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
