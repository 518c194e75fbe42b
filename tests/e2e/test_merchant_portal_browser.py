"""The merchant portal in a real Chromium: an owner signs in, reads the dashboard, publishes an
offer, creates a terminal, and refunds a sale with a double click that refunds once."""

import pytest
from sqlalchemy import func, select

from valliance.extensions import db
from valliance.members import services as members
from valliance.merchants.models import Offer, Refund, Terminal
from valliance.merchants.services import merchant_users as users
from valliance.merchants.services import purchases as pos
from valliance.merchants.services.offers import create_offer
from valliance.merchants.services.onboarding import create_merchant

pytestmark = pytest.mark.browser
PASSWORD = "shop2026pw"


@pytest.fixture
def shop(app):
    """An approved merchant with an offer, its owner, and one sale of ¥128.50."""
    with app.app_context():
        merchant = create_merchant(db.session, name="老王火锅", category="餐饮",
                                   district="鹿城区", approved=True)
        create_offer(db.session, merchant, title="会员折扣", percent_off=12,
                     points_per_yuan=2)
        users.add_merchant_user(db.session, merchant, phone="13700000001", name="王老板",
                                password=PASSWORD, role="owner", actor="test")
        member = members.enroll_member(db.session, phone="13800138000", name="王小明")
        sale = pos.record_purchase(db.session, merchant, None, member.card.number, 12_850, 0,
                                   None)
        db.session.commit()
        data = {"merchant_id": merchant.id, "purchase_id": sale.id}
        db.session.remove()
    return data


def _count(app, query) -> int:
    with app.app_context():
        value = db.session.scalar(query)
        db.session.remove()
    return value


def _sign_in(page, live_server):
    page.goto(live_server + "/merchant/")
    page.wait_for_url("**/merchant/login**")
    page.fill("#phone", "13700000001")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server + "/merchant/")


def test_owner_dashboard_offer_terminal_and_refund(app, page, live_server, shop):
    _sign_in(page, live_server)
    assert page.inner_text('[data-period="today"][data-figure="sales"]') == "¥128.50"
    assert page.inner_text('[data-period="30d"][data-figure="collected"]') == "¥113.08"
    assert page.locator("svg.sales-chart rect.bar").count() == 30

    page.click("text=优惠")
    page.click("text=发布优惠")
    page.fill("#title", "周末8.8折")
    page.fill("#discount", "8.5")  # typed as 折: 15 % off
    page.fill("#diamond_discount", "8")
    preview = page.inner_text("#offer-preview")  # updated live, before anything is sent
    assert "会员价 ¥85.00 / 8.5折 / 每消费1元积1分" in preview
    assert "钻石卡：会员价 ¥80.00 / 8折" in preview
    assert "标题写着8.8折" in page.inner_text("#title-warning")  # a warning, not a block
    page.fill("#title", "周末特惠")
    assert page.is_hidden("#title-warning")
    page.fill("#discount", "10")
    page.fill("#title", "全场10折")  # 10折 is the whole price, not 1折
    assert page.is_hidden("#title-warning")
    page.fill("#title", "周末特惠")
    page.check("#unit-1")  # now as percent off: 12 → 8.8折
    page.fill("#discount", "12")
    assert "会员价 ¥88.00 / 8.8折" in page.inner_text("#offer-preview")
    page.check("#unit-0")
    page.fill("#discount", "8.5")
    page.click(".offer-form button[type=submit]")
    page.wait_for_selector("text=优惠已发布")
    assert _count(app, select(func.count()).select_from(Offer)) == 2

    page.click("nav >> text=终端")
    page.fill("#name", "1号收银台")
    page.click("text=创建并显示密钥")
    key = page.input_value("[data-testid=terminal-key]")
    assert key.startswith("vt_")
    assert _count(app, select(func.count()).select_from(Terminal)) == 1

    page.goto(live_server + "/merchant/purchases")
    page.click(f"a[href$='{shop['purchase_id']}']")
    page.fill("#amount", "28.50")
    page.once("dialog", lambda dialog: dialog.accept())
    page.dblclick(".refund-form button[type=submit]")
    page.wait_for_selector("text=退款已完成")
    assert _count(app, select(func.count()).select_from(Refund)) == 1
    assert page.locator(".refund-row").count() == 1
    assert page.console_errors == []
