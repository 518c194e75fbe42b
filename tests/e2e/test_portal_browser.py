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

    qr = page.locator("img.qr")
    qr.wait_for()
    page.wait_for_function("document.querySelector('img.qr').naturalWidth > 0")
    assert _decode_qr(qr.screenshot()) == [number]

    code = page.locator("#pay-code").inner_text()
    assert re.fullmatch(r"\d{22}", code) and code.startswith(number)
    assert all(url.startswith(live_server) for url in requests), requests  # no CDN
    assert page.console_errors == []


def test_pay_code_refreshes_from_the_json_endpoint(app, page, live_server):
    with app.app_context():
        services.enroll_member(db.session, phone="13900139000", name="赵六", password=PASSWORD)
        db.session.commit()
        db.session.remove()
    page.goto(live_server + "/me/login")
    page.get_by_label("手机号").fill("13900139000")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/me/")
    # Coming back to the page (a phone waking up) fetches a fresh code at once.
    with page.expect_response("**/me/pay-code.json") as answer:
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    body = answer.value.json()
    assert answer.value.headers["cache-control"] == "no-store"
    page.wait_for_function(
        "code => document.getElementById('pay-code').textContent === code", arg=body["code"])
    assert "秒后更新" in page.locator("#pay-code-timer").inner_text()
    page.goto(live_server + "/me/history")
    assert page.locator("svg.balance-chart").count() == 1
    page.goto(live_server + "/me/card/print")
    assert page.locator(".cr80").is_visible()
    assert page.console_errors == []
