"""Ledger tables: accounts, transfers, entries, lots and idempotency keys.

Transfers and entries are append-only (database triggers reject UPDATE and DELETE, see the
migration). Only member accounts keep running totals; merchant and alliance balances are
derived from entries so that no busy merchant's row is updated by every purchase.
"""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from valliance.db import Base, BigId, UTCDateTime, utcnow
from valliance.points.rules import ACCOUNT_KINDS, MEMBER_KINDS, TRANSFER_CODES


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in sorted(values))})"


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("kind", "owner_id"),
        CheckConstraint(_in("kind", ACCOUNT_KINDS), name="kind"),
        CheckConstraint(
            "NOT no_overdraft OR credits_posted - debits_posted - debits_pending >= 0",
            name="no_overdraft",
        ),
        CheckConstraint("owed >= 0", name="owed_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    #: the member's or merchant's id; "alliance" for the alliance's own accounts
    owner_id: Mapped[str] = mapped_column(String(40))
    #: members only: keeps running totals and may never go below zero
    no_overdraft: Mapped[bool] = mapped_column(Boolean, default=False)
    debits_posted: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    credits_posted: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    debits_pending: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    credits_pending: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    #: points the member still owes after a reversal found too few points; collected first
    #: from the member's next credits
    owed: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Transfer(Base):
    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="distinct_accounts"),
        CheckConstraint(_in("code", TRANSFER_CODES), name="code"),
        CheckConstraint(_in("kind", MEMBER_KINDS), name="kind"),
        # Partial: most transfers have no purchase or reversal, and skip the index entirely.
        Index("ix_transfers_purchase_id", "purchase_id",
              sqlite_where=text("purchase_id IS NOT NULL"),
              postgresql_where=text("purchase_id IS NOT NULL")),
        Index("ix_transfers_reverses_id", "reverses_id",
              sqlite_where=text("reverses_id IS NOT NULL"),
              postgresql_where=text("reverses_id IS NOT NULL")),
        # what moved on recent days (the alliance dashboard, migration 0017)
        Index("ix_transfers_created_at", "created_at"),
    )

    #: also the ledger's global sequence number: it only ever increases
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # No foreign keys to accounts on purpose: a key check takes a share lock on the referenced
    # row, and a busy merchant's account row would become the hot row every purchase waits
    # on. The ledger writes only accounts it has just read or locked; `flask ledger verify`
    # proves that every transfer and entry names an existing account.
    debit_account_id: Mapped[int] = mapped_column(BigInteger)
    credit_account_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    code: Mapped[str] = mapped_column(String(16))
    #: how the member sees this transfer in the history (accrue, redeem, reverse, …)
    kind: Mapped[str] = mapped_column(String(16))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"))
    purchase_id: Mapped[str | None] = mapped_column(String(40))
    merchant_id: Mapped[str | None] = mapped_column(String(40))
    #: adjustments: the reason code and who made it
    reason: Mapped[str | None] = mapped_column(String(200))
    actor: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Entry(Base):
    __tablename__ = "entries"
    __table_args__ = (Index("ix_entries_account_id_id", "account_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"))
    account_id: Mapped[int] = mapped_column(BigInteger)  # no foreign key: see Transfer
    #: signed: + credits the account, − debits it
    amount: Mapped[int] = mapped_column(BigInteger)
    #: the account's balance after this entry; only for accounts that keep totals (members)
    balance_after: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Lot(Base):
    __tablename__ = "lots"
    __table_args__ = (
        CheckConstraint("remaining >= 0 AND remaining <= amount", name="remaining_in_range"),
        Index(
            "ix_lots_open_by_expiry",
            "account_id",
            "expires_at",
            sqlite_where=text("remaining > 0"),
            postgresql_where=text("remaining > 0"),
        ),
        Index(
            "ix_lots_due",
            "expires_at",
            sqlite_where=text("remaining > 0"),
            postgresql_where=text("remaining > 0"),
        ),
    )

    #: the credit that opened this lot (one lot per credit)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: points of this lot that expired (moved to breakage): what an expiry reminder did not save
    expired: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class LotDraw(Base):
    """Which lots a redemption spent, so that its refund puts the points back into them (with
    their own expiry) instead of opening a fresh lot."""

    __tablename__ = "lot_draws"
    __table_args__ = (
        CheckConstraint("points > 0 AND returned >= 0 AND returned <= points",
                        name="returned_in_range"),
    )

    #: the redemption
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), primary_key=True)
    #: the lot it took points from
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.transfer_id"), primary_key=True)
    points: Mapped[int] = mapped_column(BigInteger)
    #: of those, given back by refunds so far
    returned: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: who the key belongs to, e.g. "merchant:<id>" — keys never collide across scopes
    scope: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(255))
    #: sha256 of the request (method, path, canonical body)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
