"""Posting points: accrue, redeem, reverse, expire and adjust.

Every operation runs inside the caller's transaction (services flush, the request commits).
A member's balance changes only through one conditional UPDATE of the member's account row,
which both checks and writes, so two tills cannot spend the same points. Merchant and
alliance accounts are never updated: their balances are sums of entries (no hot rows).
The statements themselves are the engine adapters' (points.adapters).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from valliance.db import utcnow
from valliance.points import adapters
from valliance.points.accounts import BALANCE, LedgerError, accounts, system_account
from valliance.points.adapters.generic import (
    consume_lots,
    consume_stmt,
    debit_member,
    lock_member,
    lots,
    record,
    transfers,
)
from valliance.points.rules import (
    ACCRUE,
    ADJUST,
    ADJUST_REASONS,
    ALLIANCE_ADJUSTMENTS,
    ALLIANCE_BREAKAGE,
    ALLIANCE_CLAWBACK,
    EXPIRE,
    REDEEM,
    REVERSE,
    collectable,
    split_reversal,
)

DEFAULT_VALIDITY_DAYS = 730


@dataclass(frozen=True)
class Posting:
    #: the operation's main transfer
    transfer_id: int
    #: the member's balance afterwards
    balance: int
    #: points the member still owes afterwards
    owed: int


@dataclass(frozen=True)
class Reversal:
    transfer_ids: list[int]
    #: the full amount the reversal gives back to its source
    points: int
    #: taken from the member's balance now
    taken: int
    #: what the balance could not cover, now owed by the member
    owed_added: int
    balance: int


def default_expiry(now: datetime) -> datetime:
    """When points credited now expire (POINTS_VALIDITY_DAYS, default two years)."""
    days = DEFAULT_VALIDITY_DAYS
    if has_app_context():
        days = current_app.config.get("POINTS_VALIDITY_DAYS", DEFAULT_VALIDITY_DAYS)
    return now + timedelta(days=days)


def _check_points(points: int) -> None:
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise LedgerError(f"points must be a positive integer, got {points!r}")


def lock_members(session: Session, account_ids: list[int]) -> None:
    """Lock several member rows in ascending id order, so that two operations never deadlock."""
    conn = session.connection()
    for account in sorted(set(account_ids)):
        lock_member(conn, account)


def _credit(conn, member: int, source: int, points: int, code: str, kind: str, now: datetime,
            expires_at: datetime | None, **links) -> Posting:
    """Credit a member, open a lot, then collect what the member owes from the new points."""
    expires_at = expires_at or default_expiry(now)
    row = adapters.credit_member(conn, member=member, source=source, points=points, code=code,
                                 kind=kind, now=now, expires_at=expires_at, links=links)
    if row is None:
        raise LedgerError(f"no member account {member}")
    transfer_id, balance, owed = row
    if owed:
        paid = collectable(points, owed)
        balance = debit_member(conn, member, paid, owed_paid=paid)
        record(conn, member, system_account(conn, ALLIANCE_CLAWBACK), paid, REVERSE, "reverse",
               now, {member: balance}, reason="owed_collected",
               merchant_id=links.get("merchant_id"))
        consume_lots(conn, member, paid)
        owed -= paid
    return Posting(transfer_id=transfer_id, balance=balance, owed=owed)


# --- the operations --------------------------------------------------------------------------


def accrue(session: Session, *, member_account: int, source_account: int, points: int,
           kind: str = "accrue", merchant_id: str | None = None, purchase_id: str | None = None,
           expires_at: datetime | None = None, now: datetime | None = None) -> Posting:
    """Credit points issued by a merchant (or the alliance, kind="payment") to a member."""
    _check_points(points)
    if kind not in ("accrue", "payment"):
        raise LedgerError(f"accrue cannot record kind {kind!r}")
    return _credit(session.connection(), member_account, source_account, points, ACCRUE, kind,
                   now or utcnow(), expires_at, merchant_id=merchant_id, purchase_id=purchase_id)


def redeem(session: Session, *, member_account: int, merchant_account: int, points: int,
           merchant_id: str | None = None, purchase_id: str | None = None,
           now: datetime | None = None) -> Posting:
    """Spend a member's points in a merchant's shop, soonest-expiring lots first."""
    _check_points(points)
    conn = session.connection()
    now = now or utcnow()
    balance = debit_member(conn, member_account, points)
    transfer_id = record(conn, member_account, merchant_account, points, REDEEM, "redeem", now,
                         {member_account: balance}, merchant_id=merchant_id,
                         purchase_id=purchase_id)
    consume_lots(conn, member_account, points)
    owed = conn.execute(select(accounts.c.owed).where(accounts.c.id == member_account)).scalar()
    return Posting(transfer_id=transfer_id, balance=balance, owed=owed)


def reverse(session: Session, transfer_id: int, points: int, *,
            now: datetime | None = None) -> Reversal:
    """Give back points of an accrual (from the member) or a redemption (to the member)."""
    _check_points(points)
    conn = session.connection()
    now = now or utcnow()
    original = conn.execute(select(transfers).where(transfers.c.id == transfer_id)).first()
    if original is None or original.code not in (ACCRUE, REDEEM):
        raise LedgerError(f"transfer {transfer_id} is not an accrual or a redemption")
    member = original.credit_account_id if original.code == ACCRUE else original.debit_account_id
    _, available, _ = lock_member(conn, member)  # serializes reversals of one transfer
    already = conn.execute(
        select(func.coalesce(func.sum(transfers.c.amount), 0)).where(
            transfers.c.reverses_id == transfer_id
        )
    ).scalar_one()
    if points > original.amount - already:
        raise LedgerError(
            f"transfer {transfer_id}: reversing {points} of {original.amount - already} left"
        )
    links = {"reverses_id": transfer_id, "merchant_id": original.merchant_id,
             "purchase_id": original.purchase_id}
    if original.code == REDEEM:
        posting = _credit(conn, member, original.credit_account_id, points, REVERSE, "return",
                          now, None, **links)
        return Reversal([posting.transfer_id], points, 0, 0, posting.balance)

    taken, short = split_reversal(points, available)
    ids: list[int] = []
    balance = available
    if taken:
        balance = debit_member(conn, member, taken)
        ids.append(record(conn, member, original.debit_account_id, taken, REVERSE, "reverse",
                          now, {member: balance}, **links))
        consume_lots(conn, member, taken, order_first=transfer_id)
    if short:
        # The alliance makes the source whole now and collects from the member's next credits.
        ids.append(record(conn, system_account(conn, ALLIANCE_CLAWBACK),
                          original.debit_account_id, short, REVERSE, "reverse", now, {},
                          reason="owed", **links))
        conn.execute(update(accounts).where(accounts.c.id == member)
                     .values(owed=accounts.c.owed + short))
        balance = conn.execute(select(BALANCE).where(accounts.c.id == member)).scalar_one()
    return Reversal(ids, points, taken, short, balance)


def adjust(session: Session, *, member_account: int, points: int, reason: str, actor: str,
           now: datetime | None = None) -> Posting:
    """Staff correction: a signed number of points with a reason code, recorded with its author."""
    if isinstance(points, bool) or not isinstance(points, int) or points == 0:
        raise LedgerError("an adjustment is a non-zero integer number of points")
    if reason not in ADJUST_REASONS:
        raise LedgerError(f"unknown adjustment reason {reason!r}")
    if not actor:
        raise LedgerError("an adjustment names the person who made it")
    conn = session.connection()
    now = now or utcnow()
    source = system_account(conn, ALLIANCE_ADJUSTMENTS)
    if points > 0:
        return _credit(conn, member_account, source, points, ADJUST, "adjust", now, None,
                       reason=reason, actor=actor)
    balance = debit_member(conn, member_account, -points)
    transfer_id = record(conn, member_account, source, -points, ADJUST, "adjust", now,
                         {member_account: balance}, reason=reason, actor=actor)
    consume_lots(conn, member_account, -points)
    owed = conn.execute(select(accounts.c.owed).where(accounts.c.id == member_account)).scalar()
    return Posting(transfer_id=transfer_id, balance=balance, owed=owed)


def expire_due(session: Session, *, now: datetime | None = None) -> tuple[int, int]:
    """Move what remains of every lot past its expiry to breakage: (lots, points) expired."""
    conn = session.connection()
    now = now or utcnow()
    breakage = system_account(conn, ALLIANCE_BREAKAGE)
    due_accounts = conn.execute(
        select(lots.c.account_id).where(lots.c.expires_at <= now, lots.c.remaining > 0)
        .distinct().order_by(lots.c.account_id)
    ).scalars().all()
    expired_lots = expired_points = 0
    for account in due_accounts:
        # re-read lots under the lock: a till may have spent them; points held for a payment
        # (debits_pending) do not expire while held: only what is available does
        _, available, _ = lock_member(conn, account)
        due = conn.execute(
            select(lots.c.remaining, lots.c.transfer_id)
            .where(lots.c.account_id == account, lots.c.expires_at <= now, lots.c.remaining > 0)
            .order_by(lots.c.expires_at, lots.c.transfer_id)
        ).all()
        for lot in due:
            take = min(lot.remaining, available)
            if take <= 0:
                break
            balance = debit_member(conn, account, take)
            record(conn, account, breakage, take, EXPIRE, "expire", now, {account: balance})
            conn.execute(consume_stmt, {"lot": lot.transfer_id, "take": take})
            available -= take
            expired_lots += 1
            expired_points += take
    return expired_lots, expired_points
