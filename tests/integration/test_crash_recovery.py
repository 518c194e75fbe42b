"""Crashes under load: gunicorn's workers killed with SIGKILL, then PostgreSQL stopped hard.

Real gunicorn (gunicorn.conf.py: gevent workers on PostgreSQL) serves six tills that keep
selling and refunding, each request with an Idempotency-Key of its own and sent again with
it until it gets a definite answer (tests/integration/crash_load.py). Meanwhile a worker
with requests in hand is killed five times, 0.5–1 s apart (the master starts another), or,
on a throwaway cluster, the database server is stopped with `pg_ctl stop -m immediate` and
started again. Afterwards every 201 is in the database exactly once and nothing else is,
each key replays its 201, the balances and sums agree with the answers, and `flask ledger
verify` passes. docs/crash-recovery.md says what runs showed.
"""

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from tests import clusters
from tests.conftest import PG_URL
from tests.integration import crash_load
from tests.processes import ROOT, flask, gunicorn, server_environment, worker_pids

pytestmark = pytest.mark.postgres_only

TILLS, MEMBERS, WORKERS = 6, 20, 2

#: the world the tills sell in (run with DATABASE_URL set): one merchant with a 10 % offer
#: and 2 points a yuan, a terminal per till, members with cards and opening points
SEED = f"""
import json, sys
from valliance import create_app
from valliance.extensions import db
from valliance.members.services import enroll_member
from valliance.merchants.services.offers import create_offer
from valliance.merchants.services.onboarding import create_merchant
from valliance.merchants.services.terminals import create_terminal

tills, members = int(sys.argv[1]), int(sys.argv[2])
app = create_app()
with app.app_context():
    merchant = create_merchant(db.session, name="老王火锅", category="餐饮", district="鹿城镇",
                               approved=True)
    create_offer(db.session, merchant, title="会员折扣", percent_off=10, points_per_yuan=2)
    keys = [create_terminal(db.session, merchant)[1] for _ in range(tills)]
    cards = [enroll_member(db.session, phone=f"1390000{{n:04d}}", name="王小明",
                           opening_points={crash_load.OPENING_POINTS}).card.number
             for n in range(members)]
    db.session.commit()
print(json.dumps({{"keys": keys, "cards": cards}}))
"""


def build_world(env: dict, tills: int, members: int) -> crash_load.World:
    """Migrate the (empty) database of env's DATABASE_URL and seed it."""
    upgraded = flask(env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr[-3000:]
    seeded = subprocess.run([sys.executable, "-c", SEED, str(tills), str(members)], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    return crash_load.World(**json.loads(seeded.stdout))


def _report(name: str, figures: dict) -> None:
    print(f"\n{name}: {figures}")  # shown with -s; docs/crash-recovery.md quotes a run


@pytest.fixture
def own_database():
    """A fresh database of this test's own on the test server (dropped afterwards)."""
    test_url = make_url(PG_URL)
    name = f"{test_url.database}_kills"
    admin = test_url.set(drivername="postgresql", database="postgres").render_as_string(False)

    def drop(conn):
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))

    with psycopg.connect(admin, autocommit=True) as conn:
        drop(conn)
        conn.execute(sql.SQL(
            "CREATE DATABASE {} ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
            " TEMPLATE template0").format(sql.Identifier(name)))
    yield test_url.set(drivername="postgresql", database=name).render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        drop(conn)


@contextlib.contextmanager
def _served(url: str, tmp_path):
    """The seeded world and gunicorn with WORKERS workers serving it: (world, port, master,
    the server's environment)."""
    env = server_environment(url)
    world = build_world(env, TILLS, MEMBERS)
    with gunicorn(env, tmp_path / "gunicorn.log", "-w", str(WORKERS)) as (port, proc):
        yield world, port, proc.pid, env


def _sockets(pid: int) -> int:
    """How many sockets the process holds (0 once it has gone)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except FileNotFoundError:
        return 0
    count = 0
    for fd in fds:
        with contextlib.suppress(FileNotFoundError):
            count += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
    return count


def _busy_worker(master: int) -> int | None:
    """A worker with requests in hand: beyond the listening socket it shares with the master,
    it holds tills' connections and its pool's (a worker still booting holds neither)."""
    busy = [pid for pid in worker_pids(master) if _sockets(pid) >= 3]
    return random.choice(busy) if busy else None


def _wait_for_workers(master: int, seconds: float = 60) -> list[int]:
    deadline = time.monotonic() + seconds
    while len(pids := worker_pids(master)) < WORKERS and time.monotonic() < deadline:
        time.sleep(0.1)
    return pids


def _check(url: str, port: int, env: dict, load: crash_load.Load) -> None:
    crash_load.check_answers(load)
    crash_load.check_database(url, load)
    crash_load.check_replays(port, load)
    crash_load.check_ledger(env)


def test_killed_workers_lose_and_double_nothing(own_database, tmp_path):
    with _served(own_database, tmp_path) as (world, port, master, env):
        kills = 0
        with crash_load.Load(port, world) as load:
            while kills < 5:
                time.sleep(random.uniform(0.5, 1.0))
                waited = time.monotonic() + 60
                while (victim := _busy_worker(master)) is None:
                    assert time.monotonic() < waited, "no worker holding requests for 60 s"
                    time.sleep(0.05)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(victim, signal.SIGKILL)
                    kills += 1
            time.sleep(0.5)
        assert len(_wait_for_workers(master)) == WORKERS  # the master replaced every one
        _report("workers killed", {"kills": kills, **load.figures()})
        assert sum(o.retries > 0 for o in load.all) > 0  # the kills did cut requests off
        _check(own_database, port, env, load)


@pytest.fixture
def crash_cluster():
    """A throwaway cluster this test may stop hard: (the cluster, its database's URL)."""
    if not clusters.available():
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1: throwaway clusters need pg_createcluster and root")
        pytest.skip("throwaway clusters need Debian's pg_createcluster and root")
    cluster = clusters.create("crash")
    try:
        yield cluster, cluster.create_database()
    finally:
        cluster.drop()


def test_a_database_crash_loses_and_doubles_nothing(crash_cluster, tmp_path):
    cluster, url = crash_cluster
    with _served(url, tmp_path) as (world, port, master, env):
        with crash_load.Load(port, world) as load:
            time.sleep(1.5)
            stopped = time.monotonic()
            cluster.stop(mode="immediate")
            time.sleep(1)
            starting = time.monotonic()
            cluster.start()  # crash recovery; pg_ctlcluster returns once the server answers
            ready = time.monotonic()
            restarted = len(load.all)
            time.sleep(2)
            after = len(load.all)
        _report("database crashed", {
            "pg_ctlcluster start took, s": round(ready - starting, 2), **load.figures(),
            "first sale after the stop, s": round(load.first_answer_after(starting) - stopped, 2),
            "last failure after the stop, s": round(load.last_failure - stopped, 2)})
        assert sum(o.retries > 0 for o in load.all) > 0  # the crash did cut requests off
        assert after > restarted + TILLS  # sales went on after the restart
        assert len(worker_pids(master)) == WORKERS
        _check(url, port, env, load)

