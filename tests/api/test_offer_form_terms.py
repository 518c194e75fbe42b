"""Offer titles (≤ 40 characters in every path) and the offer form's 折, preview and warning."""

import html

import pytest
from sqlalchemy import func, select

from tests.api import test_merchant_portal as portal
from tests.api.test_portal import post_form
from valliance.csv_rows import ImportRejected
from valliance.errors import ValidationError
from valliance.extensions import db
from valliance.merchants.models import Merchant, Offer
from valliance.merchants.services.imports import import_merchants
from valliance.merchants.services.offers import create_offer, offer_summary, update_offer

store = portal.store  # the fixture: an approved shop with an owner and a cashier
sign_in = portal.sign_in
LONG = "超长标题" * 10 + "！"  # 41 characters
TOO_LONG = "标题最多40个字"


def form(**overrides):
    data = {"title": "周末特惠", "description": "", "unit": "zhe", "discount": "8.8",
            "points_per_yuan": "2", "valid_from": "", "valid_until": "", "active": "y"}
    return {**data, **overrides}


def saved(app, title="周末特惠"):
    with app.app_context():
        offer = db.session.scalar(select(Offer).where(Offer.title == title))
        return None if offer is None else (
            str(offer.percent_off), {r.tier: str(r.percent_off) for r in offer.tier_rates})


# --- the 40-character cap, in every path ---------------------------------------------------


def test_the_offer_service_refuses_titles_over_40_characters(app, store):
    with app.app_context():
        merchant = db.session.get(Merchant, store["merchant_id"])
        with pytest.raises(ValidationError) as caught:
            create_offer(db.session, merchant, title=LONG, percent_off=12)
        assert TOO_LONG in caught.value.details["title"][0]
        offer = merchant.offers[0]
        with pytest.raises(ValidationError):
            update_offer(db.session, offer, **{**offer_summary(offer),
                                                        "title": LONG}, actor="test")
        db.session.rollback()
        assert create_offer(db.session, merchant, title=LONG[:40], percent_off=12)


def test_the_offer_form_caps_the_title_at_40_characters(app, client, store):
    sign_in(client)
    page = client.get("/merchant/offers/new").get_data(as_text=True)
    assert 'maxlength="40"' in page
    response = post_form(client, "/merchant/offers/new", form(title=LONG))
    assert TOO_LONG in response.get_data(as_text=True)
    assert saved(app, LONG) is None


def test_flask_offers_create_refuses_a_long_title_with_a_clear_message(app, store):
    result = app.test_cli_runner().invoke(args=[
        "offers", "create", "--merchant", store["merchant_id"], "--title", LONG,
        "--percent-off", "12"])
    assert result.exit_code != 0
    assert TOO_LONG in result.output
    assert saved(app, LONG) is None


def test_the_import_reports_the_line_of_a_long_title(app, session):
    rows = [(2, {"name": "老王火锅", "category": "餐饮", "district": "鹿城镇", "address": "",
                 "phone": "", "avg_spend": "", "title": "会员折扣", "percent_off": "12",
                 "points_per_yuan": ""}),
            (3, {"name": "老王火锅", "category": "餐饮", "district": "鹿城镇", "address": "",
                 "phone": "", "avg_spend": "", "title": LONG, "percent_off": "12",
                 "points_per_yuan": ""})]
    with pytest.raises(ImportRejected) as caught:
        import_merchants(session, rows)
    assert [error.line for error in caught.value.errors] == [3]
    assert TOO_LONG in caught.value.errors[0].render()
    assert session.scalar(select(func.count()).select_from(Offer)) == 0


# --- 折 first, percent off as the alternative -------------------------------------------------


@pytest.mark.parametrize("typed, percent", [("8.8", "12.00"), ("9.5", "5.00"), ("10", "0.00"),
                                            ("", "0.00"), ("8.75", "12.50")])
def test_owners_type_the_discount_as_zhe_and_it_is_stored_as_percent_off(
        app, client, store, typed, percent):
    sign_in(client)
    response = post_form(client, "/merchant/offers/new", form(discount=typed, gold_discount="8.5"))
    assert response.status_code == 302
    assert saved(app) == (percent, {"gold": "15.00"})


def test_percent_off_is_the_alternative_unit(app, client, store):
    sign_in(client)
    response = post_form(client, "/merchant/offers/new",
                         form(unit="percent", discount="12", diamond_discount="12.5"))
    assert response.status_code == 302
    assert saved(app) == ("12.00", {"diamond": "12.50"})


def test_a_zhe_outside_one_to_ten_is_refused_on_its_field(app, client, store):
    sign_in(client)
    response = post_form(client, "/merchant/offers/new", form(discount="88", silver_discount="0"))
    page = response.get_data(as_text=True)
    assert page.count("折扣须在1折到10折之间") == 2
    assert saved(app) is None


def test_the_edit_page_shows_zhe_and_a_preview_of_a_100_yuan_sale_without_javascript(
        client, store):
    sign_in(client)
    offers = client.get("/merchant/offers").get_data(as_text=True)
    edit = offers.split('href="/merchant/offers/off_')[1].split('"')[0]
    page = client.get("/merchant/offers/off_" + edit).get_data(as_text=True)
    assert 'value="8.8"' in page
    assert "会员价 ¥88.00 / 8.8折 / 每消费1元积2分" in page
    english = client.get("/merchant/offers/off_" + edit + "?lang=en").get_data(as_text=True)
    assert "Member price ¥88.00 / 12% off / 2 points per ¥1" in english


def test_a_title_whose_zhe_disagrees_is_saved_with_a_warning(app, client, store):
    sign_in(client)
    response = post_form(client, "/merchant/offers/new", form(title="V卡8.8折", discount="9"))
    assert response.status_code == 302  # a warning, not a refusal
    assert saved(app, "V卡8.8折") == ("10.00", {})
    page = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "标题写着8.8折，但设置的折扣是9折，请核对。" in page


def test_a_title_matching_a_tier_rate_gets_no_warning(client, store):
    sign_in(client)
    response = post_form(client, "/merchant/offers/new",
                         form(title="钻石卡8折", discount="9", diamond_discount="8"))
    assert "请核对" not in client.get(response.headers["Location"]).get_data(as_text=True)
