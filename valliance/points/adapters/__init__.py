"""The ledger's engine adapters: one interface, an implementation per engine.

generic: row-by-row statements that every engine runs; postgres: the same writes as
data-modifying CTEs, one statement each (a credit; a whole common sale, points.sales).
"""

from datetime import datetime

from valliance.points.adapters import generic, postgres


def credit_member(conn, *, member: int, source: int, points: int, code: str, kind: str,
                  now: datetime, expires_at: datetime, links: dict):
    """Credit a member with a transfer, its entries and a lot; (transfer id, balance, owed).

    None: no such member account.
    """
    engine = postgres if conn.dialect.name == "postgresql" else generic
    return engine.credit_member(conn, member=member, source=source, points=points, code=code,
                                kind=kind, now=now, expires_at=expires_at, links=links)
