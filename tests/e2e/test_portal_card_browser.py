"""The card pages in a real Chromium: the print button, a lost card and its replacement."""

import pytest
from sqlalchemy import select

from tests.sms import record_sms
from valliance.extensions import db
from valliance.members import services
from valliance.members.models import Member

pytestmark = pytest.mark.browser

PASSWORD = "secret123"
PHONE = "13800138000"


@pytest.fixture(autouse=True)
def sms(app, monkeypatch):
    return record_sms(app, monkeypatch)


def _sign_in(app, page, live_server):
    with app.app_context():
        services.enroll_member(db.session, phone=PHONE, name="王小明", password=PASSWORD)
        db.session.commit()
        db.session.remove()
    page.goto(live_server + "/me/login")
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/me/")


def test_the_print_button_stands_out_from_the_page(app, page, live_server):
    _sign_in(app, page, live_server)
    page.goto(live_server + "/me/card/print")
    button = page.get_by_role("button", name="打印")
    colors = button.evaluate("b => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color,"
                             " getComputedStyle(document.body).backgroundColor]")
    assert colors == ["rgb(179, 18, 46)", "rgb(255, 255, 255)", "rgb(246, 246, 248)"]
    assert page.console_errors == []


def test_a_lost_card_is_replaced_in_the_browser(app, page, live_server, sms):
    _sign_in(app, page, live_server)
    page.get_by_role("link", name="挂失此卡").click()
    page.get_by_role("button", name="确认挂失").click()
    page.wait_for_url("**/me/")
    assert page.locator("img.qr").count() == 0 and page.locator("#pay-code").count() == 0
    assert "此卡已挂失" in page.locator("#card-lost").inner_text()

    page.locator("#card-lost").get_by_role("link", name="补办新卡").click()
    page.get_by_role("button", name="发送验证码").click()
    page.wait_for_url("**/me/card/reissue/confirm")
    page.get_by_label("短信验证码").fill(sms.code_for(PHONE))
    page.get_by_role("button", name="确认补办").click()
    page.wait_for_url("**/me/")
    with app.app_context():
        new_card = db.session.scalar(select(Member)).card
        db.session.remove()
    assert new_card.last4 in page.locator(".vcard").inner_text()
    page.locator("#pay-code").wait_for()  # the new card's pay code: QR, barcode, masked text
    assert page.locator("#pay-code-qr").is_visible()
    assert page.locator("#pay-code-barcode").is_visible()
    assert page.locator("#pay-code-text").inner_text().startswith(f"•••• {new_card.last4} · ")
    assert new_card.number not in page.locator("#pay-code-text").inner_text()
    assert page.console_errors == []
