"""Win-back (issue #18): who enters (N days, K purchases, RFM cells), once per lapse, the
re-entry rule, the engine's rules (opt-out, good standing, the control group held out by
send_rules.in_control), coupons once, and the daily job through the job runner; on both
engines, on a frozen clock."""

import json

import pytest
from sqlalchemy import func, select

from tests.integration.winback_world import (
    DAY,
    NOW,
    buy,
    regular,
    save,
    score,
    shop,
    small_recent,
    split,
)
from valliance import jobs
from valliance.audit import AuditEvent
from valliance.coupons.issuing import create_template
from valliance.coupons.models import Coupon
from valliance.errors import ValidationError
from valliance.jobs import schedule
from valliance.marketing.campaign_models import Campaign, CampaignDelivery
from valliance.marketing.models import MemberScore
from valliance.marketing.services import campaign_schedule
from valliance.messaging import OutboxMessage
from valliance.winback.models import WinbackCoupon
from valliance.winback.services import entries, programme

CELLS = programme.CELLS


def statuses(session, campaign_id) -> dict[str, list[str]]:
    rows = session.execute(select(CampaignDelivery.member_id, CampaignDelivery.status)
                           .where(CampaignDelivery.campaign_id == campaign_id)
                           .order_by(CampaignDelivery.round)).all()
    found: dict[str, list[str]] = {}
    for member_id, status in rows:
        found.setdefault(member_id, []).append(status)
    return found


def cell(session, who) -> str | None:
    return session.scalar(select(MemberScore.cell).where(MemberScore.member_id == who.id))


def test_who_enters_after_n_days_and_k_purchases_in_the_important_cells(session):
    merchant = shop(session)
    small_recent(session, merchant, 100, count=10)  # so that all the lapsed score low on R
    exactly = regular(session, merchant, 1, NOW - 60 * DAY)  # N days to the second: enters
    lately = regular(session, merchant, 2, NOW - 60 * DAY + DAY / 24)  # 59 days 23 hours
    twice = regular(session, merchant, 3, NOW - 70 * DAY, times=2, amount=200_000)
    small = regular(session, merchant, 4, NOW - 70 * DAY, amount=100)  # lapsed, spent little
    refunded = regular(session, merchant, 5, NOW - 70 * DAY, times=2)
    buy(session, merchant, refunded, NOW - 90 * DAY, refund="all")  # 3 bought, 1 refunded
    session.commit()
    score(session)
    # the members left out for N or K are in the cells: only N or K keeps them out
    assert {cell(session, m) for m in (exactly, lately, twice, refunded)} <= set(CELLS)
    assert cell(session, small) not in CELLS
    saved = save(session)

    assert entries.run(session, now=NOW)["targeted"] == 1
    session.commit()
    assert statuses(session, saved.campaign_id) == {exactly.id: ["sent"]}
    [sms] = session.scalars(select(OutboxMessage)).all()
    assert sms.recipient == exactly.phone and sms.body.startswith("会员1您好，好久不见")


def test_a_member_enters_once_per_lapse_and_again_only_after_coming_back(session):
    merchant = shop(session)
    small_recent(session, merchant, 100)
    lapsed = regular(session, merchant, 1, NOW - 60 * DAY)
    session.commit()
    score(session)
    saved = save(session, reentry_days=180)
    run = lambda day: entries.run(session, now=NOW + day * DAY)  # noqa: E731

    assert run(0)["sent"] == 1
    assert run(0)["targeted"] == 1  # the same day again: the round decided them
    assert run(1)["targeted"] == 0  # still lapsed the next day: the same lapse
    assert run(200)["targeted"] == 0  # half a year on, never came back: the same lapse
    buy(session, merchant, lapsed, NOW + 10 * DAY)  # came back on day 10 …
    session.commit()
    assert run(70)["targeted"] == 0  # … lapsed again by day 70, but 180 days have not passed
    assert run(179)["targeted"] == 0
    assert run(180)["sent"] == 1  # 180 days after the first entry: a new lapse, a new entry
    assert run(181)["targeted"] == 0
    assert statuses(session, saved.campaign_id) == {lapsed.id: ["sent", "sent"]}


def test_the_control_group_is_held_out_by_the_engines_rule_and_stays_held_out(session):
    merchant = shop(session)
    saved = save(session, control_percent=30, rfm_cells=[], bonus_points=50)
    lapsed, n = [], 0
    # as many lapsed members as it takes for both groups to have two (never left to luck)
    while min(len(group) for group in split(saved.campaign_id, lapsed, 30)) < 2:
        lapsed.append(regular(session, merchant, n, NOW - 61 * DAY))
        n += 1
    session.commit()
    held, reached = split(saved.campaign_id, lapsed, 30)

    entries.run(session, now=NOW)
    entries.run(session, now=NOW + DAY)
    session.commit()
    found = statuses(session, saved.campaign_id)
    assert found == {**{m.id: ["control"] for m in held}, **{m.id: ["sent"] for m in reached}}
    texted = set(session.scalars(select(OutboxMessage.recipient)))
    assert texted == {m.phone for m in reached}
    rewarded = set(session.scalars(select(CampaignDelivery.member_id).where(
        CampaignDelivery.reward_transfer_id.is_not(None))))
    assert rewarded == {m.id for m in reached}


def test_opted_out_and_frozen_members_do_not_enter_and_opt_out_is_noted_once(session):
    merchant = shop(session)
    silent = regular(session, merchant, 1, NOW - 61 * DAY, opted_in=False)
    frozen = regular(session, merchant, 2, NOW - 61 * DAY)
    frozen.membership_status = "frozen"
    fine = regular(session, merchant, 3, NOW - 61 * DAY)
    session.commit()
    saved = save(session, rfm_cells=[])

    entries.run(session, now=NOW)
    entries.run(session, now=NOW + DAY)
    session.commit()
    assert statuses(session, saved.campaign_id) == {silent.id: ["opted_out"],
                                                    fine.id: ["sent"]}
    assert set(session.scalars(select(OutboxMessage.recipient))) == {fine.phone}


def test_coupons_go_once_to_each_member_reached(session):
    merchant = shop(session)
    template = create_template(session, title="回归礼券", value=2_000, min_spend=10_000,
                               created_by="test")
    people = [regular(session, merchant, n, NOW - 61 * DAY) for n in range(3)]
    people[2].marketing_opt_in = False
    session.commit()
    saved = save(session, rfm_cells=[], coupon_template_id=template.id)

    assert entries.run(session, now=NOW)["coupons"] == 2
    assert entries.run(session, now=NOW)["coupons"] == 0  # a retried job issues none again
    session.commit()
    coupons = session.scalars(select(Coupon)).all()
    assert sorted(c.member_id for c in coupons) == sorted(m.id for m in people[:2])
    assert {c.source for c in coupons} == {entries.SOURCE}
    assert session.scalar(select(func.count()).select_from(WinbackCoupon)) == 2
    assert session.get(Campaign, saved.campaign_id).coupon_template_id is None


def test_an_off_or_stopped_programme_runs_nothing(session):
    merchant = shop(session)
    regular(session, merchant, 1, NOW - 61 * DAY)
    session.commit()
    assert entries.run(session, now=NOW) == {"skipped": "off"}  # never saved
    saved = save(session, rfm_cells=[], enabled=False)
    assert entries.run(session, now=NOW) == {"skipped": "off"}
    save(session, rfm_cells=[])
    session.get(Campaign, saved.campaign_id).status = "stopped"
    session.commit()
    assert entries.run(session, now=NOW) == {"skipped": "stopped"}
    assert session.scalar(select(func.count()).select_from(CampaignDelivery)) == 0


def test_the_daily_job_runs_through_the_job_runner(app, session):
    merchant = shop(session)
    lapsed_id = regular(session, merchant, 1, NOW - 61 * DAY).id
    session.commit()
    campaign_id = save(session, rfm_cells=[]).campaign_id
    assert jobs.JOBS[entries.JOB].timeout >= 3600  # a campaign run may take minutes
    assert (entries.JOB, NOW.date()) in schedule.due(NOW)  # 10:00 Shanghai: due today
    assert (entries.JOB, NOW.date()) not in schedule.due(NOW - DAY / 24)

    backend = jobs.backend(app)
    backend.enqueue(entries.JOB, (NOW,), "winback-test")
    session.remove()
    assert backend.drain() >= 1
    assert backend.overview()["failed"] == []
    assert statuses(session, campaign_id) == {lapsed_id: ["sent"]}
    campaign = session.get(Campaign, campaign_id)
    # the minute tick never starts it: the daily job does
    assert campaign.status == "scheduled" and campaign.next_run_at is None
    assert campaign_schedule.tick(session, now=NOW + 2 * DAY)["runs"] == 0


def test_settings_are_checked_audited_and_fixed_once_members_entered(session):
    with pytest.raises(ValidationError) as refused:
        programme.save(session, {**programme.DEFAULTS, "lapse_days": "0", "min_purchases": "x",
                                 "control_percent": "80", "message": "{bogus}",
                                 "coupon_template_id": "ctp_missing"}, actor="test")
    assert set(refused.value.details) == {"lapse_days", "min_purchases", "control_percent",
                                          "message", "coupon_template_id"}
    session.rollback()
    merchant = shop(session)
    regular(session, merchant, 1, NOW - 61 * DAY)
    session.commit()
    saved = save(session, rfm_cells=[], control_percent=10)
    campaign = session.get(Campaign, saved.campaign_id)
    assert campaign.filters == {"inactive_min": 60, "purchases_min": 3}
    assert campaign.reentry_days == 180 and campaign.schedule_kind == "daily"
    save(session, rfm_cells=list(CELLS), lapse_days=45, control_percent=20)  # none sent yet
    assert session.get(Campaign, saved.campaign_id).filters == {
        "inactive_min": 45, "purchases_min": 3, "rfm_cells": list(CELLS)}
    save(session, rfm_cells=[], control_percent=20)
    assert entries.run(session, now=NOW)["targeted"] == 1
    session.commit()
    with pytest.raises(ValidationError) as fixed:
        save(session, control_percent=30)
    assert set(fixed.value.details) == {"control_percent"}
    session.rollback()
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "winback.update")
                             .order_by(AuditEvent.id)).all()
    assert len(events) == 3 and '"control_percent": 10' in events[1].detail


def test_flask_winback_run_and_report(app, session):
    runner = app.test_cli_runner()
    off = runner.invoke(args=["winback", "run", "--json"])
    assert off.exit_code == 0 and json.loads(off.stdout) == {"skipped": "off"}
    merchant = shop(session)
    regular(session, merchant, 1, NOW - 61 * DAY)
    session.commit()
    save(session, rfm_cells=[])
    ran = runner.invoke(args=["winback", "run", "--json"])
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout)["targeted"] == 1  # the lapse counts from the real clock
    report = json.loads(runner.invoke(args=["winback", "report", "--json"]).stdout)
    assert report["reached"] + report["control"] == 1 and report["came_back"] == 0


def test_a_member_at_the_cap_is_tried_again_the_next_day(app, session, monkeypatch):
    merchant = shop(session)
    lapsed = regular(session, merchant, 1, NOW - 61 * DAY)
    session.commit()
    saved = save(session, rfm_cells=[])
    monkeypatch.setitem(app.config, "MARKETING_MAX_PER_30_DAYS", 0)
    assert entries.run(session, now=NOW)["capped"] == 1
    monkeypatch.setitem(app.config, "MARKETING_MAX_PER_30_DAYS", 4)
    assert entries.run(session, now=NOW + DAY)["sent"] == 1
    session.commit()
    assert statuses(session, saved.campaign_id) == {lapsed.id: ["capped", "sent"]}
