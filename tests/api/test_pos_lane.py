"""The purchase lane (merchants/lane): the app's answers, byte for byte, and no sale lost.

On PostgreSQL the lane answers a till's common sale beneath Flask and hands everything else
to the app; these tests count what it hands over, so that a lane that silently handed over
everything (or nothing) fails them.
"""

import io
import logging

import psycopg
import pytest
from sqlalchemy import func, select, text

from tests.api.pos_helpers import PURCHASES, assert_error, buy, member, pay_code, shop
from tests.conftest import ON_POSTGRES
from valliance import create_app, points
from valliance import db as db_module
from valliance.directory import services as operators
from valliance.extensions import db
from valliance.members import services as members
from valliance.merchants.lane import BUG, PurchaseLane
from valliance.merchants.models import Merchant, Purchase
from valliance.merchants.services import purchases as sales
from valliance.merchants.services.terminals import revoke_terminal
from valliance.points.adapters import postgres
from valliance.points.models import IdempotencyKey
from valliance.points.verify import verify_ledger

on_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="the lane runs on PostgreSQL only")


@pytest.fixture
def handed_over(app, monkeypatch) -> list[str]:
    """The requests the lane hands to the app (their methods), as they happen."""
    lane = app.wsgi_app
    assert isinstance(lane, PurchaseLane)
    app_itself = lane.wsgi_app
    seen: list[str] = []

    def counted(environ, start_response):
        seen.append(environ["REQUEST_METHOD"])
        return app_itself(environ, start_response)

    monkeypatch.setattr(lane, "wsgi_app", counted)
    yield seen
    assert lane.fallbacks[BUG] == 0, "the lane handed a sale over because of a bug (see the log)"


def purchases(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(Purchase))


@on_postgres
def test_the_lane_answers_a_sale_as_the_app_answers_its_replay(client, session, handed_over):
    s = shop(session, offer={"percent_off": "12.5", "points_per_yuan": 2})
    _, card = member(session, tier="gold", points=300)
    asked = {"Idempotency-Key": "till-1", "X-Request-ID": "req-42"}
    first = buy(client, s, card.number, 12850, key="till-1", reference="小票 0001",
                headers=asked)
    assert first.status_code == 201, first.get_json()
    assert handed_over == []  # the lane sold it
    again = buy(client, s, card.number, 12850, key="till-1", reference="小票 0001",
                headers=asked)
    assert handed_over == ["POST"]  # the replay is the app's
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.get_data() == again.get_data()  # byte for byte
    replay_headers = [(k, v) for k, v in again.headers.items() if k != "Idempotent-Replayed"]
    assert list(first.headers.items()) == replay_headers
    assert first.headers["X-Request-ID"] == "req-42"
    assert first.headers["Content-Security-Policy"].startswith("default-src 'self'")
    body = first.get_json()
    assert (body["percent_off"], body["discount"], body["payable"]) == (12.5, 1606, 11244)
    assert body["points_balance"] == 300 + body["points_earned"]
    assert purchases(session) == 1
    assert verify_ledger(session).ok


@on_postgres
def test_the_lane_and_the_app_record_the_same_sale(app, client, session, handed_over,
                                                   monkeypatch):
    s = shop(session, offer={"percent_off": "8.75", "points_per_yuan": 3})
    _, card = member(session, tier="diamond")
    by_lane = buy(client, s, card.number, 9999, reference="r").get_json()
    monkeypatch.setitem(app.config, "POS_PURCHASE_LANE", False)
    by_app = buy(client, s, card.number, 9999, reference="r").get_json()
    assert handed_over == ["POST"]
    session.rollback()
    rows = {row.id: row for row in session.scalars(select(Purchase))}
    lane_row, app_row = rows[by_lane["id"]], rows[by_app["id"]]
    columns = [c.name for c in Purchase.__table__.columns
               if c.name not in {"id", "created_at", "points_balance", "accrual_transfer_id"}]
    assert {c: getattr(lane_row, c) for c in columns} == {c: getattr(app_row, c) for c in columns}
    same = {k for k in by_lane if k not in {"id", "created_at", "points_balance"}}
    assert {k: by_lane[k] for k in same} == {k: by_app[k] for k in same}
    assert by_app["points_balance"] == 2 * by_lane["points_balance"]
    assert verify_ledger(session).ok


@on_postgres
def test_https_answers_of_the_lane_carry_hsts(client, session, handed_over):
    s = shop(session)
    _, card = member(session)
    response = client.post(PURCHASES, json={"card": card.number, "amount": 500},
                           headers={**s.headers, "Idempotency-Key": "k"},
                           base_url="https://localhost")
    assert response.status_code == 201 and handed_over == []
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    plain = buy(client, s, card.number, 500)
    assert "Strict-Transport-Security" not in plain.headers


def _member_token(session, m) -> str:
    token, _ = members.create_token(session, m)
    session.commit()
    return token


@on_postgres
@pytest.mark.parametrize("case, status, code", [
    ("not json", 400, "invalid_json"),
    ("amount as text", 422, "validation_error"),
    ("no idempotency key", 422, "validation_error"),
    ("no credential", 401, "unauthorized"),
    ("revoked key", 401, "unauthorized"),
    ("member token", 403, "forbidden"),
    ("operator key", 403, "forbidden"),
    ("idempotency key of 256 characters", 422, "validation_error"),
    ("body over 16 KiB", 422, "validation_error"),
    ("unknown card", 404, "card_not_found"),
    ("frozen card", 422, "card_inactive"),
])
def test_what_the_lane_cannot_sell_the_app_answers(client, session, handed_over, case, status,
                                                   code):
    s = shop(session)
    m, card = member(session)
    body = {"card": card.number, "amount": 500}
    headers = {**s.headers, "Idempotency-Key": "k"}
    raw = None
    if case == "not json":
        raw = b"{card: 1"
    elif case == "amount as text":
        body["amount"] = "500"
    elif case == "no idempotency key":
        del headers["Idempotency-Key"]
    elif case == "no credential":
        del headers["Authorization"]
    elif case == "revoked key":
        revoke_terminal(session, s.terminal.id)
        session.commit()
    elif case == "member token":
        headers["Authorization"] = f"Bearer {_member_token(session, m)}"
    elif case == "operator key":
        _, operator_key = operators.create_operator(session, "114 坐席")
        session.commit()
        headers["Authorization"] = f"Bearer {operator_key}"
    elif case == "idempotency key of 256 characters":
        headers["Idempotency-Key"] = "k" * 256
    elif case == "body over 16 KiB":
        body["reference"] = "票" * 6000  # 18,000 bytes of UTF-8; the API allows 100 characters
    elif case == "unknown card":
        body["card"] = "8860000000000000"
    elif case == "frozen card":
        members.set_card_status(session, card, "frozen")
        session.commit()
    if raw is not None:
        response = client.post(PURCHASES, data=raw, headers=headers,
                               content_type="application/json")
    else:
        response = client.post(PURCHASES, json=body, headers=headers)
    assert_error(response, status, code)
    assert handed_over == ["POST"]
    assert purchases(session) == 0


@on_postgres
@pytest.mark.parametrize("status", ["pending", "rejected", "suspended"])
def test_the_lane_never_sells_for_a_merchant_that_is_not_approved(client, session, handed_over,
                                                                  status):
    s = shop(session, offer={"percent_off": 10})
    _, card = member(session)
    assert buy(client, s, card.number, 500).status_code == 201
    assert handed_over == []  # the lane sold while the merchant was approved
    session.get(Merchant, s.merchant.id).status = status
    session.commit()
    assert_error(buy(client, s, card.number, 500), 403, "merchant_not_active")
    assert handed_over == ["POST"]  # the lane handed it over; the app refused it
    assert purchases(session) == 1


@on_postgres
@pytest.mark.parametrize("declared", ["", "¹", "-1", " 40"])
def test_a_body_without_a_sane_length_is_the_apps_to_read(client, session, handed_over,
                                                          declared):
    s = shop(session)
    _, card = member(session)
    body = f'{{"card": "{card.number}", "amount": 500}}'.encode()
    # as a server passes a chunked body: no CONTENT_LENGTH, the stream ends where it ends
    response = client.post(PURCHASES, input_stream=io.BytesIO(body),
                           headers={**s.headers, "Idempotency-Key": "k"},
                           environ_overrides={"CONTENT_LENGTH": declared,
                                              "wsgi.input_terminated": True})
    assert response.status_code == 201, response.get_json()
    assert handed_over == ["POST"]


@on_postgres
def test_redemptions_conflicts_and_debts_go_to_the_app(client, session, handed_over):
    s = shop(session, offer={"percent_off": 0, "points_per_yuan": 10})
    _, card = member(session, points=1000)
    spent = buy(client, s, pay_code(card), 900, redeem=300)
    assert spent.status_code == 201, spent.get_json()
    assert spent.get_json()["redeem_points"] == 300
    assert handed_over == ["POST"]
    sold = buy(client, s, card.number, 1000, key="same")
    assert sold.status_code == 201 and handed_over == ["POST"]
    assert_error(buy(client, s, card.number, 2000, key="same"), 409,
                 "idempotency_key_reused")
    assert handed_over == ["POST", "POST"]
    assert purchases(session) == 2


@on_postgres
def test_a_sale_whose_answer_was_lost_is_replayed_not_sold_twice(client, session, handed_over,
                                                                  monkeypatch):
    s = shop(session, offer={"percent_off": 10, "points_per_yuan": 1})
    m, card = member(session)
    real_run = points.run

    def write_then_lose_the_answer(driver, sql, params):
        rows = real_run(driver, sql, params)
        if sql == postgres.SALE_SQL:
            raise psycopg.OperationalError("the answer was lost on its way back")
        return rows

    monkeypatch.setattr(points, "run", write_then_lose_the_answer)
    response = buy(client, s, card.number, 10000, key="lost")
    assert response.status_code == 201, response.get_json()
    assert response.headers["Idempotent-Replayed"] == "true"  # the app found the lane's sale
    assert handed_over == ["POST"]
    assert response.get_json()["points_balance"] == response.get_json()["points_earned"] == 90
    assert purchases(session) == 1
    assert session.scalar(select(func.count()).select_from(IdempotencyKey)) == 1
    assert verify_ledger(session).ok


@on_postgres
def test_a_bug_in_the_lane_is_logged_and_the_app_sells(app, client, session, handed_over,
                                                       monkeypatch, caplog):
    s = shop(session)
    _, card = member(session)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(sales, "sell_at_once", broken)  # the route does not try it again
    with caplog.at_level(logging.ERROR, logger="valliance.merchants.lane"):
        response = buy(client, s, card.number, 700)
    assert response.status_code == 201, response.get_json()
    assert "Idempotent-Replayed" not in response.headers
    assert handed_over == ["POST"]
    assert "purchase lane failed" in caplog.text
    assert app.wsgi_app.fallbacks[BUG] == 1  # counted, for tests and for the logs' readers
    app.wsgi_app.fallbacks.clear()  # (the fixture fails any other test that counts one)
    assert purchases(session) == 1


@on_postgres
def test_a_dead_pooled_connection_costs_the_sale_nothing(app, client, session, handed_over,
                                                         monkeypatch):
    s = shop(session)
    _, card = member(session)
    number = card.number
    session.rollback()
    db.session.remove()
    monkeypatch.setattr(db_module, "IDLE_PING_SECONDS", 3600.0)  # no ping: the lane meets it
    db.engine.dispose()
    with db.engine.connect() as survivor, db.engine.connect() as victim:
        dead = victim.execute(text("SELECT pg_backend_pid()")).scalar_one()
        victim.rollback()
        survivor.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dead})
        survivor.commit()
    # `victim` went back to the pool first: the lane's next checkout is the dead connection
    response = buy(client, s, number, 800)
    assert response.status_code == 201, response.get_json()
    assert handed_over == ["POST"]
    assert buy(client, s, number, 800).status_code == 201
    assert handed_over == ["POST"]  # the dead connection was dropped; the lane sells again
    assert purchases(session) == 2


@on_postgres
def test_the_lane_can_be_switched_off(app, client, session, handed_over, monkeypatch):
    s = shop(session)
    _, card = member(session)
    monkeypatch.setitem(app.config, "POS_PURCHASE_LANE", False)
    assert buy(client, s, card.number, 100).status_code == 201
    assert handed_over == ["POST"]


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite: the app answers every purchase")
def test_on_sqlite_the_app_answers_every_purchase(client, session, handed_over):
    s = shop(session)
    _, card = member(session)
    assert buy(client, s, card.number, 100).status_code == 201
    assert handed_over == ["POST"]


def test_other_requests_pass_through_untouched(client, session, handed_over):
    s = shop(session)
    assert client.get(PURCHASES, headers=s.headers).status_code == 405
    assert client.head(PURCHASES, headers=s.headers).status_code == 405
    assert client.get("/healthz").status_code == 200
    assert handed_over == ["GET", "HEAD", "GET"]


def test_a_purchase_with_a_query_string_is_the_apps(client, session, handed_over):
    s = shop(session)
    _, card = member(session)
    response = client.post(f"{PURCHASES}?lang=en", json={"card": card.number, "amount": 300},
                           headers={**s.headers, "Idempotency-Key": "q"})
    assert response.status_code == 201, response.get_json()
    assert handed_over == ["POST"]


@on_postgres
def test_every_connection_the_lane_used_goes_back_to_the_pool_as_it_came(
        app, client, session, handed_over, monkeypatch):
    """Not left in autocommit: the app's unit of work would then commit statement by
    statement, and a refused sale would keep its idempotency key."""
    s = shop(session)
    _, card = member(session)
    taken = []
    engine = db.engine
    raw_connection = engine.raw_connection

    def spied():
        pooled = raw_connection()
        taken.append(pooled.driver_connection)
        return pooled

    monkeypatch.setattr(engine, "raw_connection", spied)
    assert buy(client, s, card.number, 400).status_code == 201  # the lane sells
    assert_error(buy(client, s, "8860000000000000", 400), 404, "card_not_found")  # handed over
    assert handed_over == ["POST"]
    assert len(taken) == 2
    assert all(conn.autocommit is False for conn in taken)
    # the app then refuses a sale on one of those connections: the refusal keeps no key
    assert_error(buy(client, s, pay_code(card), 400, redeem=99_999, key="too-much"), 422,
                 "insufficient_points")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(IdempotencyKey)
                          .where(IdempotencyKey.key == "too-much")) == 0


@on_postgres
def test_behind_a_proxy_the_lane_sees_https(app, session):
    s = shop(session)
    _, card = member(session)

    class Proxied:
        DATABASE_URL = app.config["DATABASE_URL"]
        SECRET_KEY = app.config["SECRET_KEY"]
        TRUSTED_PROXY_HOPS = 1

    proxied = create_app(Proxied)
    lane = proxied.wsgi_app.app  # ProxyFix → the lane → the app
    assert isinstance(lane, PurchaseLane)
    try:
        response = proxied.test_client().post(
            PURCHASES, json={"card": card.number, "amount": 500},
            headers={**s.headers, "Idempotency-Key": "p", "X-Forwarded-Proto": "https"})
        assert response.status_code == 201, response.get_json()
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    finally:
        with proxied.app_context():
            db.engine.dispose()
