"""What a worker runs: a named job in an app context, inside one transaction."""

from flask import Flask, current_app, has_app_context
from prometheus_client import Counter

from valliance import logs
from valliance.db import run_in_transaction
from valliance.extensions import db
from valliance.jobs.registry import JOBS

#: attempts that raised, by job name (each retry that fails counts again)
FAILURES = Counter("valliance_job_failures", "Job attempts that failed", ["job"])

#: the app a worker process runs its jobs in (set by `flask jobs worker`)
worker_app: Flask | None = None


def _app() -> Flask:
    if has_app_context():
        return current_app._get_current_object()
    if worker_app is not None:
        return worker_app
    from valliance import create_app

    return create_app()


def _note_error(exc: Exception) -> None:
    """Keep the error on the RQ job (RQ keeps none for an attempt that will be retried)."""
    from rq import get_current_job

    job = get_current_job()
    if job is not None:
        job.meta["error"] = f"{type(exc).__name__}: {exc}"[:500]
        job.save_meta()


def _queued_by() -> str | None:
    """The request id an RQ job was queued with (None in-process: run_one sets it)."""
    from rq import get_current_job

    job = get_current_job()
    return job.meta.get("request_id") if job is not None else None


def execute(name: str, *args):
    """Run job `name` with args: commit once when it returns, roll back when it raises."""
    job = JOBS[name]
    with _app().app_context(), logs.context(request_id=_queued_by(), job=name):
        try:
            return run_in_transaction(db.session, lambda: job.fn(db.session, *args))
        except Exception as exc:
            FAILURES.labels(name).inc()
            _note_error(exc)
            raise
        finally:
            db.session.remove()
