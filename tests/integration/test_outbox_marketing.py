"""Campaign SMS in the outbox (issue #17): sign-up codes and alerts go first, and a campaign's
messages reach the gateway only outside the quiet hours — a delivery or a retry at night, or a
request's delivery after its answer, never carries a campaign's backlog."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.integration.test_campaign_schedule import queue  # noqa: F401 (a fixture)
from valliance.db import utcnow
from valliance.marketing.services import campaign_schedule, send_rules
from valliance.messaging import OutboxMessage, deliver_pending, queue_many, queue_sms


class Recorder:
    def __init__(self):
        self.sent = []

    def send(self, recipient, body):
        self.sent.append(recipient)


def _queue(session):
    queue_many(session, [("13900000001", "活动一"), ("13900000002", "活动二")])
    queue_sms(session, "13800000000", "您的验证码是 123456", secret=True)
    session.commit()


def _statuses(session):
    return dict(session.execute(select(OutboxMessage.recipient, OutboxMessage.status)).all())


def test_without_a_deadline_only_the_members_own_messages_go(session):
    _queue(session)
    sender = Recorder()
    assert deliver_pending(session, sender) == 1
    assert sender.sent == ["13800000000"]
    assert _statuses(session) == {"13800000000": "sent", "13900000001": "pending",
                                  "13900000002": "pending"}


def test_before_the_deadline_campaigns_go_after_the_codes(session):
    _queue(session)
    sender = Recorder()
    assert deliver_pending(session, sender, marketing_until=utcnow() + timedelta(hours=1)) == 3
    assert sender.sent == ["13800000000", "13900000001", "13900000002"]


def test_once_the_deadline_has_come_campaigns_wait(session):
    _queue(session)
    sender = Recorder()
    assert deliver_pending(session, sender, marketing_until=utcnow() - timedelta(seconds=1)) == 1
    assert _statuses(session)["13900000001"] == "pending"


def test_the_deadline_is_the_coming_21_00_and_none_in_the_quiet_hours():
    # Asia/Shanghai is UTC+8: 12:00 UTC is 20:00 there
    assert send_rules.marketing_until(datetime(2026, 12, 7, 12, 0, tzinfo=UTC)) == datetime(
        2026, 12, 7, 13, 0, tzinfo=UTC)
    assert send_rules.marketing_until(datetime(2026, 12, 7, 14, 0, tzinfo=UTC)) is None  # 22:00
    assert send_rules.marketing_until(datetime(2026, 12, 7, 0, 30, tzinfo=UTC)) is None  # 08:30
    assert send_rules.marketing_until(datetime(2026, 12, 7, 1, 0, tzinfo=UTC)) == datetime(
        2026, 12, 7, 13, 0, tzinfo=UTC)  # 09:00: the day's window opens


def test_the_tick_queues_no_delivery_at_night_for_campaign_messages_alone(session, queue):  # noqa: F811
    queue_many(session, [("13900000001", "活动一")])
    session.commit()
    night, day = datetime(2026, 12, 7, 14, 0, tzinfo=UTC), datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    assert campaign_schedule.tick(session, now=night)["deliver"] is False
    assert campaign_schedule.tick(session, now=day)["deliver"] is True


def test_a_claim_left_by_a_dead_delivery_is_taken_again(session):
    from valliance.messaging import RECLAIM_AFTER
    queue_sms(session, "13800000001", "您的账户已冻结")
    queue_sms(session, "13800000002", "您的账户已解冻")
    session.commit()
    stale, live = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    stale.status, stale.claimed_at = "sending", utcnow() - RECLAIM_AFTER - timedelta(minutes=1)
    live.status, live.claimed_at = "sending", utcnow() - timedelta(minutes=1)  # still at work
    session.commit()
    sender = Recorder()
    assert deliver_pending(session, sender) == 1
    assert sender.sent == ["13800000001"]
    assert _statuses(session) == {"13800000001": "sent", "13800000002": "sending"}


def test_a_member_who_opts_out_gets_no_campaign_sms_still_queued(session):
    from valliance.members.services import enroll_member
    from valliance.members.services.marketing_consent import set_marketing_opt_in
    member = enroll_member(session, phone="13900000001", name="会员")
    member.marketing_opt_in = True
    _queue(session)
    set_marketing_opt_in(session, member, False, actor="member", via="sms")
    session.commit()
    assert _statuses(session)["13900000001"] == "cancelled"
    assert _statuses(session)["13900000002"] == "pending"  # someone else's still goes
    assert deliver_pending(session, Recorder(), marketing_until=utcnow() + timedelta(hours=1)) == 2


def test_the_deadline_coming_mid_batch_puts_the_rest_back(session, monkeypatch):
    import valliance.messaging as messaging
    _queue(session)
    deadline = utcnow() + timedelta(hours=1)
    sender = Recorder()
    real_send = sender.send

    def send_then_21_00(recipient, body):
        real_send(recipient, body)
        if recipient == "13900000001":  # the clock passes the deadline after this one
            monkeypatch.setattr(messaging, "utcnow", lambda: deadline + timedelta(seconds=1))

    sender.send = send_then_21_00
    assert deliver_pending(session, sender, marketing_until=deadline) == 2
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "13900000002"))
    assert (row.status, row.claimed_at) == ("pending", None)


def test_the_tick_starts_a_delivery_for_a_dead_claim(session, queue):  # noqa: F811
    from valliance.messaging import RECLAIM_AFTER
    queue_sms(session, "13800000001", "您的账户已冻结")
    session.commit()
    row = session.scalar(select(OutboxMessage))
    row.status, row.claimed_at = "sending", utcnow() - RECLAIM_AFTER - timedelta(minutes=1)
    session.commit()
    assert campaign_schedule.tick(session)["deliver"] is True
