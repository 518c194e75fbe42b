"""Posting points: accrue, redeem, reverse, expire and adjust.

Every operation runs inside the caller's transaction (services flush, the request commits).
A member's balance changes only through one conditional UPDATE of the member's account row,
which both checks and writes, so two tills cannot spend the same points. Merchant and
alliance accounts are never updated: their balances are sums of entries (no hot rows).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from valliance.db import utcnow
from valliance.errors import InsufficientPoints
from valliance.points import postgres
from valliance.points.accounts import AVAILABLE, BALANCE, LedgerError, accounts, system_account
from valliance.points.models import Entry, Lot, Transfer
from valliance.points.rules import (
    ACCRUE,
    ADJUST,
    ADJUST_REASONS,
    ALLIANCE_ADJUSTMENTS,
    ALLIANCE_BREAKAGE,
    ALLIANCE_CLAWBACK,
    EXPIRE,
    MEMBER,
    REDEEM,
    REVERSE,
    OpenLot,
    collectable,
    split_reversal,
    take_from_lots,
)

transfers = Transfer.__table__
entries = Entry.__table__
lots = Lot.__table__

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


# --- the member row: the only place a balance changes ------------------------------------

_credit_stmt = (
    update(accounts)
    .where(accounts.c.id == bindparam("account"), accounts.c.kind == MEMBER)
    .values(credits_posted=accounts.c.credits_posted + bindparam("points"))
    .returning(BALANCE, accounts.c.owed)
)
_debit_stmt = (
    update(accounts)
    .where(
        accounts.c.id == bindparam("account"),
        accounts.c.kind == MEMBER,
        bindparam("points") <= AVAILABLE,
        accounts.c.owed >= bindparam("owed_paid"),
    )
    .values(
        debits_posted=accounts.c.debits_posted + bindparam("points"),
        owed=accounts.c.owed - bindparam("owed_paid"),
    )
    .returning(BALANCE)
)


def _credit_member(conn, account: int, points: int) -> tuple[int, int]:
    row = conn.execute(_credit_stmt, {"account": account, "points": points}).first()
    if row is None:
        raise LedgerError(f"no member account {account}")
    return row[0], row[1]


def _debit_member(conn, account: int, points: int, owed_paid: int = 0) -> int:
    row = conn.execute(
        _debit_stmt, {"account": account, "points": points, "owed_paid": owed_paid}
    ).first()
    if row is None:
        _lock_member(conn, account)  # raises LedgerError for an unknown account
        raise InsufficientPoints(details={"points": [f"需要 {points} 积分 / {points} needed"]})
    return row[0]


def _lock_member(conn, account: int):
    row = conn.execute(
        select(BALANCE, AVAILABLE, accounts.c.owed)
        .where(accounts.c.id == account, accounts.c.kind == MEMBER)
        .with_for_update()
    ).first()
    if row is None:
        raise LedgerError(f"no member account {account}")
    return row


def lock_members(session: Session, account_ids: list[int]) -> None:
    """Lock several member rows in ascending id order, so that two operations never deadlock."""
    conn = session.connection()
    for account in sorted(set(account_ids)):
        _lock_member(conn, account)


# --- transfers, entries, lots --------------------------------------------------------------


_LINKS = ("reverses_id", "purchase_id", "merchant_id", "reason", "actor")
_transfer_stmt = transfers.insert().values(
    debit_account_id=bindparam("debit"), credit_account_id=bindparam("credit"),
    amount=bindparam("points"), code=bindparam("code"), kind=bindparam("kind"),
    created_at=bindparam("now"), **{link: bindparam(link) for link in _LINKS},
).returning(transfers.c.id)
_entries_stmt = entries.insert().values(
    transfer_id=bindparam("transfer_id"), account_id=bindparam("account"),
    amount=bindparam("amount"), balance_after=bindparam("balance_after"),
    created_at=bindparam("now"),
)
_lot_stmt = lots.insert().values(
    account_id=bindparam("account"), transfer_id=bindparam("transfer_id"),
    amount=bindparam("points"), remaining=bindparam("points"),
    expires_at=bindparam("expires_at"), created_at=bindparam("now"),
)


def _record(conn, debit: int, credit: int, points: int, code: str, kind: str, now: datetime,
            balances: dict[int, int], **links) -> int:
    params = {"debit": debit, "credit": credit, "points": points, "code": code, "kind": kind,
              "now": now, **{link: links.get(link) for link in _LINKS}}
    transfer_id = conn.execute(_transfer_stmt, params).scalar_one()
    conn.execute(_entries_stmt, [
        {"transfer_id": transfer_id, "account": account, "amount": amount,
         "balance_after": balances.get(account), "now": now}
        for account, amount in ((debit, -points), (credit, points))
    ])
    return transfer_id


def _open_lots(conn, account: int, *, order_first: int | None = None) -> list[OpenLot]:
    query = (
        select(lots.c.remaining, lots.c.transfer_id)
        .where(lots.c.account_id == account, lots.c.remaining > 0)
        .order_by(lots.c.expires_at, lots.c.transfer_id)
    )
    rows = conn.execute(query).all()
    # A reversal takes back the points of the lot its accrual opened before touching others.
    rows.sort(key=lambda row: row.transfer_id != order_first)
    return [OpenLot(row.transfer_id, row.remaining) for row in rows]


_consume_stmt = (
    update(lots)
    .where(lots.c.transfer_id == bindparam("lot"))
    .values(remaining=lots.c.remaining - bindparam("take"))
)


def _consume_lots(conn, account: int, points: int, *, order_first: int | None = None) -> None:
    taken = take_from_lots(_open_lots(conn, account, order_first=order_first), points)
    conn.execute(_consume_stmt, [{"lot": lot, "take": take} for lot, take in taken])


def _credit(conn, member: int, source: int, points: int, code: str, kind: str, now: datetime,
            expires_at: datetime | None, **links) -> Posting:
    """Credit a member, open a lot, then collect what the member owes from the new points."""
    expires_at = expires_at or default_expiry(now)
    if conn.dialect.name == "postgresql":
        row = postgres.credit_member(conn, member=member, source=source, points=points,
                                     code=code, kind=kind, now=now, expires_at=expires_at,
                                     links=links)
        if row is None:
            raise LedgerError(f"no member account {member}")
        transfer_id, balance, owed = row
    else:
        balance, owed = _credit_member(conn, member, points)
        transfer_id = _record(conn, source, member, points, code, kind, now, {member: balance},
                              **links)
        conn.execute(_lot_stmt, {"account": member, "transfer_id": transfer_id,
                                 "points": points, "expires_at": expires_at, "now": now})
    if owed:
        paid = collectable(points, owed)
        balance = _debit_member(conn, member, paid, owed_paid=paid)
        _record(conn, member, system_account(conn, ALLIANCE_CLAWBACK), paid, REVERSE, "reverse",
                now, {member: balance}, reason="owed_collected",
                merchant_id=links.get("merchant_id"))
        _consume_lots(conn, member, paid)
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
    balance = _debit_member(conn, member_account, points)
    transfer_id = _record(conn, member_account, merchant_account, points, REDEEM, "redeem", now,
                          {member_account: balance}, merchant_id=merchant_id,
                          purchase_id=purchase_id)
    _consume_lots(conn, member_account, points)
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
    _, available, _ = _lock_member(conn, member)  # serializes reversals of one transfer
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
        balance = _debit_member(conn, member, taken)
        ids.append(_record(conn, member, original.debit_account_id, taken, REVERSE, "reverse",
                           now, {member: balance}, **links))
        _consume_lots(conn, member, taken, order_first=transfer_id)
    if short:
        # The alliance makes the source whole now and collects from the member's next credits.
        ids.append(_record(conn, system_account(conn, ALLIANCE_CLAWBACK),
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
    balance = _debit_member(conn, member_account, -points)
    transfer_id = _record(conn, member_account, source, -points, ADJUST, "adjust", now,
                          {member_account: balance}, reason=reason, actor=actor)
    _consume_lots(conn, member_account, -points)
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
        _lock_member(conn, account)  # re-read lots under the lock: a till may have spent them
        due = conn.execute(
            select(lots.c.remaining, lots.c.transfer_id)
            .where(lots.c.account_id == account, lots.c.expires_at <= now, lots.c.remaining > 0)
            .order_by(lots.c.expires_at, lots.c.transfer_id)
        ).all()
        for lot in due:
            balance = _debit_member(conn, account, lot.remaining)
            _record(conn, account, breakage, lot.remaining, EXPIRE, "expire", now,
                    {account: balance})
            conn.execute(_consume_stmt, {"lot": lot.transfer_id, "take": lot.remaining})
            expired_lots += 1
            expired_points += lot.remaining
    return expired_lots, expired_points
