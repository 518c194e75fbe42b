"""For tests that start the app's own command lines (gunicorn, flask) as processes."""

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.pos_bench import free_port, stop, wait_healthy

#: the project's root, where gunicorn.conf.py and wsgi.py are
ROOT = Path(__file__).resolve().parents[1]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
FLASK = str(Path(sys.executable).with_name("flask"))

__all__ = ["FLASK", "GUNICORN", "ROOT", "free_port", "gunicorn", "server_environment", "stop"]


def server_environment(url: str, **settings: str) -> dict:
    """The environment of a test server: the settings file's shape, rate limits of its own."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"GUNICORN_CMD_ARGS", "WEB_CONCURRENCY", "REDIS_URL"}}
    env.update({"DATABASE_URL": url, "SECRET_KEY": "test-secret-key", **settings})
    return env


@contextlib.contextmanager
def gunicorn(env: dict, log: Path, *flags: str):
    """gunicorn as the web unit runs it (`gunicorn --config gunicorn.conf.py wsgi:app` from
    the project's root) on a free port, healthy: (port, its process). Stopped at the end."""
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen([GUNICORN, "--config", "gunicorn.conf.py",  # noqa: S603
                                 "--bind", f"127.0.0.1:{port}", *flags, "wsgi:app"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        try:
            wait_healthy(port, proc, timeout=60)
        except RuntimeError as exc:
            pytest.fail(f"{exc}:\n{log.read_text()[-3000:]}")
        yield port, proc
    finally:
        stop(proc)


def worker_pids(master: int) -> list[int]:
    """The pids of gunicorn's workers: the master's children."""
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except FileNotFoundError:  # the master has gone
        return []
    return sorted(int(pid) for pid in children)


def flask(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `flask --app wsgi ARGS…` from the project's root: its completed process."""
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout, check=False)
