"""Onboarding in a real Chromium: a shop applies on the web, alliance staff sign in and approve
it, and its owner can then sign in to the merchant portal."""

import pytest
from sqlalchemy import select

from valliance.extensions import db
from valliance.merchants.models import Merchant
from valliance.merchants.services.application_checks import licence_check_char
from valliance.messaging import OutboxMessage
from valliance.staff.services import create_staff_user

pytestmark = pytest.mark.browser
PASSWORD = "shop2026pw"
LICENCE_BODY = "91330302MA2K7QX0B"


def _db(app, work):
    with app.app_context():
        value = work()
        db.session.remove()
    return value


def test_apply_on_the_web_then_staff_approve_and_the_merchant_is_approved(app, browser, page,
                                                                          live_server):
    requests = []
    page.on("request", lambda request: requests.append(request.url))

    # The shop applies from the home page.
    page.goto(live_server + "/")
    page.get_by_role("link", name="商户加盟").click()
    page.wait_for_url("**/merchant/apply")
    page.get_by_label("商户名称").fill("瓯江渔港")
    page.get_by_label("行业").select_option("餐饮")
    page.get_by_label("所在区域").fill("鹿城区")
    page.get_by_label("详细地址").fill("望江东路99号")
    page.get_by_label("店铺电话").fill("0577-88990099")
    page.get_by_label("人均消费（元）").fill("128.5")
    licence = LICENCE_BODY + licence_check_char(LICENCE_BODY)
    page.get_by_label("统一社会信用代码").fill(licence.lower())
    page.get_by_label("负责人姓名").fill("林海")
    page.get_by_label("负责人手机号").fill("13912345678")
    page.get_by_label("设置密码", exact=True).fill(PASSWORD)
    page.get_by_label("确认密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="提交申请").click()
    # The agreement was not accepted: the form says so and keeps what was typed.
    page.wait_for_selector("text=请阅读并同意加盟协议")
    assert page.get_by_label("商户名称").input_value() == "瓯江渔港"
    page.get_by_label("设置密码", exact=True).fill(PASSWORD)
    page.get_by_label("确认密码", exact=True).fill(PASSWORD)
    page.get_by_label("我已阅读并同意").check()
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/merchant/apply/submitted")
    assert "申请已提交，审核结果将以短信通知" in page.inner_text("main")
    merchant_id, status, avg_spend = _db(app, lambda: db.session.execute(
        select(Merchant.id, Merchant.status, Merchant.avg_spend)).one())
    assert (status, avg_spend) == ("pending", 12850)

    # Alliance staff, on a PC, sign in from the footer and approve it.
    _db(app, lambda: (create_staff_user(db.session, username="zhou", name="周敏",
                                        password=PASSWORD, roles=("admin",)), db.session.commit()))
    desk = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    staff = desk.new_page()
    staff.on("request", lambda request: requests.append(request.url))
    staff.goto(live_server + "/staff/")
    staff.wait_for_url("**/staff/login**")
    staff.get_by_label("用户名").fill("zhou")
    staff.get_by_label("密码").fill(PASSWORD)
    staff.get_by_role("button", name="登录").click()
    staff.wait_for_url(live_server + "/staff/")
    assert staff.inner_text("#pending-count") == "1"
    staff.click("#pending-count")
    staff.wait_for_url("**/staff/merchants?status=pending")
    staff.get_by_role("link", name="瓯江渔港").click()
    staff.wait_for_url(f"**/staff/merchants/{merchant_id}")
    assert staff.inner_text("#merchant-status") == "待审核"
    assert licence in staff.inner_text("main") and "¥128.50" in staff.inner_text("main")
    staff.fill("#approve-note", "电话核实无误")
    staff.get_by_role("button", name="通过").click()
    staff.wait_for_selector("text=已通过：瓯江渔港")
    assert staff.inner_text("#merchant-status") == "已加盟"
    staff.get_by_role("link", name="商户运营", exact=True).click()  # the staff menu
    staff.get_by_role("link", name="已加盟").click()
    assert staff.get_by_role("link", name="瓯江渔港").is_visible()
    desk.close()

    assert _db(app, lambda: db.session.get(Merchant, merchant_id).status) == "approved"
    assert "已通过审核" in _db(app, lambda: db.session.scalar(
        select(OutboxMessage.body).where(OutboxMessage.recipient == "13912345678")))

    # The owner signs in to the merchant portal.
    page.goto(live_server + "/merchant/login")
    page.fill("#phone", "13912345678")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server + "/merchant/")
    assert all(url.startswith(live_server) for url in requests), requests  # no CDN
    assert page.console_errors == []
