"""The ledger's jobs: lots past their date expire every night (as `flask ledger expire`).

The expiry commits a chunk of accounts at a time (points.expiry.expire_chunk): a big run
holds no huge transaction, and a run that dies keeps what its committed chunks expired; the
next run (or the job's retry) expires the rest and nothing twice.
"""

from collections.abc import Callable
from datetime import datetime

from valliance import jobs
from valliance.db import utcnow
from valliance.i18n import N_
from valliance.points.expiry import CHUNK, expire_accounts, expire_chunk


def expire_in_chunks(session, *, commit: Callable, now: datetime | None = None,
                     chunk: int = CHUNK) -> dict:
    """Expire every due lot, calling commit after each chunk: {"lots", "points"} expired."""
    now = now or utcnow()
    lots = points = 0
    after, skipped = 0, []
    while True:
        part = expire_chunk(session, now=now, after=after, limit=chunk)
        if part.last is None:
            break
        lots, points, after = lots + part.lots, points + part.points, part.last
        skipped += part.skipped
        commit()
    # accounts a till (or another run) held a moment ago: now waiting for their locks
    for start in range(0, len(skipped), chunk):
        part = expire_accounts(session, skipped[start:start + chunk], now=now)
        lots, points = lots + part.lots, points + part.points
        commit()
    return {"lots": lots, "points": points}


def expire(session, at: str | None = None) -> dict:
    """Expire every lot past its date, a chunk at a time; the job's result counts them.
    `at` (ISO 8601, optional): the moment to expire as (a frozen clock)."""
    now = datetime.fromisoformat(at) if at else None
    return expire_in_chunks(session, commit=session.commit, now=now)


def register_jobs() -> None:
    jobs.register("ledger.expire", expire, label=N_("积分到期"), daily_at="00:30")
