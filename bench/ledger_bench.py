"""Ledger throughput: accruals per second on PostgreSQL, next to pgbench on the same server.

    .venv/bin/python -m bench.ledger_bench [--seconds 10] [--threads 1,4,8]

Uses its own databases (valliance_bench, valliance_pgbench), reset on every run, and writes
the figures to bench/results/ledger.json as well as printing them.
"""

import argparse
import json
import random
import re
import subprocess
import threading
import time
from functools import partial
from pathlib import Path

from bench.common import db_url, ensure_database, fresh_app
from valliance.db import run_in_transaction
from valliance.extensions import db
from valliance.points import accounts, ledger
from valliance.points.verify import verify_ledger

BENCH_DB, PGBENCH_DB = "valliance_bench", "valliance_pgbench"
MEMBERS, MERCHANTS = 10_000, 50
RESULTS = Path(__file__).parent / "results" / "ledger.json"
TARGET_RATE, TARGET_BUSY = 1500, 80


def build_app():
    """A fresh valliance_bench schema, built by the app's migrations."""
    return fresh_app(BENCH_DB, {"pool_size": 16, "max_overflow": 4})[0]


def open_accounts(app) -> tuple[list[int], list[int]]:
    """Member accounts, and each merchant's issued account."""
    with app.app_context():
        members = [accounts.open_member_account(db.session, f"m{i:05d}") for i in range(MEMBERS)]
        merchants = [accounts.open_merchant_accounts(db.session, f"shop{i:02d}").issued
                     for i in range(MERCHANTS)]
        db.session.commit()
    return members, merchants


def run_workload(app, members, merchants, threads: int, seconds: float) -> dict:
    """Accrue from `threads` threads until the deadline; count accruals and time each one."""
    clock: dict[str, float] = {}
    barrier = threading.Barrier(threads, action=lambda: clock.update(start=time.perf_counter()),
                                timeout=60)
    latencies: list[list[float]] = [[] for _ in range(threads)]
    ends = [0.0] * threads
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        rng = random.Random(n)
        with app.app_context():
            db.session.connection()  # connect (the pool keeps it) before the clock starts
            db.session.rollback()
            barrier.wait()
            deadline = clock["start"] + seconds
            while time.perf_counter() < deadline:
                merchant = rng.randrange(len(merchants))
                work = partial(ledger.accrue, db.session, member_account=rng.choice(members),
                               source_account=merchants[merchant], points=rng.randint(1, 500),
                               merchant_id=f"shop{merchant:02d}")
                t0 = time.perf_counter()
                try:
                    run_in_transaction(db.session, work)
                except Exception as exc:  # keep going; the report counts failures
                    errors.append(exc)
                    continue
                latencies[n].append(time.perf_counter() - t0)
            ends[n] = time.perf_counter()

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    samples = sorted(s for per_thread in latencies for s in per_thread)
    elapsed = max(ends) - clock["start"]

    def pct(p: float) -> float:
        if not samples:  # every accrual failed: the errors column says why
            return float("nan")
        return round(samples[min(len(samples) - 1, int(p * len(samples)))] * 1000, 2)

    return {"threads": threads, "accruals": len(samples), "seconds": round(elapsed, 3),
            "rate": round(len(samples) / elapsed, 1), "p50_ms": pct(0.50), "p99_ms": pct(0.99),
            "errors": len(errors), "first_error": repr(errors[0]) if errors else None}


def run_pgbench(seconds: int) -> float:
    """tpcb-like, scale 10, 8 clients: the server's tps for a simple write transaction."""
    ensure_database(PGBENCH_DB)
    url = db_url(PGBENCH_DB)
    subprocess.run(["pgbench", "-i", "-s", "10", "-q", url], check=True, capture_output=True)
    out = subprocess.run(["pgbench", "-c", "8", "-j", "2", "-T", str(seconds), "-M", "prepared",
                          url], check=True, capture_output=True, text=True).stdout
    tps = dict(re.findall(r"^tps = ([\d.]+) \(([^)]*)\)", out, re.MULTILINE))
    figure = tps.get("without initial connection time") or tps.get("excluding connections "
                                                                    "establishing")
    return float(figure or next(iter(tps)))


def percent(a: float, b: float) -> float | None:
    return round(100 * a / b, 1) if b else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="duration of each run")
    parser.add_argument("--threads", default="1,4,8", help="comma-separated thread counts")
    args = parser.parse_args()
    thread_counts = [int(n) for n in args.threads.split(",")]

    app = build_app()
    members, merchants = open_accounts(app)
    runs = []
    for name, sources in (("uniform", merchants), ("busy merchant", merchants[:1])):
        for threads in thread_counts:
            result = {"workload": name, **run_workload(app, members, sources, threads,
                                                        args.seconds)}
            print(f"{name:<15} {threads:>2} threads: {result['rate']:>8.1f} accruals/s"
                  f" ({result['errors']} errors)", flush=True)
            runs.append(result)
    tps = run_pgbench(args.seconds)
    with app.app_context():
        report = verify_ledger(db.session)
        db.session.rollback()

    top = max(thread_counts)
    rate = {(r["workload"], r["threads"]): r["rate"] for r in runs}
    uniform, busy = rate[("uniform", top)], rate[("busy merchant", top)]
    summary = {
        "pgbench_tps": round(tps, 1),
        "uniform_vs_pgbench_pct": percent(uniform, tps),
        "busy_vs_uniform_pct": percent(busy, uniform),
        "meets_rate_target": uniform >= TARGET_RATE,
        "meets_busy_target": (percent(busy, uniform) or 0) >= TARGET_BUSY,
        "ledger_ok": report.ok,
    }

    print(f"\n{'workload':<15} {'threads':>7} {'accruals/s':>11} {'p50 ms':>8} {'p99 ms':>8}"
          f" {'errors':>7}")
    for r in runs:
        print(f"{r['workload']:<15} {r['threads']:>7} {r['rate']:>11.1f} {r['p50_ms']:>8.2f}"
              f" {r['p99_ms']:>8.2f} {r['errors']:>7}")
    print(f"\npgbench tpcb-like scale 10, 8 clients: {tps:.1f} tps")
    print(f"{top}-thread uniform / pgbench: {summary['uniform_vs_pgbench_pct']} %")
    print(f"busy merchant / uniform at {top} threads: {summary['busy_vs_uniform_pct']} %")
    print(f"targets: >= {TARGET_RATE} accruals/s at {top} threads; busy >= {TARGET_BUSY} % of"
          f" uniform -> rate {'met' if summary['meets_rate_target'] else 'NOT met'},"
          f" busy {'met' if summary['meets_busy_target'] else 'NOT met'}")
    print(f"ledger verify: {'OK' if report.ok else 'FAILED'}\n{report.render()}")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"seconds": args.seconds, "members": MEMBERS,
                                   "merchants": MERCHANTS, "runs": runs, **summary,
                                   "ledger_report": report.render()}, indent=2) + "\n")
    print(f"figures written to {RESULTS}")


if __name__ == "__main__":
    main()
