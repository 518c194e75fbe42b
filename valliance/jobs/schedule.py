"""The schedule: each daily entry is enqueued once per Asia/Shanghai day, from its time on;
each "every N minutes" entry once per N-minute stretch of the clock (its slot, in UTC).

A worker (or the web process without Redis) calls `tick` every TICK_SECONDS; `claim` says
whether this process is the first to take (job, day) — a Redis SET NX shared by every worker,
or a set in memory — so a job runs once a day however many workers tick, and a worker
started after the time runs that day's missed run.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime

from valliance.db import SHANGHAI, utcnow
from valliance.jobs.registry import EVERY, SCHEDULE

TICK_SECONDS = 30


def due(now: datetime) -> list[tuple[str, date | str]]:
    """The (job, day) pairs whose time of day has come on now's Asia/Shanghai day, then the
    (job, slot) pairs of the interval jobs: slot "YYYY-MM-DDTHH:MM" (UTC) starts now's
    stretch."""
    local = now.astimezone(SHANGHAI)
    daily: list[tuple[str, date | str]] = [
        (name, local.date()) for name, at in sorted(SCHEDULE.items()) if local.time() >= at]
    return daily + [(name, slot_of(now, minutes)) for name, minutes in sorted(EVERY.items())]


def slot_of(now: datetime, minutes: int) -> str:
    """The start of now's stretch of `minutes` (counted from midnight UTC), as text."""
    utc = now.astimezone(UTC)
    since_midnight = utc.hour * 60 + utc.minute
    start = since_midnight - since_midnight % minutes
    return f"{utc.date().isoformat()}T{start // 60:02d}:{start % 60:02d}"


def slot_text(slot: date | str) -> str:
    return slot if isinstance(slot, str) else slot.isoformat()


def schedule_key(name: str, slot: date | str) -> str:
    return f"{name}@{slot_text(slot)}"


def tick(claim: Callable[[str, date | str], bool], enqueue: Callable, now: datetime | None = None
         ) -> list[str]:
    """Enqueue each due job this process claims first; return the keys enqueued."""
    keys = []
    for name, day in due(now or utcnow()):
        if claim(name, day):
            key = schedule_key(name, day)
            enqueue(name, key=key)
            keys.append(key)
    return keys
