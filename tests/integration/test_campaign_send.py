"""Campaign sends (issue #17): every rule of send_rules on real members, messages, rewards and
the ledger, on both engines; two runs of one campaign at once reach nobody twice."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from valliance.errors import ValidationError
from valliance.ids import new_id
from valliance.marketing.campaign_models import Campaign, CampaignDelivery, CampaignRun
from valliance.marketing.services import campaign_schedule, send_rules
from valliance.marketing.services.campaign_send import counts, run_campaign
from valliance.members.models import InboxMessage, Member
from valliance.members.services import enroll_member
from valliance.messaging import OutboxMessage
from valliance.points import Transfer, get_balance, verify_ledger

#: 10:00 and 22:00 in Shanghai
MORNING = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
NIGHT = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)


def members(session, n: int, *, opted_in: bool = True, start: int = 0) -> list[Member]:
    made = []
    for i in range(start, start + n):
        member = enroll_member(session, phone=f"139{i:08d}", name=f"会员{i}", tier="gold",
                               opening_points=1000)
        member.marketing_opt_in = opted_in
        made.append(member)
    session.commit()
    return made


def campaign(session, *, channel="sms", bonus=0, control=0, filters=None,
             message="{name}您好，您的{tier}账户有{balance}积分", name=None) -> Campaign:
    made = Campaign(id=new_id("cmp"), name=name or new_id("name"), message=message,
                    channel=channel, filters=filters or {}, bonus_points=bonus,
                    control_percent=control, schedule_kind="now", status="draft")
    session.add(made)
    session.commit()
    return made


def outbox(session) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def statuses(session, campaign_id) -> dict[str, str]:
    return dict(session.execute(select(CampaignDelivery.member_id, CampaignDelivery.status)
                                .where(CampaignDelivery.campaign_id == campaign_id)).all())


def test_a_send_messages_the_members_who_opted_in_once(session):
    reached = members(session, 3)
    silent = members(session, 1, opted_in=False, start=10)
    made = campaign(session)
    result = run_campaign(session, made.id, started_by="cli", now=MORNING)
    assert result.as_json() == {"targeted": 4, "sent": 3, "deferred": 0, "control": 0,
                                "capped": 0, "opted_out": 1}
    texts = {m.recipient: m.body for m in outbox(session)}
    assert set(texts) == {m.phone for m in reached}
    assert texts[reached[0].phone] == f"{reached[0].name}您好，您的金卡账户有1,000积分 回复TD退订"
    assert statuses(session, made.id)[silent[0].id] == "opted_out"
    assert session.get(Campaign, made.id).status == "finished"
    run = session.scalar(select(CampaignRun).where(CampaignRun.campaign_id == made.id))
    assert run.round == "once" and run.finished_at is not None

    again = run_campaign(session, made.id, started_by="cli", now=MORNING + timedelta(hours=1))
    assert again == result
    assert len(outbox(session)) == 3


def test_the_cap_counts_messages_across_campaigns_for_30_days(app, session, monkeypatch):
    monkeypatch.setitem(app.config, "MARKETING_MAX_PER_30_DAYS", 2)
    people = members(session, 2)
    for i in range(2):
        run_campaign(session, campaign(session).id, started_by="cli",
                     now=MORNING + timedelta(days=i))
    third = campaign(session)
    assert run_campaign(session, third.id, started_by="cli",
                        now=MORNING + timedelta(days=2)).capped == 2
    later = campaign(session)
    # 30 days after the first message only one of the two still counts
    assert run_campaign(session, later.id, started_by="cli",
                        now=MORNING + timedelta(days=30, minutes=1)).sent == 2
    assert len(outbox(session)) == 2 * 3
    assert all(statuses(session, third.id)[p.id] == "capped" for p in people)


def test_quiet_hours_defer_the_message_to_9_and_credit_the_reward_at_once(session):
    person = members(session, 1)[0]
    made = campaign(session, bonus=200)
    result = run_campaign(session, made.id, started_by="cli", now=NIGHT)
    assert (result.deferred, result.sent) == (1, 0)
    assert outbox(session) == []
    assert get_balance(session, person.points_account_id).balance == 1200
    row = session.scalar(select(CampaignDelivery))
    assert row.due_at == datetime(2026, 12, 8, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai

    assert campaign_schedule.release_deferred(session, now=row.due_at - timedelta(seconds=1)
                                              )["sent"] == 0
    assert campaign_schedule.release_deferred(session, now=row.due_at)["sent"] == 1
    assert [m.recipient for m in outbox(session)] == [person.phone]
    assert session.scalar(select(CampaignDelivery.status)) == "sent"
    assert get_balance(session, person.points_account_id).balance == 1200  # not twice
    assert counts(session, made.id).deferred == 0 and counts(session, made.id).sent == 1


def test_deferred_messages_of_a_stopped_campaign_or_an_opted_out_member_never_go(session):
    first, second = members(session, 2)
    made = campaign(session)
    run_campaign(session, made.id, started_by="cli", now=NIGHT)
    second.marketing_opt_in = False
    session.commit()
    morning = NIGHT + timedelta(hours=11)
    assert campaign_schedule.release_deferred(session, now=morning) == {
        "sent": 1, "cancelled": 0, "opted_out": 1}

    other = campaign(session)
    run_campaign(session, other.id, started_by="cli", now=NIGHT + timedelta(days=1))
    session.get(Campaign, other.id).status = "stopped"
    session.commit()
    assert campaign_schedule.release_deferred(session, now=morning + timedelta(days=1)) == {
        "sent": 0, "cancelled": 1, "opted_out": 0}
    assert [m.recipient for m in outbox(session)] == [first.phone]


def test_the_control_group_is_stable_held_out_and_gets_nothing(session):
    people = members(session, 40)
    made = campaign(session, bonus=50, control=30)
    held = {p.id for p in people if send_rules.in_control(made.id, p.id, 30)}
    assert 0 < len(held) < 40
    result = run_campaign(session, made.id, started_by="cli", now=MORNING)
    assert (result.control, result.sent) == (len(held), 40 - len(held))
    decided = statuses(session, made.id)
    assert {m for m, status in decided.items() if status == "control"} == held
    texted = {m.recipient for m in outbox(session)}
    for person in people:
        balance = get_balance(session, person.points_account_id).balance
        assert (person.phone in texted, balance) == (
            (False, 1000) if person.id in held else (True, 1050))
    assert all(send_rules.in_control(made.id, m, 30) for m in held)  # the same next time


def test_a_reward_is_a_ledger_transfer_of_kind_reward(session):
    person = members(session, 1)[0]
    made = campaign(session, bonus=300)
    run_campaign(session, made.id, started_by="cli", now=MORNING)
    transfer = session.scalar(select(Transfer).where(Transfer.kind == "reward"))
    assert (transfer.amount, transfer.reason) == (300, f"campaign:{made.id}")
    assert session.scalar(select(CampaignDelivery.reward_transfer_id)) == transfer.id
    assert get_balance(session, person.points_account_id).balance == 1300
    assert verify_ledger(session).ok


def test_the_inbox_channel_writes_to_the_portal_inbox(session):
    person = members(session, 1)[0]
    made = campaign(session, channel="inbox",
                    message="双十二会员日：{name}，{offer}今天等您\n第二行")
    run_campaign(session, made.id, started_by="cli", now=MORNING)
    message = session.scalar(select(InboxMessage))
    assert (message.member_id, message.source) == (person.id, f"campaign:{made.id}")
    assert message.title == f"双十二会员日：{person.name}，今天等您"
    assert message.body.endswith("第二行")
    assert outbox(session) == []


def test_a_paused_or_stopped_campaign_does_not_run(session):
    members(session, 1)
    made = campaign(session)
    made.status = "paused"
    session.commit()
    with pytest.raises(ValidationError):
        run_campaign(session, made.id, started_by="cli", now=MORNING)
    assert session.scalar(select(func.count()).select_from(CampaignDelivery)) == 0


@pytest.mark.postgres_only
def test_two_runs_of_one_campaign_at_once_reach_each_member_once(app, session, run_threads):
    people = members(session, 60)
    made = campaign(session, bonus=10)
    from valliance.extensions import db
    from valliance.marketing.services import campaign_send

    campaign_send.BATCH, batch = 7, campaign_send.BATCH
    try:
        run_threads(4, lambda i: run_campaign(db.session, made.id, started_by=f"t{i}",
                                              now=MORNING))
    finally:
        campaign_send.BATCH = batch
    session.expire_all()
    assert counts(session, made.id).sent == 60
    assert sorted(m.recipient for m in outbox(session)) == sorted(p.phone for p in people)
    assert session.scalar(select(func.count()).select_from(Transfer)
                          .where(Transfer.kind == "reward")) == 60
    assert verify_ledger(session).ok


@pytest.mark.postgres_only
def test_two_campaigns_at_once_never_pass_the_cap(app, session, run_threads, monkeypatch):
    monkeypatch.setitem(app.config, "MARKETING_MAX_PER_30_DAYS", 1)
    members(session, 40)
    made = [campaign(session).id for _ in range(3)]
    from valliance.extensions import db

    run_threads(3, lambda i: run_campaign(db.session, made[i], started_by="t", now=MORNING))
    session.expire_all()
    per_member = session.execute(select(OutboxMessage.recipient, func.count())
                                 .group_by(OutboxMessage.recipient)).all()
    assert len(per_member) == 40 and all(n == 1 for _, n in per_member)


def test_frozen_and_expired_members_are_left_out(session):
    active, frozen, expired = members(session, 3)
    frozen.membership_status, expired.membership_status = "frozen", "expired"
    session.commit()
    result = run_campaign(session, campaign(session, bonus=10).id, started_by="cli", now=MORNING)
    assert (result.targeted, result.sent) == (1, 1)
    assert session.scalar(select(CampaignDelivery.member_id)) == active.id


def test_a_run_that_reaches_21_00_defers_the_rest(session, monkeypatch):
    from valliance.marketing.services import campaign_send
    members(session, 5)
    made = campaign(session)
    monkeypatch.setattr(campaign_send, "BATCH", 2)
    ticks = iter(datetime(2026, 12, 7, 12, 57, tzinfo=UTC) + timedelta(minutes=minute)
                 for minute in range(9))
    # the run starts at 20:57 (Shanghai); its batches at 20:58, 20:59 and 21:00
    monkeypatch.setattr(campaign_send, "utcnow", lambda: next(ticks))
    result = run_campaign(session, made.id, started_by="cli")
    assert (result.sent, result.deferred) == (4, 1)
    last = session.scalar(select(CampaignDelivery).where(CampaignDelivery.status == "deferred"))
    assert last.due_at == datetime(2026, 12, 8, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
