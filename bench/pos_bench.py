"""POS purchases per second over HTTP (gunicorn), next to pgbench on the same server.

    .venv/bin/python -m bench.pos_bench [--seconds 10] [--workers N] [--worker-class gthread]
    .venv/bin/python -m bench.pos_bench --profile DIR   # cProfile (CPU time) of each worker
    .venv/bin/python -m bench.pos_bench --in-process 3000   # the WSGI callable, one thread

gunicorn runs with the project's own settings (gunicorn.conf.py: on PostgreSQL, gevent
workers, one per core), which the options override. Uses its own database
(valliance_pos_bench, or POS_BENCH_DB; pgbench's: PGBENCH_DB), reset on every run. Traffic
goes to 127.0.0.1 only.
"""

import argparse
import http.client
import io
import json
import os
import pstats
import random
import runpy
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg

from bench import ledger_bench
from bench.common import fresh_app
from bench.ledger_bench import percent, run_pgbench
from valliance.extensions import db
from valliance.members.services import enroll_member
from valliance.merchants.services.offers import create_offer
from valliance.merchants.services.onboarding import create_merchant
from valliance.merchants.services.terminals import create_terminal
from valliance.points.verify import verify_ledger

#: the databases it resets: override to run beside another run of a benchmark on one server
BENCH_DB = os.environ.get("POS_BENCH_DB", "valliance_pos_bench")
ledger_bench.PGBENCH_DB = os.environ.get("PGBENCH_DB", ledger_bench.PGBENCH_DB)
MEMBERS, MERCHANTS, CLIENTS = 2_000, 50, 8
TARGET_RATE, TARGET_PGBENCH, TARGET_P99, TARGET_BUSY = 800, 15, 50, 80
ROOT = Path(__file__).resolve().parent.parent
PURCHASES = "/api/v1/pos/purchases"


def setup(app) -> tuple[list[str], list[str], list[str]]:
    """Members' card numbers; one terminal key per merchant; 8 terminal keys of merchant 0."""
    with app.app_context():
        cards = []
        for i in range(MEMBERS):
            member = enroll_member(db.session, phone=f"139{i:08d}", name=f"会员{i}")
            cards.append(member.cards[0].number)
        merchants = []
        for i in range(MERCHANTS):
            merchant = create_merchant(db.session, name=f"商户{i:02d}", category="餐饮",
                                       district="鹿城镇", approved=True)
            create_offer(db.session, merchant, title="会员优惠", percent_off=12, points_per_yuan=2)
            merchants.append(merchant)
        spread = [create_terminal(db.session, m)[1] for m in merchants]
        busy = [spread[0]] + [create_terminal(db.session, merchants[0])[1] for _ in range(7)]
        db.session.commit()
    return cards, spread, busy


def analyze(url: str) -> None:
    """Give the planner statistics, as a live database has.

    Run once on the seeded tables, and again after the warm-up's purchases. Analyzed while
    empty, the ledger's tables look empty to the planner: it checks each new entry's and lot's
    foreign key by scanning the transfers table, and the plan, cached by each connection,
    outlives the table's growth until autovacuum's ANALYZE comes by (at most a minute later
    in a live database, in the middle of a run or after it here). Measured on the first run
    of 3,000 purchases: three such scans a purchase, 16 million rows read in all.
    """
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


#: gunicorn hooks that profile each worker (CPU time) and dump it on the way out; the file
#: replaces gunicorn.conf.py, so it runs that first
PROFILE_HOOKS = """
import cProfile, os, time
exec(open({settings!r}).read())
def post_worker_init(worker):
    worker.profile = cProfile.Profile(time.process_time)
    worker.profile.enable()
def worker_exit(server, worker):
    worker.profile.disable()
    worker.profile.dump_stats(os.path.join({directory!r}, f"worker-{{os.getpid()}}.prof"))
"""
SETTINGS = ROOT / "gunicorn.conf.py"


def server_shape(args) -> str:
    """The worker class and count gunicorn runs with: the settings file's, or the options'.

    (The settings choose the worker class by DATABASE_URL, which main() sets.)
    """
    settings = runpy.run_path(str(SETTINGS))
    worker_class = args.worker_class or settings.get("worker_class", "sync")
    workers = args.workers or settings.get("workers", 1)
    threads = args.threads or settings.get("threads", 1)
    return f"{worker_class}, {workers} workers" + (
        f" x {threads} threads" if worker_class == "gthread" else "")


def gunicorn_command(port: int, args) -> list:
    command = [str(ROOT / ".venv/bin/gunicorn"), "-b", f"127.0.0.1:{port}"]
    for flag, value in (("-w", args.workers), ("--threads", args.threads),
                        ("-k", args.worker_class)):
        if value:
            command += [flag, str(value)]
    if args.profile:
        hooks = Path(args.profile) / "gunicorn_profile.py"
        hooks.write_text(PROFILE_HOOKS.format(directory=str(Path(args.profile).resolve()),
                                              settings=str(SETTINGS)))
        command += ["-c", str(hooks)]
    return [*command, "wsgi:app"]


def print_profile(profile_dir: str) -> None:
    files = sorted(str(p) for p in Path(profile_dir).glob("worker-*.prof"))
    if not files:
        print("no worker profiles were written")
        return
    stats = pstats.Stats(*files)
    print(f"\nprofile of {len(files)} workers (CPU time), heaviest first:")
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not become healthy")


def stop(proc: subprocess.Popen) -> None:
    """Stop the server: politely, then for good after 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Till:
    """One terminal's keep-alive HTTP/1.1 connection, lean on purpose.

    The load generator shares the machine's two cores with the server it measures: http.client
    spent ~0.3 ms of CPU per request (most of it parsing the answer's headers), which the
    server then lacked. This sends one prepared request and reads the answer by its
    Content-Length, which is all gunicorn sends here; anything else is an error.
    """

    def __init__(self, port: int, key: str):
        self.port = port
        self.head = (f"POST {PURCHASES} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                     f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
                     ).encode()
        self.sock: socket.socket | None = None
        self.pending = b""

    def post(self, idempotency_key: str, body: bytes) -> tuple[int, bytes]:
        """Post one purchase: (status, body of the answer)."""
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.pending = b""
        self.sock.sendall(b"%sIdempotency-Key: %s\r\nContent-Length: %d\r\n\r\n%s" % (
            self.head, idempotency_key.encode(), len(body), body))
        data = self.pending
        while (end := data.find(b"\r\n\r\n")) < 0:
            data += self._receive()
        head, data = data[:end].split(b"\r\n"), data[end + 4:]
        status = int(head[0].split(b" ", 2)[1])
        length, close = None, False
        for line in head[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection":
                close = value.strip().lower() == b"close"
        if length is None:
            raise http.client.HTTPException(f"answer without Content-Length: {head!r}")
        while len(data) < length:
            data += self._receive()
        self.pending = data[length:]
        if close:
            self.close()
        return status, data[:length]

    def _receive(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        return chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def _proc_stats() -> list[tuple[int, str, int, float]]:
    """(pid, command, parent pid, CPU seconds used) of every process on the machine.

    A process's figure includes its reaped children's, so that a PostgreSQL backend that
    exits during a run (its client disconnected) still counts, with the postmaster.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        command = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        found.append((int(entry.name), command, int(fields[1]),
                      sum(int(ticks_used) for ticks_used in fields[11:15]) / ticks))
    return found


def cpu_by_part(server_pid: int) -> dict[str, float]:
    """CPU seconds used so far by gunicorn's workers, PostgreSQL and this load generator."""
    stats = _proc_stats()
    return {"workers": sum(cpu for _, _, parent, cpu in stats if parent == server_pid),
            "postgres": sum(cpu for _, command, _, cpu in stats if command == "postgres"),
            "client": sum(cpu for pid, _, _, cpu in stats if pid == os.getpid())}


def run_load(port: int, cards: list[str], keys: list[str], seconds: float) -> dict:
    """CLIENTS threads, each with a keep-alive connection and a terminal key, until the deadline."""
    clock: dict[str, float] = {}
    barrier = threading.Barrier(CLIENTS, action=lambda: clock.update(start=time.perf_counter()),
                                timeout=60)
    latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
    errors: list[str] = []
    ends = [0.0] * CLIENTS

    def worker(n: int) -> None:
        rng = random.Random(n)
        till = Till(port, keys[n % len(keys)])
        barrier.wait()
        deadline = clock["start"] + seconds
        while time.perf_counter() < deadline:
            body = json.dumps({"card": rng.choice(cards),
                               "amount": rng.randint(100, 50_000)}).encode()
            key = uuid.uuid4().hex
            t0 = time.perf_counter()
            try:
                status, text = till.post(key, body)
            except (OSError, ValueError, http.client.HTTPException) as exc:
                errors.append(repr(exc))
                till.close()
                continue
            if status != 201:
                errors.append(f"{status} {text[:300].decode(errors='replace')}")
                continue
            latencies[n].append(time.perf_counter() - t0)
        ends[n] = time.perf_counter()
        till.close()

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(CLIENTS)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    samples = sorted(s for per_thread in latencies for s in per_thread)
    elapsed = max(ends) - clock["start"]

    def pct(p: float) -> float:
        if not samples:
            return float("nan")
        return round(samples[min(len(samples) - 1, int(p * len(samples)))] * 1000, 2)

    return {"purchases": len(samples), "rate": round(len(samples) / elapsed, 1),
            "p50_ms": pct(0.50), "p99_ms": pct(0.99), "errors": len(errors),
            "first_error": errors[0] if errors else None}


def in_process(app, url: str, cards: list[str], key: str, purchases: int) -> None:
    """Purchases through the app's WSGI callable in this process, one thread: CPU per purchase.

    No HTTP server and no neighbours in the process, so the figure moves less from run to run
    than the HTTP one: the app's own cost (the purchase lane or the generic path), the driver
    included, and PostgreSQL's, measured apart (all its processes, as over HTTP).
    """
    rng = random.Random(7)

    def purchase() -> None:
        body = json.dumps({"card": rng.choice(cards), "amount": rng.randint(100, 50_000)}).encode()
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": PURCHASES, "SCRIPT_NAME": "", "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0), "wsgi.multithread": True, "wsgi.multiprocess": True,
            "wsgi.run_once": False, "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/json", "HTTP_HOST": "127.0.0.1",
            "HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex}
        answered = []
        b"".join(app(environ, lambda status, headers, exc_info=None: answered.append(status)))
        if not answered[0].startswith("201"):
            sys.exit(f"in-process purchase answered {answered[0]}")

    for _ in range(300):  # warm-up: connections, prepared statements
        purchase()
    analyze(url)
    server = cpu_by_part(os.getpid())["postgres"]
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(purchases):
        purchase()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    server = cpu_by_part(os.getpid())["postgres"] - server
    print(f"in-process, one thread, {purchases} purchases: {cpu * 1000 / purchases:.3f} ms of"
          f" CPU and {wall * 1000 / purchases:.3f} ms of wall time each; PostgreSQL"
          f" {server * 1000 / purchases:.3f} ms of CPU each")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="duration of each run")
    parser.add_argument("--workers", type=int,
                        help="gunicorn worker processes (default: gunicorn.conf.py's)")
    parser.add_argument("--worker-class", help="gunicorn worker class (default: gevent, as"
                        " gunicorn.conf.py says)")
    parser.add_argument("--threads", type=int, help="threads per worker (gthread worker)")
    parser.add_argument("--profile", metavar="DIR",
                        help="profile each worker (CPU time) into DIR and print the sum")
    parser.add_argument("--in-process", type=int, metavar="N",
                        help="instead: N purchases through the WSGI callable, CPU per purchase")
    args = parser.parse_args()
    profile_dir = args.profile
    if profile_dir:
        Path(profile_dir).mkdir(parents=True, exist_ok=True)
        for old in Path(profile_dir).glob("worker-*.prof"):
            old.unlink()

    app, url = fresh_app(BENCH_DB, {"pool_size": 4, "max_overflow": 2})
    os.environ["DATABASE_URL"] = url  # gunicorn's, and what its settings are chosen by
    cards, spread, busy = setup(app)
    analyze(url)
    if args.in_process:
        in_process(app, url, cards, spread[0], args.in_process)
        return
    port = free_port()
    proc = subprocess.Popen(gunicorn_command(port, args),
                            cwd=ROOT,
                            env={**os.environ, "SECRET_KEY": "bench"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    runs = {}
    try:
        wait_healthy(port, proc)
        run_load(port, cards, spread, 3)  # warm-up, not reported: connections, statement caches
        analyze(url)
        for name, keys in (("spread", spread), ("busy merchant", busy)):
            before = cpu_by_part(proc.pid)
            runs[name] = run_load(port, cards, keys, args.seconds)
            after = cpu_by_part(proc.pid)
            done = max(1, runs[name]["purchases"])
            runs[name]["cpu_ms"] = {part: round((after[part] - before[part]) * 1000 / done, 3)
                                    for part in after}
            print(f"{name:<14}: {runs[name]['rate']:.1f} purchases/s"
                  f" ({runs[name]['errors']} errors)", flush=True)
    finally:
        stop(proc)
    tps = run_pgbench(args.seconds)
    with app.app_context():
        report = verify_ledger(db.session)
        db.session.rollback()

    print(f"\n{'workload':<14} {'purchases/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
          f" {'% pgbench':>10}")
    for name, r in runs.items():
        print(f"{name:<14} {r['rate']:>11.1f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f}"
              f" {r['errors']:>7} {percent(r['rate'], tps)!s:>10}")
        if r["first_error"]:
            print(f"  first error: {r['first_error']}")
    print("\nCPU per purchase (ms): " + "; ".join(
        f"{name}: " + ", ".join(f"{part} {ms:.3f}" for part, ms in r["cpu_ms"].items())
        for name, r in runs.items()))
    spread_r, busy_r = runs["spread"], runs["busy merchant"]
    ratio, busy_pct = percent(spread_r["rate"], tps), percent(busy_r["rate"], spread_r["rate"])

    def mark(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print(f"\npgbench tpcb-like scale 10, 8 clients: {tps:.1f} tps")
    print(f"spread purchases/s: {spread_r['rate']:.1f} (target >= {TARGET_RATE}:"
          f" {mark(spread_r['rate'] >= TARGET_RATE)})")
    print(f"spread / pgbench: {ratio} % (target >= {TARGET_PGBENCH} %:"
          f" {mark((ratio or 0) >= TARGET_PGBENCH)})")
    print(f"spread p99: {spread_r['p99_ms']} ms (target <= {TARGET_P99} ms:"
          f" {mark(spread_r['p99_ms'] <= TARGET_P99)})")
    print(f"busy / spread: {busy_pct} % (target >= {TARGET_BUSY} %:"
          f" {mark((busy_pct or 0) >= TARGET_BUSY)})")
    print(f"ledger verify: {'OK' if report.ok else 'FAILED'}\n{report.render()}")
    print(f"gunicorn: {server_shape(args)}")
    if profile_dir:
        print_profile(profile_dir)


if __name__ == "__main__":
    main()
