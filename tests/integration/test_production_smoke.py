"""The production command lines, end to end (README, Production; deploy/systemd): a fresh
database created and migrated as an operator does, keys made with the CLI, `flask check`,
gunicorn from gunicorn.conf.py and the job worker (`flask jobs worker`) in production mode,
against PostgreSQL through Debian's PgBouncer (transaction pooling, 2 server connections)
and Redis; then /healthz, /readyz, /metrics, 30 sales at three tills, a 114 lookup, and an SMS
that the job worker delivers to a local fake gateway. Every line the two servers write is JSON.

Without /usr/sbin/pgbouncer the test runs straight against PostgreSQL and says so, unless
REQUIRE_POSTGRES=1 (CI), where it fails. PgBouncer older than 1.21 cannot carry psycopg's
server-side prepared statements in transaction mode: the first test shows it, and the smoke
runs with DATABASE_PREPARED_STATEMENTS=off there (README, Configuration).
"""

import concurrent.futures
import contextlib
import http.client
import json
import os
import secrets
import subprocess
import uuid
import warnings

import psycopg
import pytest
from cryptography.fernet import Fernet
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from tests import pgbouncer
from tests.databases import ADMIN_URL
from tests.processes import FLASK, ROOT, gunicorn, server_environment, stop
from tests.redis_server import REDIS_URL, answering_redis
from tests.sms import GatewayFake

pytestmark = pytest.mark.postgres_only

PHONE = "13800138000"
SALES, TILLS = 30, 3


@pytest.fixture
def database():
    """A new, empty database made with README's createdb line: its direct URL; dropped."""
    name = f"valliance_smoke_{uuid.uuid4().hex[:8]}"
    admin = conninfo_to_dict(ADMIN_URL)
    subprocess.run(["createdb", "-h", admin.get("host", "127.0.0.1"),  # noqa: S607
                    "-p", str(admin.get("port", 5432)), "-U", admin.get("user", "postgres"),
                    "-E", "UTF8", "--lc-ctype=C.UTF-8", "--lc-collate=C.UTF-8", "-T",
                    "template0", name], check=True)
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def bouncer(database, tmp_path):
    """PgBouncer in front of the database (None without it, outside CI)."""
    if not pgbouncer.installed():
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("PgBouncer is required (REQUIRE_POSTGRES=1): apt-get install pgbouncer")
        warnings.warn("no /usr/sbin/pgbouncer: the smoke runs straight against PostgreSQL",
                      stacklevel=1)
        yield None
        return
    directory = tmp_path / "pgbouncer"
    directory.mkdir()
    with pgbouncer.running(directory, database, pool_size=2) as running:
        yield running


@pytest.fixture
def redis_queue():
    """A job queue of its own on the test Redis: (URL, queue name); its keys removed."""
    connection = answering_redis()
    queue = f"smoke-{uuid.uuid4().hex[:8]}"
    yield REDIS_URL, queue
    for key in connection.scan_iter(f"*{queue}*"):
        connection.delete(key)
    connection.srem("rq:queues", f"rq:queue:{queue}")


def _prepared_after_threshold(url: str, **options) -> str:
    """Run one statement 10 times on a client connection while a second client holds the
    server connection it ran on: what the last run answered ('ok' or the error)."""
    first = psycopg.connect(url, autocommit=True, **options)
    second = psycopg.connect(url, **options)
    try:
        for _ in range(10):  # prepared on the server at the 5th run (prepare_threshold)
            first.execute("SELECT count(*) FROM pg_class WHERE relkind = %s", ("r",))
        second.execute("SELECT 1")  # takes the server connection `first` used (LIFO)
        try:
            first.execute("SELECT count(*) FROM pg_class WHERE relkind = %s", ("r",))
        except psycopg.Error as exc:
            return str(exc)
        return "ok"
    finally:
        second.close()
        first.close()


def test_pgbouncer_before_1_21_loses_prepared_statements_unless_they_are_off(bouncer):
    if bouncer is None:
        pytest.skip("no PgBouncer")
    if bouncer.version >= pgbouncer.TRACKS_PREPARED:
        pytest.skip(f"PgBouncer {bouncer.version} tracks prepared statements")
    assert "prepared statement" in _prepared_after_threshold(bouncer.url)
    assert _prepared_after_threshold(bouncer.url, prepare_threshold=None) == "ok"


def _flask(env: dict, *args: str) -> str:
    done = subprocess.run([FLASK, "--app", "wsgi", *args], cwd=ROOT, env=env,  # noqa: S603
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"flask {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _made(env: dict, *args: str) -> dict:
    return json.loads(_flask(env, *args, "--json"))


def _call(conn, method: str, path: str, body=None, headers=None) -> tuple[int, dict | str]:
    conn.request(method, path, body=None if body is None else json.dumps(body).encode(),
                 headers={"Content-Type": "application/json", **(headers or {})})
    answer = conn.getresponse()
    text = answer.read().decode()
    is_json = answer.getheader("Content-Type", "").startswith("application/json")
    return answer.status, json.loads(text) if is_json else text


def _connection(port: int):
    return contextlib.closing(http.client.HTTPConnection("127.0.0.1", port, timeout=30))


def _settings(bouncer, database: str, redis_queue: tuple[str, str], gateway: GatewayFake
              ) -> dict:
    """The env file of a production machine (deploy/valliance.env.example), filled in."""
    settings = {
        "PRODUCTION": "1", "LOG_FORMAT": "json",
        "DATABASE_URL": bouncer.url if bouncer else database,
        "REDIS_URL": redis_queue[0], "JOBS_QUEUE": redis_queue[1],
        "SECRET_KEY": secrets.token_hex(32),
        "DATA_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "METRICS_TOKEN": secrets.token_urlsafe(32),
        "SMS_PROVIDER": "http", "SMS_GATEWAY_URL": gateway.url,
        "SMS_GATEWAY_TOKEN": secrets.token_urlsafe(16),
        "SESSION_COOKIE_SECURE": "1", "WEB_CONCURRENCY": "2",
    }
    if bouncer and bouncer.version < pgbouncer.TRACKS_PREPARED:
        settings["DATABASE_PREPARED_STATEMENTS"] = "off"
    env = server_environment(settings.pop("DATABASE_URL"), **settings)
    for name in ("FLASK_DEBUG", "PROMETHEUS_MULTIPROC_DIR", "VALLIANCE_TEST_DATABASE_URL"):
        env.pop(name, None)
    return env


def _set_up(env: dict, direct_url: str) -> dict:
    """README, Production: migrate straight to PostgreSQL, check, make the keys."""
    _flask({**env, "DATABASE_URL": direct_url}, "db", "upgrade")
    assert _flask(env, "check").strip() == "production checks passed"
    with concurrent.futures.ThreadPoolExecutor(3) as pool:  # two at a time: ~2 s each
        merchant = pool.submit(_made, env, "merchants", "create", "--name", "老王火锅",
                               "--category", "餐饮", "--district", "鹿城镇")
        operator = pool.submit(_made, env, "operators", "create", "--name", "话务员")
        member = pool.submit(_made, env, "members", "create", "--phone", PHONE, "--name",
                             "张三", "--points", "100")
        merchant_id = merchant.result()["merchant_id"]
        offer = pool.submit(_made, env, "offers", "create", "--merchant", merchant_id,
                            "--title", "9折", "--percent-off", "10", "--points-per-yuan", "2")
        till = pool.submit(_made, env, "terminals", "create", "--merchant", merchant_id)
        offer.result()
        return {"till": till.result()["api_key"], "operator": operator.result()["api_key"],
                "card": member.result()["card_number"]}


def _sell(port: int, keys: dict) -> list[tuple[int, dict]]:
    """SALES sales of 100 yuan to the card from TILLS tills at once, each on one kept-alive
    connection: their (status, answer)."""
    def till(n: int):
        answers = []
        with _connection(port) as conn:
            for i in range(SALES // TILLS):
                answers.append(_call(conn, "POST", "/api/v1/pos/purchases",
                                     {"card": keys["card"], "amount": 10000},
                                     {"Authorization": f"Bearer {keys['till']}",
                                      "Idempotency-Key": f"till-{n}-sale-{i}"}))
        return answers

    with concurrent.futures.ThreadPoolExecutor(TILLS) as pool:
        return [answer for answers in pool.map(till, range(TILLS)) for answer in answers]


def _guess_pay_codes(port: int, keys: dict) -> list[int]:
    """Six wrong pay codes for the card: the fifth locks it and the member is texted."""
    statuses = []
    with _connection(port) as conn:
        for i in range(6):
            status, _ = _call(conn, "POST", "/api/v1/pos/purchases",
                              {"card": keys["card"] + "000000", "amount": 1000,
                               "redeem_points": 10},
                              {"Authorization": f"Bearer {keys['till']}",
                               "Idempotency-Key": f"guess-{i}"})
            statuses.append(status)
    return statuses


def _outbox(direct_url: str) -> list[tuple]:
    with psycopg.connect(direct_url) as conn:
        return conn.execute("SELECT recipient, status, attempts FROM outbox_messages"
                            " ORDER BY id").fetchall()


@contextlib.contextmanager
def _job_worker(env: dict, log):
    """`flask --app wsgi jobs worker`, as valliance-worker.service runs it; stopped after."""
    with log.open("w") as out:
        proc = subprocess.Popen([FLASK, "--app", "wsgi", "jobs", "worker"],  # noqa: S603
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        stop(proc)


def _json_lines(log) -> list[dict]:
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert lines, f"{log.name} is empty"
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            pytest.fail(f"{log.name}: not a JSON line: {line!r}")
        assert {"time", "level", "logger", "message"} <= set(entry), line
    return [json.loads(line) for line in lines]


def test_the_production_command_lines(database, bouncer, redis_queue, tmp_path):
    with GatewayFake(refuse_first=1) as gateway:
        env = _settings(bouncer, database, redis_queue, gateway)
        keys = _set_up(env, database)
        web_log, worker_log = tmp_path / "web.log", tmp_path / "worker.log"
        metrics = tmp_path / "metrics"
        metrics.mkdir()
        with gunicorn({**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics)}, web_log) as (port, _):
            with _connection(port) as conn:
                assert _call(conn, "GET", "/healthz") == (200, {"status": "ok", "db": "ok"})
                assert _call(conn, "GET", "/readyz") == (200, {
                    "status": "ready", "db": "ok", "migrations": "head", "redis": "ok"})
            sales = _sell(port, keys)
            if bouncer:  # through PgBouncer, on its 2 server connections at most
                (stats,) = bouncer.database_rows("STATS")
                assert stats["total_xact_count"] >= SALES
                assert len(bouncer.database_rows("SERVERS")) <= 2
            assert [status for status, _ in sales] == [201] * SALES, [
                answer for answer in sales if answer[0] != 201][:3]
            # 100 yuan, 10 % off: 90 yuan paid, 2 points a yuan; 100 points to start with
            assert max(body["points_balance"] for _, body in sales) == 100 + SALES * 180
            with _connection(port) as conn:
                assert _call(conn, "GET", f"/api/v1/directory/callers/{PHONE}", headers={
                    "Authorization": f"Bearer {keys['operator']}"}) == (200, {
                        "has_vcard": True, "tier": "standard", "card_status": "active"})
            # the member is texted once the card locks; the gateway is down the first time
            assert _guess_pay_codes(port, keys) == [422] * 5 + [429]
            assert len(gateway.wait_for(1, timeout=10)) == 1
            assert _outbox(database) == [(PHONE, "failed", 1)]
            with _job_worker(env, worker_log):
                # its schedule's minute tick queues the delivery, which sends it again
                received = gateway.wait_for(2, timeout=30)
            with _connection(port) as conn:
                status, scraped = _call(conn, "GET", "/metrics", headers={
                    "Authorization": f"Bearer {env['METRICS_TOKEN']}"})
                assert _call(conn, "GET", "/metrics")[0] == 401
    assert len(received) == 2, worker_log.read_text()[-3000:]
    assert received[1]["to"] == PHONE and "付款码被多次输错" in received[1]["text"]
    assert received[1]["authorization"] == f"Bearer {env['SMS_GATEWAY_TOKEN']}"
    assert _outbox(database) == [(PHONE, "sent", 2)]
    assert status == 200 and f"valliance_purchases_total {SALES}.0" in scraped, scraped
    assert f"valliance_lane_sales_total {SALES}.0" in scraped  # every sale by the lane
    web, worker = _json_lines(web_log), _json_lines(worker_log)
    assert any(entry["message"].startswith("Successfully completed messaging.deliver job")
               for entry in worker), worker[-5:]
    assert sum(entry["logger"] == "valliance.access" for entry in web) >= SALES
