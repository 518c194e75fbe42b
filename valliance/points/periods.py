"""Net points through accounts per period of time: what a merchant issued and had redeemed,
month by month, for the back office's merchant file (read from `entries`, the ledger's own
table, so that nothing outside `points/` reads it)."""

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from valliance.points.models import Entry

entries = Entry.__table__


def net_by_period(session: Session, account_ids: list[int], bounds: list[datetime]
                  ) -> dict[int, list[int]]:
    """Per account, the net of its entries (+ credits, − debits) in each period
    [bounds[i], bounds[i+1]); bounds ascending, UTC. Accounts with nothing get zeros."""
    periods = len(bounds) - 1
    result = {account_id: [0] * periods for account_id in account_ids}
    if periods < 1 or not account_ids:
        return result
    e = entries.c
    period = case(*[(e.created_at < bounds[i + 1], i) for i in range(periods)])
    rows = session.execute(
        select(e.account_id, period.label("period"), func.sum(e.amount))
        .where(e.account_id.in_(account_ids), e.created_at >= bounds[0],
               e.created_at < bounds[-1])
        .group_by(e.account_id, period)).all()
    for account_id, index, net in rows:
        result[account_id][int(index)] += int(net or 0)
    return result
