"""`flask jobs worker`: the RQ worker (with RQ's scheduler and the daily schedule's ticks)."""

import logging
import threading
import time

import click
from flask import current_app
from flask.cli import AppGroup

from valliance.jobs import runner, schedule
from valliance.jobs.registry import SCHEDULE
from valliance.logs import log_format

log = logging.getLogger(__name__)

jobs_cli = AppGroup("jobs", help="The job queue.")


def _tick_forever(backend) -> None:
    while True:
        try:
            schedule.tick(backend.claim_day,
                          lambda name, key: backend.enqueue(name, (), key))
        except Exception:  # Redis away for a moment: try again at the next tick
            current_app.logger.exception("job schedule tick failed")
        time.sleep(schedule.TICK_SECONDS)


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run what is queued, then stop (no schedule).")
def worker_command(burst: bool):
    """Run jobs from Redis (REDIS_URL) until stopped; tick the daily schedule."""
    from rq import SimpleWorker

    from valliance.jobs import backend as current_backend

    backend = current_backend()
    if backend.kind != "redis":
        raise click.ClickException(
            "REDIS_URL is not set: without Redis the web process runs the jobs itself")
    app = current_app._get_current_object()
    runner.worker_app = app
    if not burst:
        daily = "daily: " + ", ".join(f"{n} {t:%H:%M}" for n, t in sorted(SCHEDULE.items()))
        if log_format(app.config) == "json":  # every line of the worker a JSON object
            log.info(daily)
        else:
            click.echo(daily)

        def ticking():
            with app.app_context():
                _tick_forever(backend)

        threading.Thread(target=ticking, name="valliance-schedule", daemon=True).start()
    worker = SimpleWorker([backend.queue], connection=backend.connection)
    worker.work(burst=burst, with_scheduler=True)
