"""What settlement reads from the ledger: seq cutoffs and the net flows between two of them.

The ledger's own package reads its tables; valliance.settlement holds the business rules.
A period of the ledger is a range of transfer ids (the ledger's `seq`): (lower, upper]. Each
side of a transfer counts once for its account: + credited, − debited, as in `entries`.
The transfers are read by id range (their primary key), never by wall-clock time, so a
closed range never changes once nothing can commit inside it (see freeze_ledger_writes).
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, literal_column, select, text, union_all
from sqlalchemy.orm import Session

from valliance.points.models import Account, Transfer
from valliance.points.rules import (
    ALLIANCE_BILLS,
    ALLIANCE_BREAKAGE,
    ISSUING_KINDS,
    MEMBER,
    MERCHANT_ISSUED,
    MERCHANT_REDEEMED,
)

accounts = Account.__table__
transfers = Transfer.__table__
MERCHANT_KINDS = (MERCHANT_ISSUED, MERCHANT_REDEEMED)
#: the alliance's own sources of points (adjustments, bill payments, clawback of reversals)
ALLIANCE_ISSUING_KINDS = ISSUING_KINDS - {MERCHANT_ISSUED}


@dataclass
class MerchantFlow:
    #: points the merchant issued, net of reversals (refunds) — it pays for these
    issued: int = 0
    #: points spent in its shop, net of points returned on refunds — it is reimbursed
    redeemed: int = 0


@dataclass
class Flows:
    """Net points moved in a range of transfers, by who moved them."""

    merchants: dict[str, MerchantFlow] = field(default_factory=dict)
    #: issued by the alliance itself: adjustments, bill payments, clawback of reversals, less
    #: the points members spent on telecom bills (the alliance's own cost, never a merchant's)
    issued_by_alliance: int = 0
    #: of which: points spent on telecom bills, net of refunds (shown on their own)
    spent_on_bills: int = 0
    expired: int = 0
    #: the change of all members' balances
    outstanding_change: int = 0
    #: the sum of every side of every transfer: 0 when each transfer balances
    imbalance: int = 0
    #: account kinds this module does not know how to read (empty when the ledger is sound;
    #: `flask ledger verify` proves that every transfer names an existing account)
    unknown_kinds: set[str] = field(default_factory=set)

    @property
    def issued_by_merchants(self) -> int:
        return sum(flow.issued for flow in self.merchants.values())

    @property
    def redeemed(self) -> int:
        return sum(flow.redeemed for flow in self.merchants.values())


def freeze_ledger_writes(session: Session) -> None:
    """Wait for every ledger write in flight, and hold new ones until this transaction ends.

    After this, every transfer id already handed out belongs to a committed (or rolled back)
    transaction, so the highest id seen is a cutoff no late commit can slip under. On
    PostgreSQL a SHARE lock on transfers waits for the transactions that inserted into it
    and blocks new inserts (tills wait, briefly: close the transaction soon). SQLite
    transactions start with BEGIN IMMEDIATE and hold the only write lock already.
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL lock_timeout = '30s'"))
        conn.execute(text("LOCK TABLE transfers IN SHARE MODE"))


def cutoff_before(session: Session, lower: int, before: datetime) -> int:
    """The highest transfer id above lower created before a moment (lower when there is none)."""
    found = session.execute(
        select(func.max(transfers.c.id)).where(transfers.c.id > lower,
                                               transfers.c.created_at < before)
    ).scalar()
    return lower if found is None else found


def first_transfer_time(session: Session, lower: int, *, since: datetime | None,
                        before: datetime) -> datetime | None:
    """The earliest created_at among transfers above lower created in [since, before)."""
    query = select(func.min(transfers.c.created_at)).where(transfers.c.id > lower,
                                                           transfers.c.created_at < before)
    if since is not None:
        query = query.where(transfers.c.created_at >= since)
    return session.execute(query).scalar()


def last_seq(session: Session) -> int:
    """The highest transfer id (0 for an empty ledger)."""
    return session.execute(select(func.coalesce(func.max(transfers.c.id), 0))).scalar_one()


def flows_between(session: Session, lower: int, upper: int) -> Flows:
    """Net points per merchant and per alliance account kind over transfers (lower, upper]."""
    in_range = (transfers.c.id > lower, transfers.c.id <= upper)
    sides = union_all(
        select(transfers.c.debit_account_id.label("account_id"),
               (-transfers.c.amount).label("amount")).where(*in_range),
        select(transfers.c.credit_account_id.label("account_id"),
               transfers.c.amount.label("amount")).where(*in_range),
    ).subquery()
    owner = case((accounts.c.kind.in_(MERCHANT_KINDS), accounts.c.owner_id),
                 else_=literal_column("NULL"))
    rows = session.execute(
        select(accounts.c.kind, owner.label("owner"), func.sum(sides.c.amount))
        .join(accounts, accounts.c.id == sides.c.account_id)
        .group_by(accounts.c.kind, owner)
    ).all()
    flows = Flows()
    for kind, owner_id, net in rows:
        net = int(net or 0)
        flows.imbalance += net
        if kind == MERCHANT_ISSUED:
            flows.merchants.setdefault(owner_id, MerchantFlow()).issued -= net
        elif kind == MERCHANT_REDEEMED:
            flows.merchants.setdefault(owner_id, MerchantFlow()).redeemed += net
        elif kind in ALLIANCE_ISSUING_KINDS:
            flows.issued_by_alliance -= net
        elif kind == ALLIANCE_BILLS:
            # Points come back to the alliance, as a clawback's do: net issued by the alliance.
            flows.issued_by_alliance -= net
            flows.spent_on_bills += net
        elif kind == ALLIANCE_BREAKAGE:
            flows.expired += net
        elif kind == MEMBER:
            flows.outstanding_change += net
        else:
            flows.unknown_kinds.add(kind)
    return flows


def outstanding_at(session: Session, seq: int) -> int:
    """All members' balances as they stood right after transfer `seq`.

    Read from the members' running totals (not from the entries), less what moved since:
    an independent path for the reconciliation.
    """
    now = session.execute(
        select(func.coalesce(func.sum(accounts.c.credits_posted - accounts.c.debits_posted), 0))
        .where(accounts.c.kind == MEMBER)
    ).scalar_one()
    return int(now) - flows_between(session, seq, last_seq(session)).outstanding_change
