"""Two gunicorn shapes side by side on the POS workload: which sells more, for less CPU.

    .venv/bin/python -m bench.server_shapes "-k gevent -w 2" "-k gthread -w 4 --threads 2"
    .venv/bin/python -m bench.server_shapes A B --slices 10 --seconds 3

Both servers run at once against the same database (pos_bench's: 2,000 members, 50
merchants), and the load (pos_bench's 8 terminals of the spread workload) goes to one, then
the other, in short slices, alternating which goes first. On a machine whose speed drifts from
minute to minute, two runs one after the other compare the machine's moments as much as the
shapes; slices side by side compare the shapes. Prints, per slice, purchases/s and the
workers' and PostgreSQL's CPU per purchase, then the medians of the A/B ratios.
Shape arguments are gunicorn flags, added after the project's gunicorn.conf.py.
"""

import argparse
import os
import shlex
import statistics
import subprocess

from bench.common import fresh_app
from bench.pos_bench import (
    BENCH_DB,
    ROOT,
    analyze,
    cpu_by_part,
    free_port,
    run_load,
    setup,
    stop,
    wait_healthy,
)


def start(url: str, flags: str) -> tuple[int, subprocess.Popen]:
    port = free_port()
    command = [str(ROOT / ".venv/bin/gunicorn"), "-b", f"127.0.0.1:{port}",
               *shlex.split(flags), "wsgi:app"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                            env={**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench"})
    wait_healthy(port, proc)
    return port, proc


def one_slice(port: int, proc: subprocess.Popen, cards, keys, seconds: float) -> dict:
    before = cpu_by_part(proc.pid)
    run = run_load(port, cards, keys, seconds)
    after = cpu_by_part(proc.pid)
    done = max(1, run["purchases"])
    return {"rate": run["rate"], "errors": run["errors"],
            "workers": (after["workers"] - before["workers"]) * 1000 / done,
            "postgres": (after["postgres"] - before["postgres"]) * 1000 / done}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help='gunicorn flags of shape A, e.g. "-k gevent -w 2"')
    parser.add_argument("b", help="gunicorn flags of shape B")
    parser.add_argument("--slices", type=int, default=10, help="slices per shape")
    parser.add_argument("--seconds", type=float, default=3, help="length of a slice")
    args = parser.parse_args()

    app, url = fresh_app(BENCH_DB, {"pool_size": 4, "max_overflow": 2})
    cards, spread, _ = setup(app)
    analyze(url)
    servers = {}
    try:
        for name, flags in (("A", args.a), ("B", args.b)):
            servers[name] = start(url, flags)
            run_load(servers[name][0], cards, spread, 2)  # warm-up
        analyze(url)  # statistics with the warm-up's purchases in them (see analyze)
        slices = {"A": [], "B": []}
        for i in range(args.slices):
            for name in ("A", "B") if i % 2 == 0 else ("B", "A"):
                slices[name].append(one_slice(*servers[name], cards, spread, args.seconds))
    finally:
        for _, proc in servers.values():
            stop(proc)

    for name, flags in (("A", args.a), ("B", args.b)):
        rows = slices[name]
        print(f"{name} [{flags}]: errors {sum(r['errors'] for r in rows)}")
        for part in ("rate", "workers", "postgres"):
            print(f"  {part:<9}" + " ".join(f"{r[part]:7.2f}" for r in rows))
    for part, label in (("rate", "purchases/s"), ("workers", "workers' CPU per purchase"),
                        ("postgres", "PostgreSQL's CPU per purchase")):
        pairs = zip(slices["A"], slices["B"], strict=True)
        ratios = [a[part] / b[part] for a, b in pairs if b[part]]
        print(f"A / B {label}: median {statistics.median(ratios):.3f}"
              f" (slices {min(ratios):.3f}–{max(ratios):.3f})")


if __name__ == "__main__":
    main()
