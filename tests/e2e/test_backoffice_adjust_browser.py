"""In a real Chromium: member care adjusts points above the threshold on a phone, and another
staff user (finance, on a PC) approves it from the queue; the points arrive once."""

import pytest

from valliance.backoffice.models import PointAdjustment
from valliance.extensions import db
from valliance.members.models import Member
from valliance.members.services import enroll_member
from valliance.points.accounts import get_balance
from valliance.staff.services import create_staff_user

pytestmark = pytest.mark.browser
PASSWORD = "staff2026pw"


def _db(app, work):
    with app.app_context():
        value = work()
        db.session.commit()
        db.session.remove()
    return value


def _sign_in(page, live_server, username):
    page.goto(live_server + "/staff/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server + "/staff/")


def _balance(app, member_id):
    return _db(app, lambda: get_balance(
        db.session, db.session.get(Member, member_id).points_account_id).balance)


def test_adjust_above_the_threshold_as_one_user_and_approve_as_another(app, browser, page,
                                                                       live_server):
    def setup():
        member = enroll_member(db.session, phone="13800138000", name="王小明",
                               opening_points=1200)
        create_staff_user(db.session, username="care", name="客服小李", password=PASSWORD,
                          roles=("member_care",))
        create_staff_user(db.session, username="fin", name="财务老陈", password=PASSWORD,
                          roles=("finance",))
        return member.id

    member_id = _db(app, setup)

    # Member care, on a phone, asks for 8,000 points: above 5,000, so it waits.
    _sign_in(page, live_server, "care")
    page.goto(f"{live_server}/staff/members/{member_id}/adjustments/new")
    assert "王小明" in page.inner_text("main") and "1,200" in page.inner_text("main")
    assert "5,000" in page.inner_text(".adj-rule")
    page.get_by_label("积分", exact=True).fill("8000")
    page.get_by_label("调整原因").select_option("service_compensation")
    page.get_by_label("说明").fill("工单 #2291：安装延误三周，经理同意补偿")
    page.get_by_role("button", name="提交调整").click()
    page.wait_for_url("**/staff/adjustments/adj_*")
    assert "等待另一位财务或管理员审批" in page.inner_text("main")
    assert page.inner_text(".adj-status-pending_approval") == "待审批"
    assert "等待其他财务/管理员审批" in page.inner_text("#decide")
    assert page.get_by_role("button", name="通过并入账").count() == 0
    assert _balance(app, member_id) == 1200
    assert page.console_errors == []

    # Finance, on a PC, opens the queue from the navigation and approves it.
    desk = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    fin = desk.new_page()
    _sign_in(fin, live_server, "fin")
    fin.get_by_role("link", name="积分调整").first.click()
    fin.wait_for_url("**/staff/adjustments")
    row = fin.locator("tr[data-adjustment]")
    assert row.count() == 1
    assert "+8,000" in row.inner_text() and "客服小李" in row.inner_text()
    assert "服务补偿" in row.inner_text() and "工单 #2291" in row.inner_text()
    row.get_by_role("button", name="通过并入账").click()
    fin.wait_for_url("**/staff/adjustments")
    assert "已审批通过并入账：+8,000 积分" in fin.inner_text("main")
    assert fin.locator("tr[data-adjustment]").count() == 0
    fin.get_by_role("link", name="已入账").click()
    applied = fin.locator("tr[data-adjustment]")
    assert "+8,000" in applied.inner_text() and "财务老陈" in applied.inner_text()
    assert _balance(app, member_id) == 9200
    status = _db(app, lambda: db.session.query(PointAdjustment.status).scalar())
    assert status == "applied"

    # Member care sees it applied; a second approval is not offered.
    page.reload()
    assert page.inner_text(".adj-status-applied") == "已入账"
    assert "财务老陈" in page.inner_text("main")
    desk.close()
