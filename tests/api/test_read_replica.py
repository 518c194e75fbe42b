"""The read replica (DATABASE_REPLICA_URL, valliance/replica.py): searches, dashboards and
reports read the replica; writes, and the reads that must see them, the primary.

The routing is shown on a second, asynchronous standby of the test primary whose replay is
paused: what is committed on the primary meanwhile is missing from the searches and reports
until replay resumes, while the sale itself and the member's own balance are right at once.
It runs when the suite is given a replica pair (`make test-postgres` builds one with
tests/clusters.py); the refusal beside SQLite and the read-only fallback run everywhere.
"""

import re
import time

import psycopg
import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError

from tests import clusters
from tests.api.desk_helpers import PASSWORD as STAFF_PASSWORD
from tests.api.desk_helpers import staff_client
from tests.api.pos_helpers import buy, member, shop
from tests.api.test_portal import post_form
from tests.api.world import OWNER_PHONE, build
from tests.api.world import PASSWORD as WORLD_PASSWORD
from tests.conftest import PG_URL, REPLICA_URL
from tests.integration import winback_world as winback
from valliance import create_app
from valliance.config import TestConfig
from valliance.directory import services as directory
from valliance.directory.models import CallerLookup
from valliance.extensions import db
from valliance.merchants.models import Merchant
from valliance.merchants.services import merchant_users as users
from valliance.merchants.services.offers import create_offer
from valliance.merchants.services.onboarding import create_merchant
from valliance.replica import SQLITE_REFUSED, reading_session, replica_engine
from valliance.staff import services as staff_services

OFFERS = "/api/v1/directory/offers"
PASSWORD = "shop2026pw"
OWNER = "13700000001"

needs_pair = pytest.mark.skipif(
    not REPLICA_URL, reason="needs a replica pair (VALLIANCE_TEST_REPLICA_URL: make test-postgres)")


def test_a_replica_beside_sqlite_is_refused_at_start(tmp_path):
    class Config(TestConfig):
        DATABASE_URL = f"sqlite:///{tmp_path / 'v.db'}"
        DATABASE_REPLICA_URL = "postgresql://postgres@127.0.0.1:5432/valliance"
        SECRET_KEY = "test-secret-key"  # noqa: S105 — tests only

    with pytest.raises(RuntimeError) as refused:
        create_app(Config)
    assert str(refused.value) == SQLITE_REFUSED and "SQLite" in str(refused.value)


def test_a_write_through_the_reading_session_fails_loudly(app, ctx):
    session = reading_session()
    assert session is not db.session()  # a session of its own: only what is committed
    assert session is reading_session()  # one per app context
    if REPLICA_URL:  # the replica's session: its engine is the replica's
        assert session.get_bind() is replica_engine(app)
        assert session.get_bind().url.port == int(REPLICA_URL.rsplit(":", 1)[1].split("/")[0])
    else:  # the primary's engine, its transaction read-only
        assert session.get_bind() is db.engine and replica_engine(app) is None
    with pytest.raises(DBAPIError) as refused:
        session.execute(text("UPDATE merchants SET name = name WHERE 1 = 0"))
    if PG_URL:  # read_only_sql_transaction
        assert refused.value.orig.sqlstate == "25006"
    else:
        assert "readonly database" in str(refused.value.orig)


def test_without_a_replica_production_reads_on_its_own_connection_read_only(app):
    if REPLICA_URL:
        pytest.skip("the suite's app has a replica")

    class Production(TestConfig):
        TESTING = False  # not the suite's stricter reading session: production's
        DATABASE_URL = app.config["SQLALCHEMY_DATABASE_URI"]
        SECRET_KEY = "test-secret-key"  # noqa: S105 — tests only

    application = create_app(Production)
    try:
        with application.app_context():
            session = reading_session()
            assert session is db.session()  # one connection a request: no second pool use
            with pytest.raises(DBAPIError):
                session.execute(text("UPDATE merchants SET name = name WHERE 1 = 0"))
            session.rollback()
    finally:
        with application.app_context():
            db.engine.dispose()


def test_the_reading_session_does_not_see_the_requests_uncommitted_writes(app, ctx):
    merchant = create_merchant(db.session, name="未提交的店", category="餐饮", district="鹿城镇",
                               approved=True)
    db.session.flush()  # written in this request's transaction, not committed
    assert db.session.get(Merchant, merchant.id) is not None
    assert reading_session().scalar(select(func.count()).select_from(Merchant)) == 0
    db.session.rollback()


# --- on a paused replica ------------------------------------------------------------------


@pytest.fixture(scope="module")
def lagging():
    """An asynchronous standby of the test primary (one a commit does not wait for)."""
    standby = clusters.create_standby(clusters.serving(PG_URL), "lagging", synchronous=False)
    yield standby
    standby.drop()


@pytest.fixture(scope="module")
def lagging_app(app, lagging):
    """The app reading from the lagging standby (the suite's app reads the synchronous one)."""

    class Config(TestConfig):
        DATABASE_URL = PG_URL
        DATABASE_REPLICA_URL = lagging.url()
        SECRET_KEY = app.config["SECRET_KEY"]

    application = create_app(Config)
    yield application
    with application.app_context():
        db.engine.dispose()
    replica_engine(application).dispose()


def _replay(standby, action: str) -> None:
    with psycopg.connect(standby.url(), autocommit=True) as conn:
        conn.execute(f"SELECT pg_wal_replay_{action}()")
        deadline = time.monotonic() + 30
        while action == "pause" and conn.execute(
                "SELECT pg_get_wal_replay_pause_state()").fetchone()[0] != "paused":
            assert time.monotonic() < deadline, "the standby's replay did not pause"
            time.sleep(0.02)


@pytest.fixture
def paused(app, lagging):
    """Replay caught up with the test's data, then paused (resumed however the test ends)."""

    def pause():
        clusters.caught_up(PG_URL, lagging)
        _replay(lagging, "pause")

    yield pause
    _replay(lagging, "resume")


def _found(client, headers, q: str) -> int:
    response = client.get(OFFERS, query_string={"q": q}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["total"]


def _sales_30_days(client) -> int:
    """Purchases in the last 30 days on the merchant's dashboard (not "today": a run may
    cross midnight in Shanghai between the sale and the look)."""
    page = client.get("/merchant/").get_data(as_text=True)
    return int(re.search(r'data-period="30d" data-figure="purchases">([\d,]+)<', page)[1])


@needs_pair
def test_searches_and_reports_read_the_replica_and_a_purchase_shows_there_once_replayed(
        app, lagging_app, lagging, paused):
    with app.app_context():
        store = shop(db.session, offer={"percent_off": 12, "points_per_yuan": 2})
        users.add_merchant_user(db.session, db.session.get(Merchant, store.merchant.id),
                                phone=OWNER, name="王老板", password=PASSWORD, role="owner",
                                actor="test")
        _, key = directory.create_operator(db.session, "一号台")
        buyer, card = member(db.session, points=0)
        phone, card_number = buyer.phone, card.number
        db.session.commit()
    operator = {"Authorization": f"Bearer {key}"}
    client = lagging_app.test_client()
    assert post_form(client, "/merchant/login", {"phone": OWNER, "password": PASSWORD}
                     ).status_code == 302
    token = client.post("/api/v1/member/session",
                        json={"phone": phone, "password": "secret123"}).get_json()["token"]
    paused()

    with app.app_context():  # committed on the primary while the replica stands still
        cafe = create_merchant(db.session, name="江心屿咖啡", category="餐饮", district="鹿城区",
                               avg_spend=3000, approved=True)
        create_offer(db.session, cafe, title="V卡9折", percent_off=10, points_per_yuan=1)
        db.session.commit()
    sale = buy(client, store, card_number, 10_000)
    assert sale.status_code == 201, sale.get_json()  # the sale is written on the primary
    sold = sale.get_json()
    me = client.get("/api/v1/member/me", headers={"Authorization": f"Bearer {token}"})
    assert me.get_json()["points"]["balance"] == sold["points_earned"] > 0  # read your writes
    assert client.get(f"/merchant/purchases/{sold['id']}").status_code == 200  # the primary's
    # a search with a caller logs the lookup on the primary, and answers from the replica
    with_caller = client.get(OFFERS, query_string={"q": "咖啡", "caller": phone}, headers=operator)
    assert with_caller.get_json()["caller"]["has_vcard"] is True
    assert with_caller.get_json()["total"] == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CallerLookup)) == 1
        db.session.remove()

    assert _found(client, operator, "火锅") == 1  # what it had replayed before the pause
    assert _found(client, operator, "咖啡") == 0  # the replica has not seen the café yet
    assert sold["id"] not in client.get("/merchant/purchases").get_data(as_text=True)
    assert _sales_30_days(client) == 0

    _replay(lagging, "resume")
    clusters.caught_up(PG_URL, lagging)
    assert _found(client, operator, "咖啡") == 1
    assert sold["id"] in client.get("/merchant/purchases").get_data(as_text=True)
    assert _sales_30_days(client) == 1


#: every page that reads the replica, and who may open it ("staff", "owner" or "operator")
ROUTED = [("staff", "/staff/"), ("staff", "/staff/desk/report"),
          ("staff", "/staff/desk/report.csv"), ("staff", "/staff/referrals/"),
          ("staff", "/staff/marketing/winback/"), ("staff", "/staff/settlement/verify"),
          ("owner", "/merchant/"), ("owner", "/merchant/purchases"),
          ("owner", "/merchant/purchases.csv"), ("operator", f"{OFFERS}?q=火锅")]


@needs_pair
def test_every_routed_page_runs_statements_on_the_replica_and_a_sale_none(app):
    made = build(app)
    with app.app_context():
        staff_services.create_staff_user(db.session, username="boss", name="老板",
                                         password=STAFF_PASSWORD, roles=("admin",))
        winback.save(db.session)  # the win-back report reads its figures once there is one
    clients = {"staff": staff_client(app, "boss"), "owner": app.test_client(),
               "operator": app.test_client()}
    assert post_form(clients["owner"], "/merchant/login",
                     {"phone": OWNER_PHONE, "password": WORLD_PASSWORD}).status_code == 302
    headers = {"operator": {"Authorization": f"Bearer {made.operator_key}"}}
    on_replica: list[str] = []

    def note(conn, cursor, statement, *args):
        on_replica.append(statement)

    event.listen(replica_engine(app), "before_cursor_execute", note)
    try:
        for who, url in ROUTED:
            before = len(on_replica)
            response = clients[who].get(url, headers=headers.get(who, {}))
            assert response.status_code == 200, (url, response.status_code)
            assert len(on_replica) > before, f"{url} read nothing on the replica"
        before = len(on_replica)
        sale = clients["owner"].post("/api/v1/pos/purchases",
                                     json={"card": made.card, "amount": 5_000},
                                     headers={"Authorization": f"Bearer {made.terminal_key}",
                                              "Idempotency-Key": "replica-routing-sale"})
        assert sale.status_code == 201, sale.get_json()
        assert len(on_replica) == before  # a write: the primary only
    finally:
        event.remove(replica_engine(app), "before_cursor_execute", note)


@needs_pair
def test_the_replica_s_pool_has_its_own_gauges(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "scrape-secret-0123456789")
    text = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-0123456789"}
                      ).get_data(as_text=True)
    capacity = re.search(r"^valliance_db_pool_replica_capacity (\S+)$", text, re.M)
    assert capacity and float(capacity[1]) >= 1


@needs_pair
def test_flask_check_refuses_a_replica_url_that_is_no_standby(app):
    def checked(replica_url: str):
        class Production(TestConfig):
            DATABASE_URL = PG_URL
            DATABASE_REPLICA_URL = replica_url
            PRODUCTION = True
            SECRET_KEY = "a-production-secret-key-of-some-length"  # noqa: S105 — tests only
            SMS_PROVIDER = "http"
            SMS_GATEWAY_URL = "http://127.0.0.1:9/sms"

        application = create_app(Production)
        try:
            return application.test_cli_runner().invoke(args=["check"])
        finally:
            replica_engine(application).dispose()
            with application.app_context():
                db.engine.dispose()

    silent = checked("postgresql://postgres@127.0.0.1:9/nowhere")  # no server there
    assert silent.exit_code == 0, silent.output  # logged, not refused: the tills go on
    refused = checked(PG_URL)  # the primary itself: writable, no standby
    assert refused.exit_code == 1 and "is not a standby" in refused.output
    passed = checked(REPLICA_URL)
    assert passed.exit_code == 0, passed.output
    assert "production checks passed" in passed.output


@pytest.mark.skipif(not PG_URL, reason="a replica is PostgreSQL's: refused beside SQLite")
def test_a_replica_that_does_not_answer_leaves_the_searches_to_the_primary(app, caplog):
    made = build(app)

    class Unreachable(TestConfig):
        DATABASE_URL = PG_URL
        DATABASE_REPLICA_URL = "postgresql://postgres@127.0.0.1:9/nowhere"  # nothing listens
        SECRET_KEY = "test-secret-key"  # noqa: S105 — tests only

    application = create_app(Unreachable)
    operator = {"Authorization": f"Bearer {made.operator_key}"}
    try:
        client = application.test_client()
        for _ in range(3):
            found = client.get(OFFERS, query_string={"q": "火锅"}, headers=operator)
            assert found.status_code == 200 and found.get_json()["total"] == 1
        warned = [r for r in caplog.records if "read replica does not answer" in r.getMessage()]
        assert len(warned) == 1  # then left alone for REPLICA_RETRY_SECONDS
    finally:
        replica_engine(application).dispose()
        with application.app_context():
            db.engine.dispose()
