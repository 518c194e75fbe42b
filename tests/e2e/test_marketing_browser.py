"""The portal's one-click marketing toggle in a real Chromium (phone and desktop, zh and en)."""

import os

import pytest

from valliance.extensions import db
from valliance.members import services
from valliance.members.models import Member
from valliance.members.services.marketing_consent import set_marketing_opt_in
from valliance.messaging import deliver_pending, queue_sms
from valliance.staff.services import create_staff_user

pytestmark = pytest.mark.browser

PHONE, PASSWORD, STAFF_PASSWORD = "13800138000", "secret123", "care2026pw"
SHOTS = os.environ.get("SCREENSHOT_DIR")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.mark.parametrize(("lang", "width", "height"), [("zh", 390, 844), ("en", 1280, 800)])
def test_the_profile_page_subscribes_and_unsubscribes_in_one_click(app, page, live_server,
                                                                   lang, width, height):
    with app.app_context():
        member = services.enroll_member(db.session, phone=PHONE, name="王小明",
                                        password=PASSWORD)
        db.session.commit()
        member_id = member.id
    page.set_viewport_size({"width": width, "height": height})
    page.goto(live_server + "/me/login")
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/me/")
    query = "?lang=en" if lang == "en" else ""
    page.goto(live_server + "/me/profile" + query)
    _shot(page, f"profile-off-{lang}-{width}")
    subscribe = "Subscribe" if lang == "en" else "订阅"
    page.locator("#marketing").get_by_role("button", name=subscribe, exact=True).click()
    page.wait_for_url("**/me/profile*")
    _shot(page, f"profile-on-{lang}-{width}")
    with app.app_context():
        assert db.session.get(Member, member_id).marketing_opt_in is True
    unsubscribe = "Unsubscribe" if lang == "en" else "退订"
    page.locator("#marketing").get_by_role("button", name=unsubscribe, exact=True).click()
    page.wait_for_url("**/me/profile*")
    with app.app_context():
        db.session.expire_all()
        assert db.session.get(Member, member_id).marketing_opt_in is False
    assert page.console_errors == []



def _member_with_a_failed_sms(app) -> str:
    with app.app_context():
        member = services.enroll_member(db.session, phone=PHONE, name="王小明",
                                        password=PASSWORD)
        create_staff_user(db.session, username="lin", name="林敏", password=STAFF_PASSWORD,
                          roles=("member_care",))
        set_marketing_opt_in(db.session, member, True, actor="cli", via="test")
        queue_sms(db.session, PHONE, "欢迎加入V卡联盟")
        db.session.commit()
        member_id = member.id
        deliver_pending(db.session, _Failing())
        db.session.remove()
    return member_id


class _Failing:
    def send(self, recipient, body):
        raise TimeoutError


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_back_office_member_page_shows_consent_and_a_failed_sms(app, browser, live_server,
                                                                      lang):
    member_id = _member_with_a_failed_sms(app)
    desk = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = desk.new_page()
    page.goto(live_server + "/staff/login")
    page.get_by_label("用户名").fill("lin")
    page.get_by_label("密码").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/staff/**")
    page.goto(f"{live_server}/staff/members/{member_id}" + ("?lang=en" if lang == "en" else ""))
    consent = page.locator("#marketing").inner_text()
    assert consent.startswith("Subscribed" if lang == "en" else "已订阅")
    failed = "Failed (attempts: 1)" if lang == "en" else "发送失败（已试 1 次）"
    assert failed in page.locator("#messages").inner_text()
    activity = "Subscribed to offers by SMS" if lang == "en" else "订阅优惠活动短信"
    assert activity in page.inner_text("body")
    _shot(page, f"backoffice-member-{lang}")
    desk.close()
