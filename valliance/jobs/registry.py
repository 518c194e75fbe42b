"""The named jobs features register, the daily schedule, and what the jobs page shows."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time

#: seconds to wait before each retry of a failed job (three retries, then it stays failed)
DEFAULT_BACKOFF: tuple[int, ...] = (30, 300, 1800)
#: states in which a key is taken: enqueuing the same key again returns the job already there
ACTIVE = frozenset({"queued", "started", "scheduled", "deferred"})


@dataclass(frozen=True)
class Job:
    name: str
    #: fn(session, *args): runs in an app context, inside one transaction (never commits)
    fn: Callable
    #: the msgid shown on the jobs page (marked with N_ by the registering package)
    label: str
    backoff: tuple[int, ...] = DEFAULT_BACKOFF
    #: seconds an attempt may run before RQ stops it (None: RQ's default, 180 s)
    timeout: int | None = None


@dataclass(frozen=True)
class JobView:
    """One job as the jobs page shows it, from RQ's registries or the in-process queue."""

    id: str
    name: str
    key: str | None
    args: tuple
    status: str
    enqueued_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    error: str | None


#: name → Job, filled by the features' init_app (jobs.register)
JOBS: dict[str, Job] = {}
#: name → time of day in Asia/Shanghai at which the job is enqueued once a day
SCHEDULE: dict[str, time] = {}
#: name → minutes: the job is enqueued once in every such stretch of the clock
EVERY: dict[str, int] = {}


def register(name: str, fn: Callable, *, label: str, backoff: tuple[int, ...] = DEFAULT_BACKOFF,
             daily_at: str | None = None, every_minutes: int | None = None,
             timeout: int | None = None) -> None:
    """Name a job; with daily_at "HH:MM" (Asia/Shanghai) run it once a day from then on, with
    every_minutes once in every so many minutes; timeout: seconds an attempt may run on RQ."""
    JOBS[name] = Job(name, fn, label, tuple(backoff), timeout)
    if daily_at is not None:
        SCHEDULE[name] = time.fromisoformat(daily_at)
    else:
        SCHEDULE.pop(name, None)
    if every_minutes is not None:
        if not 1 <= every_minutes <= 1440:
            raise ValueError("every_minutes is 1 to 1440")
        EVERY[name] = every_minutes
    else:
        EVERY.pop(name, None)


def unregister(name: str) -> None:
    """Forget a job (tests)."""
    JOBS.pop(name, None)
    SCHEDULE.pop(name, None)
    EVERY.pop(name, None)


def label_of(name: str) -> str:
    job = JOBS.get(name)
    return job.label if job else name
