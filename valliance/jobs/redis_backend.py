"""Jobs on Redis through RQ: the queue, idempotent keys as RQ job ids, retries, registries."""

import hashlib
import re
import uuid
from datetime import date

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job as RQJob
from rq.registry import (
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)

from valliance.jobs import schedule
from valliance.jobs.registry import ACTIVE, JOBS, JobView
from valliance.jobs.runner import execute

#: a finished job's result is kept this long; a failed one (for the page's retry) longer
RESULT_TTL = 7 * 86400
FAILURE_TTL = 30 * 86400
#: at most this many jobs of each state are shown
SHOWN = 50


def job_id(queue_name: str, key: str) -> str:
    """The RQ job id of a key: readable, only [A-Za-z0-9_-], unique per key (hash suffix)."""
    readable = re.sub(r"[^A-Za-z0-9_-]", "_", key)[:80]
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"{queue_name}-{readable}-{digest}"


def _status(job: RQJob) -> str:
    status = job.get_status(refresh=False)
    return getattr(status, "value", status) or ""


def _view(job: RQJob) -> JobView:
    error = None
    if _status(job) in ("failed", "scheduled"):  # scheduled: waiting to retry after a failure
        error = job.meta.get("error")
        result = None if error else job.latest_result()
        text = (result.exc_string or "").strip() if result else ""
        error = error or (text.splitlines()[-1] if text else None)
    return JobView(id=job.id, name=job.meta.get("name", job.func_name),
                   key=job.meta.get("key"), args=tuple(job.args[1:]),
                   status=_status(job),
                   enqueued_at=job.enqueued_at, started_at=job.started_at,
                   ended_at=job.ended_at, error=error)


class RedisBackend:
    kind = "redis"

    def __init__(self, url: str, queue_name: str = "valliance"):
        self.connection = Redis.from_url(url)
        self.queue = Queue(queue_name, connection=self.connection)

    def enqueue(self, name: str, args: tuple, key: str | None,
                request_id: str | None = None) -> str:
        if name not in JOBS:
            raise KeyError(name)
        key = key or uuid.uuid4().hex
        jid = job_id(self.queue.name, key)
        # The lock makes "is it there? then add it" one step for every process enqueuing.
        with self.connection.lock(f"valliance:jobs:lock:{jid}", timeout=30, blocking_timeout=30):
            try:
                existing = RQJob.fetch(jid, connection=self.connection)
                if existing.get_status() in ACTIVE:
                    return jid
            except NoSuchJobError:
                pass
            for registry in (self.failed, self.finished):
                registry.remove(jid)
            backoff = JOBS[name].backoff
            self.queue.enqueue(execute, name, *args, job_id=jid, description=name,
                               meta={"name": name, "key": key, "request_id": request_id},
                               job_timeout=JOBS[name].timeout,
                               retry=Retry(max=len(backoff), interval=list(backoff))
                               if backoff else None,
                               result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL)
        return jid

    @property
    def failed(self) -> FailedJobRegistry:
        return FailedJobRegistry(queue=self.queue)

    @property
    def finished(self) -> FinishedJobRegistry:
        return FinishedJobRegistry(queue=self.queue)

    def retry(self, jid: str) -> bool:
        """Put a failed job back on the queue; False when no failed job has that id."""
        if jid not in self.failed.get_job_ids():
            return False
        self.failed.requeue(jid)
        return True

    def _jobs(self, ids: list[str]) -> list[JobView]:
        jobs = RQJob.fetch_many(ids[:SHOWN], connection=self.connection)
        return [_view(job) for job in jobs if job is not None]

    def overview(self) -> dict[str, list[JobView]]:
        return {
            "queued": self._jobs(self.queue.get_job_ids(0, SHOWN)),
            "started": self._jobs(StartedJobRegistry(queue=self.queue).get_job_ids()),
            "scheduled": self._jobs(ScheduledJobRegistry(queue=self.queue).get_job_ids()),
            "failed": self._jobs(self.failed.get_job_ids(0, SHOWN - 1)),
        }

    def counts(self) -> dict[str, int]:
        """How many jobs are in each state (queued: the queue's depth), read from Redis."""
        return {"queued": self.queue.count,
                "started": StartedJobRegistry(queue=self.queue).count,
                "scheduled": ScheduledJobRegistry(queue=self.queue).count,
                "failed": self.failed.count}

    def claim_day(self, name: str, day: date | str) -> bool:
        """True for the first process to claim (job, day or slot) (see schedule.tick)."""
        claim = f"valliance:jobs:daily:{self.queue.name}:{name}:{schedule.slot_text(day)}"
        return bool(self.connection.set(claim, "1", nx=True, ex=3 * 86400))
