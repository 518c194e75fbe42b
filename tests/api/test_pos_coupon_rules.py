"""满就送 at the till (issue #18): a sale that spends enough earns the rule's coupon, in the
purchase's answer (`coupons_issued`), once per sale, within the template's limits."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.api.coupon_helpers import coupon, template
from tests.api.pos_helpers import PURCHASE_KEYS, PURCHASES, buy, member, new_key, pay_code, shop
from tests.conftest import ON_POSTGRES
from valliance.coupons import rules
from valliance.coupons.models import Coupon
from valliance.coupons.rule_models import CouponRuleGrant
from valliance.db import today_shanghai
from valliance.extensions import db
from valliance.merchants.lane import BUG, EXPECTED, PurchaseLane
from valliance.points.verify import verify_ledger

ISSUED_KEYS = {"code", "title", "value", "min_spend", "valid_until"}


def rule(session, template_, *, merchant=None, min_spend=10000, **extra):
    made = rules.create_rule(session, template_id=template_.id, min_spend=min_spend,
                             merchant_id=merchant.id if merchant else None,
                             created_by="test", **extra)
    session.commit()
    return made


def coupons_of(session, member_id) -> list[Coupon]:
    session.expire_all()
    return list(session.scalars(select(Coupon).where(Coupon.member_id == member_id)))


def sell(client, shop_, card, amount, *, key=None, **extra):
    return client.post(PURCHASES, json={"card": card, "amount": amount, **extra},
                       headers={**shop_.headers, "Idempotency-Key": key or new_key()})


def test_a_sale_of_exactly_the_rules_spend_earns_its_coupon(client, session):
    store = shop(session)
    given = template(session, value=2000, min_spend=10000, title="满100减20")
    rule(session, given, merchant=store.merchant, min_spend=10000)
    someone, card = member(session)
    short = buy(client, store, card.number, 9999)
    assert short.status_code == 201 and short.get_json()["coupons_issued"] == []
    sold = buy(client, store, card.number, 10000)
    assert sold.status_code == 201, sold.get_json()
    body = sold.get_json()
    assert set(body) == PURCHASE_KEYS
    [issued] = body["coupons_issued"]
    assert set(issued) == ISSUED_KEYS
    [held] = coupons_of(session, someone.id)
    assert issued == {"code": held.code, "title": "满100减20", "value": 2000,
                      "min_spend": 10000, "valid_until": held.valid_until.isoformat()}
    assert held.valid_until == today_shanghai() + timedelta(days=30)
    assert held.status == "active" and held.source.startswith("rule:")
    assert (body["coupon"], body["coupon_value"]) == (None, 0)  # §11's fields as they were


def test_what_counts_is_what_the_member_spent_after_the_discount(client, session):
    store = shop(session, offer={"percent_off": 10})
    rule(session, template(session), merchant=store.merchant, min_spend=10000)
    _, card = member(session)
    # 11000 − 1100 = 9900 spent: not enough; 11112 − 1111 = 10001: enough
    assert buy(client, store, card.number, 11000).get_json()["coupons_issued"] == []
    assert len(buy(client, store, card.number, 11112).get_json()["coupons_issued"]) == 1


def test_points_spent_count_and_a_coupon_used_does_not(client, session):
    store = shop(session)
    rule(session, template(session, per_member=5), merchant=store.merchant, min_spend=10000)
    someone, card = member(session, points=1000)
    paid_in_points = sell(client, store, pay_code(card), 10000, redeem_points=1000)
    assert paid_in_points.status_code == 201, paid_in_points.get_json()
    assert len(paid_in_points.get_json()["coupons_issued"]) == 1
    used = coupon(session, template(session, value=500, min_spend=0), someone)
    with_coupon = sell(client, store, card.number, 10000, coupon=used.code)
    assert with_coupon.status_code == 201, with_coupon.get_json()
    assert with_coupon.get_json()["coupon_value"] == 500  # 9500 spent
    assert with_coupon.get_json()["coupons_issued"] == []


def test_a_replay_answers_the_same_coupon_and_issues_nothing_again(client, session):
    store = shop(session)
    rule(session, template(session, per_member=5), merchant=store.merchant)
    someone, card = member(session)
    first = buy(client, store, card.number, 20000, key="till-9")
    again = buy(client, store, card.number, 20000, key="till-9")
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_data() == first.get_data()
    assert len(coupons_of(session, someone.id)) == 1


def test_a_member_at_the_limit_gets_none_and_the_sale_goes_on(client, session):
    store = shop(session)
    rule(session, template(session, per_member=1), merchant=store.merchant)
    someone, card = member(session)
    assert len(buy(client, store, card.number, 10000).get_json()["coupons_issued"]) == 1
    second = buy(client, store, card.number, 10000)
    assert second.status_code == 201 and second.get_json()["coupons_issued"] == []
    assert len(coupons_of(session, someone.id)) == 1


def test_a_template_all_given_out_gives_no_more(client, session):
    store = shop(session)
    rule(session, template(session, total_limit=1), merchant=store.merchant)
    _, first = member(session)
    _, second = member(session)
    assert len(buy(client, store, first.number, 10000).get_json()["coupons_issued"]) == 1
    late = buy(client, store, second.number, 10000)
    assert late.status_code == 201 and late.get_json()["coupons_issued"] == []


def test_a_rule_applies_at_its_merchant_only_and_an_alliance_rule_everywhere(client, session):
    here, there = shop(session, "老王火锅"), shop(session, "小李面馆")
    rule(session, template(session, title="本店券"), merchant=here.merchant)
    _, card = member(session)
    assert buy(client, there, card.number, 50000).get_json()["coupons_issued"] == []
    rule(session, template(session, title="联盟券", per_member=5), merchant=None,
         min_spend=20000)
    issued = buy(client, there, card.number, 50000).get_json()["coupons_issued"]
    assert [c["title"] for c in issued] == ["联盟券"]
    both = buy(client, here, card.number, 50000).get_json()["coupons_issued"]
    assert sorted(c["title"] for c in both) == ["本店券", "联盟券"]


def test_a_rule_switched_off_or_out_of_its_dates_gives_nothing(client, session):
    store = shop(session)
    off = rule(session, template(session), merchant=store.merchant)
    rules.switch_rule(session, off.id, active=False, actor="test")
    today = today_shanghai()
    rule(session, template(session), merchant=store.merchant,
         starts_on=today + timedelta(days=1))
    rule(session, template(session), merchant=store.merchant,
         starts_on=today - timedelta(days=9), ends_on=today - timedelta(days=1))
    _, card = member(session)
    assert buy(client, store, card.number, 90000).get_json()["coupons_issued"] == []
    rule(session, template(session), merchant=store.merchant, starts_on=today, ends_on=today)
    assert len(buy(client, store, card.number, 90000).get_json()["coupons_issued"]) == 1


def test_a_full_refund_voids_the_earned_coupon_still_unused(client, session):
    store = shop(session)
    rule(session, template(session, per_member=5), merchant=store.merchant)
    _, card = member(session)
    kept = buy(client, store, card.number, 10000).get_json()
    voided = buy(client, store, card.number, 10000).get_json()
    part = client.post(f"{PURCHASES}/{kept['id']}/refunds", json={"amount": 4000},
                       headers={**store.headers, "Idempotency-Key": new_key()})
    assert part.status_code == 201
    whole = client.post(f"{PURCHASES}/{voided['id']}/refunds", json={},
                        headers={**store.headers, "Idempotency-Key": new_key()})
    assert whole.status_code == 201
    session.expire_all()
    status = dict(session.execute(select(Coupon.code, Coupon.status)).all())
    assert status[kept["coupons_issued"][0]["code"]] == "active"
    assert status[voided["coupons_issued"][0]["code"]] == "void"


def test_a_refund_leaves_an_earned_coupon_already_used(client, session):
    store = shop(session)
    rule(session, template(session, value=1000, min_spend=0), merchant=store.merchant,
         min_spend=5000)
    _, card = member(session)
    earned = buy(client, store, card.number, 5000).get_json()
    code = earned["coupons_issued"][0]["code"]
    assert sell(client, store, card.number, 3000, coupon=code).status_code == 201
    whole = client.post(f"{PURCHASES}/{earned['id']}/refunds", json={},
                        headers={**store.headers, "Idempotency-Key": new_key()})
    assert whole.status_code == 201
    session.expire_all()
    assert session.scalar(select(Coupon.status).where(Coupon.code == code)) == "used"


@pytest.mark.skipif(not ON_POSTGRES, reason="the lane runs on PostgreSQL only")
def test_the_lane_hands_a_qualifying_sale_to_the_app_with_the_same_answer(app, client,
                                                                          session, monkeypatch):
    lane = app.wsgi_app
    assert isinstance(lane, PurchaseLane)
    store = shop(session, offer={"percent_off": 5})
    rule(session, template(session, per_member=9), merchant=store.merchant, min_spend=10000)
    _, card = member(session, tier="gold")
    before = lane.fallbacks[EXPECTED]
    below = buy(client, store, card.number, 1000).get_json()  # sold by the lane itself
    assert below["coupons_issued"] == [] and lane.fallbacks[EXPECTED] == before
    by_lane = buy(client, store, card.number, 20000, key="lane-r").get_json()
    assert lane.fallbacks[EXPECTED] == before + 1 and lane.fallbacks[BUG] == 0
    monkeypatch.setitem(app.config, "POS_PURCHASE_LANE", False)
    monkeypatch.setitem(app.config, "POS_SALE_AT_ONCE", False)
    by_app = buy(client, store, card.number, 20000).get_json()
    assert len(by_lane["coupons_issued"]) == len(by_app["coupons_issued"]) == 1
    same = {k for k in by_lane if k not in {"id", "created_at", "points_balance",
                                            "coupons_issued"}}
    assert {k: by_lane[k] for k in same} == {k: by_app[k] for k in same}
    strip = [{k: v for k, v in c.items() if k != "code"} for c in
             (by_lane["coupons_issued"][0], by_app["coupons_issued"][0])]
    assert strip[0] == strip[1]
    replay = buy(client, store, card.number, 20000, key="lane-r")
    assert replay.get_json() == by_lane
    session.rollback()
    assert session.scalar(select(func.count()).select_from(CouponRuleGrant)) == 2
    assert verify_ledger(session).ok


@pytest.mark.postgres_only
def test_racing_sales_never_give_out_more_than_the_templates_total(app, session, client,
                                                                   run_threads):
    store = shop(session)
    rule(session, template(session, total_limit=3), merchant=store.merchant)
    cards = [member(session)[1].number for _ in range(8)]

    def sale(i):
        with app.test_client() as own:
            answer = buy(own, store, cards[i], 10000)
            assert answer.status_code == 201, answer.get_json()
            return len(answer.get_json()["coupons_issued"])

    assert sorted(run_threads(8, sale)) == [0] * 5 + [1] * 3
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Coupon)) == 3


def test_a_rule_for_every_merchant_gives_only_alliance_wide_coupons(session):
    from valliance.errors import ValidationError
    own = template(session, merchant=shop(session).merchant, title="本店满100减20")
    with pytest.raises(ValidationError) as refused:  # other shops' sales, this shop's cost
        rules.create_rule(session, template_id=own.id, merchant_id=None, min_spend=10000,
                          created_by="test")
    assert "适用全部商户的规则只能送全联盟通用的优惠券" in refused.value.details["template_id"][0]
    session.rollback()
    everywhere = template(session, title="联盟满100减20")
    made = rules.create_rule(session, template_id=everywhere.id, merchant_id=None,
                             min_spend=10000, created_by="test")
    assert made.merchant_id is None
