"""The till page in a real Chromium takes a coupon: typed or scanned, priced, used once."""

import pytest
from sqlalchemy import select

from tests.e2e.test_till_browser import _open_till, _purchases, shop  # noqa: F401 (fixture)
from valliance.coupons import issuing
from valliance.coupons.models import Coupon
from valliance.extensions import db
from valliance.members.models import Card

pytestmark = pytest.mark.browser


@pytest.fixture
def coupon_code(app, shop):  # noqa: F811 (the fixture imported above)
    """An alliance-wide 满100减20 coupon of the shop's member."""
    with app.app_context():
        member = db.session.scalar(select(Card).where(Card.number == shop["number"])).member
        template = issuing.create_template(db.session, title="满100减20", value=2000,
                                           min_spend=10000, created_by="test")
        code = issuing.issue_coupon(db.session, template.id, member, source="test").code
        db.session.commit()
        db.session.remove()
    return code


def test_a_scanned_coupon_is_priced_after_the_discount_and_used_once(app, page, live_server,
                                                                     shop, coupon_code):  # noqa: F811
    _open_till(page, live_server, shop["key"])
    page.keyboard.type(shop["number"] + "\n")
    page.keyboard.type("128.50")
    page.fill("#coupon", coupon_code)
    page.press("#coupon", "Enter")  # a scanner's Enter in the coupon field quotes
    page.wait_for_selector("#quote:not([hidden])")
    assert page.text_content("#q-discount") == "¥15.42"
    assert page.text_content("#q-coupon") == f"¥20.00（券 {coupon_code}）"
    assert page.text_content("#q-payable") == "¥93.08"
    page.click("#confirm-button")
    page.wait_for_selector("#receipt:not([hidden])")
    assert page.text_content("#r-coupon") == f"¥20.00（券 {coupon_code}）"
    assert page.text_content("#r-payable") == "¥93.08"
    assert _purchases(app) == 1
    with app.app_context():
        assert db.session.scalar(select(Coupon.status).where(Coupon.code == coupon_code)) == "used"
        db.session.remove()

    # The same coupon again: refused, with the API's message, and nothing recorded.
    page.click("#new-sale-button")
    page.wait_for_selector("#card:focus")
    page.keyboard.type(shop["number"] + "\n")
    page.keyboard.type("128.50")
    page.fill("#coupon", coupon_code)
    page.click("#quote-button")
    page.wait_for_selector("#status.error")
    assert "优惠券无效" in page.text_content("#status")
    assert page.is_hidden("#quote")
    assert _purchases(app) == 1
    # (the browser logs the refused quote's 422 itself; nothing else may fail)
    assert [e for e in page.console_errors if "status of 422" not in e] == []


def test_without_a_coupon_the_quote_says_none(app, page, live_server, shop):  # noqa: F811
    _open_till(page, live_server, shop["key"])
    page.keyboard.type(shop["number"] + "\n")
    page.keyboard.type("10")
    page.click("#quote-button")
    page.wait_for_selector("#quote:not([hidden])")
    assert page.text_content("#q-coupon") == "—"
