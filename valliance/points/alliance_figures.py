"""What the alliance dashboard reads from the ledger: points moved per Shanghai day and
merchant, and the points members hold. Read-only; the definitions live here, beside the
ledger they read.

Per day (Asia/Shanghai calendar days, by each transfer's created_at) and merchant (None for
what no merchant moved: bill payments and their refunds):

- **issued**: points credited to members for purchases and bill payments (`accrue`,
  `payment`), less what refunds took back (`reverse`);
- **redeemed**: points members spent at merchants (`redeem`), less what refunds gave back
  (`return`); points spent on telecom bills (积分抵话费, a `redeem` to the alliance's bills
  account) count here under no merchant, beside the bill payments' points.

Staff adjustments and expiry are neither issued nor redeemed here.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

from valliance.points.models import Account, Transfer
from valliance.points.rules import MEMBER

transfers = Transfer.__table__
accounts = Account.__table__

#: the transfer kinds that count, and the sign each brings to (issued, redeemed)
_SIGNS = {"accrue": (1, 0), "payment": (1, 0), "reward": (1, 0), "reverse": (-1, 0),
          "redeem": (0, 1), "return": (0, -1)}


@dataclass
class DayPoints:
    issued: int = 0
    redeemed: int = 0


def shanghai_day(session: Session, column):
    """SQL: the Asia/Shanghai calendar day of a UTC timestamp (Shanghai keeps no DST)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(column + literal_column("interval '8 hours'"))
    return func.date(column, "+8 hours")


def points_by_day(session: Session, since: datetime, until: datetime
                  ) -> dict[tuple[date, str | None], DayPoints]:
    """Points issued and redeemed per (Shanghai day, merchant id or None), for transfers
    created in [since, until)."""
    day = shanghai_day(session, transfers.c.created_at).label("day")
    rows = session.execute(
        select(day, transfers.c.merchant_id, transfers.c.kind, func.sum(transfers.c.amount))
        .where(transfers.c.created_at >= since, transfers.c.created_at < until,
               transfers.c.kind.in_(tuple(_SIGNS)))
        .group_by(day, transfers.c.merchant_id, transfers.c.kind)).all()
    found: dict[tuple[date, str | None], DayPoints] = {}
    for when, merchant_id, kind, amount in rows:
        issued_sign, redeemed_sign = _SIGNS[kind]
        figures = found.setdefault((date.fromisoformat(str(when)[:10]), merchant_id),
                                   DayPoints())
        figures.issued += issued_sign * int(amount)
        figures.redeemed += redeemed_sign * int(amount)
    return found


def outstanding_points(session: Session) -> int:
    """Every member's balance, summed: the points the alliance still owes its members."""
    return int(session.execute(
        select(func.coalesce(func.sum(accounts.c.credits_posted - accounts.c.debits_posted), 0))
        .where(accounts.c.kind == MEMBER)).scalar_one())
