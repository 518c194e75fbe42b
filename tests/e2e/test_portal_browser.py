"""The member portal in a real Chromium: sign-up, the card page under the strict CSP."""

import io
import re

import pytest
from sqlalchemy import select

from tests.sms import record_sms
from valliance.extensions import db
from valliance.members import services
from valliance.members.models import Member

pytestmark = pytest.mark.browser

PASSWORD = "secret123"


@pytest.fixture(autouse=True)
def sms(app, monkeypatch):
    """The SMS the live server sends, recorded instead of sent."""
    return record_sms(app, monkeypatch)


def _code_sent_to(app, phone: str) -> str:
    return app.extensions["sms_sender"].code_for(phone)


def _decode_qr(png: bytes) -> list[str]:
    import zxingcpp
    from PIL import Image

    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_sign_up_in_the_browser_and_see_the_card(app, page, live_server):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(live_server + "/me/signup")
    page.get_by_label("手机号").fill("13800138000")
    page.get_by_label("姓名").fill("王小明")
    page.get_by_label("设置密码").fill(PASSWORD)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url("**/me/signup/verify")

    page.get_by_label("短信验证码").fill(_code_sent_to(app, "13800138000"))
    page.get_by_role("button", name="确认").click()
    page.wait_for_url("**/me/")

    assert "王小明" in page.locator(".vcard").inner_text()
    assert "普通卡" in page.locator(".vcard").inner_text()
    with app.app_context():
        number = db.session.scalar(select(Member)).card.number
        db.session.remove()

    qr = page.locator("img.qr").first
    qr.wait_for()
    page.wait_for_function("document.querySelector('img.qr').naturalWidth > 0")
    assert _decode_qr(qr.screenshot()) == [number]

    # The pay code: a QR and a Code 128 a scanner reads, the text with the card masked.
    [code] = _decode_qr(page.locator("#pay-code-qr").screenshot())
    assert re.fullmatch(r"\d{22}", code) and code.startswith(number)
    assert _decode_qr(page.locator("#pay-code-barcode").screenshot()) == [code]
    assert page.locator("#pay-code-text").inner_text() == (
        f"•••• {number[12:]} · {code[16:19]} {code[19:]}")
    assert all(url.startswith(live_server) for url in requests), requests  # no CDN
    assert page.console_errors == []


def test_the_page_shows_a_new_pay_code_soon_after_the_shown_one_is_used(app, page,
                                                                        live_server):
    from tests.api.pos_helpers import shop
    from valliance.members import codes as cards
    from valliance.merchants.services import purchases as pos
    from valliance.secret_box import unseal

    with app.app_context():
        m = services.enroll_member(db.session, phone="13900139000", name="赵六",
                                   password=PASSWORD, opening_points=500)
        hotpot = shop(db.session)
        db.session.commit()
        member_id, merchant_id = m.id, hotpot.merchant.id
        db.session.remove()
    page.goto(live_server + "/me/login")
    page.get_by_label("手机号").fill("13900139000")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/me/")
    [shown] = _decode_qr(page.locator("#pay-code-qr").screenshot())
    shown_text = page.locator("#pay-code-text").inner_text()
    with app.app_context():  # the cashier scans it and the member spends 100 points
        merchant = db.session.get(pos.Merchant, merchant_id)
        pos.record_purchase(db.session, merchant, None, shown, 1000, 100, None)
        db.session.commit()
        db.session.remove()
    page.wait_for_function(  # polled every 3 s: well before the 30 s step ends
        "text => document.getElementById('pay-code-text').textContent !== text",
        arg=shown_text, timeout=8000)
    page.wait_for_function("document.getElementById('pay-code-qr').naturalWidth > 0")
    [fresh] = _decode_qr(page.locator("#pay-code-qr").screenshot())
    assert _decode_qr(page.locator("#pay-code-barcode").screenshot()) == [fresh]
    with app.app_context():
        card = db.session.get(Member, member_id).card
        assert fresh != shown and card.pay_code_uses == 1
        assert cards.check_pay_code(fresh[16:], unseal(card.pay_secret), 1) == cards.VALID
        db.session.remove()
    assert "秒后更新" in page.locator("#pay-code-timer").inner_text()
    page.goto(live_server + "/me/history")
    assert page.locator("svg.balance-chart").count() == 1
    page.goto(live_server + "/me/card/print")
    assert page.locator(".cr80").is_visible()
    assert page.console_errors == []
