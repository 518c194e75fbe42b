"""Coupons at the till (contract §11): the arithmetic, every refusal, one use, refunds."""

from datetime import timedelta
from fractions import Fraction

import pytest
from sqlalchemy import func, select, update

from tests.api.coupon_helpers import coupon, template
from tests.api.pos_helpers import (
    PURCHASE_KEYS,
    PURCHASES,
    QUOTE,
    QUOTE_KEYS,
    member,
    new_key,
    pay_code,
    shop,
)
from valliance.coupons import issuing
from valliance.coupons.models import Coupon
from valliance.db import today_shanghai
from valliance.extensions import db


def quote(client, shop_, card, amount, code, **extra):
    body = {"card": card, "amount": amount, "coupon": code, **extra}
    return client.post(QUOTE, json=body, headers=shop_.headers)


def sell(client, shop_, card, amount, code, *, key=None, **extra):
    body = {"card": card, "amount": amount, "coupon": code, **extra}
    return client.post(PURCHASES, json=body,
                       headers={**shop_.headers, "Idempotency-Key": key or new_key()})


def refund(client, shop_, purchase_id, amount=None):
    body = {} if amount is None else {"amount": amount}
    return client.post(f"{PURCHASES}/{purchase_id}/refunds", json=body,
                       headers={**shop_.headers, "Idempotency-Key": new_key()})


def refused(response, code: str) -> None:
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"] == code


def status_of(session, code: str) -> str:
    session.expire_all()
    return session.scalar(select(Coupon.status).where(Coupon.code == code))


def _half_up(fraction: Fraction) -> int:
    return int(fraction + Fraction(1, 2)) if fraction >= 0 else -int(-fraction + Fraction(1, 2))


# amount, percent_off, value, min_spend, redeem_points
TABLE = [
    (10000, 10, 2000, 10000, 0),     # min_spend reached exactly
    (12850, "12.5", 2000, 10000, 0),  # discount rounded half up, then the coupon
    (10000, 90, 2000, 0, 0),         # capped at amount − discount: nothing left to pay
    (20000, 10, 2000, 10000, 16000),  # coupon then points: payable 0
    (20000, 10, 3000, 5000, 999),    # coupon and points, cash left
    (1, 0, 500, 0, 0),               # a coupon worth more than the sale
]


@pytest.mark.parametrize("amount, percent, value, min_spend, redeem", TABLE)
def test_the_coupon_comes_after_the_discount_and_before_points(client, session, amount,
                                                              percent, value, min_spend,
                                                              redeem):
    store = shop(session, offer={"percent_off": percent, "points_per_yuan": 2})
    someone, card = member(session, tier="gold", points=20000)
    made = coupon(session, template(session, value=value, min_spend=min_spend), someone)
    scanned = pay_code(card) if redeem else card.number
    body = quote(client, store, scanned, amount, made.code, redeem_points=redeem).get_json()
    discount = _half_up(Fraction(amount) * Fraction(str(percent)) / 100)
    coupon_value = min(value, amount - discount)
    payable = amount - discount - coupon_value - redeem
    earned = int(Fraction(payable) * 2 * Fraction(3, 2) / 100)
    assert set(body) == QUOTE_KEYS
    assert (body["discount"], body["coupon"], body["coupon_value"], body["points_value"],
            body["payable"], body["points_earned"]) == (discount, made.code, coupon_value,
                                                       redeem, payable, earned)
    sold = sell(client, store, scanned, amount, made.code, redeem_points=redeem)
    assert sold.status_code == 201, sold.get_json()
    assert set(sold.get_json()) == PURCHASE_KEYS
    assert {k: sold.get_json()[k] for k in body if k != "points_balance"} == {
        k: body[k] for k in body if k != "points_balance"}
    assert status_of(session, made.code) == "used"


def test_one_fen_below_min_spend_is_coupon_min_spend_and_nothing_is_used(client, session):
    store = shop(session)
    someone, card = member(session)
    made = coupon(session, template(session, value=2000, min_spend=10000), someone)
    refused(quote(client, store, card.number, 9999, made.code), "coupon_min_spend")
    refused(sell(client, store, card.number, 9999, made.code), "coupon_min_spend")
    assert status_of(session, made.code) == "active"


def test_points_beyond_what_the_coupon_leaves_are_redemption_exceeds_amount(client, session):
    store = shop(session, offer={"percent_off": 10})
    someone, card = member(session, points=20000)
    made = coupon(session, template(session, value=2000, min_spend=0), someone)
    refused(sell(client, store, pay_code(card), 20000, made.code, redeem_points=16001),
            "redemption_exceeds_amount")
    assert status_of(session, made.code) == "active"


def test_answers_without_a_coupon_say_null_and_zero(client, session):
    store = shop(session)
    _, card = member(session)
    body = client.post(QUOTE, json={"card": card.number, "amount": 500},
                       headers=store.headers).get_json()
    assert (body["coupon"], body["coupon_value"]) == (None, 0)


def test_every_coupon_that_cannot_be_used_is_coupon_invalid(client, session):
    here, elsewhere = shop(session, "老王火锅"), shop(session, "小李面馆")
    someone, card = member(session)
    other, _ = member(session)
    alliance = template(session, value=1000, min_spend=0, per_member=9, valid_days=30)
    theirs = template(session, value=1000, min_spend=0, merchant=elsewhere.merchant)
    used = coupon(session, alliance, someone)
    assert sell(client, here, card.number, 5000, used.code).status_code == 201
    voided = coupon(session, alliance, someone)
    issuing.void_coupon(session, voided.code, actor="test")
    session.commit()
    causes = {
        "unknown": issuing.new_code(),
        "not a code": "12345",
        "another member's": coupon(session, alliance, other).code,
        "used": used.code,
        "expired": coupon(session, alliance, someone, days_ago=31).code,
        "void": voided.code,
        "another merchant's own": coupon(session, theirs, someone).code,
    }
    for cause, code in causes.items():
        for answer in (quote(client, here, card.number, 5000, code),
                       sell(client, here, card.number, 5000, code)):
            assert answer.status_code == 422, cause
            assert answer.get_json()["error"] == "coupon_invalid", cause


def test_a_merchants_own_coupon_is_valid_in_its_own_shop(client, session):
    store = shop(session)
    someone, card = member(session)
    own = coupon(session, template(session, value=800, min_spend=0, merchant=store.merchant),
                 someone)
    assert sell(client, store, card.number, 5000, own.code).get_json()["coupon_value"] == 800


def test_the_card_is_checked_before_the_coupon(client, session):
    store = shop(session)
    refused_ = quote(client, store, "1234567812345670", 5000, issuing.new_code())
    assert refused_.status_code == 404 and refused_.get_json()["error"] == "card_not_found"


def test_a_replayed_purchase_answers_the_same_and_uses_the_coupon_once(client, session):
    store = shop(session)
    someone, card = member(session)
    made = coupon(session, template(session, value=1000, min_spend=0), someone)
    first = sell(client, store, card.number, 5000, made.code, key="same")
    again = sell(client, store, card.number, 5000, made.code, key="same")
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == first.get_json()
    refused(sell(client, store, card.number, 5000, made.code), "coupon_invalid")
    used_by = session.scalar(select(Coupon.used_purchase_id).where(Coupon.code == made.code))
    assert used_by == first.get_json()["id"]
    detail = client.get(f"{PURCHASES}/{used_by}", headers=store.headers).get_json()
    assert (detail["coupon"], detail["coupon_value"]) == (made.code, 1000)


def test_a_null_coupon_and_no_coupon_are_the_same_sale_on_a_replay(client, session):
    store = shop(session)
    _, card = member(session)
    headers = {**store.headers, "Idempotency-Key": "no-coupon"}
    first = client.post(PURCHASES, json={"card": card.number, "amount": 5000}, headers=headers)
    again = client.post(PURCHASES, json={"card": card.number, "amount": 5000, "coupon": None},
                        headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert (again.get_json()["coupon"], again.get_json()["coupon_value"]) == (None, 0)


def test_a_full_refund_makes_the_coupon_active_again(client, session):
    store = shop(session)
    someone, card = member(session)
    made = coupon(session, template(session, value=1000, min_spend=0), someone)
    sold = sell(client, store, card.number, 5000, made.code).get_json()
    assert refund(client, store, sold["id"]).get_json()["cash_refund"] == 4000
    assert status_of(session, made.code) == "active"
    assert sell(client, store, card.number, 5000, made.code).status_code == 201


def test_a_partial_refund_gives_cash_back_by_the_rule_and_never_the_coupon(client, session):
    store = shop(session)
    someone, card = member(session)
    made = coupon(session, template(session, value=1000, min_spend=0), someone)
    sold = sell(client, store, card.number, 5000, made.code).get_json()
    assert sold["payable"] == 4000
    assert refund(client, store, sold["id"], 2000).get_json()["cash_refund"] == 1600
    assert status_of(session, made.code) == "used"
    assert refund(client, store, sold["id"]).get_json()["cash_refund"] == 2400
    assert status_of(session, made.code) == "active"  # the refund that completes it


def test_a_full_refund_after_the_coupons_last_day_does_not_restore_it(client, session):
    store = shop(session)
    someone, card = member(session)
    made = coupon(session, template(session, value=1000, min_spend=0), someone)
    sold = sell(client, store, card.number, 5000, made.code).get_json()
    session.execute(update(Coupon).where(Coupon.code == made.code)
                    .values(valid_until=today_shanghai() - timedelta(days=1)))
    session.commit()
    assert refund(client, store, sold["id"]).status_code == 201
    assert status_of(session, made.code) == "used"


@pytest.mark.postgres_only
def test_twenty_tills_racing_for_one_coupon_record_one_purchase(app, session, run_threads):
    store = shop(session)
    someone, card = member(session)
    made = coupon(session, template(session, value=1000, min_spend=0), someone)
    number, code = card.number, made.code

    def attempt(i):
        answer = sell(app.test_client(), store, number, 5000 + i, code)
        return answer.status_code, answer.get_json()["error" if answer.status_code != 201
                                                     else "coupon"]

    results = run_threads(20, attempt)
    assert sorted(results).count((201, code)) == 1, results
    assert [r for r in results if r[0] != 201] == [(422, "coupon_invalid")] * 19
    with app.app_context():
        purchases = db.session.execute(
            select(func.count()).select_from(db.metadata.tables["purchases"])
            .where(db.metadata.tables["purchases"].c.coupon_code == code)).scalar()
        assert purchases == 1


def test_the_openapi_document_names_the_coupon_fields_and_errors(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    assert "coupon" in schemas["QuoteIn"]["properties"]
    assert "coupon" in schemas["PurchaseIn"]["properties"]
    for answer in ("QuoteOut", "PurchaseOut"):
        assert {"coupon", "coupon_value"} <= set(schemas[answer]["required"])
    assert {"coupon_invalid", "coupon_min_spend"} <= set(
        schemas["ErrorOut"]["properties"]["error"]["enum"])


@pytest.mark.postgres_only
def test_a_coupon_sale_is_handed_by_the_lane_to_the_app_which_records_it_once(app, client,
                                                                             session):
    from valliance.merchants.lane import BUG, EXPECTED, PurchaseLane

    lane = app.wsgi_app
    assert isinstance(lane, PurchaseLane)
    before = lane.fallbacks[EXPECTED]
    store = shop(session)
    someone, card = member(session)
    made = coupon(session, template(session, value=1000, min_spend=0), someone)
    sold = sell(client, store, card.number, 5000, made.code, key="lane-1")
    assert sold.status_code == 201 and sold.get_json()["coupon_value"] == 1000
    assert lane.fallbacks[EXPECTED] == before + 1 and lane.fallbacks[BUG] == 0
    replay = sell(client, store, card.number, 5000, made.code, key="lane-1")
    assert replay.get_json() == sold.get_json()
    assert replay.headers.get("Idempotent-Replayed") == "true"


@pytest.mark.postgres_only
def test_members_racing_for_a_template_get_no_more_than_its_limits(app, session, run_threads):
    someone, _ = member(session)
    made = template(session, per_member=1)
    scarce = template(session, per_member=5, total_limit=3)
    member_id, made_id, scarce_id = someone.id, made.id, scarce.id

    def issue(template_id):
        def attempt(_):
            try:
                holder = db.session.get(type(someone), member_id)
                issuing.issue_coupon(db.session, template_id, holder, source="test")
                db.session.commit()
                return "issued"
            except issuing.CouponNotIssued:
                db.session.rollback()
                return "refused"
        return attempt

    assert sorted(run_threads(10, issue(made_id))) == ["issued"] + ["refused"] * 9
    assert sorted(run_threads(10, issue(scarce_id))) == ["issued"] * 3 + ["refused"] * 7
    with app.app_context():
        counts = [db.session.scalar(select(func.count()).select_from(Coupon)
                                    .where(Coupon.template_id == t)) for t in (made_id,
                                                                               scarce_id)]
        assert counts == [1, 3]
