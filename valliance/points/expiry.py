"""When points expire (the year-end rule) and expiring them, a chunk of accounts at a time.

The year-end rule (POINTS_EXPIRE_AT_YEAR_END, default on): points earned in year Y
(Asia/Shanghai) can be spent until the end of 31 December of year Y + N, N being
POINTS_VALIDITY_DAYS in whole years (default 730 days: 2) — points earned on 2026-05-01 or on
2026-12-31 expire at the end of 2028-12-31, i.e. at 2029-01-01 00:00 Asia/Shanghai: at
least two years, and members have one date a year to remember. With the rule off, or a
validity shorter than a year (a pilot's 90 days), points expire exactly POINTS_VALIDITY_DAYS
after they were credited. A lot's last day is the
Shanghai day before its expiry moment (last_day), which is what members are told.

Expiring runs a chunk of member accounts at a time (expire_chunk: the caller commits each
chunk, see points.jobs). Each account's lots are read again under the account's row lock, so
a till that spends them at the same moment, a second run at once, or a run started again
after one that died never expires a point twice. On PostgreSQL a chunk skips the accounts
another transaction holds (SKIP LOCKED) and says which; the caller expires those at the end,
waiting for their locks.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app, has_app_context
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from valliance.db import SHANGHAI
from valliance.points.accounts import AVAILABLE, accounts, system_account
from valliance.points.adapters.generic import debit_member, lock_member, lots, record
from valliance.points.rules import ALLIANCE_BREAKAGE, EXPIRE, MEMBER

DEFAULT_VALIDITY_DAYS = 730
#: member accounts per chunk (each chunk is one transaction)
CHUNK = 500

expire_stmt = (
    update(lots)
    .where(lots.c.transfer_id == bindparam("lot"))
    .values(remaining=lots.c.remaining - bindparam("take"),
            expired=lots.c.expired + bindparam("take"))
)


def default_expiry(now: datetime) -> datetime:
    """When points credited now expire (the rule in the module's doc)."""
    days, year_end = DEFAULT_VALIDITY_DAYS, True
    if has_app_context():
        days = current_app.config.get("POINTS_VALIDITY_DAYS", DEFAULT_VALIDITY_DAYS)
        year_end = current_app.config.get("POINTS_EXPIRE_AT_YEAR_END", True)
    if not year_end or days < 365:  # a validity shorter than a year is taken as it is
        return now + timedelta(days=days)
    year = now.astimezone(SHANGHAI).year + max(1, days // 365)
    return datetime.combine(date(year + 1, 1, 1), time(), SHANGHAI).astimezone(now.tzinfo)


def last_day(expires_at: datetime) -> date:
    """The last Shanghai day on which points expiring at this moment can still be spent."""
    return (expires_at - timedelta(microseconds=1)).astimezone(SHANGHAI).date()


@dataclass
class ExpiryChunk:
    lots: int = 0
    points: int = 0
    #: accounts whose lots were expired (or found already expired)
    accounts: int = 0
    #: the highest account id this chunk looked at (None: nothing left after `after`)
    last: int | None = None
    #: accounts another transaction held (PostgreSQL): expire them later with expire_accounts
    skipped: list[int] = field(default_factory=list)


def expire_account(conn, account: int, now: datetime, breakage: int) -> tuple[int, int]:
    """Expire what remains of the account's lots past their date; the caller holds its row
    lock. (lots, points) expired. Points held for a payment (debits_pending: 积分抵话费) do
    not expire while held: only what is available does (the rest, if the hold is released,
    on a later run; a capture spends the soonest-expiring lots first)."""
    available = conn.execute(select(AVAILABLE).where(accounts.c.id == account)).scalar()
    due = conn.execute(
        select(lots.c.remaining, lots.c.transfer_id)
        .where(lots.c.account_id == account, lots.c.expires_at <= now, lots.c.remaining > 0)
        .order_by(lots.c.expires_at, lots.c.transfer_id)
    ).all()
    expired_lots = expired_points = 0
    for lot in due:
        take = min(lot.remaining, available)
        if take <= 0:
            break
        balance = debit_member(conn, account, take)
        record(conn, account, breakage, take, EXPIRE, "expire", now, {account: balance})
        conn.execute(expire_stmt, {"lot": lot.transfer_id, "take": take})
        available -= take
        expired_lots, expired_points = expired_lots + 1, expired_points + take
    return expired_lots, expired_points


def expire_accounts(session: Session, account_ids: list[int], *, now: datetime) -> ExpiryChunk:
    """Expire these accounts' due lots, waiting for each account's lock (ascending ids)."""
    conn = session.connection()
    breakage = system_account(conn, ALLIANCE_BREAKAGE)
    chunk = ExpiryChunk(last=max(account_ids, default=None))
    for account in sorted(set(account_ids)):
        lock_member(conn, account)
        expired_lots, points = expire_account(conn, account, now, breakage)
        chunk.lots, chunk.points, chunk.accounts = (chunk.lots + expired_lots,
                                                    chunk.points + points, chunk.accounts + 1)
    return chunk


def expire_chunk(session: Session, *, now: datetime, after: int = 0, limit: int = CHUNK
                 ) -> ExpiryChunk:
    """Expire the due lots of the next `limit` accounts with ids above `after` that have any
    (the caller commits, then asks for the chunk after `last`)."""
    conn = session.connection()
    candidates = conn.execute(
        select(lots.c.account_id).where(lots.c.expires_at <= now, lots.c.remaining > 0,
                                        lots.c.account_id > after)
        .distinct().order_by(lots.c.account_id).limit(limit)
    ).scalars().all()
    if not candidates:
        return ExpiryChunk()
    locked = conn.execute(
        select(accounts.c.id).where(accounts.c.id.in_(candidates), accounts.c.kind == MEMBER)
        .order_by(accounts.c.id).with_for_update(skip_locked=True)
    ).scalars().all()
    breakage = system_account(conn, ALLIANCE_BREAKAGE)
    chunk = ExpiryChunk(last=candidates[-1], accounts=len(locked),
                        skipped=sorted(set(candidates) - set(locked)))
    for account in locked:
        expired_lots, points = expire_account(conn, account, now, breakage)
        chunk.lots, chunk.points = chunk.lots + expired_lots, chunk.points + points
    return chunk


def expire_due(session: Session, *, now: datetime | None = None) -> tuple[int, int]:
    """Expire every due lot in the caller's one transaction (tests, small ledgers): (lots,
    points). The nightly job and `flask ledger expire` commit per chunk (points.jobs)."""
    from valliance.db import utcnow

    now = now or utcnow()
    total_lots = total_points = 0
    after, skipped = 0, []
    while True:
        chunk = expire_chunk(session, now=now, after=after)
        if chunk.last is None:
            break
        total_lots, total_points = total_lots + chunk.lots, total_points + chunk.points
        skipped += chunk.skipped
        after = chunk.last
    if skipped:
        rest = expire_accounts(session, skipped, now=now)
        total_lots, total_points = total_lots + rest.lots, total_points + rest.points
    return total_lots, total_points
