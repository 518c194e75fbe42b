"""The 满就送 pages in a real Chromium: staff and a merchant owner, phone and desktop, zh and en,
empty and with a rule; nothing overflows a phone's width and nothing fails in the console.
SCREENSHOT_DIR=… keeps the screenshots."""

import os

import pytest

from valliance.coupons import issuing
from valliance.extensions import db
from valliance.merchants.services import merchant_users
from valliance.merchants.services.onboarding import create_merchant
from valliance.staff.services import create_staff_user

pytestmark = pytest.mark.browser

PASSWORD = "mkt2026pw"
OWNER = "13700000001"
SHOTS = os.environ.get("SCREENSHOT_DIR")
SIZES = [("zh", 390, 844), ("en", 1280, 900)]


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.fixture
def alliance(app):
    with app.app_context():
        shop = create_merchant(db.session, name="老王火锅（五马街店）", category="餐饮",
                               district="鹿城区", approved=True)
        merchant_users.add_merchant_user(db.session, shop, phone=OWNER, name="王老板",
                                         password=PASSWORD, role="owner", actor="test")
        create_staff_user(db.session, username="mkt", name="市场部小陈", password=PASSWORD,
                          roles=("marketing",))
        db.session.commit()
        shop_id = shop.id
        db.session.remove()
    return shop_id


def _templates(app, shop_id):
    with app.app_context():
        issuing.create_template(db.session, title="联盟回馈满100减20", value=2000,
                                min_spend=10000, created_by="test")
        issuing.create_template(db.session, title="回头客满100减15", value=1500, min_spend=10000,
                                merchant_id=shop_id, created_by="test")
        db.session.commit()
        db.session.remove()


def _fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize(("lang", "width", "height"), SIZES)
def test_staff_make_a_rule_on_the_page(app, page, live_server, alliance, lang, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(live_server + "/staff/login")
    page.get_by_label("用户名").fill("mkt")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server + "/staff/")
    url = live_server + "/staff/marketing/coupon-rules" + ("?lang=en" if lang == "en" else "")
    page.goto(url)
    _fits(page, width)
    _shot(page, f"staff-rules-empty-{lang}-{width}")
    _templates(app, alliance)
    page.goto(url)
    page.fill("#min_spend", "abc")
    page.click("#new-rule button[type=submit]")
    page.wait_for_selector(".field-error")
    _shot(page, f"staff-rules-errors-{lang}-{width}")
    page.select_option("#merchant_id", alliance)
    page.select_option("#template_id", index=1)
    page.fill("#min_spend", "150")
    page.click("#new-rule button[type=submit]")
    page.wait_for_selector("#coupon-rules")
    assert "¥150.00" in page.text_content("#coupon-rules")
    _fits(page, width)
    _shot(page, f"staff-rules-{lang}-{width}")
    assert page.console_errors == []


@pytest.mark.parametrize(("lang", "width", "height"), SIZES)
def test_an_owner_makes_a_rule_for_the_shop(app, page, live_server, alliance, lang, width,
                                           height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(live_server + "/merchant/login")
    page.fill("#phone", OWNER)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server + "/merchant/")
    url = live_server + "/merchant/coupon-rules" + ("?lang=en" if lang == "en" else "")
    page.goto(url)
    _fits(page, width)
    _shot(page, f"owner-rules-empty-{lang}-{width}")
    _templates(app, alliance)
    page.goto(url)
    options = page.locator("#template_id option").all_text_contents()
    assert len(options) == 2 and "回头客满100减15" in options[1]  # its own coupon only
    page.select_option("#template_id", index=1)
    page.fill("#min_spend", "200")
    page.click("#new-rule button[type=submit]")
    page.wait_for_selector("#coupon-rules")
    assert "¥200.00" in page.text_content("#coupon-rules")
    _fits(page, width)
    _shot(page, f"owner-rules-{lang}-{width}")
    assert page.console_errors == []
