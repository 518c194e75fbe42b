"""Issue #18 — reminders 30 and 7 days before points expire, on a frozen clock: each stage once
per expiry date, a missed day caught up, frozen members left out, the text exact in Chinese,
nothing in the quiet hours; the portal's listing of what expires when; the jobs run through
the job runner."""

import json
import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from tests.api.test_jobs import redis_jobs, run_worker  # noqa: F401 (the Redis fixture)
from tests.api.test_portal import enroll, log_in
from valliance import jobs
from valliance.db import SHANGHAI
from valliance.extensions import db
from valliance.jobs.runner import execute
from valliance.marketing.expiry_jobs import remind_in_batches
from valliance.marketing.expiry_models import ExpiryReminder
from valliance.members.models import InboxMessage, Member
from valliance.members.services import set_membership
from valliance.messaging import OutboxMessage
from valliance.points import accounts, ledger
from valliance.points.verify import verify_ledger

YEAR_END = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)  # 2027-01-01 00:00 Shanghai: 12月31日


def at(month: int, day: int, hour: int = 10) -> datetime:
    """A moment in Asia/Shanghai (hour) in December 2026 (or January 2027: month 13)."""
    year, month = (2027, 1) if month == 13 else (2026, month)
    return datetime(year, month, day, hour, 0, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
def shop(session):
    opened = accounts.open_merchant_accounts(session, "mer-expiry")
    session.commit()
    return opened


def give(session, shop, account, points, expires_at, now=None):
    ledger.accrue(session, member_account=account, source_account=shop.issued, points=points,
                  merchant_id="mer-expiry", expires_at=expires_at,
                  now=now or datetime(2025, 3, 1, tzinfo=UTC))
    session.commit()


def remind(session, now):
    return remind_in_batches(session, commit=session.commit, now=now)


def texts(session, phone) -> list[str]:
    session.rollback()
    return list(session.scalars(select(OutboxMessage.body).where(OutboxMessage.recipient == phone)
                                .order_by(OutboxMessage.id)))


def inbox(session, member_id) -> list[tuple[str, str]]:
    return [(m.title, m.body) for m in session.scalars(
        select(InboxMessage).where(InboxMessage.member_id == member_id)
        .order_by(InboxMessage.id))]


def test_the_30_and_7_day_reminders_go_once_each(app, session, shop):
    zhang = enroll(app)
    give(session, shop, zhang["account"], 1200, YEAR_END)
    first = remind(session, at(12, 1))
    assert first == {"members": 1, "sent_30": 1, "sent_7": 0, "quiet": False}
    expected = "您有1,200积分将于12月31日到期。请及时使用。"
    assert texts(session, zhang["phone"]) == [expected]
    assert inbox(session, zhang["id"]) == [("积分即将到期", expected)]
    sms = session.scalars(select(OutboxMessage)).one()
    assert (sms.marketing, sms.secret, sms.status) == (False, False, "pending")
    for day in range(1, 24):  # the same day again, and every day until 7 days are left
        assert remind(session, at(12, day))["members"] == 0
    assert remind(session, at(12, 24)) == {"members": 1, "sent_30": 0, "sent_7": 1,
                                           "quiet": False}
    assert remind(session, at(12, 24, 15))["members"] == 0
    for day in range(25, 32):
        assert remind(session, at(12, day))["members"] == 0
    assert texts(session, zhang["phone"]) == [expected, expected]
    rows = session.execute(select(ExpiryReminder.stage, ExpiryReminder.points,
                                  ExpiryReminder.named).order_by(ExpiryReminder.id)).all()
    assert [tuple(r) for r in rows] == [(30, 1200, True), (7, 1200, True)]


def test_a_missed_day_is_caught_up_and_a_late_start_sends_only_the_nearer_stage(
        app, session, shop):
    zhang, li = enroll(app), enroll(app, phone="13900139000", name="李四")
    give(session, shop, zhang["account"], 800, YEAR_END)
    assert remind(session, at(12, 5))["sent_30"] == 1  # the job did not run on 1–4 December
    assert remind(session, at(12, 27))["sent_7"] == 1  # nor on 24–26 December
    assert len(texts(session, zhang["phone"])) == 2
    # 李四's points enter the job's sight only 4 days before: one message, the 7-day one
    give(session, shop, li["account"], 50, YEAR_END)
    assert remind(session, at(12, 28)) == {"members": 1, "sent_30": 0, "sent_7": 1,
                                           "quiet": False}
    assert remind(session, at(12, 29))["members"] == 0
    assert texts(session, li["phone"]) == ["您有50积分将于12月31日到期。请及时使用。"]


def test_frozen_and_expired_members_get_no_reminder(app, session, shop):
    zhang, li = enroll(app), enroll(app, phone="13900139000", name="李四")
    wang = enroll(app, phone="15057700001", name="王五")
    for person in (zhang, li, wang):
        give(session, shop, person["account"], 100, YEAR_END)
    set_membership(session, session.get(Member, li["id"]), "frozen")
    set_membership(session, session.get(Member, wang["id"]), "expired")
    session.commit()
    assert remind(session, at(12, 2))["members"] == 1
    assert [len(texts(session, p["phone"])) for p in (zhang, li, wang)] == [1, 0, 0]


def test_several_dates_one_message_per_stage_naming_the_soonest_and_the_total(
        app, session, shop):
    zhang = enroll(app)
    dec20 = datetime(2026, 12, 20, 16, 0, tzinfo=UTC)  # last day 12月20日
    give(session, shop, zhang["account"], 300, dec20)
    give(session, shop, zhang["account"], 1200, YEAR_END)
    give(session, shop, zhang["account"], 450, YEAR_END)
    give(session, shop, zhang["account"], 5000, datetime(2027, 6, 30, 16, 0, tzinfo=UTC))
    assert remind(session, at(12, 1))["sent_30"] == 1
    assert remind(session, at(12, 14))["sent_7"] == 1  # 12月20日 is 6 days away
    assert ledger.expire_due(session, now=dec20 + timedelta(hours=1)) == (1, 300)
    session.commit()
    assert remind(session, at(12, 24))["sent_7"] == 1  # 12月31日 is 7 days away
    assert texts(session, zhang["phone"]) == [
        "您有300积分将于12月20日到期，30天内共有1,950积分到期。请及时使用。",
        "您有300积分将于12月20日到期，30天内共有1,950积分到期。请及时使用。",
        "您有1,650积分将于12月31日到期。请及时使用。",
    ]
    assert verify_ledger(session).ok


def test_nothing_is_sent_in_the_quiet_hours_and_the_day_after_catches_up(app, session, shop):
    zhang = enroll(app)
    give(session, shop, zhang["account"], 100, YEAR_END)
    assert remind(session, at(12, 10, 22)) == {"members": 0, "sent_30": 0, "sent_7": 0,
                                               "quiet": True}
    assert remind(session, at(12, 11, 8))["quiet"] is True
    assert texts(session, zhang["phone"]) == []
    assert remind(session, at(12, 11, 9))["sent_30"] == 1


def test_batches_commit_and_a_second_run_sends_nobody_twice(app, session, shop):
    people = [enroll(app, phone=f"1380013800{i}", name=f"会员{i}") for i in range(5)]
    for person in people:
        give(session, shop, person["account"], 10, YEAR_END)
    commits = []

    def commit():
        session.commit()
        commits.append(1)

    assert remind_in_batches(session, commit=commit, now=at(12, 3), batch=2)["sent_30"] == 5
    assert len(commits) == 3
    assert remind_in_batches(session, commit=commit, now=at(12, 3), batch=2)["sent_30"] == 0
    assert sum(len(texts(session, p["phone"])) for p in people) == 5


@pytest.mark.postgres_only
def test_two_runs_at_once_send_each_reminder_once(app, session, shop, run_threads):
    people = [enroll(app, phone=f"1380013{i:04d}", name=f"会员{i}") for i in range(40)]
    for person in people:
        give(session, shop, person["account"], 10, YEAR_END)
    results = run_threads(2, lambda i: remind_in_batches(db.session, commit=db.session.commit,
                                                         now=at(12, 3), batch=7))
    assert sum(r["sent_30"] for r in results) == 40
    assert sum(len(texts(session, p["phone"])) for p in people) == 40


# --- the portal ----------------------------------------------------------------------------

def _expiry_rows(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<li class="expiry-row" data-day="([\d-]+)">\s*<time[^>]*>[^<]*</time>'
                      r'\s*<span class="points">([^<]*)</span>', html)


def test_the_points_page_lists_what_expires_when_soonest_first(app, client):
    # no app context held across requests (each request's language is its own)
    zhang = enroll(app)
    log_in(client)
    page = client.get("/me/history").get_data(as_text=True)
    assert "积分到期时间" in page and "未来12个月内没有到期的积分。" in page
    now = datetime.now(UTC)
    today = now.astimezone(SHANGHAI).date()

    def end_of(days: int, hour: int = 0) -> datetime:  # the end of today + days, Shanghai
        return datetime.combine(today + timedelta(days=days + 1), time(hour), SHANGHAI)

    with app.app_context():
        shop = accounts.open_merchant_accounts(db.session, "mer-expiry")
        for points, expires_at in ((1200, end_of(20)), (300, end_of(19, 15)),  # same day
                                   (450, end_of(200)), (999, end_of(400))):  # beyond a year
            give(db.session, shop, zhang["account"], points, expires_at, now=now)
    page = client.get("/me/history").get_data(as_text=True)
    assert _expiry_rows(page) == [((today + timedelta(days=20)).isoformat(), "1,500 积分"),
                                  ((today + timedelta(days=200)).isoformat(), "450 积分")]
    day = today + timedelta(days=20)
    assert f"{day.year}年{day.month}月{day.day}日" in page
    assert "未来12个月内没有到期的积分。" not in page
    english = client.get("/me/history?lang=en").get_data(as_text=True)
    assert "When your points expire" in english and "1,500 points" in english


# --- through the job runner ----------------------------------------------------------------

def test_the_jobs_are_registered_and_run_through_the_runner(app, session, shop):
    assert jobs.SCHEDULE["points.remind_expiry"].isoformat() == "10:00:00"
    assert jobs.SCHEDULE["ledger.expire"].isoformat() == "00:30:00"
    zhang = enroll(app)
    give(session, shop, zhang["account"], 70, YEAR_END)
    session.commit()
    assert execute("points.remind_expiry", at(12, 2).isoformat()) == {
        "members": 1, "sent_30": 1, "sent_7": 0, "quiet": False}
    assert execute("ledger.expire", at(13, 1, 1).isoformat()) == {"lots": 1, "points": 70}
    assert execute("ledger.expire", at(13, 1, 1).isoformat()) == {"lots": 0, "points": 0}
    assert texts(session, zhang["phone"]) == ["您有70积分将于12月31日到期。请及时使用。"]
    result = app.test_cli_runner().invoke(args=["expiry", "remind", "--json"])
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.stdout)) == {"members", "sent_30", "sent_7", "quiet"}


def test_a_campaigns_expiring_date_is_the_last_day_too():
    from valliance.marketing.services.templates import MemberValues, render

    values = MemberValues(name="张三", tier_zh="金卡", balance=1500, expiring_points=1200,
                          expiring_at=YEAR_END)
    assert render("{expiring_points}积分将于{expiring_date}到期", values) == \
        "1,200积分将于12月31日到期"


def test_the_rq_worker_runs_both_jobs_on_a_frozen_clock(app, redis_jobs, session,  # noqa: F811
                                                        shop):
    zhang = enroll(app)
    give(session, shop, zhang["account"], 90, YEAR_END)
    with app.app_context():
        ids = [jobs.enqueue("points.remind_expiry", at(12, 25).isoformat(), key="remind"),
               jobs.enqueue("ledger.expire", at(13, 1, 1).isoformat(), key="expire")]
    run_worker(app)
    done = [redis_jobs.queue.fetch_job(job_id) for job_id in ids]
    assert [job.is_finished for job in done] == [True, True]
    assert done[0].return_value() == {"members": 1, "sent_30": 0, "sent_7": 1, "quiet": False}
    assert done[1].return_value() == {"lots": 1, "points": 90}
    assert texts(session, zhang["phone"]) == ["您有90积分将于12月31日到期。请及时使用。"]
    assert verify_ledger(session).ok
