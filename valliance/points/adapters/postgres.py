"""PostgreSQL's one-round-trip credit, and the common sale in one statement.

The member's row update, the transfer, both entries and the new lot are one data-modifying
statement, so an accrual costs one round trip and one statement's overhead on the server.
The generic adapter does the same in four statements (SQLite cannot modify data in a WITH
clause); both run the whole test suite.

The credit's CTEs and the idempotency claim are also composed into SALE_SQL, a whole common
sale in one statement (points.sales.AtOnce); the differential test of the purchase lane
proves it writes what the generic path writes.
"""

from datetime import UTC, datetime

import psycopg
from psycopg.types.numeric import Int8
from sqlalchemy.exc import DBAPIError


def credit_ctes(gate: str = "TRUE") -> str:
    """The credit's CTEs; gate: a condition the member row's update also needs.

    `member`: the member row's update (balance, owed afterwards; no row = no member account or
    a closed gate); `transfer`: the new transfer's id (none when points = 0 or no member row);
    `entry`, `lot`: its entries and lot. Parameters: see credit_params().
    """
    return f"""
member AS (
    UPDATE accounts SET credits_posted = credits_posted + %(points)s
    WHERE id = %(member)s AND kind = 'member' AND {gate}
    RETURNING credits_posted - debits_posted AS balance, owed
), transfer AS (
    INSERT INTO transfers (debit_account_id, credit_account_id, amount, code, kind,
                           reverses_id, purchase_id, merchant_id, reason, actor, created_at)
    SELECT %(source)s, %(member)s, %(points)s, %(code)s, %(kind)s, %(reverses_id)s,
           %(purchase_id)s, %(merchant_id)s, %(reason)s, %(actor)s, %(now)s
    FROM member WHERE %(points)s > 0
    RETURNING id
), entry AS (
    INSERT INTO entries (transfer_id, account_id, amount, balance_after, created_at)
    SELECT transfer.id, %(source)s, -%(points)s, NULL, %(now)s FROM transfer
    UNION ALL
    SELECT transfer.id, %(member)s, %(points)s, member.balance, %(now)s FROM transfer, member
), lot AS (
    INSERT INTO lots (account_id, transfer_id, amount, remaining, expires_at, created_at)
    SELECT %(member)s, transfer.id, %(points)s, %(points)s, %(expires_at)s, %(now)s
    FROM transfer
)"""  # noqa: S608 (gate: a constant condition of this package's callers, never input)


CREDIT_SQL = f"""
WITH {credit_ctes()}
SELECT transfer.id, member.balance, member.owed FROM transfer, member
"""  # noqa: S608 (constant fragments only)

#: A credit that happens only with a new idempotency key, all or nothing, in one statement
#: (so it may run as a transaction of its own). `locked`: the member row, locked first, with
#: its balance and points owed; `claim`: the new key's id, stored with its answer — whose
#: points_balance is the balance after the credit — or no row when the key is taken or the
#: member owes points (the generic path collects them first); then the credit's CTEs, gated
#: on the claim. Under READ COMMITTED the lock waits for a concurrent writer of the member
#: row and reads its committed balance, and the update then applies to that same row
#: version: the answer's balance and the entry's balance_after agree. No claim → nothing
#: is written. Parameters: credit_params() and scope, key, request_hash, status, response
#: (JSON text). Other CTEs join it with `FROM claim, locked`.
CLAIMED_CREDIT_CTES = """
locked AS (
    SELECT credits_posted - debits_posted AS balance, owed FROM accounts
    WHERE id = %(member)s AND kind = 'member'
    FOR UPDATE
), claim AS (
    INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response_body,
                                  created_at)
    SELECT %(scope)s, %(key)s, %(request_hash)s, %(status)s,
           jsonb_set(%(response)s::jsonb, '{points_balance}',
                     to_jsonb(locked.balance + %(points)s))::text,
           %(now)s
    FROM locked WHERE locked.owed = 0
    ON CONFLICT (scope, key) DO NOTHING
    RETURNING id
),""" + credit_ctes("%(points)s > 0 AND EXISTS (SELECT FROM claim)")  # noqa: S608


#: The purchase's columns that SALE_SQL takes as they are, as parameters `p_<column>`.
SALE_PURCHASE_COLUMNS = (
    "id", "merchant_id", "terminal_id", "member_id", "card_id", "offer_id", "reference",
    "tier", "amount", "percent_off", "discount", "redeem_points", "points_value", "payable",
    "points_earned", "refunded_amount",
)

#: A common sale in one statement: the claimed credit (above), then the purchase row, whose
#: balance is the balance after the credit, and the member's annual spend (never below 0).
#: Parameters: those of CLAIMED_CREDIT_CTES, p_<column> for SALE_PURCHASE_COLUMNS, and
#: spend_member, spend_year, spend_fen. Its row: (the key's id or NULL, the balance after).
SALE_SQL = f"""
WITH {CLAIMED_CREDIT_CTES},
purchase AS (
    INSERT INTO purchases ({", ".join(SALE_PURCHASE_COLUMNS)}, points_balance,
                           accrual_transfer_id, created_at)
    SELECT {", ".join(f"%(p_{column})s" for column in SALE_PURCHASE_COLUMNS)},
           locked.balance + %(points)s, (SELECT id FROM transfer), %(now)s
    FROM claim, locked
), spend AS (
    INSERT INTO annual_spend (member_id, year, telecom_fen, alliance_fen)
    SELECT %(spend_member)s, %(spend_year)s, 0, GREATEST(0, %(spend_fen)s) FROM claim
    ON CONFLICT (member_id, year)
    DO UPDATE SET alliance_fen = GREATEST(0, annual_spend.alliance_fen + %(spend_fen)s)
)
SELECT (SELECT id FROM claim), locked.balance + %(points)s FROM locked
"""  # noqa: S608 (constant fragments only, never input)


def naive_utc(moment: datetime) -> datetime:
    """The columns are UTCDateTime: naive UTC in the database (see valliance.db)."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def credit_params(*, member: int, source: int, points: int, code: str, kind: str,
                  now: datetime, expires_at: datetime, links: dict) -> dict:
    """The parameters of CREDIT_CTES."""
    return {
        "member": member, "source": source, "points": points, "code": code, "kind": kind,
        "now": naive_utc(now), "expires_at": naive_utc(expires_at),
        "reverses_id": links.get("reverses_id"), "purchase_id": links.get("purchase_id"),
        "merchant_id": links.get("merchant_id"), "reason": links.get("reason"),
        "actor": links.get("actor"),
    }


def fetch(conn, sql: str, params: dict) -> list[tuple]:
    """Run one statement through the driver's cursor on this SQLAlchemy connection: its rows.

    Same connection, same transaction; it skips SQLAlchemy's result machinery, which costs
    more CPU than the driver itself (~140 µs against ~60 µs a statement): the quote's read
    and the generic path's credit run through it.
    Driver errors are wrapped as SQLAlchemy's, so run_in_transaction still recognizes a
    deadlock or a serialization failure and retries it.
    """
    if not conn.in_transaction():
        # SQLAlchemy must know of the transaction the driver opens, or conn.commit() would
        # have nothing to commit and returning the connection to the pool would roll it back.
        conn.begin()
    try:
        return run(conn.connection.driver_connection, sql, params)
    except psycopg.Error as exc:
        raise DBAPIError.instance(sql, params, exc, psycopg.Error) from exc


def run(driver_connection: psycopg.Connection, sql: str, params: dict) -> list[tuple]:
    """Run one statement on a psycopg connection: its rows (driver errors as they come)."""
    # One parameter type per integer, whatever its size: psycopg sends 5 as int2 and 50000 as
    # int4, and each combination of types is a statement of its own that must run 5 times
    # before it is prepared; unprepared, the purchase statement is planned anew each time,
    # which costs PostgreSQL more than running it.
    params = {name: Int8(value) if type(value) is int else value
              for name, value in params.items()}
    with driver_connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def credit_member(conn, *, member: int, source: int, points: int, code: str, kind: str,
                  now: datetime, expires_at: datetime, links: dict):
    """Run the credit in one statement; (transfer id, balance, owed) or None for no account."""
    params = credit_params(member=member, source=source, points=points, code=code, kind=kind,
                           now=now, expires_at=expires_at, links=links)
    rows = fetch(conn, CREDIT_SQL, params)
    return rows[0] if rows else None
