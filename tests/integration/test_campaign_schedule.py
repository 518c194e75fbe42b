"""The campaign schedule (issue #17): the minute tick queues due runs (and runs that died),
not paused ones; a daily campaign runs once a day, a round per day; a stop mid-way ends the run."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.integration.test_campaign_send import MORNING, campaign, members
from valliance import jobs
from valliance.marketing.campaign_models import Campaign, CampaignDelivery, CampaignRun
from valliance.marketing.services import campaign_schedule, campaign_send


def _empty(backend) -> None:
    with backend.lock:
        backend.jobs.clear()
        backend.attempts.clear()
    while not backend.pending.empty():
        backend.pending.get_nowait()


@pytest.fixture
def queue(app):
    """The in-process queue, emptied (not run) before and after: the app outlives a test."""
    backend = jobs.backend(app)
    _empty(backend)
    yield backend
    _empty(backend)


def queued(backend) -> list[tuple]:
    return sorted((job.name, job.args) for job in backend.overview()["queued"])


def test_the_tick_queues_due_and_dying_runs_only(session, queue):
    made = {status: campaign(session, name=status) for status in
            ("scheduled", "sending", "paused", "later", "draft")}
    for status, row in made.items():
        row.status = "scheduled" if status == "later" else status
        row.next_run_at = MORNING + (timedelta(hours=1) if status == "later" else timedelta())
    session.commit()
    result = campaign_schedule.tick(session, now=MORNING)
    assert result["runs"] == 2
    assert queued(queue) == sorted([
        (campaign_schedule.SEND_JOB, (made["scheduled"].id, "schedule")),
        (campaign_schedule.SEND_JOB, (made["sending"].id, "schedule"))])
    campaign_schedule.tick(session, now=MORNING)  # queued already: not twice
    assert len(queued(queue)) == 2


def _daily(session, **fields) -> Campaign:
    made = campaign(session, **fields)
    made.schedule_kind, made.daily_at, made.status = "daily", "10:00", "scheduled"
    made.next_run_at = MORNING  # 10:00 in Shanghai on 2026-12-07
    session.commit()
    return made


def _run_due(session, made, late=timedelta(minutes=1)):
    return campaign_send.run_campaign(session, made.id, started_by="schedule",
                                      now=made.next_run_at + late)


def test_a_daily_campaign_runs_a_round_a_day_and_reaches_a_member_once_a_year(session):
    people = members(session, 2)
    made = _daily(session)
    assert _run_due(session, made).sent == 2
    session.refresh(made)
    assert made.status == "scheduled"
    assert made.next_run_at == MORNING + timedelta(days=1)
    people += members(session, 1, start=2)  # joins the next day
    second = _run_due(session, made)
    assert (second.targeted, second.sent) == (1, 1)  # the first two are not reached again
    rounds = session.scalars(select(CampaignRun.round).order_by(CampaignRun.round)).all()
    assert rounds == ["2026-12-07", "2026-12-08"]
    # the same day a year later (2027-12-07): the first two again, not the newcomer yet
    made.next_run_at = MORNING + timedelta(days=365)
    session.commit()
    third = _run_due(session, made)
    assert (third.targeted, third.sent) == (2, 2)
    per_member = session.execute(select(CampaignDelivery.member_id, CampaignDelivery.round)
                                 ).all()
    assert sorted(m for m, _ in per_member) == sorted(
        [people[0].id, people[1].id, people[2].id, people[0].id, people[1].id])


def test_a_birthday_round_run_late_serves_its_own_day_and_no_one_twice(session):
    on_7th, on_8th = members(session, 2)
    on_7th.birth_month, on_7th.birth_day = 12, 7
    on_8th.birth_month, on_8th.birth_day = 12, 8
    session.commit()
    made = _daily(session, filters={"birthday_today": True}, bonus=200)
    # the workers were down: the 7th's round runs at 00:30 on the 8th (Shanghai)
    late = _run_due(session, made, late=timedelta(hours=14, minutes=30))
    assert (late.targeted, late.deferred) == (1, 1)
    session.refresh(made)
    assert made.next_run_at == MORNING + timedelta(days=1)
    assert _run_due(session, made).sent == 1  # the 8th's birthday, at 10:00
    # the member born on the 7th says the 9th now: no second greeting, no second gift
    on_7th.birth_day = 9
    session.commit()
    session.refresh(made)
    assert _run_due(session, made).targeted == 0
    rows = session.execute(select(CampaignDelivery.member_id, CampaignDelivery.round)
                           .order_by(CampaignDelivery.round)).all()
    assert [tuple(r) for r in rows] == [(on_7th.id, "2026-12-07"), (on_8th.id, "2026-12-08")]


def test_a_stop_between_batches_ends_the_run(session, monkeypatch):
    members(session, 5)
    made = campaign(session)
    monkeypatch.setattr(campaign_send, "BATCH", 2)
    decide = campaign_send._decide_batch

    def then_stop(session, campaign, round, member_ids, now):
        decide(session, campaign, round, member_ids, now)
        session.execute(Campaign.__table__.update().where(Campaign.id == campaign.id)
                        .values(status="stopped"))

    monkeypatch.setattr(campaign_send, "_decide_batch", then_stop)
    result = campaign_send.run_campaign(session, made.id, started_by="cli",
                                        now=datetime(2026, 12, 7, 2, tzinfo=UTC))
    assert result.targeted == 2
    run = session.scalar(select(CampaignRun))
    assert run.finished_at is not None
    assert session.get(Campaign, made.id).status == "stopped"


def test_a_stop_cancels_the_night_held_messages_at_once(session):
    from tests.integration.test_campaign_send import NIGHT
    from valliance.marketing.services import campaign_lifecycle
    members(session, 2)
    made = _daily(session)  # still live after its round (a one-off is finished)
    assert campaign_send.run_campaign(session, made.id, started_by="cli", now=NIGHT).deferred == 2
    campaign_lifecycle.stop(session, made.id, actor="cli")
    session.commit()
    statuses = session.scalars(select(CampaignDelivery.status)).all()
    assert statuses == ["cancelled", "cancelled"]  # they no longer count toward any cap
    assert campaign_schedule.tick(session, now=NIGHT + timedelta(hours=12))["release"] is False


def test_a_stop_cancels_the_campaigns_sms_still_in_the_outbox(session):
    from valliance.marketing.services import campaign_lifecycle
    from valliance.messaging import OutboxMessage
    members(session, 2)
    made = _daily(session)
    assert _run_due(session, made).sent == 2  # queued at 10:01; say the gateway was down
    campaign_lifecycle.stop(session, made.id, actor="cli")
    session.commit()
    assert session.scalars(select(OutboxMessage.status)).all() == ["cancelled", "cancelled"]
