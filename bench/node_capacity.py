"""One node under till load, shaped as in production: what it sells, what it stores, and
what an operator sees of it (Prometheus metrics and JSON logs) — the figures of
docs/scale-out.md.

    .venv/bin/python -m bench.node_capacity [--seconds 20] [--members 20000] [--pgbouncer]

gunicorn from gunicorn.conf.py (one gevent worker per core), LOG_FORMAT=json, METRICS_TOKEN
and PROMETHEUS_MULTIPROC_DIR set as deploy/ sets them, against PostgreSQL on the same machine
(its own database, valliance_node_bench, reset on every run). Members are enrolled through the
app's own service, then 8 tills (one terminal of each of 50 merchants) post purchases for
--seconds after a 3 s warm-up and a VACUUM ANALYZE. Printed: purchases/s and latency; the
CPU a purchase costs the workers and PostgreSQL; bytes a member and a purchase add to the
tables and indexes, and to the WAL (what a replica and the archive receive); a scrape of
/metrics read back into figures; the JSON log lines counted, parsed and sampled; and
`flask ledger verify`. Traffic goes to 127.0.0.1 only.

--pgbouncer puts Debian's PgBouncer between gunicorn and PostgreSQL (deploy/pgbouncer's
settings, transaction pooling, 20 server connections; tests/pgbouncer.py) and, when it is
older than 1.21, sets DATABASE_PREPARED_STATEMENTS=off as the README says: PgBouncer's own
CPU is printed beside the others'.

The WAL figure includes full-page writes (the first change to a page after a checkpoint logs
the whole page): the more pages a run touches for the first time — more members, a checkpoint
just before — the larger it is.
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

import psycopg

from bench import pos_bench
from bench.common import fresh_app
from tests import pgbouncer
from valliance.extensions import db
from valliance.members.services import enroll_member

DB = "valliance_node_bench"
TOKEN = "node-bench-metrics-token"
SIZE_SQL = ("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm')")


BY_TABLE_SQL = ("SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND c.relkind = 'r'")


def bytes_by_table(url: str) -> dict[str, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        return {name: int(size) for name, size in conn.execute(BY_TABLE_SQL)}


def table_bytes(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return int(conn.execute(SIZE_SQL).fetchone()[0])


def wal_lsn(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return int(conn.execute("SELECT pg_current_wal_lsn() - '0/0'").fetchone()[0])


def count(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608


def enroll(app, url: str, members: int) -> list[str]:
    """Members enrolled through the app's service (the one write path); their card numbers."""
    cards = []
    with app.app_context():
        for i in range(members):
            member = enroll_member(db.session, phone=f"138{i:08d}", name=f"会员{i}")
            cards.append(member.cards[0].number)
            if i % 500 == 499:
                db.session.commit()
        db.session.commit()
    return cards


def start_server(url: str, port: int, metrics_dir: str, log_path: Path,
                 **settings: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "LOG_FORMAT": "json", "METRICS_TOKEN": TOKEN,
           "PROMETHEUS_MULTIPROC_DIR": metrics_dir, "SECRET_KEY": os.urandom(24).hex(),
           **settings}
    env.pop("REDIS_URL", None)
    with log_path.open("wb") as log:  # the server keeps its own copy of the descriptor
        return subprocess.Popen(
            [str(pos_bench.ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py",
             "-b", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=pos_bench.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def cpu_by_part(server_pid: int) -> dict[str, float]:
    """CPU seconds so far: pos_bench's parts, and PgBouncer's."""
    return {**pos_bench.cpu_by_part(server_pid),
            "pgbouncer": sum(cpu for _, command, _, cpu in pos_bench._proc_stats()
                             if command == "pgbouncer")}


def scrape(port: int) -> str:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                     headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.read().decode()


def samples(text: str) -> dict[str, float]:
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            found[name] = float(value)
    return found


def quantile_from_buckets(buckets: list[tuple[float, float]], q: float) -> float:
    """The upper bound of the bucket holding quantile q (Prometheus' cumulative buckets)."""
    total = buckets[-1][1]
    for bound, cumulative in buckets:
        if cumulative >= q * total:
            return bound
    return float("inf")


def report_metrics(text: str) -> None:
    values = samples(text)
    route = 'route="/api/v1/pos/purchases"'
    print("\n/metrics under the load (summed over the workers):")
    for name in ("valliance_purchases_total", "valliance_lane_sales_total",
                 "valliance_lane_fallbacks_total", "valliance_points_issued_total",
                 "valliance_refunds_total"):
        print(f"  {name} {values.get(name, 0):,.0f}")
    requests = {k: v for k, v in values.items()
                if k.startswith("valliance_http_request_duration_seconds_count") and route in k}
    for name, value in requests.items():
        print(f"  {name} {value:,.0f}")
    buckets = sorted(
        (float(k.split('le="')[1].split('"')[0].replace("+Inf", "inf")), v)
        for k, v in values.items()
        if k.startswith("valliance_http_request_duration_seconds_bucket") and route in k
        and 'status="2xx"' in k)
    if buckets:
        p50, p99 = (quantile_from_buckets(buckets, q) for q in (0.5, 0.99))
        print(f"  purchase latency from the histogram: p50 ≤ {p50} s, p99 ≤ {p99} s")
    for name, value in values.items():
        if name.startswith("valliance_db_pool"):
            print(f"  {name} {value:,.0f}")
    if not requests:
        print("  (no request series for the purchase route: names are")
        print("   " + ", ".join(sorted({k.split("{")[0] for k in values})[:20]) + ")")


def report_logs(path: Path) -> None:
    lines = path.read_bytes().splitlines()
    parsed, broken = [], 0
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            broken += 1
    loggers = Counter(entry.get("logger") for entry in parsed)
    print(f"\nlogs: {len(lines):,} lines, {len(parsed):,} JSON objects, {broken} not JSON;"
          f" by logger: {dict(loggers.most_common(5))}")
    access = [e for e in parsed if e.get("logger") == "valliance.access"]
    if access:
        print("  an access line:", json.dumps(access[len(access) // 2], ensure_ascii=False))
        durations = sorted(e.get("duration_ms", 0) for e in access)
        print(f"  access lines {len(access):,}; duration_ms p50 {durations[len(durations) // 2]}")
    leaked = [e for e in parsed if any(len(d) >= 13 and d.isdigit()
                                       for d in json.dumps(e).replace('"', " ").split())]
    print(f"  lines with a 13+ digit number (a card in full): {len(leaked)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--pgbouncer", action="store_true",
                        help="through Debian's PgBouncer (transaction pooling)")
    args = parser.parse_args()
    app, url = fresh_app(DB)
    os.environ["DATABASE_URL"] = url  # gunicorn.conf.py picks its workers by it (server_shape)
    empty = table_bytes(url)
    started = time.perf_counter()
    cards = enroll(app, url, args.members)
    enrolled = table_bytes(url)
    print(f"{args.members:,} members enrolled in {time.perf_counter() - started:.0f} s:"
          f" {(enrolled - empty) / args.members:,.0f} bytes of tables and indexes a member")
    pos_bench.MEMBERS = 0  # setup() enrols none: the members above are the ones that buy
    _, spread, _ = pos_bench.setup(app)
    pos_bench.analyze(url)
    port = pos_bench.free_port()
    with tempfile.TemporaryDirectory() as metrics_dir, contextlib.ExitStack() as stack:
        log_path = Path(metrics_dir) / "server.log"
        serve_url, settings = url, {}
        if args.pgbouncer:
            bouncer = stack.enter_context(pgbouncer.running(Path(metrics_dir), url, 20))
            serve_url = bouncer.url
            if bouncer.version < pgbouncer.TRACKS_PREPARED:
                settings["DATABASE_PREPARED_STATEMENTS"] = "off"
            print(f"through PgBouncer {'.'.join(map(str, bouncer.version))}, {settings}")
        server = start_server(serve_url, port, metrics_dir, log_path, **settings)
        try:
            pos_bench.wait_healthy(port, server)
            pos_bench.run_load(port, cards, spread, 3)
            pos_bench.analyze(url)
            tables = bytes_by_table(url)
            before = (table_bytes(url), wal_lsn(url), count(url, "purchases"))
            cpu = cpu_by_part(server.pid)
            result = pos_bench.run_load(port, cards, spread, args.seconds)
            cpu = {k: v - cpu[k] for k, v in cpu_by_part(server.pid).items()}
            after = (table_bytes(url), wal_lsn(url), count(url, "purchases"))
            tables = {k: v - tables.get(k, 0) for k, v in bytes_by_table(url).items()}
            text = scrape(port)
        finally:
            pos_bench.stop(server)
        sold = after[2] - before[2]
        shape = pos_bench.server_shape(argparse.Namespace(worker_class=None, workers=None,
                                                          threads=None))
        print(f"\n{shape},"
              f" 8 tills, {args.seconds} s: {result['rate']} purchases/s,"
              f" p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, errors {result['errors']}"
              + (f" (first: {result['first_error']})" if result["errors"] else ""))
        print(f"CPU a purchase: workers {cpu['workers'] * 1000 / sold:.2f} ms, PostgreSQL"
              f" {cpu['postgres'] * 1000 / sold:.2f} ms, PgBouncer"
              f" {cpu['pgbouncer'] * 1000 / sold:.2f} ms, load generator"
              f" {cpu['client'] * 1000 / sold:.2f} ms")
        per_purchase = (after[0] - before[0]) / sold
        wal = (after[1] - before[1]) / sold
        print(f"storage: {per_purchase:,.0f} bytes of tables and indexes a purchase"
              f" ({per_purchase * 1e6 / 2**30:.2f} GiB a million); WAL {wal:,.0f} bytes a"
              f" purchase ({wal * 1e6 / 2**30:.2f} GiB a million)")
        grown = sorted(((v, k) for k, v in tables.items() if v > 0), reverse=True)[:8]
        print("  by table (bytes a purchase, indexes and TOAST included): " + ", ".join(
            f"{name} {size / sold:,.0f}" for size, name in grown))
        report_metrics(text)
        report_logs(log_path)
    verify = subprocess.run([str(pos_bench.ROOT / ".venv/bin/flask"), "--app", "wsgi", "ledger",
                             "verify"], cwd=pos_bench.ROOT, env={**os.environ, "DATABASE_URL": url},
                            capture_output=True, text=True)
    print(f"\nflask ledger verify: exit {verify.returncode} {verify.stdout.strip()[-200:]}")
    if verify.returncode:
        sys.exit(1)


if __name__ == "__main__":
    main()
