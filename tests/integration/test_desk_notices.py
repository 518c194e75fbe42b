"""What the member is told of their ticket: each change once, in the inbox at once and by SMS
— held through the quiet hours (21:00–09:00) unless it is a fault's resolution — however often
the desk's jobs run or are retried."""


import pytest
from sqlalchemy import func, select

from tests.integration import desk_world
from tests.integration.desk_world import at
from valliance.extensions import db
from valliance.members.models import InboxMessage
from valliance.messaging import OutboxMessage
from valliance.service_desk import jobs as desk_jobs
from valliance.service_desk.services import notices, tickets

member, engineer = desk_world.member, desk_world.engineer  # the shared fixtures


def sms(session) -> list[str]:
    """The SMS to the member's own phone (the tickets' contact phone, 13900139000, is for the
    engineer to call: news never goes there)."""
    return list(session.scalars(select(OutboxMessage.body).where(
        OutboxMessage.recipient == "13800138000").order_by(OutboxMessage.id)))


def inbox(session, member) -> list[str]:
    return list(session.scalars(select(InboxMessage.body).where(
        InboxMessage.member_id == member.id).order_by(InboxMessage.id)))


def opened(session, member, when: str, kind: str = "fault", summary: str = "宽带断网"):
    ticket = tickets.open_ticket(session, member, kind=kind, summary=summary,
                                 contact_phone="13900139000", now=at(when))
    session.commit()
    return ticket


def test_each_status_change_reaches_the_member_once_by_inbox_and_sms(session, member,
                                                                    engineer):
    ticket = opened(session, member, "2026-12-07T10:00")
    tickets.assign_ticket(session, ticket.id, by=engineer, team_id=None, assignee_id=engineer,
                          now=at("2026-12-07T10:05"))
    for status, note in (("in_progress", None), ("waiting_member", "请告知方便上门的时间"),
                         ("resume", None), ("resolved", "更换光猫后恢复"), ("closed", None)):
        tickets.change_status(session, ticket.id, status, by=engineer, note=note,
                              now=at("2026-12-07T11:00"))
    session.commit()
    texts = sms(session)
    assert len(texts) == 7 and len(inbox(session, member)) == 7
    assert ticket.number in texts[0] and "12月7日15:00" in texts[0]
    assert "请告知方便上门的时间" in texts[3] and "更换光猫后恢复" in texts[5]
    assert all(ticket.number in text for text in texts)


def test_a_note_for_the_member_reaches_the_inbox_and_an_internal_one_nobody(session, member):
    ticket = opened(session, member, "2026-12-07T10:00")
    tickets.add_note(session, ticket.id, by=None, note="工程师已出发", visibility="member",
                     now=at("2026-12-07T10:30"))
    tickets.add_note(session, ticket.id, by=None, note="疑似光缆被挖断", visibility="internal",
                     now=at("2026-12-07T10:31"))
    session.commit()
    assert [text for text in inbox(session, member) if "工程师已出发" in text]
    assert not [text for text in inbox(session, member) if "光缆" in text]
    assert not [text for text in sms(session) if "光缆" in text]


def test_the_quiet_hours_hold_the_sms_until_nine_and_the_job_sends_it_once(session, member):
    ticket = opened(session, member, "2026-12-07T22:00")  # the receipt: held
    assert sms(session) == [] and len(inbox(session, member)) == 1
    tickets.change_status(session, ticket.id, "in_progress", by=None,
                          now=at("2026-12-07T22:30"))
    session.commit()
    assert notices.queue_due_sms(session, now=at("2026-12-08T08:59")) == 0
    # the newest news only: "in progress" makes the night's receipt stale (the inbox has both)
    assert desk_jobs.tick(session, at="2026-12-08T09:00:00+08:00")["sms_queued"] == 1
    session.commit()
    desk_jobs.tick(session, at="2026-12-08T09:01:00+08:00")  # the next run, or a retry
    desk_jobs.tick(session, at="2026-12-08T09:00:00+08:00")
    session.commit()
    assert len(sms(session)) == 1 and "正在处理中" in sms(session)[0]
    assert ticket.number in sms(session)[0] and len(inbox(session, member)) == 2


def test_a_fault_fixed_in_the_night_is_not_followed_by_the_nights_older_news(session, member):
    ticket = opened(session, member, "2026-12-07T23:00")
    tickets.change_status(session, ticket.id, "in_progress", by=None,
                          now=at("2026-12-08T01:00"))
    tickets.change_status(session, ticket.id, "resolved", by=None, note="更换光猫",
                          now=at("2026-12-08T02:00"))
    session.commit()
    assert len(sms(session)) == 1 and "更换光猫" in sms(session)[0]  # at once, at 02:00
    assert notices.queue_due_sms(session, now=at("2026-12-08T09:00")) == 0
    assert len(sms(session)) == 1


def test_a_faults_resolution_is_sent_at_night_and_other_news_waits(session, member):
    fault = opened(session, member, "2026-12-07T20:00")
    install = opened(session, member, "2026-12-07T20:00", kind="install")
    before = len(sms(session))
    tickets.change_status(session, fault.id, "resolved", by=None, note="已修复",
                          now=at("2026-12-07T23:00"))
    tickets.change_status(session, install.id, "resolved", by=None, note="已安装",
                          now=at("2026-12-07T23:00"))
    session.commit()
    news = sms(session)[before:]
    assert len(news) == 1 and "已修复" in news[0]
    assert notices.queue_due_sms(session, now=at("2026-12-08T09:00")) == 1


def test_the_nightly_close_tells_the_member_once_however_often_it_runs(session, member):
    ticket = opened(session, member, "2026-12-01T10:00")
    tickets.change_status(session, ticket.id, "resolved", by=None, note="已修复",
                          now=at("2026-12-01T11:00"))
    session.commit()
    for _ in range(3):
        desk_jobs.close_resolved(session, at="2026-12-08T12:00:00+08:00")
        session.commit()
    closed = [text for text in inbox(session, member) if "已关闭" in text]
    assert ticket.status == "closed" and len(closed) == 1


def test_opting_out_of_marketing_does_not_stop_ticket_news(session, member):
    member.marketing_opt_in = False
    session.commit()
    opened(session, member, "2026-12-07T10:00")
    assert len(sms(session)) == 1


@pytest.mark.postgres_only
def test_two_jobs_at_once_queue_each_held_sms_once(app, session, member, run_threads):
    for i in range(10):  # ten tickets: one held receipt each
        opened(session, member, "2026-12-07T22:00", summary=f"断网{i}")

    def job(i):
        count = notices.queue_due_sms(db.session, now=at("2026-12-08T09:00"))
        db.session.commit()
        return count

    assert sum(run_threads(4, job)) == 10
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 10
