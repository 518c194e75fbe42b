"""The 114 directory's searches on a streaming replica while POS sales load the primary.

    .venv/bin/python -m bench.replica_bench [--merchants 20000] [--seconds 10] [--city wenzhou]

Builds a throwaway primary and an asynchronous streaming standby of it (tests/clusters.py:
Debian's pg_createcluster and pg_basebackup, as root; dropped at the end), loads merchants
by the real `flask merchants import` (bench/directory_bench.py's generated rows) and the POS
bench's members and terminals (bench/pos_bench.py), then runs, --seconds each, against one
gunicorn with the project's settings:

  replica alone      the directory mix over HTTP, searches on the replica, nothing else;
  replica + POS      the same while the POS bench's tills sell on the primary;
  primary + POS      the same load with no DATABASE_REPLICA_URL: searches on the primary.

Printed: searches' p50 / p95 and queries/s, sales/s and their p99, how far the standby fell
behind (the most bytes of WAL not yet replayed, and replay_lag) and the transactions the
standby served (its pg_stat_database: the searches, when they read there). The load average is
printed: the client threads, gunicorn and both servers share this machine's CPUs.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
from flask_migrate import upgrade

from bench import directory_bench as directory
from bench import pos_bench as pos
from bench.common import ROOT, timed
from bench.directory_cities import CITIES, WENZHOU
from tests import clusters
from valliance import create_app

BENCH_DB = "valliance_replica_bench"


def serve(url: str, replica_url: str) -> tuple[int, subprocess.Popen]:
    """gunicorn with the project's settings; searches on replica_url ("" for none)."""
    port = pos.free_port()
    command = [str(Path(sys.executable).parent / "gunicorn"), "-b", f"127.0.0.1:{port}",
               "wsgi:app"]
    env = {**os.environ, "DATABASE_URL": url, "DATABASE_REPLICA_URL": replica_url,
           "SECRET_KEY": "bench"}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        pos.wait_healthy(port, proc)
    except BaseException:
        pos.stop(proc)  # not left serving when it never became healthy
        raise
    return port, proc


class LagWatch:
    """Sample the standby's lag on the primary (pg_stat_replication) until stopped."""

    def __init__(self, primary_url: str):
        self.url, self.bytes, self.lag = primary_url, 0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.wait(0.1):
                row = conn.execute(
                    "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn),"
                    " extract(epoch FROM replay_lag) FROM pg_stat_replication").fetchone()
                if row:
                    self.bytes = max(self.bytes, int(row[0] or 0))
                    self.lag = max(self.lag, float(row[1] or 0))


def transactions(url: str) -> int:
    """Transactions the server behind url has ended in its database so far (a standby counts
    the reads it served)."""
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database"
                            " WHERE datname = current_database()").fetchone()[0]


def searches(port: int, keys: list[str], queries, seconds: float, sell=None) -> dict:
    """The directory mix for seconds; with sell (cards, till keys), the tills sell meanwhile."""
    sales: dict = {}
    tills = None
    if sell:
        tills = threading.Thread(target=lambda: sales.update(
            pos.run_load(port, *sell, seconds)))
        tills.start()
    found = directory.run_clients(seconds, directory.http_client(port, keys, queries))
    if tills:
        tills.join()
    every = [s for samples in found["samples"].values() for s in samples]
    return {"p50": directory.percentile(every, .5), "p95": directory.percentile(every, .95),
            "rate": len(every) / seconds, "errors": len(found["errors"]), "sales": sales}


def load(primary: clusters.Cluster, merchants: int, city, workdir: Path):
    url = primary.create_database(BENCH_DB)

    class Cfg:
        DATABASE_URL = url

    app = create_app(Cfg)
    with app.app_context():
        upgrade()
    rows = directory.generate_rows(merchants, city=city)
    seconds, _ = timed(url, "merchants", "import",
                       str(directory.write_csv(workdir / "merchants.csv", rows)))
    print(f"imported {len(rows):,} rows ({merchants:,} merchants) in {seconds:.1f} s", flush=True)
    cards, spread, _ = pos.setup(app)
    keys = directory.operator_keys(app, directory.OPERATOR_KEYS)
    pos.analyze(url)
    return url, keys, cards, spread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--merchants", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--city", choices=sorted(CITIES), default=WENZHOU.name)
    args = parser.parse_args()
    if not clusters.available():
        sys.exit("needs root and Debian's pg_createcluster (tests/clusters.py)")
    print(f"load average before: {os.getloadavg()[0]:.1f}; {os.cpu_count()} CPUs", flush=True)
    primary = clusters.create("benchprimary")
    try:
        standby = clusters.create_standby(primary, "benchreplica", synchronous=False)
        with tempfile.TemporaryDirectory(prefix="replica-bench-") as tmp:
            url, keys, cards, spread = load(primary, args.merchants, CITIES[args.city],
                                            Path(tmp))
        clusters.caught_up(url, standby)
        run(args, url, standby.url(BENCH_DB), keys, (cards, spread))
    finally:
        for name in ("benchreplica", "benchprimary"):
            clusters.Cluster(clusters.PREFIX + name, 0, primary.version).drop()


def run(args, url: str, replica_url: str, keys: list[str], sell) -> None:
    queries = directory.mix(CITIES[args.city])
    results = {}
    for name, reads_from, with_sales in (("replica alone", replica_url, False),
                                         ("replica + POS", replica_url, True),
                                         ("primary + POS", "", True)):
        port, proc = serve(url, reads_from)
        try:
            directory.run_clients(2, directory.http_client(port, keys, queries))  # warm-up
            pos.run_load(port, *sell, 2)
            before = transactions(replica_url)
            with LagWatch(url) as lag:
                results[name] = searches(port, keys, queries, args.seconds,
                                         sell if with_sales else None)
            time.sleep(0.6)  # a backend reports its counts at most every 0.5 s
            results[name]["lag"] = (lag.bytes, lag.lag)
            results[name]["on_standby"] = transactions(replica_url) - before
        finally:
            pos.stop(proc)
        print(f"{name}: done, load average {os.getloadavg()[0]:.1f}", flush=True)
    print(f"\n{directory.CLIENTS} search clients, {pos.CLIENTS} tills, {args.seconds:g} s each;"
          f" {args.merchants:,} merchants; load average {os.getloadavg()[0]:.1f}")
    print(f"{'run':<15}{'search p50':>11}{'p95 ms':>8}{'queries/s':>10}{'sales/s':>9}"
          f"{'sale p99':>9}{'errors':>7}{'lag KiB':>9}{'lag s':>7}{'standby xacts':>14}")
    for name, r in results.items():
        sales = r["sales"]
        print(f"{name:<15}{r['p50']:>11.1f}{r['p95']:>8.1f}{r['rate']:>10.0f}"
              f"{sales.get('rate', 0):>9.0f}{sales.get('p99_ms', float('nan')):>9.1f}"
              f"{r['errors'] + sales.get('errors', 0):>7}{r['lag'][0] / 1024:>9.0f}"
              f"{r['lag'][1]:>7.2f}{r['on_standby']:>14,}")


if __name__ == "__main__":
    main()
