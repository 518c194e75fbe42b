"""114 directory search at scale: operators' queries over HTTP (gunicorn) and the same SQL
run directly, on PostgreSQL with 100,000 merchants and on SQLite with 20,000.

    .venv/bin/python -m bench.directory_bench [--merchants 100000] [--sqlite-merchants 20000]
                                              [--seconds 10] [--skip-sqlite] [--skip-postgres]
                                              [--reuse] [--city chengdu] [--seed 7]
                                              [--db valliance_directory_bench_other]

Merchants are generated from a seed (--seed) in the words of a city (--city, in
bench/directory_cities.py: Wenzhou by default — surnames and brands + 火锅, 烧烤, 咖啡, 酒店,
美发, 洗车 …, real districts and streets; Chengdu, data the search was not tuned on, with
another query mix), about one in five with a second offer,
and loaded by the real `flask merchants import` (its time is printed: the search documents are
made there). Uses its own databases (valliance_directory_bench, a temporary SQLite file).

Four clients run the city's mix of queries — Wenzhou: 1–2-character Chinese, 3+ characters,
pinyin, initials, one-typo pinyin, category lists; Chengdu adds terms with filters, deeper
pages, plain lists and queries that find nothing — for --seconds each way:
  sql   the statements search_offers sends, captured once per query and replayed through the
        driver: the database's floor;
  app   search_offers in-process (query building, typo expansion, SQL);
  http  GET /api/v1/directory/offers with an operator key, gunicorn with the project's
        settings (gunicorn.conf.py: one gevent worker per core on PostgreSQL, gthread workers
        × 2 threads on SQLite; GUNICORN_CMD_ARGS overrides).
Then one client alone runs the mix through search_offers: each query's own latency, without
queueing. The load average is printed: on a shared machine, compare runs of one sitting only.
--reuse keeps the PostgreSQL database of the last run (skips generating and importing).
Traffic goes to 127.0.0.1 only.
"""

import argparse
import csv
import http.client
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from flask_migrate import upgrade
from sqlalchemy import event

from bench.common import ROOT, db_url, fresh_app, timed
from bench.directory_cities import CITIES, WENZHOU, City
from bench.pos_bench import free_port, stop, wait_healthy
from valliance import create_app
from valliance.directory.search import SearchQuery, search_offers
from valliance.extensions import db

BENCH_DB = "valliance_directory_bench"
CLIENTS = 4
SEED = 114
TARGET_HTTP_P95_MS, TARGET_HTTP_OVER_SQL, TARGET_SQLITE_P95_MS = 25, 3, 50
COLUMNS = ("name", "category", "district", "address", "phone", "avg_spend", "title",
           "percent_off", "points_per_yuan")

NO_DISCOUNT_TITLES = ["双倍积分日", "积分加倍", "会员积分礼"]
PERCENTS = ["0", "5", "8", "10", "10", "12", "12", "12.5", "15", "20", "25"]
POINTS = ["0", "1", "1", "1", "2", "2", "3", "5"]


def _label(percent: str) -> str:
    tenths = (100 - float(percent)) / 10  # only for a title's wording, never for money
    return f"{tenths:g}折"


def generate_rows(merchants: int, seed: int = SEED, second_offer_share: float = 0.2,
                  city: City = WENZHOU) -> list[dict[str, str]]:
    """Rows of merchants (unique by name and district) with one offer each, some with two."""
    rng = random.Random(seed)
    districts = list(city.districts)
    categories = [name for name in city.kinds
                  for _ in range(city.category_weights.get(name, 1))]
    seen: set[tuple[str, str]] = set()
    rows: list[dict[str, str]] = []
    while len(seen) < merchants:
        district = rng.choice(districts)
        street = rng.choice(city.districts[district])
        category = rng.choice(categories)
        if rng.random() < 0.6:
            head = rng.choice(city.prefixes).format(s=rng.choice(city.surnames))
        else:
            head = rng.choice(city.brands)
        name = f"{head}{rng.choice(city.kinds[category])}"
        if rng.random() < 0.7:
            name += f"({rng.choice(city.districts[district])}店)"
        if (name, district) in seen:
            name += f"{rng.randint(2, 99)}号店"
            if (name, district) in seen:
                continue
        seen.add((name, district))
        merchant = {"name": name, "category": category, "district": district,
                    "address": f"{city.prefix}{district}{street}{rng.randint(1, 999)}号",
                    "phone": f"{city.area_code}-8{rng.randint(0, 9999999):07d}",
                    "avg_spend": str(rng.randint(20, 300) * 100)}
        for _ in range(2 if rng.random() < second_offer_share else 1):
            percent = rng.choice(PERCENTS)
            if percent == "0":
                title = rng.choice(NO_DISCOUNT_TITLES)
            else:
                title = rng.choice(city.titles).format(d=_label(percent))
            if any(r["title"] == title and r["name"] == name and r["district"] == district
                   for r in rows[-2:]):
                continue
            rows.append({**merchant, "title": title, "percent_off": percent,
                         "points_per_yuan": rng.choice(POINTS)})
    return rows


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


# --- the mix -------------------------------------------------------------------------------


def mix(city: City) -> list[tuple[str, SearchQuery]]:
    return [(kind, SearchQuery(q=q, category=category, district=district, limit=limit,
                               offset=offset))
            for kind, queries in city.queries.items()
            for q, category, district, limit, offset in queries]


def capture_sql(app, queries: list[tuple[str, SearchQuery]]) -> list[tuple[str, list]]:
    """(kind, the statements and parameters search_offers sends for the query), per query."""
    captured: list = []

    def record(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    plans = []
    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            for kind, query in queries:
                db.session.rollback()
                db.session.connection()  # BEGIN (SQLite: its own statement) is not the search's
                captured.clear()
                search_offers(db.session, query)
                plans.append((kind, list(captured)))
        finally:
            event.remove(engine, "before_cursor_execute", record)
            db.session.rollback()
    return plans


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


def run_clients(seconds: float, make_client) -> dict:
    """CLIENTS threads, each going round the shuffled mix until the deadline; make_client(n)
    returns (run(i) → kind, close()). Returns {"samples": {kind: [s]}, "errors": [...]}."""
    clock: dict[str, float] = {}
    barrier = threading.Barrier(CLIENTS, action=lambda: clock.update(start=time.perf_counter()),
                                timeout=120)
    samples: dict[str, list[float]] = {}
    errors: list[str] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        run, close, size = make_client(n)
        order = list(range(size))
        random.Random(n).shuffle(order)
        mine: list[tuple[str, float]] = []
        barrier.wait()
        deadline = clock["start"] + seconds
        i = 0
        try:
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                try:
                    kind = run(order[i % size])
                except Exception as exc:  # counted and shown, never hidden
                    with lock:
                        errors.append(repr(exc)[:300])
                    i += 1
                    continue
                mine.append((kind, time.perf_counter() - t0))
                i += 1
        finally:
            close()
        with lock:
            for kind, took in mine:
                samples.setdefault(kind, []).append(took)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(CLIENTS)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return {"samples": samples, "errors": errors}


def sql_client(app, plans):
    """Replay captured statements on a raw driver connection (autocommit reads)."""
    def make(n: int):
        with app.app_context():
            raw = db.engine.raw_connection()
        cursor = raw.cursor()

        def run(i: int) -> str:
            kind, statements = plans[i]
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                if cursor.description is not None:  # a SET answers no rows
                    cursor.fetchall()
            raw.rollback()
            return kind

        return run, raw.close, len(plans)
    return make


def app_client(app, queries):
    def make(n: int):
        context = app.app_context()
        context.push()

        def run(i: int) -> str:
            kind, query = queries[i]
            search_offers(db.session, query)
            db.session.rollback()
            return kind

        def close():
            db.session.remove()
            context.pop()

        return run, close, len(queries)
    return make


#: the HTTP clients' calls so far (all clients, all runs), which pick the operator key
_calls = itertools.count()
CALLS_PER_KEY = 100
OPERATOR_KEYS = 96


def http_client(port: int, keys: list[str], queries):
    def make(n: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        paths = []
        for kind, query in queries:
            params = {"q": query.q, "limit": query.limit, "offset": query.offset}
            if query.category:
                params["category"] = query.category
            if query.district:
                params["district"] = query.district
            paths.append((kind, "/api/v1/directory/offers?" + urlencode(params)))

        def run(i: int) -> str:
            nonlocal conn
            kind, path = paths[i]
            # Each key serves CALLS_PER_KEY calls of all clients in turn, across runs: at
            # 500 queries/s a key comes round again after ~20 s, so each stays far under
            # the route's 600 requests a minute per key.
            key = keys[next(_calls) // CALLS_PER_KEY % len(keys)]
            try:
                conn.request("GET", path, headers={"Authorization": f"Bearer {key}"})
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                raise
            if response.status != 200:
                raise RuntimeError(f"{response.status} {body[:200].decode(errors='replace')}")
            return kind

        return run, lambda: conn.close(), len(paths)
    return make


# --- setting up ----------------------------------------------------------------------------


def load_postgres(merchants: int, workdir: Path, args):
    if args.reuse:
        url = db_url(args.db)

        class Cfg:
            DATABASE_URL = url
            SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": CLIENTS + 2, "max_overflow": 2}

        return create_app(Cfg), url, {"reused": args.db}
    app, url = fresh_app(args.db, {"pool_size": CLIENTS + 2, "max_overflow": 2})
    rows = generate_rows(merchants, args.seed, city=CITIES[args.city])
    path = write_csv(workdir / "merchants.csv", rows)
    seconds, result = timed(url, "merchants", "import", str(path))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # what autovacuum does after a bulk load
    return app, url, {"rows": len(rows), "seconds": seconds, **result}


def load_sqlite(merchants: int, workdir: Path, args):
    url = f"sqlite:///{workdir / 'directory-bench.db'}"

    class Cfg:
        DATABASE_URL = url

    app = create_app(Cfg)
    with app.app_context():
        upgrade()
    rows = generate_rows(merchants, args.seed, city=CITIES[args.city])
    path = write_csv(workdir / "merchants-sqlite.csv", rows)
    seconds, result = timed(url, "merchants", "import", str(path))
    return app, url, {"rows": len(rows), "seconds": seconds, **result}


def operator_keys(app, count: int) -> list[str]:
    from valliance.directory.services import create_operator

    with app.app_context():
        keys = [create_operator(db.session, f"bench {i}")[1] for i in range(count)]
        db.session.commit()
    return keys


def route_answers(port: int, key: str) -> str | None:
    """None when GET /api/v1/directory/offers answers 200, else why not."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/api/v1/directory/offers?q=" + urlencode({"": "火锅"})[1:],
                     headers={"Authorization": f"Bearer {key}"})
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            return f"{response.status} {body[:200].decode(errors='replace')}"
        json.loads(body)
        return None
    finally:
        conn.close()


def serve(url: str):
    port = free_port()
    # the gunicorn of the interpreter running this (a worktree has no .venv of its own)
    command = [str(Path(sys.executable).parent / "gunicorn"), "-b", f"127.0.0.1:{port}", "wsgi:app"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                            env={**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench"})
    wait_healthy(port, proc)
    return port, proc


# --- one engine ----------------------------------------------------------------------------


def alone(app, queries, rounds: int = 3) -> dict:
    """One client, the mix `rounds` times in order: each query's latency without queueing."""
    samples: dict[str, list[float]] = {}
    slowest: list[tuple[float, str]] = []
    with app.app_context():
        for round_ in range(rounds + 1):
            for kind, query in queries:
                t0 = time.perf_counter()
                search_offers(db.session, query)
                db.session.rollback()
                took = time.perf_counter() - t0
                if round_:  # the first round warms caches and prepared statements
                    samples.setdefault(kind, []).append(took)
                    label = query.q or f"{query.category or ''} {query.district or ''}"
                    slowest.append((took, f"{label} +{query.offset}" if query.offset else label))
    slowest.sort(reverse=True)
    print("  slowest alone: " + ", ".join(f"{q.strip()} {t * 1000:.0f} ms"
                                          for t, q in slowest[:6]))
    return {"samples": samples, "errors": []}


def measure(name: str, app, url: str, seconds: float, city: City) -> dict:
    queries = mix(city)
    with app.app_context():
        for kind, query in queries:
            total, _ = search_offers(db.session, query)
            page = f" offset {query.offset}" if query.offset else ""
            print(f"  {kind:<13} {query.q or query.category or '':<14}"
                  f"{' ' + query.district if query.district else '':<5}{page:<11}"
                  f" {total:>7} matches")
        db.session.rollback()
    plans = capture_sql(app, queries)
    runs = {}
    run_clients(2, sql_client(app, plans))  # warm-up: caches, prepared statements
    runs["sql"] = run_clients(seconds, sql_client(app, plans))
    runs["app"] = run_clients(seconds, app_client(app, queries))
    keys = operator_keys(app, OPERATOR_KEYS)
    port, proc = serve(url)
    try:
        problem = route_answers(port, keys[0])
        if problem:
            print(f"{name}: the HTTP route does not answer yet ({problem}); HTTP not measured")
        else:
            run_clients(2, http_client(port, keys, queries))  # warm-up
            runs["http"] = run_clients(seconds, http_client(port, keys, queries))
    finally:
        stop(proc)
    runs["alone"] = alone(app, queries)
    return runs


def report(name: str, runs: dict, seconds: float, city: City) -> dict:
    print(f"\n{name}: {CLIENTS} clients, {seconds:g} s each way (alone: 1 client, 3 rounds);"
          f" p50 / p95 / max ms per kind; load average {os.getloadavg()[0]:.1f}")
    modes = list(runs)
    print(f"{'kind':<12}" + "".join(f"{mode:>24}" for mode in modes))
    for kind in city.queries:
        cells = []
        for mode in modes:
            s = runs[mode]["samples"].get(kind, [])
            cells.append(f"{percentile(s, .5):7.1f} {percentile(s, .95):7.1f}"
                         f" {max(s, default=float('nan')) * 1000:7.1f}")
        print(f"{kind:<12}" + "".join(f"{cell:>24}" for cell in cells))
    overall = {}
    line = f"{'all':<12}"
    for mode in modes:
        s = [x for samples in runs[mode]["samples"].values() for x in samples]
        overall[mode] = {"p50": percentile(s, .5), "p95": percentile(s, .95),
                         "rate": len(s) / seconds if mode != "alone" else float("nan"),
                         "errors": len(runs[mode]["errors"])}
        line += (f"{overall[mode]['p50']:7.1f} {overall[mode]['p95']:7.1f}"
                 f" {max(s, default=float('nan')) * 1000:7.1f}").rjust(24)
    print(line)
    for mode in (mode for mode in modes if mode != "alone"):
        print(f"  {mode}: {overall[mode]['rate']:.0f} queries/s, {overall[mode]['errors']} errors"
              + (f" (first: {runs[mode]['errors'][0]})" if runs[mode]["errors"] else ""))
    return overall


def mark(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--merchants", type=int, default=100_000)
    parser.add_argument("--sqlite-merchants", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--reuse", action="store_true",
                        help="PostgreSQL: search the database the last run loaded")
    parser.add_argument("--city", choices=sorted(CITIES), default=WENZHOU.name,
                        help="the merchants' words and the query mix (bench/directory_cities.py)")
    parser.add_argument("--seed", type=int, default=SEED, help="of the generated merchants")
    parser.add_argument("--db", default=BENCH_DB, help="the PostgreSQL database to use")
    args = parser.parse_args()
    city = CITIES[args.city]
    print(f"load average before: {os.getloadavg()[0]:.1f}; city {city.name}, seed {args.seed},"
          f" database {args.db}", flush=True)
    with tempfile.TemporaryDirectory(prefix="directory-bench-") as tmp:
        workdir = Path(tmp)
        if not args.skip_postgres:
            app, url, loaded = load_postgres(args.merchants, workdir, args)
            if "reused" in loaded:
                print(f"PostgreSQL: searching {args.db} as the last run left it", flush=True)
            else:
                print(f"PostgreSQL: imported {loaded['rows']:,} rows ({args.merchants:,}"
                      f" merchants) in {loaded['seconds']:.1f} s: {loaded}", flush=True)
            overall = report("PostgreSQL", measure("PostgreSQL", app, url, args.seconds, city),
                             args.seconds, city)
            if "http" in overall:
                http_p95, sql_p95 = overall["http"]["p95"], overall["sql"]["p95"]
                print(f"HTTP p95 {http_p95:.1f} ms (target <= {TARGET_HTTP_P95_MS}:"
                      f" {mark(http_p95 <= TARGET_HTTP_P95_MS)}); HTTP / SQL p95"
                      f" {http_p95 / sql_p95:.1f} x (target <= {TARGET_HTTP_OVER_SQL}:"
                      f" {mark(http_p95 <= TARGET_HTTP_OVER_SQL * sql_p95)})", flush=True)
        if not args.skip_sqlite:
            app, url, loaded = load_sqlite(args.sqlite_merchants, workdir, args)
            print(f"\nSQLite: imported {loaded['rows']:,} rows ({args.sqlite_merchants:,}"
                  f" merchants) in {loaded['seconds']:.1f} s: {loaded}", flush=True)
            overall = report("SQLite", measure("SQLite", app, url, args.seconds, city),
                             args.seconds, city)
            for mode in ("app", "http"):
                if mode in overall:
                    p95 = overall[mode]["p95"]
                    print(f"SQLite {mode} p95 {p95:.1f} ms (target <= {TARGET_SQLITE_P95_MS}:"
                          f" {mark(p95 <= TARGET_SQLITE_P95_MS)})")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
