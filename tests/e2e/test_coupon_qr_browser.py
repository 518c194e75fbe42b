"""Chromium, end to end: the member opens 我的优惠券, the coupon's QR is read off the page by a
real decoder (zxing-cpp) and scanned into the browser till with the card; the till shows the
coupon's value, the purchase is recorded with the coupon, and a second use is refused."""

import io

import pytest
from sqlalchemy import select

from tests.e2e.test_till_browser import _open_till, _purchases
from valliance.coupons import issuing
from valliance.coupons.models import Coupon
from valliance.extensions import db
from valliance.members import services as members
from valliance.merchants.models import Purchase
from valliance.merchants.services.offers import create_offer
from valliance.merchants.services.onboarding import create_merchant
from valliance.merchants.services.terminals import create_terminal

pytestmark = pytest.mark.browser

PHONE, PASSWORD = "13800138066", "secret123"


@pytest.fixture
def shop_and_coupon(app):
    """老王火锅 (12 % off) with a till, and a gold member holding an alliance 满100减20."""
    with app.app_context():
        merchant = create_merchant(db.session, name="老王火锅", category="餐饮",
                                   district="鹿城区", approved=True)
        create_offer(db.session, merchant, title="会员折扣", percent_off=12, points_per_yuan=2)
        _, key = create_terminal(db.session, merchant)
        member = members.enroll_member(db.session, phone=PHONE, name="王小明", tier="gold",
                                       password=PASSWORD)
        template = issuing.create_template(db.session, title="满100减20 全联盟通用",
                                           value=2000, min_spend=10000, created_by="test")
        code = issuing.issue_coupon(db.session, template.id, member, source="test").code
        db.session.commit()
        data = {"key": key, "number": member.card.number, "code": code}
        db.session.remove()
    return data


def _decode_qr(png: bytes) -> list[str]:
    import zxingcpp
    from PIL import Image

    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_the_till_redeems_a_coupon_scanned_from_the_portals_qr(app, page, live_server,
                                                               shop_and_coupon):
    page.goto(live_server + "/me/login")
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/me/")
    page.get_by_role("link", name="优惠券").click()
    page.wait_for_url("**/me/coupons")
    [scanned] = _decode_qr(page.locator(".coupon-qr").first.screenshot())
    assert scanned == shop_and_coupon["code"]
    grouped = " ".join(scanned[i:i + 4] for i in range(0, 12, 4))
    assert page.text_content(".coupon-digits") == grouped

    _open_till(page, live_server, shop_and_coupon["key"])
    page.keyboard.type(shop_and_coupon["number"] + "\n")
    page.keyboard.type("128.50")
    page.fill("#coupon", scanned)
    page.press("#coupon", "Enter")  # the scanner's Enter quotes
    page.wait_for_selector("#quote:not([hidden])")
    assert page.text_content("#q-coupon") == f"¥20.00（券 {scanned}）"
    assert page.text_content("#q-payable") == "¥93.08"
    page.click("#confirm-button")
    page.wait_for_selector("#receipt:not([hidden])")
    assert page.text_content("#r-coupon") == f"¥20.00（券 {scanned}）"
    with app.app_context():
        sale = db.session.scalar(select(Purchase))
        assert (sale.coupon_code, sale.coupon_value, sale.payable) == (scanned, 2000, 9308)
        assert db.session.scalar(select(Coupon.status).where(Coupon.code == scanned)) == "used"
        db.session.remove()

    page.click("#new-sale-button")
    page.wait_for_selector("#card:focus")
    page.keyboard.type(shop_and_coupon["number"] + "\n")
    page.keyboard.type("128.50")
    page.fill("#coupon", scanned)
    page.click("#quote-button")
    page.wait_for_selector("#status.error")
    assert "优惠券无效" in page.text_content("#status")
    assert _purchases(app) == 1
    # the portal now shows it used, greyed, without its QR
    page.goto(live_server + "/me/coupons")
    assert page.locator(".coupon-qr").count() == 0
    assert page.locator(".coupon-spent .coupon-status").text_content() == "已使用"
    assert [e for e in page.console_errors if "status of 422" not in e] == []
