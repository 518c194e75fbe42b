"""Posting points: accrue, redeem, reverse and adjust (expiry: points.expiry).

Every operation runs inside the caller's transaction (services flush, the request commits).
A member's balance changes only through one conditional UPDATE of the member's account row,
which both checks and writes, so two tills cannot spend the same points. Merchant and
alliance accounts are never updated: their balances are sums of entries (no hot rows).
The statements themselves are the engine adapters' (points.adapters).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from valliance.db import utcnow
from valliance.points import adapters, lot_returns
from valliance.points.accounts import BALANCE, LedgerError, accounts, system_account
from valliance.points.adapters.generic import (
    consume_lots,
    credit_balance,
    debit_member,
    lock_member,
    new_lot,
    record,
    transfers,
)
from valliance.points.expiry import default_expiry, expire_due  # noqa: F401 (their old home)
from valliance.points.rules import (
    ACCRUE,
    ADJUST,
    ADJUST_REASONS,
    ALLIANCE_ADJUSTMENTS,
    ALLIANCE_BREAKAGE,
    ALLIANCE_CLAWBACK,
    REDEEM,
    REVERSE,
    collectable,
    split_reversal,
)


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
    return _collect_owed(conn, member, transfer_id, points, balance, owed, now,
                         links.get("merchant_id"))


def _collect_owed(conn, member: int, transfer_id: int, points: int, balance: int, owed: int,
                  now: datetime, merchant_id: str | None) -> Posting:
    """Collect what the member owes from `points` just credited (soonest-expiring lots)."""
    if owed and points:
        paid = collectable(points, owed)
        balance = debit_member(conn, member, paid, owed_paid=paid)
        record(conn, member, system_account(conn, ALLIANCE_CLAWBACK), paid, REVERSE, "reverse",
               now, {member: balance}, reason="owed_collected", merchant_id=merchant_id)
        consume_lots(conn, member, paid)
        owed -= paid
    return Posting(transfer_id=transfer_id, balance=balance, owed=owed)


def _return(conn, member: int, original, points: int, now: datetime, links: dict) -> Posting:
    """Give a redemption's points back into the lots it spent (points.lot_returns); what no
    recorded draw covers (an older redemption) opens a fresh lot with the default expiry."""
    balance, owed = credit_balance(conn, member, points)
    transfer_id = record(conn, original.credit_account_id, member, points, REVERSE, "return",
                         now, {member: balance}, **links)
    restored = lot_returns.restore(conn, original.id, points)
    fresh = points - sum(part.points for part in restored)
    if fresh:
        new_lot(conn, member, transfer_id, fresh, default_expiry(now), now)
    expired, after = lot_returns.expire_restored(
        conn, member, restored, now, system_account(conn, ALLIANCE_BREAKAGE))
    return _collect_owed(conn, member, transfer_id, points - expired,
                         balance if after is None else after, owed, now, links["merchant_id"])


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
    lot_returns.record_draws(conn, transfer_id, consume_lots(conn, member_account, points))
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
        posting = _return(conn, member, original, points, now, links)
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
