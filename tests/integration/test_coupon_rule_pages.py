"""The 满就送 pages: alliance staff list, make and switch off rules (any merchant, or all) with
each rule's figures; a merchant owner, only its own shop's rules with its own coupons."""

import re

from sqlalchemy import select

from tests.api.coupon_helpers import template
from tests.api.pos_helpers import buy, member, new_key
from tests.api.test_merchant_portal import other_store, sign_in, store  # noqa: F401
from tests.api.test_portal import post_form
from tests.integration.campaign_engine import engine  # noqa: F401 (a fixture)
from tests.integration.test_campaign_pages import (  # noqa: F401 (fixtures)
    client_for,
    marketer,
    queued,
    world,
)
from valliance.audit import AuditEvent
from valliance.coupons import rules
from valliance.coupons.rule_models import CouponRule
from valliance.extensions import db
from valliance.merchants.models import Merchant

STAFF_PAGE = "/staff/marketing/coupon-rules"
OWNER_PAGE = "/merchant/coupon-rules"


def stored_rules(app) -> list[CouponRule]:
    with app.app_context():
        rows = list(db.session.scalars(select(CouponRule).order_by(CouponRule.created_at)))
        db.session.expunge_all()
        db.session.remove()
    return rows


def events(app, action) -> list[AuditEvent]:
    with app.app_context():
        rows = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        db.session.expunge_all()
        db.session.remove()
    return rows


def made_templates(app, merchant_id=None, **kwargs) -> str:
    with app.app_context():
        shop = db.session.get(Merchant, merchant_id) if merchant_id else None
        made_id = template(db.session, merchant=shop, **kwargs).id
        db.session.remove()
        return made_id


def test_the_staff_page_is_empty_then_makes_a_rule_and_switches_it_off(app, marketer, world):  # noqa: F811 (fixtures)
    page = marketer.get(STAFF_PAGE).get_data(as_text=True)
    assert 'id="no-rules"' in page and "满就送" in page
    assert "还没有启用中的优惠券模板" in page  # nothing to pick yet
    given = made_templates(app, title="联盟满100减20", value=2000, min_spend=10000)
    page = marketer.get(STAFF_PAGE).get_data(as_text=True)
    assert "联盟满100减20 · 满¥100.00减¥20.00 · 全联盟通用" in page
    # the staff navigation's 会员计划 is marked on a programme's page
    assert re.search(r'href="/staff/programmes/"[^>]*aria-current="page"', page)
    response = post_form(marketer, STAFF_PAGE, {"merchant_id": world.merchant_id,
                                                "template_id": given, "min_spend": "200",
                                                "starts_on": "", "ends_on": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    [made] = stored_rules(app)
    assert (made.merchant_id, made.min_spend, made.active) == (world.merchant_id, 20000, True)
    [created] = events(app, "coupon_rule.create")
    assert created.actor.startswith("staff:") and created.subject == made.id
    listed = marketer.get(STAFF_PAGE).get_data(as_text=True)
    assert "消费满 ¥200.00" in listed and "老王火锅" in listed and "启用中" in listed
    post_form(marketer, f"{STAFF_PAGE}/{made.id}/switch", {"active": "0"}, page=STAFF_PAGE)
    assert [r.active for r in stored_rules(app)] == [False]
    assert len(events(app, "coupon_rule.switch")) == 1
    assert "已停用" in marketer.get(STAFF_PAGE).get_data(as_text=True)


def test_wrong_fields_show_their_messages(app, marketer, world):  # noqa: F811 (fixtures)
    given = made_templates(app)
    response = post_form(marketer, STAFF_PAGE, {"merchant_id": "", "template_id": "",
                                                "min_spend": "abc", "starts_on": "2026-12-09",
                                                "ends_on": "2026-12-01"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请选择一个启用中的优惠券模板" in page and "请填写 ¥0.01 到" in page
    assert "结束日期不能早于开始日期" in page
    assert stored_rules(app) == []
    no_token = marketer.post(STAFF_PAGE, data={"template_id": given, "min_spend": "100"})
    assert no_token.status_code == 400 and stored_rules(app) == []


def test_the_staff_list_shows_what_each_rule_gave_and_brought(app, client, marketer, world):  # noqa: F811 (fixtures)
    from tests.api.pos_helpers import Shop
    from valliance.merchants.services.terminals import create_terminal
    with app.app_context():
        shop = db.session.get(Merchant, world.merchant_id)
        _, key = create_terminal(db.session, shop)
        given = template(db.session, value=1000, min_spend=0, per_member=5)
        rules.create_rule(db.session, template_id=given.id, merchant_id=shop.id,
                          min_spend=5000, created_by="test")
        _, card = member(db.session, phone="13912345678")
        db.session.commit()
        till = Shop(shop, None, key)
        number = card.number
        db.session.remove()
    earned = buy(client, till, number, 6000).get_json()["coupons_issued"]  # 6000 − 12 % ≥ 5000
    buy(client, till, number, 6000)  # a second coupon, and a purchase that followed
    used = client.post("/api/v1/pos/purchases", json={"card": number, "amount": 3000,
                                                      "coupon": earned[0]["code"]},
                       headers={**till.headers, "Idempotency-Key": new_key()})
    assert used.status_code == 201, used.get_json()
    page = marketer.get(STAFF_PAGE).get_data(as_text=True)
    figures = {name: re.search(rf'class="num rule-{name}">([^<]+)<', page).group(1)
               for name in ("issued", "used", "value", "followed")}
    assert figures == {"issued": "2", "used": "1", "value": "¥10.00", "followed": "2"}


def test_an_owner_sees_and_makes_only_its_own_shops_rules(app, client, store, other_store):  # noqa: F811 (fixtures)
    own = made_templates(app, store["merchant_id"], title="本店满100减10")
    alliance = made_templates(app, title="联盟券")
    theirs = made_templates(app, other_store["merchant_id"], title="别家券")
    with app.app_context():
        other_rule = rules.create_rule(db.session, template_id=theirs, min_spend=100,
                                       merchant_id=other_store["merchant_id"],
                                       created_by="test")
        db.session.commit()
        other_id = other_rule.id
    sign_in(client)
    page = client.get(OWNER_PAGE).get_data(as_text=True)
    assert 'id="no-rules"' in page and "本店满100减10" in page
    assert "联盟券" not in page and "别家券" not in page
    for template_id in (alliance, theirs):
        refused = post_form(client, OWNER_PAGE, {"template_id": template_id,
                                                 "min_spend": "100"})
        assert "请选择一个启用中的优惠券模板" in refused.get_data(as_text=True)
    response = post_form(client, OWNER_PAGE, {"template_id": own, "min_spend": "150.5",
                                              "merchant_id": other_store["merchant_id"]})
    assert response.status_code == 302
    mine = [r for r in stored_rules(app) if r.id != other_id]
    assert [(r.merchant_id, r.min_spend) for r in mine] == [(store["merchant_id"], 15050)]
    listed = client.get(OWNER_PAGE).get_data(as_text=True)
    assert "消费满 ¥150.50" in listed and "别家券" not in listed
    switched = post_form(client, f"{OWNER_PAGE}/{other_id}/switch", {"active": "0"},
                         page=OWNER_PAGE)
    assert switched.status_code == 404
    assert [r.active for r in stored_rules(app) if r.id == other_id] == [True]
    [event] = events(app, "coupon_rule.create")[-1:]
    assert event.actor.startswith("merchant_user:")


def test_a_cashier_may_not_open_the_owners_page(app, client, store):  # noqa: F811 (fixtures)
    from tests.api.test_merchant_portal import CASHIER
    sign_in(client, CASHIER)
    assert client.get(OWNER_PAGE).status_code == 403


def test_staff_without_marketing_may_not_open_the_page(app, world):  # noqa: F811 (fixtures)
    care = client_for(app, "only-member_care")
    assert care.get(STAFF_PAGE).status_code == 403
