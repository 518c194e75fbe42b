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


def test_a_daily_campaign_runs_a_round_a_day(session):
    people = members(session, 2)
    made = campaign(session)
    made.schedule_kind, made.daily_at, made.status = "daily", "10:00", "scheduled"
    made.next_run_at = MORNING  # 10:00 in Shanghai on 2026-12-07
    session.commit()
    first = campaign_send.run_campaign(session, made.id, started_by="schedule",
                                       now=MORNING + timedelta(minutes=1))
    assert first.sent == 2
    session.refresh(made)
    assert made.status == "scheduled"
    assert made.next_run_at > MORNING
    made.next_run_at = MORNING + timedelta(days=1)
    session.commit()
    second = campaign_send.run_campaign(session, made.id, started_by="schedule",
                                        now=MORNING + timedelta(days=1, minutes=1))
    assert second.sent == 2
    rounds = session.scalars(select(CampaignRun.round).order_by(CampaignRun.round)).all()
    assert rounds == ["2026-12-07", "2026-12-08"]
    per_member = session.execute(select(CampaignDelivery.member_id, CampaignDelivery.round)
                                 ).all()
    assert len(per_member) == 4 and {m for m, _ in per_member} == {p.id for p in people}


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
