"""PostgreSQL's one-round-trip credit: the hot path of every purchase.

The member's row update, the transfer, both entries and the new lot are one data-modifying
statement, so an accrual costs one round trip and one statement's overhead on the server.
The generic path in ledger.py does the same in four statements (SQLite cannot modify data in
a WITH clause); both run the whole test suite.
"""

from datetime import UTC, datetime

CREDIT_SQL = """
WITH member AS (
    UPDATE accounts SET credits_posted = credits_posted + %(points)s
    WHERE id = %(member)s AND kind = 'member'
    RETURNING credits_posted - debits_posted AS balance, owed
), transfer AS (
    INSERT INTO transfers (debit_account_id, credit_account_id, amount, code, kind,
                           reverses_id, purchase_id, merchant_id, reason, actor, created_at)
    SELECT %(source)s, %(member)s, %(points)s, %(code)s, %(kind)s, %(reverses_id)s,
           %(purchase_id)s, %(merchant_id)s, %(reason)s, %(actor)s, %(now)s
    FROM member
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
)
SELECT transfer.id, member.balance, member.owed FROM transfer, member
"""


def _naive_utc(moment: datetime) -> datetime:
    # The columns are UTCDateTime: naive UTC in the database (see valliance.db).
    return moment.astimezone(UTC).replace(tzinfo=None)


def credit_member(conn, *, member: int, source: int, points: int, code: str, kind: str,
                  now: datetime, expires_at: datetime, links: dict):
    """Run the credit in one statement; (transfer id, balance, owed) or None for no account."""
    params = {
        "member": member, "source": source, "points": points, "code": code, "kind": kind,
        "now": _naive_utc(now), "expires_at": _naive_utc(expires_at),
        "reverses_id": links.get("reverses_id"), "purchase_id": links.get("purchase_id"),
        "merchant_id": links.get("merchant_id"), "reason": links.get("reason"),
        "actor": links.get("actor"),
    }
    # exec_driver_sql: no SQL compilation, but driver errors arrive wrapped as DBAPIError, so
    # the unit of work recognizes a deadlock and retries it.
    return conn.exec_driver_sql(CREDIT_SQL, params).first()
