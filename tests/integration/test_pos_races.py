"""POS writes under real concurrency (PostgreSQL): exactly once, never over-refunded."""

import threading

import pytest
from sqlalchemy import func, select

from tests.api.pos_helpers import PURCHASES, member, pay_code, shop
from valliance.merchants.models import Purchase, Refund
from valliance.merchants.services import sale_context as pos_context
from valliance.points import accounts
from valliance.points.models import Entry, IdempotencyKey, Transfer
from valliance.points.verify import verify_ledger

pytestmark = pytest.mark.postgres_only

THREADS = 30


def count(session, model, *where) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _post(app, url, body, headers):
    response = app.test_client().post(url, json=body, headers=headers)
    return (response.status_code, response.get_json(),
            response.headers.get("Idempotent-Replayed"))


def test_thirty_identical_purchases_record_one(app, session, run_threads):
    s = shop(session, offer={"percent_off": 12, "points_per_yuan": 2})
    m, card = member(session, tier="gold", points=2000)
    body = {"card": card.number, "amount": 12850, "reference": "receipt-0001"}
    headers = {**s.headers, "Idempotency-Key": "till-1-0001"}

    session.rollback()  # end this thread's read transaction (SQLite would stay locked)
    answers = run_threads(THREADS, lambda i: _post(app, PURCHASES, body, headers))

    statuses = [status for status, _, _ in answers]
    assert statuses == [201] * THREADS, answers
    bodies = [answer for _, answer, _ in answers]
    assert all(answer == bodies[0] for answer in bodies)
    replayed = [flag for _, _, flag in answers]
    assert replayed.count("true") == THREADS - 1
    assert replayed.count(None) == 1
    assert bodies[0]["points_earned"] == 339
    assert bodies[0]["points_balance"] == 2339
    assert count(session, Purchase) == 1
    assert count(session, Transfer, Transfer.kind == "accrue") == 1
    assert count(session, IdempotencyKey) == 1
    assert accounts.get_balance(session, m.points_account_id).balance == 2339
    assert verify_ledger(session).ok


def test_thirty_identical_refunds_record_one(app, session, run_threads):
    s = shop(session)
    _, card = member(session)
    created = app.test_client().post(PURCHASES, json={"card": card.number, "amount": 10000},
                                     headers={**s.headers, "Idempotency-Key": "p"})
    assert created.status_code == 201
    url = f"{PURCHASES}/{created.get_json()['id']}/refunds"
    headers = {**s.headers, "Idempotency-Key": "r"}

    session.rollback()  # end this thread's read transaction (SQLite would stay locked)
    answers = run_threads(THREADS, lambda i: _post(app, url, {"amount": 2500}, headers))

    assert [status for status, _, _ in answers] == [201] * THREADS, answers
    assert all(answer == answers[0][1] for _, answer, _ in answers)
    assert [flag for _, _, flag in answers].count("true") == THREADS - 1
    assert count(session, Refund) == 1
    assert verify_ledger(session).ok


def test_concurrent_partial_refunds_never_exceed_the_purchase(app, session, run_threads):
    s = shop(session, offer={"percent_off": 10, "points_per_yuan": 3})
    m, card = member(session, tier="silver")
    created = app.test_client().post(PURCHASES, json={"card": card.number, "amount": 12850},
                                     headers={**s.headers, "Idempotency-Key": "p"})
    purchase = created.get_json()
    url = f"{PURCHASES}/{purchase['id']}/refunds"

    # 20 refunds of 1000 with distinct keys against 12850: twelve fit, the rest are refused
    session.rollback()  # end this thread's read transaction (SQLite would stay locked)
    answers = run_threads(20, lambda i: _post(app, url, {"amount": 1000},
                                              {**s.headers, "Idempotency-Key": f"r{i}"}))

    ok = [answer for status, answer, _ in answers if status == 201]
    refused = [answer for status, answer, _ in answers if status != 201]
    assert len(ok) == 12, answers
    assert all(answer["error"] == "refund_exceeds_purchase" for answer in refused), refused
    rest = app.test_client().post(url, json={}, headers={**s.headers, "Idempotency-Key": "z"})
    assert rest.status_code == 201
    assert rest.get_json()["amount"] == 850
    ok.append(rest.get_json())
    assert sum(r["cash_refund"] for r in ok) == purchase["payable"]
    assert sum(r["points_reversed"] for r in ok) == purchase["points_earned"]
    assert count(session, Refund) == 13
    assert accounts.get_balance(session, m.points_account_id).balance == 0
    assert verify_ledger(session).ok


def test_one_pay_code_on_twenty_tills_at_once_redeems_once(app, session, run_threads):
    # (This test once showed 10 redemptions with one code, stopped only by the balance: the
    # pay code now authorizes one, contract §10.)
    s = shop(session)
    m, card = member(session, points=1000)
    code = pay_code(card)

    session.rollback()  # end this thread's read transaction (SQLite would stay locked)
    answers = run_threads(20, lambda i: _post(
        app, PURCHASES, {"card": code, "amount": 500, "redeem_points": 100},
        {**s.headers, "Idempotency-Key": f"k{i}"}))

    ok = [answer for status, answer, _ in answers if status == 201]
    refused = [answer for status, answer, _ in answers if status != 201]
    assert len(ok) == 1, answers
    # The rest are refused: the code is used, or (pay_guard) more presentations of one card's
    # code were being checked at once than its 5 guesses allow, which answers 429 at once.
    assert all(answer["error"] in ("pay_code_used", "rate_limited") for answer in refused), (
        refused)
    assert any(answer["error"] == "pay_code_used" for answer in refused), refused
    # the one purchase earned floor(400 × 1 × 1.0 / 100) = 4 points
    session.rollback()
    assert count(session, Purchase) == 1
    assert accounts.get_balance(session, m.points_account_id).balance == 1000 - 100 + 4
    assert verify_ledger(session).ok


def test_concurrent_purchases_of_one_member_each_answer_the_balance_after_it(app, session,
                                                                             run_threads):
    s = shop(session, offer={"percent_off": 10, "points_per_yuan": 1})
    m, card = member(session, points=100)

    session.rollback()  # end this thread's read transaction (SQLite would stay locked)
    answers = run_threads(THREADS, lambda i: _post(
        app, PURCHASES, {"card": card.number, "amount": 1000 + 100 * i},
        {**s.headers, "Idempotency-Key": f"k{i}"}))

    assert [status for status, _, _ in answers] == [201] * THREADS, answers
    bodies = sorted((answer for _, answer, _ in answers), key=lambda b: b["points_balance"])
    running = 100
    for body in bodies:  # each earns points, so the balances after them are all different
        running += body["points_earned"]
        assert body["points_balance"] == running, bodies
    session.rollback()
    assert accounts.get_balance(session, m.points_account_id).balance == running
    stored = dict(session.execute(select(Purchase.id, Purchase.points_balance)).all())
    after = dict(session.execute(
        select(Transfer.purchase_id, Entry.balance_after)
        .join(Entry, Entry.transfer_id == Transfer.id)
        .where(Transfer.kind == "accrue", Entry.account_id == m.points_account_id)).all())
    for body in bodies:
        assert stored[body["id"]] == after[body["id"]] == body["points_balance"]
    assert verify_ledger(session).ok


def test_points_owed_since_the_read_send_the_purchase_the_generic_way(app, session,
                                                                      monkeypatch):
    s = shop(session, offer={"percent_off": 0, "points_per_yuan": 10})
    other = shop(session, "别家")
    m, card = member(session)
    client = app.test_client()
    first = client.post(PURCHASES, json={"card": card.number, "amount": 10000},
                        headers={**s.headers, "Idempotency-Key": "a"}).get_json()
    assert first["points_earned"] == 1000
    spent = client.post(PURCHASES, json={"card": pay_code(card), "amount": 900,
                                         "redeem_points": 900},
                        headers={**other.headers, "Idempotency-Key": "b"})
    assert spent.status_code == 201, spent.get_json()
    refunded = []

    def refund_on_another_till():
        with app.app_context():
            answer = app.test_client().post(f"{PURCHASES}/{first['id']}/refunds", json={},
                                            headers={**s.headers, "Idempotency-Key": "r"})
            refunded.append(answer.get_json())

    price_sale = pos_context.price_sale

    def priced_then_refunded(*args, **kwargs):
        quote = price_sale(*args, **kwargs)
        if not refunded:  # between this purchase's read and its write, once
            till = threading.Thread(target=refund_on_another_till)
            till.start()
            till.join()
        return quote

    monkeypatch.setattr(pos_context, "price_sale", priced_then_refunded)
    session.rollback()  # end this thread's read transaction
    bought = client.post(PURCHASES, json={"card": card.number, "amount": 100000},
                         headers={**other.headers, "Idempotency-Key": "c"})

    assert refunded[0]["points_reversed"] == 1000  # 100 taken, 900 now owed
    assert bought.status_code == 201, bought.get_json()
    # the 1,000 points earned first settle the 900 owed
    assert bought.get_json()["points_earned"] == 1000
    assert bought.get_json()["points_balance"] == 100
    after = accounts.get_balance(session, m.points_account_id)
    assert (after.balance, after.owed) == (100, 0)
    assert count(session, Purchase) == 3
    assert verify_ledger(session).ok
