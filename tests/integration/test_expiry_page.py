"""Issue #18 — the expiry reminders' programme page: reminders sent by stage, the points they
covered, how many were spent before their date and how many expired, and the breakage per
month; for marketing and finance only."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.api.test_backoffice_finance import make_user
from tests.api.test_portal import enroll
from tests.api.test_staff_pages import staff_log_in
from valliance.db import SHANGHAI
from valliance.extensions import db
from valliance.marketing.expiry_jobs import remind_in_batches
from valliance.points import accounts, ledger
from valliance.points.jobs import expire_in_chunks
from valliance.points.models import Transfer


def shanghai(year, month, day, hour=10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SHANGHAI).astimezone(UTC)


def _history(app):
    zhang = enroll(app)
    li = enroll(app, phone="13900139000", name="李四")
    with app.app_context():
        session = db.session
        shop = accounts.open_merchant_accounts(session, "mer-page")
        year_end = shanghai(2026, 1, 1, 0)  # last day 2025-12-31
        ledger.accrue(session, member_account=zhang["account"], source_account=shop.issued,
                      points=1200, expires_at=year_end, now=shanghai(2024, 3, 1))
        session.commit()
        remind_in_batches(session, commit=session.commit, now=shanghai(2025, 12, 1))
        remind_in_batches(session, commit=session.commit, now=shanghai(2025, 12, 24))
        ledger.redeem(session, member_account=zhang["account"], merchant_account=shop.redeemed,
                      points=500, now=shanghai(2025, 12, 26))
        session.commit()
        assert expire_in_chunks(session, commit=session.commit,
                                now=shanghai(2026, 1, 1, 1)) == {"lots": 1, "points": 700}
        # 李四: reminded today of points 10 days away (still pending)
        today = datetime.now(SHANGHAI).replace(hour=10, minute=0, second=0, microsecond=0)
        ledger.accrue(session, member_account=li["account"], source_account=shop.issued,
                      points=300, expires_at=today + timedelta(days=10), now=today)
        session.commit()
        remind_in_batches(session, commit=session.commit, now=today)
        assert session.scalar(select(Transfer.amount).where(Transfer.kind == "expire")) == 700


def _cells(page: str, stage: int) -> dict:
    row = re.search(rf'<tr data-stage="{stage}">(.*?)</tr>', page, re.S).group(1)
    return {name: value.strip() for name, value in re.findall(
        r'data-testid="(\w+)">([\d,]+)', row)}


def test_the_page_shows_what_the_reminders_covered_and_what_expired(app, client):
    make_user(app, "promo", "marketing")
    assert staff_log_in(client, "promo").status_code == 302
    empty = client.get("/staff/marketing/expiry").get_data(as_text=True)
    assert "还没有发送过积分到期提醒。" in empty and "最近12个月没有过期的积分。" in empty
    # the staff navigation's 会员计划 is marked on a programme's page
    assert re.search(r'href="/staff/programmes/"[^>]*aria-current="page"', empty)
    _history(app)
    page = client.get("/staff/marketing/expiry").get_data(as_text=True)
    assert _cells(page, 30) == {"messages": "2", "members": "2", "points": "1,500",
                                "spent": "500", "expired": "700", "pending": "300"}
    assert _cells(page, 7) == {"messages": "1", "members": "1", "points": "1,200",
                               "spent": "500", "expired": "700", "pending": "0"}
    assert re.search(r'<tr data-month="2026-01">.*?700.*?¥7\.00', page, re.S)
    assert "当年获得的积分可使用至2年后的12月31日" in page
    english = client.get("/staff/marketing/expiry?lang=en").get_data(as_text=True)
    assert "Expiry reminders" in english and "积分" not in re.sub(r"<[^>]+>", "", english)


def test_finance_may_open_it_and_member_care_may_not(app, client):
    make_user(app, "cashbook", "finance")
    make_user(app, "carer", "member_care")
    assert staff_log_in(client, "cashbook").status_code == 302
    assert client.get("/staff/marketing/expiry").status_code == 200
    other = app.test_client()
    assert staff_log_in(other, "carer").status_code == 302
    assert other.get("/staff/marketing/expiry").status_code == 403
    assert app.test_client().get("/staff/marketing/expiry").status_code == 302
