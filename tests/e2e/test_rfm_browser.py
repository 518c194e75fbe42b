"""The RFM cell on the member page and the value pyramid on the dashboard, in a real Chromium
(phone and desktop, Chinese and English): shown, and the page does not scroll sideways."""

import os
from datetime import timedelta

import pytest

from tests.api.pos_helpers import member, shop
from valliance.db import utcnow
from valliance.extensions import db
from valliance.marketing.services import rfm
from valliance.merchants.services import purchases
from valliance.staff.services import create_staff_user

pytestmark = pytest.mark.browser
PASSWORD = "care2026pw"
SHOTS = os.environ.get("RFM_SHOTS")  # a directory: save screenshots there to look at


def _seed(app) -> str:
    with app.app_context():
        session = db.session
        hotpot = shop(session)
        buyers = [member(session) for _ in range(6)]
        for i, (_, card) in enumerate(buyers):
            for days in range(i + 1):
                purchases.record_purchase(session, hotpot.merchant, None, card.number,
                                          1_000 * (i + 1) ** 2, 0, None,
                                          at=utcnow() - timedelta(days=10 * (5 - i) + days))
        member(session)
        create_staff_user(session, username="care", name="林敏", password=PASSWORD,
                          roles=("member_care",))
        rfm.score_members(session)
        session.commit()
        top = buyers[-1][0].id
        db.session.remove()
    return top


@pytest.mark.parametrize("width,height,lang", [(390, 844, "zh"), (1280, 800, "en")])
def test_cell_and_pyramid_are_shown_and_fit(app, browser, live_server, width, height, lang):
    top = _seed(app)
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(live_server + "/staff/login")
    page.get_by_label("用户名").fill("care")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/staff/")
    suffix = "?lang=en" if lang == "en" else ""
    page.goto(f"{live_server}/staff/members/{top}{suffix}")
    cell = page.inner_text("#rfm-cell")
    assert ("Important value customers" if lang == "en" else "重要价值客户") in cell
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/member-{lang}-{width}.png", full_page=True)
    page.goto(f"{live_server}/staff/{suffix}")
    assert page.locator("#value-pyramid tr[data-band]").count() == 5
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if SHOTS:
        page.locator("#value-pyramid").screenshot(path=f"{SHOTS}/pyramid-{lang}-{width}.png")
    context.close()
