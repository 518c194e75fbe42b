"""The job queue: named jobs that features register, run by a worker outside the request.

    jobs.register("ledger.expire", expire, label=N_("积分到期"), daily_at="03:00")
    jobs.enqueue("ledger.expire", key="ledger.expire@2026-12-07")

With REDIS_URL the jobs go on Redis through RQ and `flask jobs worker` runs them (it also
ticks the daily schedule); without it a thread in the web process runs them (in_process).
A job runs in an app context inside one transaction (commit once, roll back on error), is
retried with backoff when it fails, and a key is never queued twice while queued or running.
See docs/jobs.md. Core: imports no feature package; features register their jobs.
"""

from flask import Flask, current_app

from valliance.jobs.registry import (
    DEFAULT_BACKOFF,
    JOBS,
    SCHEDULE,
    Job,
    JobView,
    label_of,
    register,
    unregister,
)

__all__ = ["DEFAULT_BACKOFF", "JOBS", "SCHEDULE", "Job", "JobView", "backend", "enqueue",
           "init_app", "label_of", "overview", "register", "retry", "unregister"]

EXTENSION = "valliance_jobs"


def init_app(app: Flask) -> None:
    """Choose the backend (RQ on REDIS_URL, else in-process) and add `flask jobs`."""
    from valliance.jobs.cli import jobs_cli

    url = app.config.get("REDIS_URL")
    if url:
        from valliance.jobs.redis_backend import RedisBackend

        app.extensions[EXTENSION] = RedisBackend(url, app.config.get("JOBS_QUEUE", "valliance"))
    else:
        from valliance.jobs.in_process import InProcessBackend

        backend = InProcessBackend(app)
        app.extensions[EXTENSION] = backend
        if not app.testing:
            # Serving (not a CLI command such as `flask db upgrade`): start with the first request.
            app.before_request(lambda: backend.start())
    app.cli.add_command(jobs_cli)


def backend(app: Flask | None = None):
    return (app or current_app).extensions[EXTENSION]


def enqueue(name: str, *args, key: str | None = None) -> str:
    """Queue job `name` with args; the same key is not queued again while queued or running.
    Returns the job's id (its key in-process, the RQ job id on Redis). The job's log lines
    carry the id of the request (or job) that queued it."""
    from valliance.logs import current_request_id

    return backend().enqueue(name, args, key, request_id=current_request_id())


def retry(job_id: str) -> bool:
    """Queue a failed job again; False when no failed job has that id."""
    return backend().retry(job_id)


def overview() -> dict[str, list[JobView]]:
    """Jobs queued, started (running), scheduled (waiting for a retry or a time) and failed."""
    return backend().overview()
