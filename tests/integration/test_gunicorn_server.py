"""The app as production runs it: gunicorn with the project's settings.

gunicorn.conf.py runs gevent workers on PostgreSQL (every request a greenlet) and threaded
workers on SQLite. These tests start the real server on 127.0.0.1 from the project's root, as
the README says, and sell, replay and log in through it, also all at once; and they check that
a password hash — slow on purpose — leaves a gevent worker's other requests running
(valliance/passwords.py).
"""

import concurrent.futures
import contextlib
import http.client
import json
import os
import subprocess
import sys
import time

import pytest

from tests.api import pos_helpers as pos
from tests.conftest import PG_URL
from tests.processes import ROOT, gunicorn, server_environment
from valliance.points.verify import verify_ledger


@pytest.fixture
def server(app, sqlite_template, tmp_path):
    """gunicorn serving the test database with gunicorn.conf.py: (port, its log file)."""
    log = tmp_path / "gunicorn.log"
    with gunicorn(server_environment(PG_URL or sqlite_template.url), log) as (port, _):
        yield port, log


def _member_card(session) -> tuple[str, str]:
    """A new member's (phone, card number); the test's transaction ended, so that on SQLite
    it holds no lock the server would wait for."""
    member, card = pos.member(session)
    phone, number = member.phone, card.number
    session.rollback()
    return phone, number


def _post(conn: http.client.HTTPConnection, path: str, body: dict, headers: dict):
    conn.request("POST", path, body=json.dumps(body).encode(),
                 headers={"Content-Type": "application/json", **headers})
    response = conn.getresponse()
    return response.status, dict(response.getheaders()), json.loads(response.read())


def test_runs_the_settings_file(server):
    _, log = server
    cores = len(os.sched_getaffinity(0))
    deadline = time.monotonic() + 30  # the first worker may answer before the last has booted
    while log.read_text().count("Booting worker") < cores and time.monotonic() < deadline:
        time.sleep(0.2)
    text = log.read_text()
    # gevent on PostgreSQL; on SQLite, whose calls cannot yield, threads
    assert f"Using worker: {'gevent' if PG_URL else 'gthread'}" in text
    assert text.count("Booting worker") == cores  # one per core


def _connection(port: int, timeout: float = 60):
    return contextlib.closing(http.client.HTTPConnection("127.0.0.1", port, timeout=timeout))


def test_sells_and_replays_on_one_kept_alive_connection(server, session):
    port, _ = server
    shop = pos.shop(session, offer={"percent_off": 10, "points_per_yuan": 2})
    _, number = _member_card(session)
    headers = {**shop.headers, "Idempotency-Key": "sale-1"}
    with _connection(port) as conn:
        status, first_headers, first = _post(conn, pos.PURCHASES,
                                             {"card": number, "amount": 10000}, headers)
        assert status == 201, first
        assert (first["discount"], first["payable"], first["points_earned"]) == (1000, 9000, 180)
        assert first_headers.get("Connection", "keep-alive").lower() != "close"
        # the same connection: the next sale, then the first one retried
        status, _, second = _post(conn, pos.PURCHASES, {"card": number, "amount": 5000},
                                  {**shop.headers, "Idempotency-Key": "sale-2"})
        assert status == 201, second
        assert second["points_balance"] == 180 + 90
        status, replay_headers, replay = _post(conn, pos.PURCHASES,
                                               {"card": number, "amount": 10000}, headers)
        assert (status, replay, replay_headers["Idempotent-Replayed"]) == (201, first, "true")
    session.expire_all()
    assert verify_ledger(session).ok


@pytest.mark.slow_password_hashes  # the logins' hashes must take a production hash's time
def test_sales_and_logins_at_once(server, session):
    """Twelve sales to one member and four logins (each a slow hash) at the same time."""
    port, _ = server
    shop = pos.shop(session, offer={"percent_off": 0, "points_per_yuan": 1})
    phone, number = _member_card(session)

    def sell(n: int):
        with _connection(port) as conn:
            status, _, body = _post(conn, pos.PURCHASES,
                                    {"card": number, "amount": 100 * (n + 1)},
                                    {**shop.headers, "Idempotency-Key": f"conc-{n}"})
            return status, body

    def log_in(n: int):
        with _connection(port) as conn:
            password = "secret123" if n % 2 else "wrong-pass1"
            status, _, body = _post(conn, "/api/v1/member/session",
                                    {"phone": phone, "password": password}, {})
            return status, body

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        logins = [pool.submit(log_in, n) for n in range(4)]
        sales = list(pool.map(sell, range(12)))
        logins = [login.result() for login in logins]
    assert [status for status, _ in sales] == [201] * 12, sales
    # one member, twelve sales at once: every one counted, 1 + 2 + … + 12 points
    assert max(body["points_balance"] for _, body in sales) == 78
    assert [status for status, _ in logins] == [401, 201, 401, 201], logins
    session.expire_all()
    assert verify_ledger(session).ok


HUB_PROBE = """
from gevent import monkey
monkey.patch_all()
import gevent
from werkzeug.security import generate_password_hash
from valliance.passwords import new_hash, password_matches

ticks = []
def ticker():
    while True:
        ticks.append(1)
        gevent.sleep(0.001)

gevent.spawn(ticker)
gevent.sleep(0.01)

def ticks_during(call):
    before = len(ticks)
    call()
    return len(ticks) - before

blocking = ticks_during(lambda: generate_password_hash("secret123"))
stored = []
hashing = ticks_during(lambda: stored.append(new_hash("secret123")))
checking = ticks_during(lambda: password_matches(stored[0], "secret123"))
print(blocking, hashing, checking, password_matches(stored[0], "secret123"),
      password_matches(stored[0], "wrong-pass1"), password_matches(None, "secret123"))
"""


def test_a_password_hash_leaves_the_gevent_hub_running():
    """While a hash runs, other greenlets of the worker go on; werkzeug's own call stops them."""
    done = subprocess.run([sys.executable, "-c", HUB_PROBE], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    blocking, hashing, checking, right, wrong, nobody = done.stdout.split()
    assert int(blocking) == 0  # the probe can tell: a hash on the hub lets nothing else run
    assert int(hashing) >= 2 and int(checking) >= 2
    assert (right, wrong, nobody) == ("True", "False", "False")
