"""Opening ledger accounts and reading balances and history."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.db import insert_ignoring_conflict, select_where_in, utcnow
from valliance.points.models import Account, Entry, Transfer
from valliance.points.rules import (
    ALLIANCE_OWNER,
    MEMBER,
    MERCHANT_ISSUED,
    MERCHANT_REDEEMED,
)

accounts = Account.__table__
entries = Entry.__table__
transfers = Transfer.__table__

BALANCE = accounts.c.credits_posted - accounts.c.debits_posted
AVAILABLE = BALANCE - accounts.c.debits_pending


class LedgerError(Exception):
    """A programming error against the ledger (unknown account, reversing too much)."""


@dataclass(frozen=True)
class MerchantAccounts:
    issued: int
    redeemed: int


@dataclass(frozen=True)
class Balance:
    balance: int
    available: int
    owed: int


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    kind: str
    points: int
    balance_after: int
    merchant_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class HistoryPage:
    entries: list[HistoryEntry]
    #: pass as `before` for the next (older) page; None on the last page
    next_before: int | None


def account_for(conn, kind: str, owner_id: str) -> int:
    """Return the id of the (kind, owner) account, opening it if it does not exist."""
    query = select(accounts.c.id).where(accounts.c.kind == kind, accounts.c.owner_id == owner_id)
    # Nearly always it exists (the alliance's accounts: every reward, every clawback): one
    # read, not an insert that conflicts and then the read (a campaign's rewards paid twice
    # the round trips for the same id).
    found = conn.execute(query).scalar()
    if found is not None:
        return found
    insert_ignoring_conflict(
        conn,
        accounts,
        {
            "kind": kind,
            "owner_id": owner_id,
            "no_overdraft": kind == MEMBER,
            "created_at": utcnow(),
        },
        ["kind", "owner_id"],
    )
    return conn.execute(query).scalar_one()


def open_member_account(session: Session, member_id: str) -> int:
    """Open (or find) a member's points account."""
    return account_for(session.connection(), MEMBER, member_id)


def open_member_accounts_in_bulk(session: Session, member_ids: list[str]) -> dict[str, int]:
    """Open accounts for many new members at once (imports): member id → account id."""
    now = utcnow()
    session.execute(accounts.insert(), [
        {"kind": MEMBER, "owner_id": member_id, "no_overdraft": True, "created_at": now}
        for member_id in member_ids])
    query = select(accounts.c.owner_id, accounts.c.id).where(accounts.c.kind == MEMBER)
    return dict(select_where_in(session, query, accounts.c.owner_id, member_ids))


def open_merchant_accounts_in_bulk(session: Session, merchant_ids: list[str]
                                   ) -> dict[str, tuple[int, int]]:
    """Open both accounts of many new merchants (imports): id → (issued, redeemed) ids."""
    now = utcnow()
    session.execute(accounts.insert(), [
        {"kind": kind, "owner_id": merchant_id, "no_overdraft": False, "created_at": now}
        for merchant_id in merchant_ids for kind in (MERCHANT_ISSUED, MERCHANT_REDEEMED)])
    query = select(accounts.c.owner_id, accounts.c.kind, accounts.c.id).where(
        accounts.c.kind.in_((MERCHANT_ISSUED, MERCHANT_REDEEMED)))
    found: dict[str, dict[str, int]] = {}
    for owner_id, kind, account_id in select_where_in(session, query, accounts.c.owner_id,
                                                      merchant_ids):
        found.setdefault(owner_id, {})[kind] = account_id
    return {merchant_id: (kinds[MERCHANT_ISSUED], kinds[MERCHANT_REDEEMED])
            for merchant_id, kinds in found.items()}


def open_merchant_accounts(session: Session, merchant_id: str) -> MerchantAccounts:
    """Open (or find) a merchant's two accounts: points it issued and points spent there."""
    conn = session.connection()
    return MerchantAccounts(
        issued=account_for(conn, MERCHANT_ISSUED, merchant_id),
        redeemed=account_for(conn, MERCHANT_REDEEMED, merchant_id),
    )


def system_account(session_or_conn, kind: str) -> int:
    """Return one of the alliance's own accounts (breakage, clawback, adjustments, payments)."""
    conn = session_or_conn.connection() if isinstance(session_or_conn, Session) else session_or_conn
    return account_for(conn, kind, ALLIANCE_OWNER)


def get_balance(session: Session, account_id: int) -> Balance:
    """Read a member account's balance, available points and points owed."""
    row = session.execute(
        select(BALANCE, AVAILABLE, accounts.c.owed).where(
            accounts.c.id == account_id, accounts.c.kind == MEMBER
        )
    ).first()
    if row is None:
        raise LedgerError(f"no member account {account_id}")
    return Balance(balance=row[0], available=row[1], owed=row[2])


def get_history(
    session: Session,
    account_id: int,
    *,
    limit: int = 50,
    before: int | None = None,
    kinds: frozenset[str] | None = None,
) -> HistoryPage:
    """Return a member's entries, newest first, one page at a time (cursor: entry id)."""
    query = (
        select(
            entries.c.id,
            transfers.c.kind,
            entries.c.amount,
            entries.c.balance_after,
            transfers.c.merchant_id,
            entries.c.created_at,
        )
        .join(transfers, transfers.c.id == entries.c.transfer_id)
        .where(entries.c.account_id == account_id)
        .order_by(entries.c.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(entries.c.id < before)
    if kinds:
        query = query.where(transfers.c.kind.in_(sorted(kinds)))
    rows = session.execute(query).all()
    page = [HistoryEntry(*row) for row in rows[:limit]]
    next_before = page[-1].id if len(rows) > limit else None
    return HistoryPage(entries=page, next_before=next_before)
