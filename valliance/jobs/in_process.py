"""Jobs without Redis: a thread in the web process consumes an in-memory queue and ticks the
schedule, so a bare `make run` (SQLite, nothing else installed) runs the same jobs.

What is queued is lost when the process stops; production runs RQ (docs/jobs.md).
"""

import queue
import threading
import traceback
import uuid
from dataclasses import replace
from datetime import date

from flask import Flask

from valliance import logs
from valliance.db import utcnow
from valliance.jobs import schedule
from valliance.jobs.registry import ACTIVE, JOBS, JobView
from valliance.jobs.runner import execute

#: failed and finished jobs kept in memory (the oldest are forgotten first)
KEPT = 200


class InProcessBackend:
    kind = "in_process"

    def __init__(self, app: Flask):
        self.app = app
        self.lock = threading.Lock()
        self.pending: queue.Queue[str] = queue.Queue()
        self.jobs: dict[str, JobView] = {}
        self.attempts: dict[str, int] = {}
        #: the request that queued each job (its log lines carry the id)
        self.request_ids: dict[str, str | None] = {}
        self.claimed: set[tuple[str, date | str]] = set()
        self.thread: threading.Thread | None = None

    def enqueue(self, name: str, args: tuple, key: str | None,
                request_id: str | None = None) -> str:
        if name not in JOBS:
            raise KeyError(name)
        key = key or uuid.uuid4().hex
        with self.lock:
            current = self.jobs.get(key)
            if current is not None and current.status in ACTIVE:
                return key
            self.jobs[key] = JobView(id=key, name=name, key=key, args=tuple(args),
                                     status="queued", enqueued_at=utcnow(), started_at=None,
                                     ended_at=None, error=None)
            self.attempts[key] = 0
            self.request_ids[key] = request_id
            self._forget_old()
        self.pending.put(key)
        return key

    def _forget_old(self) -> None:
        done = [k for k, job in self.jobs.items() if job.status not in ACTIVE]
        for k in done[:max(0, len(done) - KEPT)]:
            del self.jobs[k]
            self.attempts.pop(k, None)
            self.request_ids.pop(k, None)

    def _set(self, key: str, **changes) -> JobView:
        with self.lock:
            self.jobs[key] = replace(self.jobs[key], **changes)
            return self.jobs[key]

    def _requeue(self, key: str) -> None:
        self._set(key, status="queued")
        self.pending.put(key)

    def run_one(self, key: str) -> None:
        job = self._set(key, status="started", started_at=utcnow(), error=None)
        with logs.context(request_id=self.request_ids.get(key), job=job.name):
            self._run(key, job)

    def _run(self, key: str, job: JobView) -> None:
        try:
            with self.app.app_context():
                execute(job.name, *job.args)
        except Exception as exc:
            self._failed(key, exc)
            return
        self._set(key, status="finished", ended_at=utcnow())

    def _failed(self, key: str, exc: Exception) -> None:
        self.app.logger.error("job %s failed:\n%s", key, traceback.format_exc())
        error = f"{type(exc).__name__}: {exc}"
        backoff = JOBS[self.jobs[key].name].backoff if self.jobs[key].name in JOBS else ()
        attempt = self.attempts.get(key, 0)
        if attempt >= len(backoff):
            self._set(key, status="failed", ended_at=utcnow(), error=error)
            return
        self.attempts[key] = attempt + 1
        self._set(key, status="scheduled", error=error)
        if backoff[attempt] <= 0:
            self._requeue(key)
        else:
            timer = threading.Timer(backoff[attempt], self._requeue, args=(key,))
            timer.daemon = True
            timer.start()

    def retry(self, key: str) -> bool:
        with self.lock:
            job = self.jobs.get(key)
            if job is None or job.status != "failed":
                return False
            self.attempts[key] = 0
        self._requeue(key)
        return True

    def overview(self) -> dict[str, list[JobView]]:
        with self.lock:
            jobs = list(self.jobs.values())
        return {state: [job for job in jobs if job.status == state]
                for state in ("queued", "started", "scheduled", "failed")}

    def counts(self) -> dict[str, int]:
        """How many jobs are in each state (queued: the queue's depth)."""
        with self.lock:
            states = [job.status for job in self.jobs.values()]
        return {state: states.count(state)
                for state in ("queued", "started", "scheduled", "failed")}

    def claim_day(self, name: str, day: date | str) -> bool:
        with self.lock:
            if (name, day) in self.claimed:
                return False
            self.claimed.add((name, day))
            return True

    def drain(self) -> int:
        """Run every queued job (and immediate retries) in this thread; return how many ran."""
        ran = 0
        while True:
            try:
                key = self.pending.get_nowait()
            except queue.Empty:
                return ran
            self.run_one(key)
            ran += 1

    def tick(self) -> list[str]:
        return schedule.tick(self.claim_day,
                             lambda name, key: self.enqueue(name, (), key))

    def start(self) -> None:
        """Start the background thread (once): jobs as they come, the schedule every tick."""
        with self.lock:
            if self.thread is not None and self.thread.is_alive():
                return
            self.thread = threading.Thread(target=self._loop, name="valliance-jobs",
                                           daemon=True)
            self.thread.start()

    def _loop(self) -> None:
        while True:
            try:
                self.tick()
                key = self.pending.get(timeout=schedule.TICK_SECONDS)
            except queue.Empty:
                continue
            except Exception:  # a tick that failed must not stop the thread
                self.app.logger.exception("job schedule tick failed")
                continue
            self.run_one(key)
