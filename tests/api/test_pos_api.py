"""POS API (contract §5): shapes, arithmetic, idempotency, refunds, redemption, isolation."""

import os
import re
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.api.pos_helpers import (
    DETAIL_KEYS,
    PURCHASE_KEYS,
    PURCHASES,
    QUOTE,
    QUOTE_KEYS,
    REFUND_KEYS,
    assert_error,
    buy,
    member,
    new_key,
    pay_code,
    refund,
    shop,
)
from valliance.members import codes as cards
from valliance.members import services as members
from valliance.merchants.models import Purchase, Refund
from valliance.merchants.services.offers import create_offer
from valliance.merchants.services.terminals import create_terminal, revoke_terminal
from valliance.points import accounts
from valliance.points.models import IdempotencyKey, Transfer
from valliance.points.verify import verify_ledger

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")
MONEY_FIELDS = ["amount", "discount", "redeem_points", "points_value", "payable",
                "points_earned", "points_balance"]
GOLD_OFFER = {"percent_off": 12, "points_per_yuan": 2}


def count(session, model, *where) -> int:
    session.rollback()  # see what the requests committed
    return session.scalar(select(func.count()).select_from(model).where(*where))


def balance(session, member_):
    session.rollback()
    return accounts.get_balance(session, member_.points_account_id)


def assert_ledger_ok(session):
    session.rollback()
    report = verify_ledger(session)
    assert report.ok, report.render()


def assert_ints(body, fields):
    for field in fields:
        assert type(body[field]) is int, (field, body[field])


# --- shapes and the contract's example ------------------------------------------------------

def test_purchase_contract_example(client, session):
    s = shop(session, offer=GOLD_OFFER)
    m, card = member(session, tier="gold", points=2000)
    response = buy(client, s, card.number, 12850, reference="receipt-0001")
    assert response.status_code == 201, response.get_json()
    assert response.headers["Content-Type"].startswith("application/json")
    assert "Idempotent-Replayed" not in response.headers
    body = response.get_json()
    assert set(body) == PURCHASE_KEYS
    assert body["reference"] == "receipt-0001"
    assert body["merchant_id"] == s.merchant.id
    assert body["card_last4"] == card.number[-4:]
    assert body["tier"] == "gold"
    assert (body["amount"], body["percent_off"], body["discount"], body["redeem_points"],
            body["points_value"], body["payable"], body["points_earned"]) == (
        12850, 12, 1542, 0, 0, 11308, 339)
    assert body["points_balance"] == 2339
    assert body["refunded_amount"] == 0
    assert OFFSET.match(body["created_at"])
    assert isinstance(body["id"], str)
    assert_ints(body, [*MONEY_FIELDS, "refunded_amount"])
    assert balance(session, m).balance == 2339
    assert count(session, Purchase) == 1
    assert count(session, Transfer, Transfer.kind == "accrue") == 1


def test_quote_has_purchase_fields_and_records_nothing(client, session):
    s = shop(session, offer=GOLD_OFFER)
    m, card = member(session, tier="gold", points=2000)
    response = client.post(QUOTE, json={"card": card.number, "amount": 12850},
                           headers=s.headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == QUOTE_KEYS
    assert (body["percent_off"], body["discount"], body["payable"], body["points_earned"],
            body["points_balance"], body["tier"], body["card_last4"]) == (
        12, 1542, 11308, 339, 2339, "gold", card.number[-4:])
    assert_ints(body, MONEY_FIELDS)
    assert count(session, Purchase) == 0
    assert count(session, Transfer, Transfer.kind == "accrue") == 0
    assert count(session, IdempotencyKey) == 0
    assert balance(session, m).balance == 2000


def test_quote_matches_the_purchase_that_follows(client, session):
    s = shop(session, offer={"percent_off": "12.5", "points_per_yuan": 3})
    _, card = member(session, tier="silver", points=500)
    code = pay_code(card)
    body = {"card": code, "amount": 33333, "redeem_points": 400}
    quoted = client.post(QUOTE, json=body, headers=s.headers).get_json()
    bought = buy(client, s, code, 33333, redeem=400)
    assert bought.status_code == 201, bought.get_json()
    assert {k: bought.get_json()[k] for k in QUOTE_KEYS} == quoted
    assert quoted["percent_off"] == 12.5
    assert quoted["discount"] == 4167        # 4166.625 → 4167
    assert quoted["payable"] == 33333 - 4167 - 400
    assert quoted["points_earned"] == 28766 * 3 * 12 // 1000


def test_no_offer_standard_member(client, session):
    s = shop(session)
    _, card = member(session)
    body = buy(client, s, card.number, 12850).get_json()
    assert (body["percent_off"], body["discount"], body["payable"], body["points_earned"]) == (
        0, 0, 12850, 128)


def test_detail_shape_with_refunds(client, session):
    s = shop(session, offer=GOLD_OFFER)
    _, card = member(session, tier="gold")
    purchase = buy(client, s, card.number, 12850).get_json()
    detail = client.get(f"{PURCHASES}/{purchase['id']}", headers=s.headers)
    assert detail.status_code == 200
    assert set(detail.get_json()) == DETAIL_KEYS | {"refunds"}
    assert detail.get_json()["refunds"] == []
    first = refund(client, s, purchase["id"], 5000)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert set(body) == REFUND_KEYS
    assert body["purchase_id"] == purchase["id"]
    assert OFFSET.match(body["created_at"])
    assert_ints(body, ["amount", "cash_refund", "points_reversed", "points_returned",
                       "points_balance"])
    detail = client.get(f"{PURCHASES}/{purchase['id']}", headers=s.headers).get_json()
    assert detail["refunded_amount"] == 5000
    assert detail["refunds"] == [body]
    assert {k: v for k, v in detail.items() if k not in ("refunds", "refunded_amount")} == {
        k: v for k, v in purchase.items() if k not in ("refunded_amount", "coupons_issued")}


def test_chinese_is_not_escaped(client, session):
    s = shop(session)
    _, card = member(session)
    response = buy(client, s, card.number, 100, reference="小票-0001")
    assert "小票-0001" in response.get_data(as_text=True)


# --- idempotency --------------------------------------------------------------------------

def test_replay_returns_the_first_answer_and_records_nothing(client, session):
    s = shop(session, offer=GOLD_OFFER)
    m, card = member(session, tier="gold")
    first = buy(client, s, card.number, 12850, key="till-1")
    again = buy(client, s, card.number, 12850, key="till-1")
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == first.get_json()
    assert count(session, Purchase) == 1
    assert count(session, Transfer, Transfer.kind == "accrue") == 1
    assert balance(session, m).balance == 339


def test_same_key_other_body_is_409(client, session):
    s = shop(session)
    _, card = member(session)
    assert buy(client, s, card.number, 1000, key="k").status_code == 201
    assert_error(buy(client, s, card.number, 1001, key="k"), 409, "idempotency_key_reused")
    assert count(session, Purchase) == 1


def test_same_key_for_a_refund_is_409(client, session):
    s = shop(session)
    _, card = member(session)
    purchase = buy(client, s, card.number, 1000, key="k").get_json()
    assert_error(refund(client, s, purchase["id"], 100, key="k"), 409, "idempotency_key_reused")


def test_key_free_again_after_an_error(client, session):
    s = shop(session)
    _, card = member(session)
    assert_error(buy(client, s, card.number[:-1] + "0" if card.number[-1] != "0"
                     else card.number[:-1] + "1", 1000, key="k"), 404, "card_not_found")
    assert_error(buy(client, s, card.number, 1000, key="k", redeem=5), 422,
                 "redemption_not_authorized")
    fixed = buy(client, s, card.number, 1000, key="k")
    assert fixed.status_code == 201
    assert "Idempotent-Replayed" not in fixed.headers
    assert count(session, Purchase) == 1


def test_key_free_again_after_a_validation_error(client, session):
    s = shop(session)
    _, card = member(session)
    assert_error(buy(client, s, card.number, 0, key="k"), 422, "validation_error")
    assert buy(client, s, card.number, 10, key="k").status_code == 201


def test_keys_are_scoped_per_merchant(client, session):
    a = shop(session, "甲店")
    b = shop(session, "乙店")
    _, card = member(session)
    first = buy(client, a, card.number, 1000, key="shared")
    second = buy(client, b, card.number, 1000, key="shared")
    assert first.status_code == second.status_code == 201
    assert "Idempotent-Replayed" not in second.headers
    assert first.get_json()["id"] != second.get_json()["id"]
    assert count(session, Purchase) == 2


def test_keys_are_shared_by_the_terminals_of_one_merchant(client, session):
    s = shop(session)
    _, other_key = create_terminal(session, s.merchant)
    session.commit()
    _, card = member(session)
    first = buy(client, s, card.number, 1000, key="k")
    again = client.post(PURCHASES, json={"card": card.number, "amount": 1000},
                        headers={"Authorization": f"Bearer {other_key}", "Idempotency-Key": "k"})
    assert again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == first.get_json()


def test_refund_replay(client, session):
    s = shop(session)
    _, card = member(session)
    purchase = buy(client, s, card.number, 1000).get_json()
    first = refund(client, s, purchase["id"], 400, key="r")
    again = refund(client, s, purchase["id"], 400, key="r")
    assert again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == first.get_json()
    assert count(session, Refund) == 1


@pytest.mark.parametrize("key", ["", "x" * 256])
def test_bad_idempotency_key(client, session, key):
    s = shop(session)
    _, card = member(session)
    response = client.post(PURCHASES, json={"card": card.number, "amount": 100},
                           headers={**s.headers, "Idempotency-Key": key})
    body = assert_error(response, 422, "validation_error")
    assert "Idempotency-Key" in body["details"]


def test_missing_idempotency_key(client, session):
    s = shop(session)
    _, card = member(session)
    response = client.post(PURCHASES, json={"card": card.number, "amount": 100},
                           headers=s.headers)
    body = assert_error(response, 422, "validation_error")
    assert "Idempotency-Key" in body["details"]
    response = client.post(f"{PURCHASES}/pur_x/refunds", json={}, headers=s.headers)
    assert "Idempotency-Key" in assert_error(response, 422, "validation_error")["details"]
    assert count(session, Purchase) == 0


def test_max_length_key_is_accepted(client, session):
    s = shop(session)
    _, card = member(session)
    assert buy(client, s, card.number, 100, key="x" * 255).status_code == 201


# --- refunds --------------------------------------------------------------------------------

def _refund_all(client, s, purchase_id, parts):
    out = []
    for part in parts:
        response = refund(client, s, purchase_id, part)
        assert response.status_code == 201, response.get_json()
        out.append(response.get_json())
    return out


@pytest.mark.parametrize("parts", [
    [5000, 5000, 2850],
    [1, 1, 1, 12847],
    [3333, 3333, 3333, None],
    [None],
])
def test_partial_refunds_sum_exactly(client, session, parts):
    s = shop(session, offer=GOLD_OFFER)
    m, card = member(session, tier="gold", points=5000)
    purchase = buy(client, s, pay_code(card), 12850, redeem=777).get_json()
    assert purchase["redeem_points"] == 777
    refunds = _refund_all(client, s, purchase["id"], parts)
    assert sum(r["amount"] for r in refunds) == 12850
    assert sum(r["cash_refund"] for r in refunds) == purchase["payable"]
    assert sum(r["points_reversed"] for r in refunds) == purchase["points_earned"]
    assert sum(r["points_returned"] for r in refunds) == purchase["redeem_points"]
    refunded = 0
    cumulative = [0, 0, 0]
    for r in refunds:  # cumulative parts follow floor(X × R / amount)
        refunded += r["amount"]
        cumulative = [cumulative[0] + r["cash_refund"], cumulative[1] + r["points_reversed"],
                      cumulative[2] + r["points_returned"]]
        assert cumulative == [purchase[f] * refunded // 12850
                              for f in ("payable", "points_earned", "redeem_points")]
    assert refunds[-1]["points_balance"] == 5000 == balance(session, m).balance
    detail = client.get(f"{PURCHASES}/{purchase['id']}", headers=s.headers).get_json()
    assert detail["refunded_amount"] == 12850
    assert len(detail["refunds"]) == len(parts)
    assert_error(refund(client, s, purchase["id"], 1), 422, "refund_exceeds_purchase")
    assert_error(refund(client, s, purchase["id"]), 422, "refund_exceeds_purchase")
    assert_ledger_ok(session)


def test_refund_example_numbers(client, session):
    s = shop(session, offer=GOLD_OFFER)
    _, card = member(session, tier="gold", points=2000)
    purchase = buy(client, s, card.number, 12850).get_json()
    refunds = _refund_all(client, s, purchase["id"], [5000, 5000, 2850])
    assert [r["cash_refund"] for r in refunds] == [4400, 4400, 2508]
    assert [r["points_reversed"] for r in refunds] == [131, 132, 76]
    assert [r["points_balance"] for r in refunds] == [2208, 2076, 2000]
    assert_ledger_ok(session)


def test_over_refund(client, session):
    s = shop(session)
    m, card = member(session)
    purchase = buy(client, s, card.number, 1000).get_json()
    assert_error(refund(client, s, purchase["id"], 1001), 422, "refund_exceeds_purchase")
    assert refund(client, s, purchase["id"], 600).status_code == 201
    assert_error(refund(client, s, purchase["id"], 401), 422, "refund_exceeds_purchase")
    rest = refund(client, s, purchase["id"])
    assert rest.status_code == 201
    assert rest.get_json()["amount"] == 400
    assert count(session, Refund) == 2
    assert balance(session, m).balance == 0
    assert_ledger_ok(session)


@pytest.mark.parametrize("amount", [0, -1, "100", 1.5, True, 100_000_001])
def test_refund_bad_amount(client, session, amount):
    s = shop(session)
    _, card = member(session)
    purchase = buy(client, s, card.number, 1000).get_json()
    response = client.post(f"{PURCHASES}/{purchase['id']}/refunds", json={"amount": amount},
                           headers={**s.headers, "Idempotency-Key": new_key()})
    assert "amount" in assert_error(response, 422, "validation_error")["details"]


def test_refund_after_points_were_spent_claws_back(client, session):
    s = shop(session, offer={"percent_off": 0, "points_per_yuan": 10})
    other = shop(session, "别家")
    m, card = member(session)
    purchase = buy(client, s, card.number, 10000).get_json()
    assert purchase["points_earned"] == 1000
    spent = buy(client, other, pay_code(card), 900, redeem=900)
    assert spent.status_code == 201, spent.get_json()
    assert balance(session, m).balance == 100 + 0  # 1000 − 900 + 0 earned on 0 payable
    first = refund(client, s, purchase["id"], 5000).get_json()
    assert first["points_reversed"] == 500
    assert first["points_balance"] == 0
    after = balance(session, m)
    assert after.balance == 0
    assert after.owed == 400
    rest = refund(client, s, purchase["id"]).get_json()
    assert rest["points_reversed"] == 500
    after = balance(session, m)
    assert (after.balance, after.owed) == (0, 900)
    assert_ledger_ok(session)
    # later earnings settle what is owed first
    later = buy(client, other, card.number, 100000).get_json()
    assert later["points_earned"] == 1000
    assert later["points_balance"] == 100
    assert balance(session, m).owed == 0
    assert_ledger_ok(session)


def test_quote_balance_accounts_for_owed_points(client, session):
    s = shop(session, offer={"percent_off": 0, "points_per_yuan": 10})
    m, card = member(session)
    purchase = buy(client, s, card.number, 10000).get_json()
    assert buy(client, s, pay_code(card), 1000, redeem=1000).status_code == 201
    refund(client, s, purchase["id"])
    assert balance(session, m).owed == 1000
    quoted = client.post(QUOTE, json={"card": card.number, "amount": 5000},
                         headers=s.headers).get_json()
    bought = buy(client, s, card.number, 5000).get_json()
    assert quoted["points_balance"] == bought["points_balance"] == 0
    assert balance(session, m).owed == 500


# --- redemption -------------------------------------------------------------------------------

def test_redeem_with_pay_code(client, session):
    s = shop(session, offer=GOLD_OFFER)
    m, card = member(session, tier="gold", points=2000)
    code = pay_code(card)
    assert len(code) == 22
    body = buy(client, s, code, 12850, redeem=1000).get_json()
    assert (body["points_value"], body["payable"], body["points_earned"]) == (1000, 10308, 309)
    assert body["points_balance"] == 2000 - 1000 + 309 == balance(session, m).balance
    assert_ledger_ok(session)


def test_pay_code_identifies_the_card_without_redeeming(client, session):
    s = shop(session)
    _, card = member(session)
    stale = pay_code(card, at=time.time() - 200)
    assert buy(client, s, stale, 100).status_code == 201


@pytest.mark.parametrize("how", ["static", "stale", "forged", "other_card_secret"])
def test_redemption_needs_a_valid_pay_code(client, session, how):
    s = shop(session)
    m, card = member(session, points=500)
    _, other = member(session)
    code = {"static": card.number,
            "stale": pay_code(card, at=time.time() - 200),
            "forged": card.number + ("000000" if pay_code(card)[16:] != "000000" else "111111"),
            "other_card_secret": card.number + pay_code(other)[16:]}[how]
    if how == "other_card_secret" and code == pay_code(card):
        pytest.skip("one-in-a-million collision")
    assert_error(buy(client, s, code, 1000, redeem=100), 422, "redemption_not_authorized")
    assert_error(client.post(QUOTE, json={"card": code, "amount": 1000, "redeem_points": 100},
                             headers=s.headers), 422, "redemption_not_authorized")
    assert count(session, Purchase) == 0
    assert balance(session, m).balance == 500


def test_redeem_more_than_balance(client, session):
    s = shop(session)
    m, card = member(session, points=99)
    assert_error(buy(client, s, pay_code(card), 1000, redeem=100), 422, "insufficient_points")
    assert count(session, Purchase) == 0
    assert buy(client, s, pay_code(card), 1000, redeem=99).status_code == 201


def test_redemption_exceeds_amount(client, session):
    s = shop(session, offer={"percent_off": 10})
    _, card = member(session, points=5000)
    # amount 1000, discount 100: at most 900 points
    assert_error(buy(client, s, pay_code(card), 1000, redeem=901), 422,
                 "redemption_exceeds_amount")
    body = buy(client, s, pay_code(card), 1000, redeem=900).get_json()
    assert (body["payable"], body["points_earned"]) == (0, 0)


def test_redemption_check_order(client, session):
    s = shop(session)
    _, card = member(session, points=10)
    # unauthorized beats insufficient and exceeds
    assert_error(buy(client, s, card.number, 100, redeem=10_000), 422,
                 "redemption_not_authorized")
    # insufficient beats exceeds
    assert_error(buy(client, s, pay_code(card), 100, redeem=10_000), 422, "insufficient_points")


# --- check order ---------------------------------------------------------------------------

def test_revoked_key_is_401_before_anything(client, session):
    s = shop(session)
    revoke_terminal(session, s.terminal.id)
    session.commit()
    response = client.post(PURCHASES, data="not json", headers=s.headers)
    assert_error(response, 401, "unauthorized")
    assert_error(client.post(QUOTE, data="[", headers=s.headers), 401, "unauthorized")


def test_body_errors_come_before_the_card(client, session):
    s = shop(session)
    unknown = "4" * 15 + cards.luhn_check_digit("4" * 15)
    assert_error(client.post(PURCHASES, data="{", headers={**s.headers, "Idempotency-Key": "k"},
                             content_type="application/json"), 400, "invalid_json")
    assert_error(buy(client, s, unknown, 0), 422, "validation_error")
    assert_error(client.post(QUOTE, json={"card": unknown, "amount": -5}, headers=s.headers),
                 422, "validation_error")
    assert_error(buy(client, s, unknown, 10), 404, "card_not_found")


def test_idempotency_comes_before_the_card(client, session):
    s = shop(session)
    m, card = member(session)
    assert buy(client, s, card.number, 100, key="k").status_code == 201
    members.set_card_status(session, m.card, "frozen")
    session.commit()
    # a replay still answers the stored success; a different body gets 409, not card_inactive
    replay = buy(client, s, card.number, 100, key="k")
    assert replay.status_code == 201
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert_error(buy(client, s, card.number, 200, key="k"), 409, "idempotency_key_reused")


def test_card_comes_before_business_rules(client, session):
    s = shop(session)
    m, card = member(session, points=0)
    members.set_card_status(session, m.card, "frozen")
    session.commit()
    assert_error(buy(client, s, card.number, 100, redeem=50), 422, "card_inactive")


# --- credentials and isolation --------------------------------------------------------------

def test_no_key_or_unknown_key_is_401(client, session):
    s = shop(session)
    _, card = member(session)
    body = {"card": card.number, "amount": 100}
    assert_error(client.post(QUOTE, json=body), 401, "unauthorized")
    assert_error(client.post(PURCHASES, json=body, headers={"Idempotency-Key": "k"}), 401,
                 "unauthorized")
    assert_error(client.post(QUOTE, json=body, headers={"Authorization": "Bearer vt_nope"}),
                 401, "unauthorized")
    assert_error(client.post(QUOTE, json=body, headers={"Authorization": s.api_key}), 401,
                 "unauthorized")
    assert count(session, Purchase) == 0


def test_member_token_on_pos_is_403(client, session):
    shop(session)
    m, card = member(session)
    token, _ = members.create_token(session, m)
    session.commit()
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k"}
    body = {"card": card.number, "amount": 100}
    assert_error(client.post(QUOTE, json=body, headers=headers), 403, "forbidden")
    assert_error(client.post(PURCHASES, json=body, headers=headers), 403, "forbidden")
    assert_error(client.get(f"{PURCHASES}/pur_x", headers=headers), 403, "forbidden")


def test_revoked_key_after_purchase(client, session):
    s = shop(session)
    _, card = member(session)
    purchase = buy(client, s, card.number, 100).get_json()
    revoke_terminal(session, s.terminal.id)
    session.commit()
    assert_error(client.get(f"{PURCHASES}/{purchase['id']}", headers=s.headers), 401,
                 "unauthorized")
    assert_error(refund(client, s, purchase["id"]), 401, "unauthorized")
    assert_error(buy(client, s, card.number, 100), 401, "unauthorized")


def test_other_merchants_purchase_is_404(client, session):
    a = shop(session, "甲店")
    b = shop(session, "乙店")
    _, card = member(session)
    purchase = buy(client, b, card.number, 1000).get_json()
    assert_error(client.get(f"{PURCHASES}/{purchase['id']}", headers=a.headers), 404,
                 "not_found")
    assert_error(refund(client, a, purchase["id"]), 404, "not_found")
    assert_error(refund(client, a, purchase["id"], 10), 404, "not_found")
    assert_error(client.get(f"{PURCHASES}/pur_missing", headers=a.headers), 404, "not_found")
    assert count(session, Refund) == 0
    detail = client.get(f"{PURCHASES}/{purchase['id']}", headers=b.headers).get_json()
    assert detail["refunded_amount"] == 0


# --- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("data", ["", "   ", "not json", "[1, 2]", "[]", '"text"', "12",
                                  "null", "{", "NaN", '{"amount": NaN}', "[" * 5000,
                                  '{"card": ' * 5000, "[" * 100_000])
def test_invalid_json(client, session, data):
    s = shop(session)
    for url in (QUOTE, PURCHASES):
        response = client.post(url, data=data, content_type="application/json",
                               headers={**s.headers, "Idempotency-Key": new_key()})
        assert_error(response, 400, "invalid_json")


def test_json_nested_too_deep_without_a_credential_is_401(client, session):
    response = client.post(PURCHASES, data="[" * 5000, content_type="application/json",
                           headers={"Idempotency-Key": new_key()})
    assert_error(response, 401, "unauthorized")


@pytest.mark.parametrize("field,value", [
    ("amount", "100"), ("amount", True), ("amount", False), ("amount", 0), ("amount", -1),
    ("amount", 100_000_001), ("amount", 1.5), ("amount", 100.0), ("amount", None),
    ("amount", [100]), ("redeem_points", -1), ("redeem_points", "5"), ("redeem_points", True),
    ("redeem_points", 2.0), ("card", 1234567812345670), ("card", ""), ("card", None),
    ("card", ["x"]), ("reference", ""), ("reference", 5), ("reference", "x" * 101),
])
def test_validation_errors(client, session, field, value):
    s = shop(session)
    _, card = member(session, points=10)
    body = {"card": card.number, "amount": 100, field: value}
    response = client.post(PURCHASES, json=body,
                           headers={**s.headers, "Idempotency-Key": new_key()})
    details = assert_error(response, 422, "validation_error")["details"]
    assert list(details) == [field]
    assert all(isinstance(m, str) for m in details[field])
    if field != "reference":
        quote = client.post(QUOTE, json=body, headers=s.headers)
        assert list(assert_error(quote, 422, "validation_error")["details"]) == [field]
    assert count(session, Purchase) == 0


@pytest.mark.parametrize("missing", ["card", "amount"])
def test_missing_fields(client, session, missing):
    s = shop(session)
    _, card = member(session)
    body = {"card": card.number, "amount": 100}
    del body[missing]
    details = assert_error(client.post(PURCHASES, json=body, headers=s.headers), 422,
                           "validation_error")["details"]
    assert set(details) == {missing, "Idempotency-Key"}


def test_amount_bounds(client, session):
    s = shop(session)
    _, card = member(session)
    assert buy(client, s, card.number, 1).status_code == 201
    top = buy(client, s, card.number, 100_000_000)
    assert top.status_code == 201
    assert top.get_json()["points_earned"] == 1_000_000


def test_unknown_and_mistyped_cards(client, session):
    s = shop(session)
    _, card = member(session)
    digits = card.number
    typo = digits[:5] + str((int(digits[5]) + 1) % 10) + digits[6:]
    assert not cards.luhn_valid(typo)
    unknown = "6" * 15 + cards.luhn_check_digit("6" * 15)
    for scanned in (typo, unknown, digits[:-1], digits + "1", "abc", digits + "12345",
                    unknown + "123456"):
        assert_error(buy(client, s, scanned, 100), 404, "card_not_found")
        assert_error(client.post(QUOTE, json={"card": scanned, "amount": 100},
                                 headers=s.headers), 404, "card_not_found")


def test_scanner_variants_are_accepted(client, session):
    s = shop(session)
    _, card = member(session)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in card.number)
    for scanned in (full_width, f" {card.number}\n", card.number[:8] + " " + card.number[8:]):
        assert buy(client, s, scanned, 100).status_code == 201


@pytest.mark.parametrize("status", ["frozen", "lost"])
def test_inactive_card(client, session, status):
    s = shop(session)
    m, card = member(session, points=100)
    members.set_card_status(session, m.card, status)
    session.commit()
    assert_error(buy(client, s, card.number, 100), 422, "card_inactive")
    assert_error(client.post(QUOTE, json={"card": card.number, "amount": 100},
                             headers=s.headers), 422, "card_inactive")
    assert_error(buy(client, s, pay_code(card), 100, redeem=10), 422, "card_inactive")


def test_replaced_card_is_inactive_and_new_card_works(client, session):
    s = shop(session)
    m, card = member(session)
    old_number = card.number
    new = members.reissue_card(session, m.card)
    session.commit()
    assert_error(buy(client, s, old_number, 100), 422, "card_inactive")
    assert buy(client, s, new.number, 100).status_code == 201


def test_expired_card_is_inactive(client, session):
    s = shop(session)
    m, card = member(session)
    card.expires_on = date.today() - timedelta(days=1)
    session.commit()
    assert_error(buy(client, s, card.number, 100), 422, "card_inactive")


@pytest.mark.parametrize("status", ["frozen", "expired"])
def test_frozen_membership(client, session, status):
    s = shop(session)
    m, card = member(session, points=100)
    members.set_membership(session, m, status)
    session.commit()
    assert_error(buy(client, s, card.number, 100), 422, "membership_frozen")
    assert_error(buy(client, s, pay_code(card), 100, redeem=10), 422, "membership_frozen")
    assert count(session, Purchase) == 0
    assert balance(session, m).balance == 100


# --- offers -------------------------------------------------------------------------------------

def _offer_percent(client, s, card):
    response = client.post(QUOTE, json={"card": card.number, "amount": 10000},
                           headers=s.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["percent_off"]


@pytest.mark.parametrize("kwargs", [
    {"active": False},
    {"valid_from": date.today() + timedelta(days=2)},
    {"valid_until": date.today() - timedelta(days=2)},
])
def test_inactive_offers_are_ignored(client, session, kwargs):
    s = shop(session, offer={"percent_off": 5})
    create_offer(session, s.merchant, title="大促", percent_off=30, **kwargs)
    session.commit()
    _, card = member(session)
    assert _offer_percent(client, s, card) == 5


def test_offer_valid_through_today_counts(client, session):
    s = shop(session)
    today = date.today()
    create_offer(session, s.merchant, title="今日", percent_off=8,
                 valid_from=today - timedelta(days=1),
                 valid_until=today + timedelta(days=1))
    session.commit()
    _, card = member(session)
    assert _offer_percent(client, s, card) == 8


def test_unapproved_merchant_does_not_sell(client, session):
    s = shop(session, offer={"percent_off": 20, "points_per_yuan": 5}, approved=False)
    _, card = member(session)
    response = client.post(QUOTE, json={"card": card.number, "amount": 10000},
                           headers=s.headers)
    assert_error(response, 403, "merchant_not_active")  # contract §10


@pytest.mark.parametrize("tier,expected", [("standard", 10), ("silver", 10), ("gold", 15),
                                           ("diamond", 10)])
def test_tier_override_higher(client, session, tier, expected):
    s = shop(session, offer={"percent_off": 10, "tier_percent_off": {"gold": 15}})
    _, card = member(session, tier=tier)
    assert _offer_percent(client, s, card) == expected


@pytest.mark.parametrize("tier,expected", [("standard", 10), ("silver", 3), ("gold", 10)])
def test_tier_override_lower(client, session, tier, expected):
    s = shop(session, offer={"percent_off": 10, "tier_percent_off": {"silver": 3}})
    _, card = member(session, tier=tier)
    assert _offer_percent(client, s, card) == expected


def test_best_offer_is_chosen_per_tier(client, session):
    s = shop(session)
    create_offer(session, s.merchant, title="折扣", percent_off=12, points_per_yuan=1)
    create_offer(session, s.merchant, title="积分", percent_off=9, points_per_yuan=4)
    session.commit()
    _, standard = member(session)          # 13 vs 13 → higher percent_off (12)
    _, gold = member(session, tier="gold")  # 13.5 vs 15 → the points offer (9)
    assert _offer_percent(client, s, standard) == 12
    assert _offer_percent(client, s, gold) == 9
    body = client.post(QUOTE, json={"card": gold.number, "amount": 10000},
                       headers=s.headers).get_json()
    assert body["points_earned"] == 9100 * 4 * 15 // 1000


def test_other_merchants_offers_do_not_apply(client, session):
    shop(session, "别家", offer={"percent_off": 50})
    s = shop(session)
    _, card = member(session)
    assert _offer_percent(client, s, card) == 0


def test_wrong_method(client, session):
    s = shop(session)
    assert_error(client.get(QUOTE, headers=s.headers), 405, "method_not_allowed")


def test_tie_goes_to_the_earlier_offer(client, session):
    s = shop(session)
    first = create_offer(session, s.merchant, title="先", percent_off=10,
                         points_per_yuan=2)
    session.commit()
    for title in ("后一", "后二", "后三"):
        create_offer(session, s.merchant, title=title, percent_off=10,
                     points_per_yuan=2)
        session.commit()
    _, card = member(session)
    purchase_id = buy(client, s, card.number, 1000).get_json()["id"]
    session.rollback()
    assert session.get(Purchase, purchase_id).offer_id == first.id


def test_created_at_is_now_in_shanghai(client, session):
    s = shop(session)
    _, card = member(session)
    body = buy(client, s, card.number, 100).get_json()
    created = datetime.fromisoformat(body["created_at"])
    assert created.utcoffset() == timedelta(hours=8)
    assert abs(created - datetime.now(UTC)) < timedelta(minutes=1)


# --- calendar dates are Asia/Shanghai dates, whatever the server's zone ----------------------

@contextmanager
def server_zone_on_another_date():
    """Run with the process's local zone on another calendar date than Shanghai's.

    UTC+14 is a day ahead of Shanghai from 18:00 Shanghai time, UTC−12 a day behind before
    20:00, so one of the two always differs. Yields (shanghai_today, local_today).
    """
    shanghai_now = datetime.now(SHANGHAI)
    zone = "Etc/GMT-14" if shanghai_now.hour >= 18 else "Etc/GMT+12"
    saved = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        local_today = date.today()
        assert local_today != shanghai_now.date()
        yield shanghai_now.date(), local_today
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


def test_offer_dates_are_shanghai_dates(client, session):
    s = shop(session)
    _, card = member(session)
    with server_zone_on_another_date() as (today, _):
        create_offer(session, s.merchant, title="今天起", percent_off=7,
                     valid_from=today, valid_until=today)
        create_offer(session, s.merchant, title="昨天止", percent_off=30,
                     valid_until=today - timedelta(days=1))
        create_offer(session, s.merchant, title="明天起", percent_off=40,
                     valid_from=today + timedelta(days=1))
        session.commit()
        assert _offer_percent(client, s, card) == 7


def test_card_expiry_is_a_shanghai_date(client, session):
    s = shop(session)
    m, card = member(session)
    with server_zone_on_another_date() as (today, _):
        card.expires_on = today  # valid through its expiry date
        session.commit()
        assert buy(client, s, card.number, 100).status_code == 201
        card.expires_on = today - timedelta(days=1)
        session.commit()
        assert_error(buy(client, s, card.number, 100), 422, "card_inactive")


def test_replay_ignores_key_order_and_whitespace(client, session):
    s = shop(session)
    _, card = member(session)
    headers = {**s.headers, "Idempotency-Key": "k"}
    first = client.post(PURCHASES, data=f'{{"card": "{card.number}", "amount": 100}}',
                        content_type="application/json", headers=headers)
    again = client.post(PURCHASES, data=f'{{ "amount":100,\n "card":"{card.number}" }}',
                        content_type="application/json", headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == first.get_json()
    assert count(session, Purchase) == 1


def test_refund_of_a_purchase_paid_entirely_with_points(client, session):
    s = shop(session)
    m, card = member(session, points=1000)
    purchase = buy(client, s, pay_code(card), 700, redeem=700).get_json()
    assert (purchase["payable"], purchase["points_earned"], purchase["points_balance"]) == (
        0, 0, 300)
    refunds = _refund_all(client, s, purchase["id"], [350, None])
    assert [r["cash_refund"] for r in refunds] == [0, 0]
    assert [r["points_reversed"] for r in refunds] == [0, 0]
    assert [r["points_returned"] for r in refunds] == [350, 350]
    assert [r["points_balance"] for r in refunds] == [650, 1000]
    assert balance(session, m).balance == 1000
    assert_ledger_ok(session)


def test_refund_of_a_purchase_that_earned_nothing(client, session):
    s = shop(session)
    m, card = member(session)
    purchase = buy(client, s, card.number, 99).get_json()
    assert purchase["points_earned"] == 0
    body = refund(client, s, purchase["id"]).get_json()
    assert (body["amount"], body["cash_refund"], body["points_reversed"],
            body["points_returned"], body["points_balance"]) == (99, 99, 0, 0, 0)
    assert_ledger_ok(session)


def test_mistyped_pay_code_is_card_not_found(client, session):
    s = shop(session)
    _, card = member(session, points=100)
    code = pay_code(card)
    typo = code[:3] + str((int(code[3]) + 1) % 10) + code[4:]
    assert_error(buy(client, s, typo, 100, redeem=10), 404, "card_not_found")


def test_reference_is_optional(client, session):
    s = shop(session)
    _, card = member(session)
    body = buy(client, s, card.number, 100).get_json()
    assert set(body) == PURCHASE_KEYS
    assert body["reference"] is None


def test_point_value_fen_scales_redemption(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "POINT_VALUE_FEN", 2)
    s = shop(session)
    m, card = member(session, points=1000)
    # 600 points are worth 1200 fen: more than the 1000 fen bill
    assert_error(buy(client, s, pay_code(card), 1000, redeem=600), 422,
                 "redemption_exceeds_amount")
    body = buy(client, s, pay_code(card), 1000, redeem=500).get_json()
    assert (body["points_value"], body["payable"], body["points_earned"]) == (1000, 0, 0)
    assert balance(session, m).balance == 500


def test_tier_override_of_zero(client, session):
    s = shop(session, offer={"percent_off": 10, "tier_percent_off": {"gold": 0}})
    _, gold = member(session, tier="gold")
    _, standard = member(session)
    assert _offer_percent(client, s, gold) == 0
    assert _offer_percent(client, s, standard) == 10
