"""A purchase's write: its postings, its row and the member's annual spend, all or nothing.

One interface, two writers. InSession records a sale in the caller's transaction on every
engine: the redemption and the accrual through the ledger's operations, then the purchase
row with the balance they left, then the spend. AtOnce records a common sale on PostgreSQL
in one statement of its own with its idempotency key and answer (adapters.postgres.SALE_SQL):
no redemption, no points owed, a key never seen — anything else raises NotAtOnce with nothing
written. The differential test of the purchase lane proves both write the same rows.

The purchase and spend rows are the merchants' and members' tables, written here (by name,
from the metadata: points imports no feature package) so that the whole sale is one
statement on PostgreSQL.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from valliance.db import SHANGHAI, Base, today_shanghai
from valliance.points import ledger
from valliance.points.adapters import postgres
from valliance.points.rules import ACCRUE


@dataclass(frozen=True)
class Sale:
    """A priced sale: what the service decided; the ledger adds balances and transfers."""

    #: the purchases row but points_balance and the transfer ids (created_at: when it happened)
    purchase: dict
    member_account: int
    #: the merchant's ledger accounts: points it issues, points spent in its shop
    issued_account: int
    redeemed_account: int
    #: the member's balance as the quote foresaw it (what a sale that moves no points leaves)
    balance: int
    #: the answer for the till; its points_balance is the balance after the write
    answer: dict


@dataclass(frozen=True)
class KeyClaim:
    """An idempotency key to claim with the sale (AtOnce), and the request it belongs to."""

    scope: str
    key: str
    fingerprint: str


class NotAtOnce(Exception):
    """This sale needs the generic path (InSession); nothing was written."""


@cache
def _spend_stmt(engine: str):
    # One statement: the upsert locks the member's row for the year, so refunds and purchases
    # of one member on two tills add up instead of overwriting each other. Built once: a
    # statement built per sale costs more CPU than its round trip.
    spend = Base.metadata.tables["annual_spend"]
    insert, floor = (sqlite_insert, func.max) if engine == "sqlite" else (pg_insert,
                                                                          func.greatest)
    return insert(spend).values(
        member_id=bindparam("member_id"), year=bindparam("year"), telecom_fen=0,
        alliance_fen=floor(0, bindparam("fen")),
    ).on_conflict_do_update(index_elements=["member_id", "year"],
                            set_={"alliance_fen": floor(0, spend.c.alliance_fen
                                                        + bindparam("fen"))})


def count_spend(session: Session, member_id: str, fen: int, *, at: datetime | None = None
                ) -> None:
    """Count cash paid at alliance merchants towards the member's annual spend (net, ≥ 0)."""
    conn = session.connection()
    year = at.astimezone(SHANGHAI).year if at else today_shanghai().year
    conn.execute(_spend_stmt(conn.dialect.name), {"member_id": member_id, "year": year,
                                                  "fen": fen})


class InSession:
    """Record sales in the caller's transaction (services flush, the request commits)."""

    def __init__(self, session: Session):
        self.session = session

    def record(self, sale: Sale) -> dict:
        """Post the redemption and the accrual, write the purchase and the spend; the answer."""
        row, session = sale.purchase, self.session
        now, balance, links = row["created_at"], sale.balance, {}
        if row["redeem_points"]:
            posting = ledger.redeem(session, member_account=sale.member_account,
                                    merchant_account=sale.redeemed_account,
                                    points=row["redeem_points"], merchant_id=row["merchant_id"],
                                    purchase_id=row["id"], now=now)
            links["redemption_transfer_id"], balance = posting.transfer_id, posting.balance
        if row["points_earned"]:
            posting = ledger.accrue(session, member_account=sale.member_account,
                                    source_account=sale.issued_account,
                                    points=row["points_earned"], merchant_id=row["merchant_id"],
                                    purchase_id=row["id"], now=now)
            links["accrual_transfer_id"], balance = posting.transfer_id, posting.balance
        session.connection().execute(Base.metadata.tables["purchases"].insert(),
                                     {**row, **links, "points_balance": balance})
        count_spend(session, row["member_id"], row["payable"], at=now)
        return {**sale.answer, "points_balance": balance}


class AtOnce:
    """Record a common sale once per key in one PostgreSQL statement, its own transaction."""

    def __init__(self, run: Callable[[str, dict], list], claim: KeyClaim):
        #: run(sql, params) → rows, each statement a transaction of its own
        self.run = run
        self.claim = claim

    @property
    def session(self) -> Session:
        raise NotAtOnce()  # a sale that needs a session (a redemption) is the generic path's

    def record(self, sale: Sale) -> dict:
        """Claim the key and write the whole sale, or raise NotAtOnce; the answer."""
        row = sale.purchase
        if row["redeem_points"]:
            raise NotAtOnce()
        now = row["created_at"]
        params = postgres.credit_params(
            member=sale.member_account, source=sale.issued_account,
            points=row["points_earned"], code=ACCRUE, kind="accrue", now=now,
            expires_at=ledger.default_expiry(now),
            links={"purchase_id": row["id"], "merchant_id": row["merchant_id"]})
        params.update({f"p_{column}": row[column] for column in postgres.SALE_PURCHASE_COLUMNS})
        params.update(
            scope=self.claim.scope, key=self.claim.key, request_hash=self.claim.fingerprint,
            status=201, response=json.dumps(sale.answer, ensure_ascii=False),
            spend_member=row["member_id"], spend_year=now.astimezone(SHANGHAI).year,
            spend_fen=row["payable"])
        rows = self.run(postgres.SALE_SQL, params)
        if not rows or rows[0][0] is None:
            # Nothing was written: the key is taken, or the member came to owe points since the
            # read (a refund on another till; the generic path collects what is owed first).
            raise NotAtOnce()
        return {**sale.answer, "points_balance": rows[0][1]}
