"""Campaigns (issue #17): each field checked with its own message, the lifecycle's moves and
the ones refused, the audit trail, and the test send to the staff member's own phone."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.integration.campaign_engine import engine  # noqa: F401 (a fixture)
from valliance.audit import AuditEvent
from valliance.db import SHANGHAI, utcnow
from valliance.errors import ValidationError
from valliance.marketing.campaign_models import Campaign, CampaignDelivery
from valliance.marketing.services import campaign_lifecycle as lifecycle
from valliance.marketing.services import campaigns, saved_segments
from valliance.marketing.services.segment_filters import parse_filters
from valliance.members.models import Member
from valliance.members.services import enroll_member
from valliance.merchants.services.offers import create_offer
from valliance.merchants.services.onboarding import create_merchant
from valliance.messaging import OutboxMessage
from valliance.staff import services as staff_services

ACTOR = "staff:x"


@pytest.fixture
def queued(engine):  # noqa: F811 (the engine's face, and the runs it was asked to queue)
    return engine


@pytest.fixture
def world(session, queued):
    """Two gold members (李雷 newest, 1,500 points), a silver one; a shop with an active
    offer and one with a lapsed offer; a saved segment "金卡会员"; a marketer with no phone."""
    shop = create_merchant(session, name="老王火锅", category="餐饮", district="鹿城区",
                           approved=True)
    offer = create_offer(session, shop, title="双人套餐8.8折", percent_off=12)
    old = create_offer(session, shop, title="去年的优惠", percent_off=10,
                       valid_until=datetime(2020, 1, 1).date())
    for phone, name, tier, points, joined in (
            ("13800000001", "韩梅梅", "gold", 300, datetime(2025, 1, 1, tzinfo=UTC)),
            ("13800000002", "李雷", "gold", 1500, datetime(2026, 1, 1, tzinfo=UTC)),
            ("13800000003", "王芳", "silver", 0, datetime(2024, 1, 1, tzinfo=UTC))):
        enroll_member(session, phone=phone, name=name, tier=tier,
                      opening_points=points).created_at = joined
    segment = saved_segments.create_segment(session, "金卡会员", parse_filters(
        {"tiers": ["gold"]}), staff_id=None)
    staff = staff_services.create_staff_user(session, username="mkt", name="小营",
                                             password="secret123", roles=("marketing",))
    session.commit()
    return {"offer": offer.id, "old_offer": old.id, "segment": segment.id, "staff": staff}


def fields(world, **changes) -> dict:
    data = {"name": "金卡回馈", "channel": "sms", "segment_id": world["segment"],
            "message": "尊敬的{name}，您有{balance}积分，{offer}等您来！",
            "offer_id": world["offer"], "bonus_points": "100", "control_percent": "10",
            "schedule_kind": "now"}
    return {**data, **changes}


def refused(session, data: dict) -> dict:
    with pytest.raises(ValidationError) as caught:
        campaigns.create_campaign(session, data, actor=ACTOR)
    session.rollback()
    return {name: " ".join(map(str, messages)) for name, messages in caught.value.details.items()}


def test_a_campaign_copies_its_segments_filters_and_is_audited(session, world):
    campaign = campaigns.create_campaign(session, fields(world), actor=ACTOR)
    session.commit()
    assert (campaign.status, campaign.segment_id, campaign.filters) == (
        "draft", world["segment"], {"tiers": ["gold"]})
    assert (campaign.bonus_points, campaign.control_percent, campaign.next_run_at) == (
        100, 10, None)
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "campaign.create"))
    assert event.subject == campaign.id and event.actor == ACTOR
    assert event.details["message"] == campaign.message
    assert campaigns.audience_size(session, campaign) == 2


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"name": " "}, "name", "请填写活动名称"),
    ({"name": "长" * 81}, "name", "不超过80字"),
    ({"channel": "email"}, "channel", "无效的选项"),
    ({"message": ""}, "message", "请填写消息内容"),
    ({"message": "字" * 301}, "message", "不超过300字"),
    ({"segment_id": ""}, "segment_id", "请选择客户分群"),
    ({"segment_id": "seg_nope"}, "segment_id", "没有这个分群"),
    ({"offer_id": "off_nope"}, "offer_id", "没有这个优惠"),
    ({"offer_id": ""}, "offer_id", "请选择一个优惠"),
    ({"bonus_points": "100001"}, "bonus_points", "0 到 100,000"),
    ({"bonus_points": "-1"}, "bonus_points", "0 到 100,000"),
    ({"bonus_points": "十"}, "bonus_points", "请填写整数"),
    ({"bonus_points": True}, "bonus_points", "请填写整数"),
    ({"control_percent": "51"}, "control_percent", "0 到 50"),
    ({"coupon_template_id": "tpl_1"}, "coupon_template_id", "没有这个优惠券模板"),
    ({"schedule_kind": "weekly"}, "schedule_kind", "无效的选项"),
    ({"schedule_kind": "at", "send_at": ""}, "send_at", "请填写发送时间"),
    ({"schedule_kind": "at", "send_at": "2020-01-01T10:00"}, "send_at", "须晚于现在"),
    ({"schedule_kind": "daily", "daily_at": "25:00"}, "daily_at", "每天的发送时刻"),
    ({"schedule_kind": "daily", "daily_at": ""}, "daily_at", "每天的发送时刻"),
])
def test_each_field_is_checked(session, world, change, field, words):
    errors = refused(session, fields(world, **change))
    assert list(errors) == [field] and words in errors[field]
    assert session.scalar(select(func.count()).select_from(Campaign)) == 0


def test_a_lapsed_offer_cannot_be_named(session, world):
    assert "没有这个优惠" in refused(session, fields(world, offer_id=world["old_offer"]))[
        "offer_id"]


def test_an_unknown_placeholder_is_refused_with_the_allowed_ones(session, world):
    errors = refused(session, fields(world, message="{nmae}您好，{balance}积分"))
    assert "{nmae}" in errors["message"]
    for allowed in ("{name}", "{tier}", "{balance}", "{expiring_points}", "{offer}"):
        assert allowed in errors["message"]


def test_every_wrong_field_is_named_at_once_and_the_name_is_unique(session, world):
    campaigns.create_campaign(session, fields(world), actor=ACTOR)
    session.commit()
    errors = refused(session, fields(world, channel="fax", control_percent="99"))
    assert set(errors) == {"name", "channel", "control_percent"}
    assert "已有同名活动" in errors["name"]


def test_filters_given_directly_are_checked_like_a_segments(session, world):
    campaign = campaigns.create_campaign(
        session, fields(world, segment_id="", filters={"tiers": ["silver"]}), actor=ACTOR)
    assert (campaign.segment_id, campaign.filters) == (None, {"tiers": ["silver"]})
    errors = refused(session, fields(world, name="别的", segment_id="",
                                     filters={"tiers": ["platinum"]}))
    assert "platinum" in errors["tiers"]


def test_a_time_is_read_in_shanghai_and_kept_in_utc(session, world):
    campaign = campaigns.create_campaign(session, fields(
        world, schedule_kind="at", send_at="2099-01-01T10:00", daily_at="09:00"), actor=ACTOR)
    assert campaign.send_at == datetime(2099, 1, 1, 2, 0, tzinfo=UTC)
    assert campaign.daily_at is None  # only the chosen kind's field is kept


def test_only_a_draft_or_paused_campaign_changes(session, world, queued):
    campaign = campaigns.create_campaign(session, fields(world), actor=ACTOR)
    campaigns.update_campaign(session, campaign.id, fields(world, message="{name}，周末见"),
                              actor=ACTOR)
    assert campaign.message == "{name}，周末见"
    lifecycle.schedule(session, campaign.id, actor=ACTOR)
    with pytest.raises(ValidationError, match="只有草稿或已暂停的活动可以修改"):
        campaigns.update_campaign(session, campaign.id, fields(world), actor=ACTOR)
    lifecycle.pause(session, campaign.id, actor=ACTOR)
    campaigns.update_campaign(session, campaign.id, fields(
        world, bonus_points="5", schedule_kind="at", send_at="2099-01-01T10:00"), actor=ACTOR)
    assert (campaign.bonus_points, campaign.next_run_at) == (5, None)
    lifecycle.resume(session, campaign.id, actor=ACTOR)  # the run as the schedule now says
    assert campaign.next_run_at == datetime(2099, 1, 1, 2, 0, tzinfo=UTC)
    [update, again] = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "campaign.update").order_by(AuditEvent.seq))
    assert update.details["before"]["message"].startswith("尊敬的")
    assert again.details["before"]["bonus_points"] == 100


def test_scheduling_now_sets_the_run_due_and_queues_it_after_the_commit(session, world, queued):
    campaign = campaigns.create_campaign(session, fields(world), actor=ACTOR)
    before = utcnow()
    lifecycle.schedule(session, campaign.id, actor=ACTOR, reason="周末活动")
    session.commit()
    assert campaign.status == "scheduled" and before <= campaign.next_run_at <= utcnow()
    assert queued == []  # the service queues nothing inside the transaction
    assert lifecycle.start_now(campaign) and queued == [campaign.id]


def test_scheduling_at_a_time_or_daily(session, world, queued):
    at = campaigns.create_campaign(session, fields(
        world, schedule_kind="at", send_at="2099-01-01T10:00"), actor=ACTOR)
    daily = campaigns.create_campaign(session, fields(
        world, name="生日祝福", schedule_kind="daily", daily_at="10:00"), actor=ACTOR)
    lifecycle.schedule(session, at.id, actor=ACTOR)
    before = utcnow()
    lifecycle.schedule(session, daily.id, actor=ACTOR)
    assert at.next_run_at == datetime(2099, 1, 1, 2, 0, tzinfo=UTC)
    # the engine's next_daily: the next 10:00 Asia/Shanghai, within a day
    assert before - timedelta(minutes=1) < daily.next_run_at <= before + timedelta(days=1)
    assert daily.next_run_at.astimezone(SHANGHAI).strftime("%H:%M") == "10:00"
    assert not lifecycle.start_now(at) and not lifecycle.start_now(daily) and queued == []


def test_a_time_that_passed_before_scheduling_is_refused(session, world, queued):
    campaign = campaigns.create_campaign(session, fields(
        world, schedule_kind="at", send_at="2099-01-01T10:00"), actor=ACTOR)
    campaign.send_at = utcnow() - timedelta(minutes=1)
    with pytest.raises(ValidationError) as caught:
        lifecycle.schedule(session, campaign.id, actor=ACTOR)
    assert "send_at" in caught.value.details and campaign.status == "draft"


def test_pause_resume_stop_and_the_moves_refused(session, world, queued):
    campaign = campaigns.create_campaign(session, fields(world), actor=ACTOR)
    for action in (lifecycle.pause, lifecycle.resume):
        with pytest.raises(ValidationError, match="草稿"):
            action(session, campaign.id, actor=ACTOR)
    lifecycle.schedule(session, campaign.id, actor=ACTOR)
    with pytest.raises(ValidationError, match="已排期"):
        lifecycle.schedule(session, campaign.id, actor=ACTOR)
    lifecycle.pause(session, campaign.id, actor=ACTOR, reason="文案再看看")
    assert campaign.status == "paused" and campaign.next_run_at is not None
    lifecycle.resume(session, campaign.id, actor=ACTOR)
    campaign.status = "sending"  # the engine's run, under way
    lifecycle.pause(session, campaign.id, actor=ACTOR)
    with pytest.raises(ValidationError) as caught:
        lifecycle.stop(session, campaign.id, actor=ACTOR, reason=" ")
    assert "reason" in caught.value.details
    lifecycle.stop(session, campaign.id, actor=ACTOR, reason="预算用完")
    assert (campaign.status, campaign.next_run_at) == ("stopped", None)
    for action in (lifecycle.stop, lifecycle.resume, lifecycle.pause, lifecycle.schedule):
        with pytest.raises(ValidationError, match="已停止"):
            action(session, campaign.id, actor=ACTOR, reason="再来")
    session.commit()
    trail = [(e.action, e.details["before"], e.details["status"], e.reason)
             for e in session.scalars(select(AuditEvent).where(
                 AuditEvent.subject == campaign.id, AuditEvent.action != "campaign.create")
                 .order_by(AuditEvent.seq))]
    assert trail == [("campaign.schedule", "draft", "scheduled", ""),
                     ("campaign.pause", "scheduled", "paused", "文案再看看"),
                     ("campaign.resume", "paused", "scheduled", ""),
                     ("campaign.pause", "sending", "paused", ""),
                     ("campaign.stop", "paused", "stopped", "预算用完")]


def test_a_finished_campaign_cannot_be_stopped(session, world, queued):
    campaign = campaigns.create_campaign(session, fields(world), actor=ACTOR)
    campaign.status = "finished"
    with pytest.raises(ValidationError, match="已完成"):
        lifecycle.stop(session, campaign.id, actor=ACTOR, reason="x")


def test_a_test_send_needs_the_staff_members_phone(session, world, queued):
    campaign = campaigns.create_campaign(session, fields(world), actor=ACTOR)
    with pytest.raises(ValidationError) as caught:
        lifecycle.test_send(session, campaign.id, world["staff"])
    assert "手机号" in str(caught.value.details["phone"][0])
    with pytest.raises(ValidationError) as caught:
        staff_services.set_staff_phone(session, world["staff"], "12345", actor=ACTOR)
    assert "11位手机号码" in str(caught.value.details["phone"][0])


def test_a_test_send_texts_the_newest_members_message_to_the_staff_phone(session, world,
                                                                         queued):
    staff_services.set_staff_phone(session, world["staff"], "+86 139-0000-9999",
                                   actor=ACTOR, reason="mine")
    campaign = campaigns.create_campaign(session, fields(world), actor=ACTOR)
    text = lifecycle.test_send(session, campaign.id, world["staff"])
    session.commit()
    assert text == "【测试】尊敬的李雷，您有1,500积分，双人套餐8.8折等您来！ 回复TD退订"
    [sms] = session.scalars(select(OutboxMessage))
    assert (sms.recipient, sms.body) == ("13900009999", text)
    assert session.scalar(select(func.count()).select_from(CampaignDelivery)) == 0
    assert campaign.status == "draft"
    actions = [(e.action, e.details.get("phone")) for e in session.scalars(
        select(AuditEvent).where(AuditEvent.action.in_(("staff.phone", "campaign.test_send")))
        .order_by(AuditEvent.seq))]
    assert actions == [("staff.phone", "139****9999"), ("campaign.test_send", "139****9999")]


def test_a_test_send_to_an_empty_audience_uses_sample_values(session, world, queued):
    staff_services.set_staff_phone(session, world["staff"], "13900009999", actor=ACTOR)
    campaign = campaigns.create_campaign(session, fields(
        world, segment_id="", filters={"tiers": ["diamond"]},
        message="{name}您好，{tier}会员{balance}积分，{expiring_points}积分{expiring_date}到期"),
        actor=ACTOR)
    text = lifecycle.test_send(session, campaign.id, world["staff"])
    assert text.startswith("【测试】王小明您好，金卡会员1,280积分，200积分")
    assert text.endswith("日到期 回复TD退订")


def test_a_campaign_that_reached_anyone_keeps_its_control_group_reward_and_channel(
        session, world):
    campaign = campaigns.create_campaign(session, fields(world), actor=ACTOR)
    campaign.status = "paused"
    member_id = session.scalar(select(Member.id).limit(1))
    session.add(CampaignDelivery(campaign_id=campaign.id, round="once", member_id=member_id,
                                 status="sent"))
    session.commit()
    with pytest.raises(ValidationError) as caught:
        campaigns.update_campaign(session, campaign.id, fields(
            world, control_percent="30", bonus_points="5", channel="inbox"), actor=ACTOR)
    session.rollback()
    assert set(caught.value.details) == {"control_percent", "bonus_points", "channel"}
    assert "不能再改对照组比例" in str(caught.value.details["control_percent"][0])
    edited = campaigns.update_campaign(session, campaign.id, fields(world, name="改个名字"),
                                       actor=ACTOR)
    assert edited.name == "改个名字"  # the name and the message may still change
