"""The daily schedule: each entry is enqueued once per Asia/Shanghai day, from its time on.

A worker (or the web process without Redis) calls `tick` every TICK_SECONDS; `claim` says
whether this process is the first to take (job, day) — a Redis SET NX shared by every worker,
or a set in memory — so a job runs once a day however many workers tick, and a worker
started after the time runs that day's missed run.
"""

from collections.abc import Callable
from datetime import date, datetime

from valliance.db import SHANGHAI, utcnow
from valliance.jobs.registry import SCHEDULE

TICK_SECONDS = 30


def due(now: datetime) -> list[tuple[str, date]]:
    """The (job, day) pairs whose time of day has come on now's Asia/Shanghai day."""
    local = now.astimezone(SHANGHAI)
    return [(name, local.date()) for name, at in sorted(SCHEDULE.items()) if local.time() >= at]


def schedule_key(name: str, day: date) -> str:
    return f"{name}@{day.isoformat()}"


def tick(claim: Callable[[str, date], bool], enqueue: Callable, now: datetime | None = None
         ) -> list[str]:
    """Enqueue each due job this process claims first; return the keys enqueued."""
    keys = []
    for name, day in due(now or utcnow()):
        if claim(name, day):
            key = schedule_key(name, day)
            enqueue(name, key=key)
            keys.append(key)
    return keys
