"""The portal's one-click marketing toggle in a real Chromium (phone and desktop, zh and en)."""

import os

import pytest

from valliance.extensions import db
from valliance.members import services
from valliance.members.models import Member

pytestmark = pytest.mark.browser

PHONE, PASSWORD = "13800138000", "secret123"
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
