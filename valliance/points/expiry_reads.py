"""Reading what expires when: the lots expiring in a window (expiry reminders), a member's
upcoming expiry by day (the portal), what became of reminded lots and the breakage by month
(the programme page)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from valliance.db import SHANGHAI, select_where_in
from valliance.points.expiry import last_day
from valliance.points.models import Lot, Transfer
from valliance.points.rules import EXPIRE

lots = Lot.__table__
transfers = Transfer.__table__


@dataclass(frozen=True)
class ExpiringLots:
    """Open lots of one account expiring at one moment."""

    expires_at: datetime
    points: int

    @property
    def last_day(self) -> date:
        return last_day(self.expires_at)


def lots_expiring(session: Session, *, now: datetime, until: datetime, after: int = 0,
                  limit: int = 500) -> dict[int, list[ExpiringLots]]:
    """account id → its open lots expiring after now and at or before until, by moment
    (soonest first), for the next `limit` accounts with ids above `after` that have any."""
    window = (lots.c.remaining > 0, lots.c.expires_at > now, lots.c.expires_at <= until)
    accounts = select(lots.c.account_id).where(*window, lots.c.account_id > after).distinct() \
        .order_by(lots.c.account_id).limit(limit).subquery()
    rows = session.execute(
        select(lots.c.account_id, lots.c.expires_at, func.sum(lots.c.remaining))
        .where(*window, lots.c.account_id.in_(select(accounts.c.account_id)))
        .group_by(lots.c.account_id, lots.c.expires_at)
        .order_by(lots.c.account_id, lots.c.expires_at)).all()
    found: dict[int, list[ExpiringLots]] = defaultdict(list)
    for account, expires_at, points in rows:
        found[account].append(ExpiringLots(expires_at, int(points)))
    return dict(found)


def upcoming_expiry(session: Session, account_id: int, *, now: datetime, until: datetime
                    ) -> list[tuple[date, int]]:
    """The member's points still open by the last day they can be spent, soonest first, for
    lots expiring after now and at or before until."""
    rows = session.execute(
        select(lots.c.expires_at, func.sum(lots.c.remaining))
        .where(lots.c.account_id == account_id, lots.c.remaining > 0,
               lots.c.expires_at > now, lots.c.expires_at <= until)
        .group_by(lots.c.expires_at).order_by(lots.c.expires_at)).all()
    by_day: dict[date, int] = {}
    for expires_at, points in rows:
        day = last_day(expires_at)
        by_day[day] = by_day.get(day, 0) + int(points)
    return list(by_day.items())


@dataclass(frozen=True)
class LotOutcome:
    #: points of these lots that expired
    expired: int
    #: points still open
    remaining: int


def lot_outcomes(session: Session, pairs: list[tuple[int, datetime]]
                 ) -> dict[tuple[int, datetime], LotOutcome]:
    """(account id, expiry moment) → what its lots' points became (expired, still open)."""
    wanted = set(pairs)
    query = (select(lots.c.account_id, lots.c.expires_at, func.sum(lots.c.expired),
                    func.sum(lots.c.remaining))
             .group_by(lots.c.account_id, lots.c.expires_at))
    rows = select_where_in(session, query, lots.c.account_id,
                           sorted({account for account, _ in wanted}))
    return {(account, expires_at): LotOutcome(int(expired), int(remaining))
            for account, expires_at, expired, remaining in rows
            if (account, expires_at) in wanted}


def expired_by_month(session: Session, *, since: datetime) -> list[tuple[str, int]]:
    """Points expired (moved to breakage) per Asia/Shanghai month since then: [("2026-12",
    points)], oldest first."""
    rows = session.execute(
        select(transfers.c.created_at, func.sum(transfers.c.amount))
        .where(transfers.c.code == EXPIRE, transfers.c.created_at >= since)
        .group_by(transfers.c.created_at)).all()
    months: dict[str, int] = defaultdict(int)
    for at, points in rows:  # one row per expiry run (a run dates its transfers alike)
        months[at.astimezone(SHANGHAI).strftime("%Y-%m")] += int(points)
    return sorted(months.items())
