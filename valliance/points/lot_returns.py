"""A refund's points go back into the lots they were spent from, with those lots' expiry.

A redemption records the lots it took points from (lot_draws, `record_draws`). When a refund
returns some of its points (ledger.reverse of a redemption), `restore` puts them back into
those lots, the latest-expiring first (the order most favourable to the member), never more
into a lot than the redemption took from it. Points that land in a lot whose date has already
passed expire at once, in the same transaction (an `expire` transfer to breakage, counted in
the lot's `expired`): the refund puts the member where they would be had they never spent
them. A redemption recorded before lot draws existed has none: its points open a fresh lot
with the default expiry, as every return did before.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update

from valliance.points.adapters.generic import debit_member, lots, record
from valliance.points.expiry import expire_stmt
from valliance.points.models import LotDraw
from valliance.points.rules import EXPIRE

draws = LotDraw.__table__

_restore_stmt = (
    update(lots).where(lots.c.transfer_id == bindparam("lot"))
    .values(remaining=lots.c.remaining + bindparam("take"))
)
_returned_stmt = (
    update(draws).where(draws.c.transfer_id == bindparam("redemption"),
                        draws.c.lot_id == bindparam("lot"))
    .values(returned=draws.c.returned + bindparam("take"))
)


@dataclass(frozen=True)
class Restored:
    lot: int
    points: int
    expires_at: datetime


def record_draws(conn, redemption: int, taken: list[tuple[int, int]]) -> None:
    """Remember which lots a redemption took its points from: [(lot id, points)]."""
    if taken:
        conn.execute(draws.insert(), [{"transfer_id": redemption, "lot_id": lot, "points": take,
                                       "returned": 0} for lot, take in taken])


def restore(conn, redemption: int, points: int) -> list[Restored]:
    """Put up to `points` of a redemption back into the lots it spent (latest-expiring first);
    what went where. The caller credits the member's balance."""
    rows = conn.execute(
        select(draws.c.lot_id, draws.c.points - draws.c.returned, lots.c.expires_at)
        .join(lots, lots.c.transfer_id == draws.c.lot_id)
        .where(draws.c.transfer_id == redemption, draws.c.points > draws.c.returned)
        .order_by(lots.c.expires_at.desc(), draws.c.lot_id.desc())
    ).all()
    restored, left = [], points
    for lot, open_points, expires_at in rows:
        take = min(open_points, left)
        if take <= 0:
            break
        conn.execute(_restore_stmt, {"lot": lot, "take": take})
        conn.execute(_returned_stmt, {"redemption": redemption, "lot": lot, "take": take})
        restored.append(Restored(lot, take, expires_at))
        left -= take
    return restored


def expire_restored(conn, member: int, restored: list[Restored], now: datetime,
                    breakage: int) -> tuple[int, int | None]:
    """Expire at once what went back into lots past their date: (points, balance after)."""
    balance, expired = None, 0
    for part in restored:
        if part.expires_at <= now:
            balance = debit_member(conn, member, part.points)
            record(conn, member, breakage, part.points, EXPIRE, "expire", now,
                   {member: balance})
            conn.execute(expire_stmt, {"lot": part.lot, "take": part.points})
            expired += part.points
    return expired, balance

