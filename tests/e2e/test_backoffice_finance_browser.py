"""Finance closes a month in a real Chromium: signs in, opens the period's close page from the
settlement list, reads the totals, confirms, and sees the closed period with its statements.
Settlement's clock travels to the next month (closing.utcnow); the sales happen now."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.api.pos_helpers import member, shop
from valliance.audit import AuditEvent
from valliance.db import utcnow
from valliance.extensions import db
from valliance.merchants.services import purchases as pos
from valliance.settlement import services
from valliance.settlement.models import SettlementPeriod
from valliance.settlement.services import closing
from valliance.staff.services import create_staff_user

pytestmark = pytest.mark.browser
PASSWORD = "ledger2026pw"


@pytest.fixture(autouse=True)
def _same_month(clear_of_month_end):
    """The sales and the period closed fall in one month (see clear_of_month_end)."""


def _db(app, work):
    with app.app_context():
        value = work()
        db.session.remove()
    return value


def _month(app) -> str:
    def work():
        create_staff_user(db.session, username="qian", name="钱会计", password=PASSWORD,
                          roles=("finance",))
        hotpot = shop(db.session, name="老王火锅").merchant
        _, card = member(db.session)
        pos.record_purchase(db.session, hotpot, None, card.number, 12_345, 0, None)
        db.session.commit()
        return services.period_of(utcnow())
    return _db(app, work)


def test_finance_closes_a_period_after_reading_its_totals(app, browser, page, live_server,
                                                          monkeypatch):
    period = _month(app)
    later = services.period_bounds(period)[1] + timedelta(minutes=1)
    monkeypatch.setattr(closing, "utcnow", lambda: later)

    page.goto(live_server + "/staff/")
    page.wait_for_url("**/staff/login**")
    page.get_by_label("用户名").fill("qian")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server + "/staff/")
    page.get_by_role("link", name="结算", exact=True).click()
    page.wait_for_url("**/staff/settlement/")
    page.get_by_role("link", name=f"查看并结算 {period}").click()
    page.wait_for_url(f"**/staff/settlement/{period}/close")

    # ¥123.45 at 1 point per yuan: 123 points, ¥1.23 owed by the shop, nothing redeemed.
    totals = page.locator("[data-testid=totals]")
    assert totals.locator("[data-testid=points_issued_by_merchants]").inner_text() == "123"
    assert totals.locator("[data-testid=cost_fen]").inner_text() == "¥1.23"
    assert totals.locator("[data-testid=net_fen]").inner_text() == "¥1.23"
    assert "老王火锅" in page.inner_text("[data-testid=merchants]")
    assert _db(app, lambda: db.session.get(SettlementPeriod, period)) is None  # not yet

    page.get_by_label("备注（可选，记入审计日志）").fill("月结")
    page.get_by_role("button", name=f"确认结算 {period}").click()
    page.wait_for_url(f"**/staff/settlement/{period}")
    assert f"{period} 已结算。" in page.inner_text("main")
    row = page.locator("tr[data-statement]")
    assert "老王火锅" in row.inner_text() and "¥1.23" in row.inner_text()
    assert "待商户付款" in row.inner_text()
    closed_by, reason = _db(app, lambda: (
        db.session.get(SettlementPeriod, period).closed_by,
        db.session.scalar(select(AuditEvent.reason).where(
            AuditEvent.action == "settlement.closed"))))
    assert closed_by.startswith("staff:") and reason == "月结"

    page.get_by_role("link", name="← 全部期间").click()
    page.wait_for_url("**/staff/settlement/")
    assert page.get_by_role("link", name=period, exact=True).is_visible()
    assert "目前没有待结算的账本记录" in page.inner_text("main")
    assert page.console_errors == []


def test_a_month_not_yet_over_is_not_offered_for_closing(app, browser, page, live_server):
    """The month with sales has not ended: the list says when it can be closed, and offers no
    button that would only be refused (the close page says "尚未结束")."""
    period = _month(app)
    opens = services.period_bounds(period)[1].strftime("%Y-%m-%d")

    page.goto(live_server + "/staff/login")
    page.get_by_label("用户名").fill("qian")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server + "/staff/")
    page.get_by_role("link", name="结算", exact=True).click()
    page.wait_for_url("**/staff/settlement/")
    text = page.inner_text("[data-testid=next-period]")
    assert f"{period} 还没有结束，{opens} 起可以结算。" in text
    assert page.get_by_role("link", name=f"查看并结算 {period}").count() == 0
    assert page.console_errors == []
