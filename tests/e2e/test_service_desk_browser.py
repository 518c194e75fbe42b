"""The desk's promise in a real Chromium: a member reports a fault on a phone, the desk (on a
PC) sees it at the top of the queue with its clock, assigns and resolves it, and the member
sees it resolved — without calling anyone — and rates it."""

import re

import pytest
from sqlalchemy import select

from tests.sms import record_sms
from valliance.extensions import db
from valliance.members import services as member_services
from valliance.service_desk.models import Ticket
from valliance.service_desk.services import teams
from valliance.staff.services import create_staff_user

pytestmark = pytest.mark.browser

PASSWORD = "secret123"


@pytest.fixture(autouse=True)
def sms(app, monkeypatch):
    return record_sms(app, monkeypatch)


def _db(app, work):
    with app.app_context():
        try:
            return work()
        finally:
            db.session.remove()


def _world(app) -> None:
    def build():
        member_services.enroll_member(db.session, phone="13800138000", name="王小明",
                                      password=PASSWORD, tier="diamond")
        desk = create_staff_user(db.session, username="lin", name="客服小林",
                                 password=PASSWORD, roles=("service_desk",))
        engineer = create_staff_user(db.session, username="zhou", name="工程师老周",
                                     password=PASSWORD, roles=("service_desk",))
        team = teams.create_team(db.session, name="装维一组", lead_id=desk.id, by="lin")
        teams.add_engineer(db.session, team.id, engineer.id, by="lin")
        db.session.commit()
    _db(app, build)


def test_a_member_follows_a_fault_from_the_phone_to_its_resolution(app, browser, page,
                                                                 live_server):
    _world(app)
    # The member, on a phone (the page fixture: 390×844), reports the fault.
    page.goto(live_server + "/me/login")
    page.get_by_label("手机号").fill("13800138000")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/me/")
    page.goto(live_server + "/me/service/")
    page.get_by_role("link", name="报修 / 办理业务").first.click()
    page.wait_for_url("**/me/service/new")
    page.get_by_text("故障报修", exact=True).click()
    page.get_by_label("问题描述").fill("家里宽带从早上起断网，光猫红灯闪烁")
    assert page.get_by_label("联系电话").input_value() == "13800138000"  # prefilled
    page.get_by_role("button", name="提交工单").click()
    page.wait_for_url("**/me/service/tkt_*")
    assert "已受理，承诺" in page.inner_text("main")
    number = _db(app, lambda: db.session.scalar(select(Ticket.number)))
    assert number in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll

    # The desk, on a PC, finds it first in the queue with its clock running.
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    staff = context.new_page()
    staff.goto(live_server + "/staff/login")
    staff.get_by_label("用户名").fill("lin")
    staff.get_by_label("密码").fill(PASSWORD)
    staff.get_by_role("button", name="登录").click()
    staff.goto(live_server + "/staff/desk/")
    first = staff.locator("tbody tr").first
    assert number in first.inner_text()
    assert re.search(r"剩余 4小时5\d分", first.inner_text())  # five hours, a minute or so gone
    staff.get_by_role("link", name=number).click()
    staff.wait_for_url("**/staff/desk/tickets/tkt_*")
    staff.locator("#assign select").nth(1).select_option(label="工程师老周")
    staff.locator("#assign").get_by_role("button", name="派单").click()
    staff.wait_for_load_state()
    assert "装维一组" in staff.inner_text("main")
    staff.locator("form[data-move=in_progress] button").click()
    staff.wait_for_load_state()
    staff.locator("form[data-move=resolved] textarea").fill("更换光猫后网络恢复")
    staff.locator("form[data-move=resolved] button").click()
    staff.wait_for_load_state()
    assert "已解决" in staff.inner_text("main")
    context.close()

    # The member sees it resolved, with what was done, and rates it once.
    page.reload()
    main = page.inner_text("main")
    assert "已解决" in main and "更换光猫后网络恢复" in main
    page.locator("label[for=score-5]").click()
    page.get_by_label("留言（选填）").fill("师傅很快")
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name="提交评价").count() == 0
    ticket = _db(app, lambda: db.session.scalars(select(Ticket)).one())
    assert (ticket.status, ticket.rating, ticket.rating_comment) == ("resolved", 5, "师傅很快")
    assert ticket.within_target is True and ticket.channel == "portal"
    assert page.console_errors == []
