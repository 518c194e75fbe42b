"""In a real Chromium: marketing builds a segment (tick filters, preview the count and a
sample, name it, save) and finds it on the list with its count."""

import os

import pytest

from valliance.extensions import db
from valliance.members.services import enroll_member
from valliance.staff.services import create_staff_user

pytestmark = pytest.mark.browser
PASSWORD = "staff2026pw"
SHOTS = os.environ.get("SEGMENT_SHOTS")  # a folder: save screenshots there too


def _setup(app):
    with app.app_context():
        for n, tier in enumerate(("gold", "gold", "silver", "standard"), start=1):
            enroll_member(db.session, phone=f"1390000000{n}", name=f"会员{n}号", tier=tier,
                          opening_points=100 * n)
        create_staff_user(db.session, username="mkt", name="市场小林", password=PASSWORD,
                          roles=("marketing",))
        db.session.commit()
        db.session.remove()


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844},
                                      {"width": 1280, "height": 800}], ids=["phone", "desktop"])
def test_build_preview_and_save_a_segment(app, browser, live_server, viewport):
    _setup(app)
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server + "/staff/login")
    page.get_by_label("用户名").fill("mkt")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server + "/staff/")

    page.get_by_role("link", name="客户分群").first.click()
    assert "还没有保存的分群" in page.inner_text("main")
    _shot(page, f"list-empty-{viewport['width']}")
    page.get_by_role("link", name="新建分群").click()
    page.get_by_label("金卡").check()
    page.get_by_role("button", name="预览").click()
    assert page.locator("[data-count]").inner_text() == "2"
    sample = page.inner_text(".seg-sample")
    assert "会员1号" in sample and "会员2号" in sample and "会员3号" not in sample
    assert "139****0001" in sample and "13900000001" not in sample
    assert page.get_by_label("金卡").is_checked()
    _shot(page, f"builder-{viewport['width']}")

    page.get_by_label("分群名称").fill("金卡会员")
    page.get_by_role("button", name="保存分群").click()
    page.wait_for_url(live_server + "/staff/marketing/segments")
    row = page.locator(".seg-row", has_text="金卡会员")
    assert row.locator(".seg-count").inner_text() == "2"
    assert "已保存分群" in page.inner_text("body")
    _shot(page, f"list-{viewport['width']}")
    context.close()
