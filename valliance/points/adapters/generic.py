"""The ledger's row-by-row statements, for every engine: debits, transfers, entries and lots.

A member's balance changes only through one conditional UPDATE of the member's account row,
which both checks and writes, so two tills cannot spend the same points. SQLite credits a
member with these statements too; PostgreSQL credits in one statement (adapters.postgres).
"""

from datetime import datetime

from sqlalchemy import bindparam, select, update

from valliance.errors import InsufficientPoints
from valliance.i18n import bilingual
from valliance.points.accounts import AVAILABLE, BALANCE, LedgerError, accounts
from valliance.points.models import Entry, Lot, Transfer
from valliance.points.rules import MEMBER, OpenLot, take_from_lots

transfers = Transfer.__table__
entries = Entry.__table__
lots = Lot.__table__

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


def debit_member(conn, account: int, points: int, owed_paid: int = 0) -> int:
    """Take points from a member who has them (and settle owed_paid of a debt); the balance."""
    row = conn.execute(
        _debit_stmt, {"account": account, "points": points, "owed_paid": owed_paid}
    ).first()
    if row is None:
        lock_member(conn, account)  # raises LedgerError for an unknown account
        raise InsufficientPoints(details={"points": [bilingual(
            "需要 %(points)s 积分",
            points=points,
        )]})
    return row[0]


def lock_member(conn, account: int):
    """Lock a member's row: (balance, available, owed)."""
    row = conn.execute(
        select(BALANCE, AVAILABLE, accounts.c.owed)
        .where(accounts.c.id == account, accounts.c.kind == MEMBER)
        .with_for_update()
    ).first()
    if row is None:
        raise LedgerError(f"no member account {account}")
    return row


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


def record(conn, debit: int, credit: int, points: int, code: str, kind: str, now: datetime,
           balances: dict[int, int], **links) -> int:
    """Write a transfer and its two entries (balance_after for the accounts in balances)."""
    params = {"debit": debit, "credit": credit, "points": points, "code": code, "kind": kind,
              "now": now, **{link: links.get(link) for link in _LINKS}}
    transfer_id = conn.execute(_transfer_stmt, params).scalar_one()
    conn.execute(_entries_stmt, [
        {"transfer_id": transfer_id, "account": account, "amount": amount,
         "balance_after": balances.get(account), "now": now}
        for account, amount in ((debit, -points), (credit, points))
    ])
    return transfer_id


def credit_balance(conn, account: int, points: int) -> tuple[int, int]:
    """Add points to a member's balance only (the caller writes the transfer and the lots):
    (balance, owed) afterwards."""
    row = conn.execute(_credit_stmt, {"account": account, "points": points}).first()
    if row is None:
        raise LedgerError(f"no member account {account}")
    return row[0], row[1]


def new_lot(conn, account: int, transfer_id: int, points: int, expires_at: datetime,
            now: datetime) -> None:
    """Open the lot of a credit."""
    conn.execute(_lot_stmt, {"account": account, "transfer_id": transfer_id, "points": points,
                             "expires_at": expires_at, "now": now})


def credit_member(conn, *, member: int, source: int, points: int, code: str, kind: str,
                  now: datetime, expires_at: datetime, links: dict):
    """The credit in four statements; (transfer id, balance, owed) or None for no account."""
    row = conn.execute(_credit_stmt, {"account": member, "points": points}).first()
    if row is None:
        return None
    balance, owed = row
    transfer_id = record(conn, source, member, points, code, kind, now, {member: balance},
                         **links)
    conn.execute(_lot_stmt, {"account": member, "transfer_id": transfer_id, "points": points,
                             "expires_at": expires_at, "now": now})
    return transfer_id, balance, owed


def open_lots(conn, account: int, *, order_first: int | None = None) -> list[OpenLot]:
    """A member's lots with points left, soonest-expiring first (order_first before all)."""
    query = (
        select(lots.c.remaining, lots.c.transfer_id)
        .where(lots.c.account_id == account, lots.c.remaining > 0)
        .order_by(lots.c.expires_at, lots.c.transfer_id)
    )
    rows = conn.execute(query).all()
    # A reversal takes back the points of the lot its accrual opened before touching others.
    rows.sort(key=lambda row: row.transfer_id != order_first)
    return [OpenLot(row.transfer_id, row.remaining) for row in rows]


consume_stmt = (
    update(lots)
    .where(lots.c.transfer_id == bindparam("lot"))
    .values(remaining=lots.c.remaining - bindparam("take"))
)


def consume_lots(conn, account: int, points: int, *, order_first: int | None = None
                 ) -> list[tuple[int, int]]:
    """Take points from the member's lots, soonest-expiring first: [(lot id, taken)]."""
    taken = take_from_lots(open_lots(conn, account, order_first=order_first), points)
    if taken:
        conn.execute(consume_stmt, [{"lot": lot, "take": take} for lot, take in taken])
    return taken
