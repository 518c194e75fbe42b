"""English pages name categories and discounts in English (the API's Chinese `label` stays);
the merchant's CSV names tiers (金卡 / Gold), never their codes."""

import csv
import io
import re

from tests.api import test_merchant_portal as portal
from tests.api.test_staff_pages import make_staff, staff_log_in
from valliance.directory import services as operators
from valliance.extensions import db

store = portal.store  # 老王火锅 (餐饮) with a 12 %-off offer, 王老板 and 李收银


def test_english_offer_pages_translate_category_chips_and_discounts(client, store):
    english = client.get("/offers/?lang=en").get_data(as_text=True)
    assert ">Restaurants</a>" in english and ">Health care</a>" in english
    assert "Restaurants · 鹿城镇" in english
    assert "12% off" in english and "8.8折" not in english
    chinese = client.get("/offers/?lang=zh_CN").get_data(as_text=True)
    assert ">餐饮</a>" in chinese and "8.8折" in chinese and "Restaurants" not in chinese
    offer_id = "off_" + chinese.split('href="/offers/off_')[1].split('"')[0]
    detail = client.get(f"/offers/{offer_id}?lang=en")
    page = detail.get_data(as_text=True)
    assert "gets 12% off and 2 points per ¥1" in page and "12.00% off" not in page
    assert "<dd>Restaurants</dd>" in page


def test_the_offer_list_says_what_comes_back_in_one_unit(client, store):
    english = client.get("/offers/?lang=en").get_data(as_text=True)
    assert "14.00% back in all" in english and "per ¥100:" not in english
    assert "综合回馈 14.00%" in client.get("/offers/?lang=zh_CN").get_data(as_text=True)


def test_the_directory_api_label_stays_chinese_in_english_mode(app, client, store):
    with app.app_context():
        _, key = operators.create_operator(db.session, "一号台")
        db.session.commit()
    answer = client.get("/api/v1/directory/offers?lang=en",
                        headers={"Authorization": f"Bearer {key}"})
    assert answer.get_json()["results"][0]["offer"]["label"] == "8.8折"  # contract §6


def test_merchant_portal_offers_show_percent_off_in_english(client, store):
    portal.sign_in(client)
    assert "12% off" in client.get("/merchant/offers?lang=en").get_data(as_text=True)
    assert "8.8折" in client.get("/merchant/offers?lang=zh_CN").get_data(as_text=True)


def test_staff_and_console_pages_translate_the_category(app, client, store):
    console = client.get("/directory/console").get_data(as_text=True)
    assert "餐饮 / Restaurants" in console and "flask " not in console
    make_staff(app)
    staff_log_in(client)
    page = client.get("/staff/merchants?status=approved&lang=en").get_data(as_text=True)
    assert re.search(r"<td[^>]*>Restaurants</td>", page)


def csv_rows(client, lang):
    text = client.get(f"/merchant/purchases.csv?lang={lang}").get_data(as_text=True)
    return list(csv.reader(io.StringIO(text[1:])))[1:]


def test_the_purchases_csv_names_tiers_in_the_readers_language(app, client, store):
    portal.sell(app, client, store["headers"], 10_000, tier="gold")
    portal.sell(app, client, store["headers"], 10_000, tier="standard")
    portal.sign_in(client)
    assert sorted(row[4] for row in csv_rows(client, "zh_CN")) == ["普通卡", "金卡"]
    assert sorted(row[4] for row in csv_rows(client, "en")) == ["Gold", "Standard"]
