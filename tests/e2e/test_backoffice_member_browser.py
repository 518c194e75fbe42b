"""Member care in a real Chromium: find a member by four digits of the card and reissue it."""

import pytest
from sqlalchemy import select

from valliance.audit import AuditEvent
from valliance.extensions import db
from valliance.members import services as member_services
from valliance.members.models import Member
from valliance.staff.services import create_staff_user

pytestmark = pytest.mark.browser
PASSWORD = "care2026pw"


def _db(app, work):
    with app.app_context():
        value = work()
        db.session.remove()
    return value


def _enrol():
    member = member_services.enroll_member(db.session, phone="13912340000", name="林小雨",
                                           password="secret123", opening_points=2600)
    create_staff_user(db.session, username="lin", name="林敏", password=PASSWORD,
                      roles=("member_care",))
    db.session.commit()
    return member.id, member.card.number


def test_find_a_member_by_four_card_digits_and_reissue_the_card(app, browser, live_server):
    member_id, number = _db(app, _enrol)
    desk = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = desk.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server + "/staff/members")
    page.wait_for_url("**/staff/login**")
    page.get_by_label("用户名").fill("lin")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/staff/members")

    page.get_by_role("searchbox").fill(number[6:10])
    page.get_by_role("button", name="搜索").click()
    page.get_by_role("link", name="林小雨").click()
    page.wait_for_url(f"**/staff/members/{member_id}")
    assert number[-4:] in page.inner_text("#cards")
    assert page.inner_text("#balance") == "2,600"

    page.locator("#action-reissue summary").click()
    page.fill("#reissue-reason", "会员来电，卡片磨损无法刷卡")
    page.locator("#reissue-confirm").check()
    page.locator("#action-reissue button[type=submit]").click()
    page.wait_for_selector("text=已补发新卡，积分随会员保留。")

    def new_card():
        member = db.session.get(Member, member_id)
        return member.card.number, [c.status for c in member.cards]
    new_number, statuses = _db(app, new_card)
    assert new_number != number and sorted(statuses) == ["active", "replaced"]
    current = page.locator("#cards tr.mc-current")
    assert current.get_attribute("data-last4") == new_number[-4:]
    assert new_number[-4:] in current.inner_text()
    assert page.inner_text("#balance") == "2,600"  # the points follow the member
    reason = _db(app, lambda: db.session.scalar(select(AuditEvent.reason).where(
        AuditEvent.subject == member_id, AuditEvent.action == "card.reissue")))
    assert reason == "会员来电，卡片磨损无法刷卡"
    assert errors == []
    desk.close()
