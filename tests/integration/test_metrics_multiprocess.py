"""Metrics under several processes (PROMETHEUS_MULTIPROC_DIR): a scrape answered by one of
them sums them all — two plain processes, then gunicorn's workers with gunicorn.conf.py, one of
them replaced on the way (its counters stay, its live gauges go)."""

import concurrent.futures
import http.client
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import PG_URL
from tests.processes import ROOT, gunicorn, server_environment, worker_pids

TOKEN = "multiprocess-scrape-token"  # noqa: S105 — tests only
PROBE = "/metrics-probe/13800138000"  # no such page: counted under the route "unmatched"
UNMATCHED = ('valliance_http_request_duration_seconds_count'
             '{method="GET",route="unmatched",status="4xx"}')

#: a process of its own: `argv[1]` requests of PROBE, then (argv[2] == "scrape") the scrape
PROCESS = f"""
import sys
from valliance import create_app
app = create_app()
client = app.test_client()
for _ in range(int(sys.argv[1])):
    assert client.get({PROBE!r}).status_code == 404
if sys.argv[2:] == ["scrape"]:
    sys.stdout.write(client.get("/metrics", headers={{"Authorization": "Bearer {TOKEN}"}})
                     .get_data(as_text=True))
"""


def _environment(url: str, directory: Path) -> dict:
    return server_environment(url, METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=str(directory))


def _samples(text: str) -> dict[str, float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


def _run(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", PROCESS, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_a_scrape_sums_the_counters_of_every_process(app, sqlite_template, tmp_path):
    env = _environment(PG_URL or sqlite_template.url, tmp_path)
    _run(env, "3")
    _run(env, "4")
    scraped = _samples(_run(env, "2", "scrape"))
    assert scraped[UNMATCHED] == 3 + 4 + 2
    assert len(list(tmp_path.glob("histogram_*.db"))) == 3  # one file per process


def _get(port: int, path: str, headers: dict | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


@pytest.fixture
def two_workers(app, sqlite_template, tmp_path):
    """gunicorn with gunicorn.conf.py and two workers sharing a metrics directory, which
    holds a previous run's file: (port, the master's pid, the directory)."""
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "gauge_livesum_999999.db").write_bytes(b"a previous run's")
    env = _environment(PG_URL or sqlite_template.url, directory)
    with gunicorn(env, tmp_path / "gunicorn.log", "-w", "2") as (port, proc):
        yield port, proc.pid, directory


def _scrape(port: int) -> dict[str, float]:
    status, text = _get(port, "/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, text
    return _samples(text)


def _settled(port: int, expected: int) -> float | None:
    """The scraped count of the probes once it stops short of `expected` no longer: a worker
    records a request as its answer closes, which may be just after the client read it."""
    deadline = time.monotonic() + 15
    while True:
        count = _scrape(port).get(UNMATCHED)
        if count == expected or time.monotonic() > deadline:
            return count
        time.sleep(0.1)


def test_gunicorn_workers_are_summed_and_a_replaced_one_keeps_its_counts(two_workers):
    port, master, directory = two_workers
    assert not (directory / "gauge_livesum_999999.db").exists()  # on_starting emptied it
    sent = 0
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        # until both workers have answered some (each writes its own histogram file)
        # (gunicorn's start-up probe may have made one already: at least 200 probes, then
        # more until there are two files)
        while (sent < 200 or len(list(directory.glob("histogram_*.db"))) < 2) and sent < 2000:
            statuses = list(pool.map(lambda _: _get(port, PROBE)[0], range(40)))
            assert statuses == [404] * 40
            sent += 40
    assert len(list(directory.glob("histogram_*.db"))) == 2, "one worker answered everything"
    assert _settled(port, sent) == sent
    old = worker_pids(master)
    assert len(old) == 2
    os.kill(old[0], signal.SIGTERM)  # gunicorn starts another; child_exit tidies after it
    deadline = time.monotonic() + 60
    while (len(worker_pids(master)) < 2 or old[0] in worker_pids(master)) \
            and time.monotonic() < deadline:
        time.sleep(0.2)
    assert old[0] not in worker_pids(master) and len(worker_pids(master)) == 2
    scraped = _scrape(port)
    assert scraped[UNMATCHED] == sent  # the stopped worker's requests still count
    assert not list(directory.glob(f"gauge_livesum_{old[0]}.db"))  # its live gauges went
    assert scraped["valliance_db_pool_capacity"] > 0
