"""A merchant's name of 100 characters without a space (the most the application form takes)
wraps on a phone: the staff's merchant page and the merchant's own portal stay screen-wide."""

import pytest

from tests.e2e.test_merchant_portal_browser import PASSWORD, _sign_in
from tests.e2e.test_till_browser import _open_till, _scan_and_quote
from valliance.extensions import db
from valliance.members import services as members
from valliance.merchants.services import merchant_users as users
from valliance.merchants.services.offers import create_offer
from valliance.merchants.services.onboarding import create_merchant
from valliance.merchants.services.terminals import create_terminal
from valliance.staff.services import create_staff_user

pytestmark = pytest.mark.browser
NAME = ("XiaonanmenCarBeautyAndDetailingCenter" * 3)[:100]


@pytest.fixture
def long_named(app):
    with app.app_context():
        merchant = create_merchant(db.session, name=NAME, category="汽车服务",
                                   district="鹿城区", approved=True)
        users.add_merchant_user(db.session, merchant, phone="13700000001", name="王老板",
                                password=PASSWORD, role="owner", actor="test")
        create_staff_user(db.session, username="zhou", name="周敏", password=PASSWORD,
                          roles=("admin",))
        create_offer(db.session, merchant, title="洗车9折", percent_off=10,
                     points_per_yuan=1)
        _, key = create_terminal(db.session, merchant, "1号收银台")
        card = members.enroll_member(db.session, phone="13800138000", name="王小明").card.number
        db.session.commit()
        merchant_id = merchant.id
        db.session.remove()
    long_named_till[:] = [key, card]
    return merchant_id


long_named_till: list[str] = []  # the key and a member's card, set by the fixture


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_100_character_name_wraps_on_the_staff_page_and_in_the_portal(
        page, live_server, long_named, lang):
    page.goto(f"{live_server}/staff/login?lang={lang}")
    page.fill("#username", "zhou")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(live_server + "/staff/")
    page.goto(f"{live_server}/staff/merchants/{long_named}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.context.clear_cookies()
    _sign_in(page, live_server)
    for url in ("/merchant/", "/merchant/purchases"):
        page.goto(f"{live_server}{url}?lang={lang}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, url


@pytest.mark.parametrize("width", [390, 1280])
def test_a_100_character_name_wraps_in_the_till_s_header_and_receipt(
        page, live_server, long_named, width):
    page.set_viewport_size({"width": width, "height": 800})
    key, card = long_named_till
    _open_till(page, live_server, key)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    _scan_and_quote(page, card, amount="50")
    page.click("#confirm-button")
    page.wait_for_selector("#receipt:not([hidden])")
    assert page.inner_text("#r-merchant") == NAME
    assert page.evaluate("document.documentElement.scrollWidth") <= width
