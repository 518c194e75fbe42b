"""A pay code authorizes one redemption; guessing is stopped (contract §3, §10)."""

import os
import re

from sqlalchemy import func, select, text

from tests.api import test_portal as portal
from tests.api.pos_helpers import QUOTE, assert_error, buy, member, new_key, pay_code, shop
from valliance.members import codes as cards
from valliance.members.models import Card
from valliance.merchants.models import Purchase
from valliance.messaging import OutboxMessage
from valliance.points import accounts
from valliance.secret_box import unseal

MEMBER_API = "/api/v1/member"


def count(session, model, *where) -> int:
    session.rollback()  # see what the requests committed
    return session.scalar(select(func.count()).select_from(model).where(*where))


def points(session, member_) -> int:
    session.rollback()
    return accounts.get_balance(session, member_.points_account_id).balance


def quote(client, shop_, code, amount=1000, redeem=100):
    return client.post(QUOTE, json={"card": code, "amount": amount, "redeem_points": redeem},
                       headers=shop_.headers)


def wrong(card) -> str:
    """A pay code for this card that is neither current nor recently used."""
    secret, uses = unseal(card.pay_secret), card.pay_code_uses
    for n in range(1_000_000):
        guess = f"{n:06d}"
        if cards.check_pay_code(guess, secret, uses) == cards.WRONG:
            return card.number + guess
    raise AssertionError("unreachable")


# --- one redemption per code ----------------------------------------------------------------


def test_a_used_pay_code_is_refused_at_the_same_and_at_another_merchant(client, session):
    laowang, other = shop(session), shop(session, "别家小馆")
    m, card = member(session, points=1000)
    code = pay_code(card)
    assert buy(client, laowang, code, 1000, redeem=100).status_code == 201
    assert_error(buy(client, laowang, code, 1000, redeem=100), 422, "pay_code_used")
    assert_error(buy(client, other, code, 1000, redeem=100), 422, "pay_code_used")
    assert count(session, Purchase) == 1
    assert points(session, m) == 1000 - 100 + 9  # floor(900 × 1 / 100) earned once


def test_a_quote_with_a_used_code_and_points_is_refused_without_points_it_prices(client,
                                                                                session):
    s = shop(session)
    _, card = member(session, points=1000)
    code = pay_code(card)
    assert quote(client, s, code).status_code == 200  # a quote spends nothing
    assert buy(client, s, code, 1000, redeem=100).status_code == 201
    assert_error(quote(client, s, code), 422, "pay_code_used")
    assert quote(client, s, code, redeem=0).status_code == 200  # still identifies the card
    assert buy(client, s, code, 500).status_code == 201  # purchases without points go on


def test_a_replay_of_the_redeeming_purchase_is_a_replay_not_pay_code_used(client, session):
    s = shop(session)
    m, card = member(session, points=1000)
    code, key = pay_code(card), new_key()
    first = buy(client, s, code, 1000, redeem=100, key=key)
    again = buy(client, s, code, 1000, redeem=100, key=key)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert count(session, Purchase) == 1 and points(session, m) == 1000 - 100 + 9


def test_the_member_gets_a_fresh_code_at_once_after_a_redemption(client, session):
    s = shop(session)
    _, card = member(session, points=1000)
    token = client.post(f"{MEMBER_API}/session",
                        json={"phone": card.member.phone, "password": "secret123"}
                        ).get_json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    used = client.get(f"{MEMBER_API}/pay-code", headers=auth).get_json()["code"]
    assert buy(client, s, used, 1000, redeem=100).status_code == 201
    for _ in range(3):  # never the used one, however often asked
        assert client.get(f"{MEMBER_API}/pay-code", headers=auth).get_json()["code"] != used
    fresh = client.get(f"{MEMBER_API}/pay-code", headers=auth).get_json()["code"]
    assert buy(client, s, fresh, 1000, redeem=100).status_code == 201


def test_the_portal_shows_a_new_code_as_soon_as_the_shown_one_is_used(app, client, session):
    s = shop(session)
    _, card = member(session, points=1000)
    portal.log_in(client, phone=card.member.phone)
    shown = client.get("/me/pay-code.json").get_json()
    assert client.get(f"/me/pay-code.json?seen={shown['version']}").status_code in (204, 200)
    assert buy(client, s, shown["code"], 1000, redeem=100).status_code == 201
    after = client.get(f"/me/pay-code.json?seen={shown['version']}")
    assert after.status_code == 200 and after.get_json()["code"] != shown["code"]


def test_the_card_page_showing_a_live_pay_code_is_never_cached(client, session):
    # After signing out on a shared computer, Back must not bring the code up again.
    _, card = member(session, points=1000)
    portal.log_in(client, phone=card.member.phone)
    page = client.get("/me/")
    assert page.status_code == 200 and 'id="pay-code-qr"' in page.get_data(as_text=True)
    assert "no-store" in page.headers.get("Cache-Control", "")


def test_a_redemption_retires_every_code_issued_before_it(client, session):
    s = shop(session)
    _, card = member(session, points=1000)
    earlier_step = pay_code(card, at=__import__("time").time() - 30)  # the code shown before
    assert buy(client, s, pay_code(card), 1000, redeem=100).status_code == 201
    assert_error(buy(client, s, earlier_step, 1000, redeem=100), 422, "pay_code_used")


# --- secrets at rest --------------------------------------------------------------------------


def test_the_cards_table_never_holds_the_pay_secret_in_plain_text(session):
    _, card = member(session)
    stored = session.execute(text("SELECT pay_secret FROM cards")).scalar_one()
    secret = unseal(stored)
    assert re.fullmatch(r"[0-9a-f]{40}", secret)
    assert secret not in stored and stored.startswith("gAAAAA")  # a Fernet token


# --- guessing ---------------------------------------------------------------------------------


def test_five_wrong_codes_lock_the_cards_redemptions_and_tell_the_member(client, session):
    till, other_till = shop(session), shop(session, "别家小馆")
    m, card = member(session, points=1000)
    phone = card.member.phone
    for i in range(5):  # from two terminals: the card's count is shared
        answer = buy(client, till if i % 2 else other_till, wrong(card), 1000, redeem=100)
        assert_error(answer, 422, "redemption_not_authorized")
    locked = buy(client, till, pay_code(card), 1000, redeem=100)  # the right code too
    assert_error(locked, 429, "rate_limited")
    assert 880 <= int(locked.headers["Retry-After"]) <= 900
    assert_error(quote(client, other_till, pay_code(card)), 429, "rate_limited")
    assert buy(client, till, card.number, 1000).status_code == 201  # no redemption: goes on
    assert buy(client, till, pay_code(card), 1000).status_code == 201
    assert points(session, m) == 1000 + 10 + 10
    sms = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == phone)).all()
    assert len(sms) == 1 and sms[0].sent_at is not None  # once, though the request failed
    portal.log_in(client, phone=phone)
    page = client.get("/me/").get_data(as_text=True)
    assert 'id="pay-code-locked"' in page and "积分支付已暂停至" in page


def test_the_card_lock_ends_after_15_minutes(client, session, monkeypatch):
    s = shop(session)
    _, card = member(session, points=1000)
    for _ in range(5):
        buy(client, s, wrong(card), 1000, redeem=100)
    assert buy(client, s, pay_code(card), 1000, redeem=100).status_code == 429
    import time as real_time

    later = real_time.time() + 15 * 60 + 1
    monkeypatch.setattr(real_time, "time", lambda: later)
    assert buy(client, s, pay_code(card, at=later), 1000, redeem=100).status_code == 201


def test_four_wrong_codes_do_not_lock_and_a_static_code_is_no_guess(client, session):
    s = shop(session)
    _, card = member(session, points=1000)
    for _ in range(4):
        assert_error(buy(client, s, wrong(card), 1000, redeem=100), 422,
                     "redemption_not_authorized")
    for _ in range(3):
        assert_error(buy(client, s, card.number, 1000, redeem=100), 422,
                     "redemption_not_authorized")
    assert buy(client, s, pay_code(card), 1000, redeem=100).status_code == 201


def test_a_terminal_sending_twenty_wrong_codes_is_locked_for_redemptions(client, session):
    till, other_till = shop(session), shop(session, "别家小馆")
    cards_ = [member(session, points=1000)[1] for _ in range(6)]
    for card in cards_[:5]:  # 4 each: no card reaches its own limit
        for _ in range(4):
            assert_error(buy(client, till, wrong(card), 1000, redeem=100), 422,
                         "redemption_not_authorized")
    fresh = cards_[5]
    locked = buy(client, till, pay_code(fresh), 1000, redeem=100)
    assert_error(locked, 429, "rate_limited")
    assert int(locked.headers["Retry-After"]) > 0
    assert buy(client, till, fresh.number, 1000).status_code == 201  # sales go on
    assert buy(client, other_till, pay_code(fresh), 1000, redeem=100).status_code == 201
    assert count(session, OutboxMessage) == 0  # no card was locked


def test_the_card_rows_use_count_moves_once_per_redemption(client, session):
    s = shop(session)
    _, card = member(session, points=1000)
    for _ in range(3):
        assert buy(client, s, pay_code(card), 1000, redeem=100).status_code == 201
    assert buy(client, s, card.number, 1000).status_code == 201
    session.rollback()
    assert session.scalar(select(Card.pay_code_uses)) == 3


# --- shared by every worker -------------------------------------------------------------------

REDIS = "redis://127.0.0.1:6379/1"


def _redis_or_skip():
    import pytest
    from limits.storage import storage_from_string

    # one prefix per test process: the SQLite and PostgreSQL lanes may run at once
    storages = [storage_from_string(REDIS, key_prefix=f"valliance-test-paycode-{os.getpid()}")
                for _ in range(2)]
    try:
        if not storages[0].check():
            raise ConnectionError
    except Exception:
        pytest.skip("no Redis at 127.0.0.1:6379")
    return storages


def test_the_card_lock_is_shared_by_workers_through_redis(client, session, monkeypatch):
    from valliance.extensions import limiter

    worker_a, worker_b = _redis_or_skip()  # two connections: two workers' storages
    s = shop(session)
    _, card = member(session, points=1000)
    storage = {"now": worker_a}
    monkeypatch.setattr(type(limiter), "storage", property(lambda self: storage["now"]))
    try:
        for _ in range(5):
            assert_error(buy(client, s, wrong(card), 1000, redeem=100), 422,
                         "redemption_not_authorized")
        storage["now"] = worker_b
        assert_error(buy(client, s, pay_code(card), 1000, redeem=100), 429, "rate_limited")
    finally:
        worker_a.reset()


def test_a_burst_of_wrong_codes_sent_at_once_gets_no_more_comparisons_than_the_limit(
        app, session, run_threads, monkeypatch):
    # Every guess arrives before the first is counted: each is reserved before it is compared.
    s = shop(session)
    _, card = member(session, points=1000)
    guesses = [wrong(card)] * 10
    compared = []
    check = cards.check_pay_code

    def slow_check(*args, **kwargs):
        compared.append(1)
        __import__("time").sleep(0.3)  # all ten are under way together
        return check(*args, **kwargs)

    monkeypatch.setattr(cards, "check_pay_code", slow_check)
    session.rollback()
    answers = run_threads(10, lambda i: quote(app.test_client(), s, guesses[i]))
    assert len(compared) <= 5
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses.count(422) == len(compared) and statuses.count(429) == 10 - len(compared)
    assert all(int(a.headers["Retry-After"]) >= 1 for a in answers if a.status_code == 429)
    monkeypatch.undo()
    assert_error(quote(app.test_client(), s, pay_code(card)), 429, "rate_limited")
