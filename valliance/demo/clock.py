"""When the demo's programme sales of today happen: after the ledger's last posting (its ids
grow with its dates, as at real tills: settlement cuts months by id), whichever seeder ran
before."""

from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import func, select

from valliance.points import Transfer


def moments_after_last_posting(session, now: datetime, *,
                               window: timedelta = timedelta(hours=1)) -> Iterator[datetime]:
    """Moments a minute apart from the later of the last posting and `window` before now —
    a second apart once a minute would pass now (a seeder may have posted at now itself)."""
    last = session.scalar(select(func.max(Transfer.created_at)))
    moment = max(now - window, last) if last is not None else now - window
    while True:
        moment += timedelta(minutes=1) if moment + timedelta(minutes=1) <= now else timedelta(
            seconds=1)
        yield moment
