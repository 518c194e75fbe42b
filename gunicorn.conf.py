"""gunicorn's settings for Valliance, read by `gunicorn wsgi:app` run from the project's root.

On PostgreSQL, gevent workers: each request is a greenlet, and a till's kept-alive connection
is served by the same greenlet from one sale to the next. gunicorn's threaded worker hands
every request from its event loop to a thread and back again, and on the POS benchmark that
cost more CPU than the purchase itself (docs/benchmarks.md). psycopg waits cooperatively once
gevent has patched the standard library (psycopg ≥ 3.1.14) — so never preload the app
(`--preload` would import psycopg before the patch, and every query would stall its worker) —
and the one slow call on the CPU, the password hash, runs in gevent's thread pool
(valliance/passwords.py).

On SQLite (no DATABASE_URL, or a sqlite:// one), threaded workers: SQLite's calls cannot yield
to other greenlets, and a request that holds SQLite's write lock while its password hash
yields would leave every other writer of its worker waiting inside SQLite.

Each worker holds at most pool_size + max_overflow database connections (SQLAlchemy's
defaults: 5 + 10), so workers × 15 must stay within PostgreSQL's max_connections (100 by
default). Command-line flags override these settings (`gunicorn -w 8 wsgi:app`), and so does
GUNICORN_CMD_ARGS; WEB_CONCURRENCY sets the number of workers.

With PROMETHEUS_MULTIPROC_DIR (a directory of the web server's own: README, Production) the
workers' metrics are summed at GET /metrics; on_starting empties it of a previous run's files
and child_exit forgets a stopped worker's live gauges.
"""

import json
import logging
import os
from datetime import UTC, datetime

_on_sqlite = os.environ.get("DATABASE_URL", "sqlite:").startswith("sqlite:")

worker_class = "gthread" if _on_sqlite else "gevent"
threads = 2 if _on_sqlite else 1
# one per core this process may run on: a gevent worker goes on with other requests while one
# waits on PostgreSQL, and more processes only switch more (on 2 cores, 2 gevent workers sold
# 1.28 and 1.33 times the purchases a second of gthread's 4 × 2 and 2 × 4; 3 or 4 gevent
# workers sold no more than 2: docs/benchmarks.md)
workers = int(os.environ.get("WEB_CONCURRENCY") or len(os.sched_getaffinity(0)))
# at most this many connections per gevent worker at a time (tills, portal users, operators)
worker_connections = 1000
# tills and the reverse proxy keep their connections between requests; well under the 30 s a
# stopping worker waits for them (graceful_timeout), so that a restart takes seconds
keepalive = 10
bind = "127.0.0.1:8000"
# no gunicornc control socket: systemd starts, reloads and stops the server, and the default
# socket ($HOME/.gunicorn/gunicorn.ctl) would be one path shared by every gunicorn of a user
# (two servers, or tests beside a server) and unwritable under the unit's ProtectHome=yes
control_socket_disable = True


def _fresh_metrics() -> None:
    """Start the metrics afresh: a previous run's files would count its workers as live."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory and os.path.isdir(directory):
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))


def child_exit(server, worker):
    """Forget a dead worker's live gauges (connections checked out…): with
    PROMETHEUS_MULTIPROC_DIR set, every worker writes its metrics there and a scrape sums
    them; its counters stay, so that totals never go back (valliance/metrics)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def _production() -> bool:
    return os.environ.get("PRODUCTION", "").strip().lower() in ("1", "true", "yes", "on")


class _JsonLines(logging.Formatter):
    """The master's lines as valliance/logs.py writes them (time, level, logger, message).

    Not that module itself: importing the app's package here would load it into the master
    before the workers' gevent patch, which is what --preload does. Each worker's create_app
    puts the app's own JSON handler (same name) in place of this one.
    """

    def format(self, record):
        entry = {"time": datetime.fromtimestamp(record.created, UTC)
                 .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                 "level": record.levelname, "logger": record.name,
                 "message": record.getMessage()}
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _json_logs() -> dict | None:
    """With JSON logs (LOG_FORMAT=json; by default with PRODUCTION=1, as valliance/logs.py),
    gunicorn's own lines are JSON objects too, and its access lines are left to the app's."""
    chosen = os.environ.get("LOG_FORMAT", "").strip().lower() or (
        "json" if _production() else "text")
    if chosen != "json":
        return None
    return {  # merged over gunicorn's defaults, key by key
        "root": {"level": "INFO", "handlers": ["valliance-json"]},
        "loggers": {"gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
                    "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False}},
        # named as the app's handler (logs.HANDLER_NAME): it replaces this one, never doubles it
        "handlers": {"valliance-json": {"class": "logging.StreamHandler", "formatter": "json",
                                        "stream": "ext://sys.stderr"}},
        "formatters": {"json": {"()": _JsonLines}},
    }


logconfig_dict = _json_logs() or {}


def on_starting(server):
    """Start the metrics afresh; in production, run `flask check` once before binding the
    port and stop with its one line.

    In a subprocess: the master must not build the app itself (psycopg would be imported
    before the workers' gevent patches the standard library, as with --preload). The
    settings' refusals come from create_app there too (valliance/startup.py).
    """
    _fresh_metrics()
    if not _production():
        return
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "check"],  # noqa: S603
                          cwd=server.cfg.chdir, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines() or ["flask check failed"]
        raise RuntimeError(lines[-1])
    for line in done.stderr.strip().splitlines():  # what it only warned of (a silent replica)
        server.log.warning("flask check: %s", line)
