"""The member-facing offer pages: active offers only, filtered, paginated, priced per tier."""

from datetime import date, timedelta

import pytest

from tests.api.test_portal import enroll, log_in
from valliance.extensions import db
from valliance.merchants.services.offers import create_offer
from valliance.merchants.services.onboarding import create_merchant


def merchant(name, category="餐饮", district="鹿城镇", approved=True, **kwargs):
    return create_merchant(db.session, name=name, category=category, district=district,
                           approved=approved, **kwargs)


@pytest.fixture
def alliance(app):
    """Two active offers, and one of each kind of inactive offer; their ids."""
    with app.app_context():
        wang = merchant("老王火锅", address="人民路1号", phone="0878-1234567", avg_spend=8000)
        hotpot = create_offer(db.session, wang, title="会员折扣", percent_off=10,
                              points_per_yuan=2, tier_percent_off={"gold": 15})
        salon = merchant("丽人美发", category="美容美发", district="城东区")
        haircut = create_offer(db.session, salon, title="剪发八折", percent_off=20)
        off = create_offer(db.session, wang, title="已下架套餐", percent_off=30, active=False)
        yesterday = date.today() - timedelta(days=2)
        expired = create_offer(db.session, salon, title="过期活动", percent_off=30,
                               valid_until=yesterday)
        upcoming = create_offer(db.session, salon, title="未开始活动", percent_off=30,
                                valid_from=date.today() + timedelta(days=2))
        pending = merchant("待审商户", approved=False)
        unapproved = create_offer(db.session, pending, title="待审优惠", percent_off=30)
        db.session.commit()
        return {"hotpot": hotpot.id, "haircut": haircut.id, "inactive": [
            off.id, expired.id, upcoming.id, unapproved.id]}


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_only_active_offers_of_approved_merchants_are_listed(client, alliance):
    html = page(client, "/offers/")
    assert "老王火锅" in html and "丽人美发" in html and "剪发八折" in html
    for hidden in ("已下架套餐", "过期活动", "未开始活动", "待审商户", "待审优惠"):
        assert hidden not in html
    for offer_id in alliance["inactive"]:
        assert offer_id not in html
        assert client.get(f"/offers/{offer_id}").status_code == 404


def test_an_unknown_offer_is_not_found(client, alliance):
    assert client.get("/offers/off_doesnotexist").status_code == 404


def test_filters_by_category_and_district(client, alliance):
    html = page(client, "/offers/?category=美容美发")
    assert "丽人美发" in html and "老王火锅" not in html
    html = page(client, "/offers/?district=鹿城镇")
    assert "老王火锅" in html and "丽人美发" not in html
    html = page(client, "/offers/?category=餐饮&district=城东区")
    assert "老王火锅" not in html and "丽人美发" not in html
    assert "没有符合条件的优惠" in html
    # an unknown category is ignored rather than an error
    assert "老王火锅" in page(client, "/offers/?category=nonsense")


def test_the_district_filter_offers_the_districts_of_approved_merchants(client, alliance):
    html = page(client, "/offers/")
    assert '<option value="城东区">' in html and '<option value="鹿城镇">' in html


def test_anonymous_visitors_see_standard_terms(client, alliance):
    html = page(client, "/offers/")
    assert "9折" in html and "每消费1元积2分" in html and "8.5折" not in html
    html = page(client, f"/offers/{alliance['hotpot']}")
    assert "持普通卡可享9折，每消费1元积2分" in html
    assert "人民路1号" in html and "0878-1234567" in html and "¥80.00" in html


def test_a_signed_in_gold_member_sees_the_gold_terms(app, client, alliance):
    enroll(app, tier="gold")
    log_in(client)
    html = page(client, "/offers/")
    assert "8.5折" in html and "每消费1元积3分" in html  # override 15 %, 2 × 1.5 points
    assert "金卡" in html
    html = page(client, f"/offers/{alliance['hotpot']}")
    assert "您的金卡可享8.5折，每消费1元积3分" in html
    # the salon has no gold override: the base rate applies, points still multiplied
    assert "您的金卡可享8折，每消费1元积1.5分" in page(client, f"/offers/{alliance['haircut']}")


def test_offers_are_ranked_by_what_the_tier_gets_back(app, client, alliance):
    html = page(client, "/offers/")  # standard: haircut 20 + 1 beats hotpot 10 + 2
    assert html.index("剪发八折") < html.index("会员折扣")


def test_the_member_portal_offers_page_lists_offers_for_the_member_tier(app, client,
                                                                         alliance):
    enroll(app, tier="gold")
    log_in(client)
    html = page(client, "/me/offers?category=餐饮")
    assert "老王火锅" in html and "丽人美发" not in html
    assert "8.5折" in html and "每消费1元积3分" in html
    assert f'href="/offers/{alliance["hotpot"]}"' in html


def test_empty_state_when_there_are_no_offers(client):
    html = page(client, "/offers/")
    assert "暂无联盟优惠" in html


def test_offers_are_paginated_twenty_a_page(app, client):
    with app.app_context():
        shop = merchant("连锁便利店", category="零售")
        for i in range(25):
            create_offer(db.session, shop, title=f"优惠{i:02d}", percent_off=i)
        db.session.commit()
    first = page(client, "/offers/")
    assert first.count('class="panel offer"') == 20 and "1 / 2" in first
    assert "优惠24" in first and "优惠04" not in first  # best (highest percent) first
    second = page(client, "/offers/?page=2")
    assert second.count('class="panel offer"') == 5 and "优惠04" in second
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_pages_carry_no_inline_script_or_style(client, alliance):
    for url in ("/offers/", f"/offers/{alliance['hotpot']}"):
        html = page(client, url)
        assert "<script>" not in html and "style=" not in html and "<style" not in html
