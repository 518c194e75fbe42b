"""Long text people type (40-character titles, many activity events) wraps on a phone: no page
is wider than the screen, and the offer form previews without asking the server."""

import pytest

from tests.e2e.test_merchant_portal_browser import _sign_in, shop  # noqa: F401 (fixture)
from valliance.extensions import db
from valliance.merchants.models import Merchant, MerchantUser
from valliance.merchants.services.offers import create_offer, update_offer

pytestmark = pytest.mark.browser
TITLES = ("超长标题测试" * 6 + "ABCD", "W" * 40)


@pytest.fixture
def long_offers(app, shop):  # noqa: F811 (the shop fixture above)
    with app.app_context():
        merchant = db.session.get(Merchant, shop["merchant_id"])
        owner = db.session.query(MerchantUser).filter_by(merchant_id=merchant.id).one()
        for title in TITLES:
            offer = create_offer(db.session, merchant, title=title, percent_off=12,
                                 points_per_yuan=2, actor=f"merchant_user:{owner.id}")
            for percent in (10, 11, 12, 13) * 5:
                update_offer(
                    db.session, offer, title=title, percent_off=percent, points_per_yuan=2,
                    tier_percent_off={"gold": 15}, valid_from=None, valid_until=None,
                    description="", active=True, actor=f"merchant_user:{owner.id}")
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_pages_with_40_character_titles_fit_a_phone(page, live_server, long_offers, lang):
    _sign_in(page, live_server)
    for url in ("/merchant/offers", "/merchant/activity", "/offers/"):
        page.goto(f"{live_server}{url}?lang={lang}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, url
        title = page.locator(f"text={TITLES[1]}").first.bounding_box()
        assert title["x"] + title["width"] <= 390, url
    assert page.console_errors == []
