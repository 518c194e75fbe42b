"""The till page in a real Chromium prints the coupon a 满就送 rule gave with the sale."""

import pytest

from tests.e2e.test_till_browser import _open_till, _scan_and_quote, shop  # noqa: F401
from valliance.coupons import issuing, rules
from valliance.extensions import db

pytestmark = pytest.mark.browser


@pytest.fixture
def rule(app, shop):  # noqa: F811 (the fixture imported above)
    """At the shop: spend ¥100 (after the discount) → a 满50减10 coupon of its own."""
    with app.app_context():
        template = issuing.create_template(db.session, title="回头客满50减10", value=1000,
                                           min_spend=5000, merchant_id=shop["merchant_id"],
                                           valid_days=30, created_by="test")
        rules.create_rule(db.session, template_id=template.id, min_spend=10000,
                          merchant_id=shop["merchant_id"], created_by="test")
        db.session.commit()
        db.session.remove()


def test_the_receipt_shows_the_coupon_the_sale_earned(app, page, live_server, shop,  # noqa: F811
                                                      rule):
    _open_till(page, live_server, shop["key"])
    _scan_and_quote(page, shop["number"], amount="100")  # 100 − 12 % = 88: not enough
    page.click("#confirm-button")
    page.wait_for_selector("#receipt:not([hidden])")
    assert page.is_hidden("#r-gifts")
    page.click("#new-sale-button")
    page.wait_for_selector("#card:focus")
    _scan_and_quote(page, shop["number"], amount="128.50")  # 113.08 spent
    page.click("#confirm-button")
    page.wait_for_selector("#receipt:not([hidden])")
    page.wait_for_selector("#r-gifts:not([hidden])")
    assert page.text_content("#r-gift-list .gift-title") == "回头客满50减10"
    assert page.text_content("#r-gift-list .gift-terms") == "满¥50.00减¥10.00"
    code = page.text_content("#r-gift-list .gift-code")
    assert code.startswith("券码 ") and len(code.replace("券码 ", "").replace(" ", "")) == 12
    assert page.text_content("#r-gift-list .gift-until").startswith("有效期至 20")
    page.screenshot(path="/tmp/cr/till-receipt-gift.png", full_page=True)
    assert page.console_errors == []
