"""The demo's marketing: members scored, a saved segment of the important members who agreed
to marketing, a campaign sent three weeks ago to every member who agreed with a control group
(so its report has buyers against the control; each member it reached got an alliance
coupon) and a draft (the birthday programme and the holiday greetings: demo/care.py) — all
through the services staff use (audited as "demo")."""

from datetime import datetime, time, timedelta

from sqlalchemy import select

from valliance.db import SHANGHAI
from valliance.demo.coupon_rules import campaign_coupon
from valliance.marketing.campaign_models import Campaign
from valliance.marketing.services import rfm, saved_segments
from valliance.marketing.services.campaign_fields import active_offers
from valliance.marketing.services.campaign_send import run_campaign
from valliance.marketing.services.campaigns import create_campaign
from valliance.marketing.services.segment_filters import parse_filters
from valliance.staff.models import StaffUser
from valliance.staff.services import set_staff_phone

SEGMENT = "重要客户（已同意营销）"
STAFF_PHONE = "13900000000"
SENT_DAYS_AGO = 21


def seed_marketing(session, now: datetime) -> None:
    """Once: when the demo has no campaign yet (flushed with the rest of the seed)."""
    if session.scalar(select(Campaign.id).limit(1)) is not None:
        return
    staff = session.scalar(select(StaffUser).where(StaffUser.username == "mkt"))
    actor = f"staff:{staff.id}" if staff else "demo"
    if staff is not None and not staff.phone:  # where the demo's test sends go
        set_staff_phone(session, staff, STAFF_PHONE, actor="demo", reason="demo")
    rfm.score_members(session, now=now)
    segment = saved_segments.create_segment(
        session, SEGMENT, parse_filters({"rfm_cells": ["important_value", "important_develop",
                                                      "important_keep", "important_retain"],
                                         "opted_in": True}), staff.id if staff else None)
    offers = active_offers(session)
    offer = offers[0][0].id if offers else None
    sent = create_campaign(session, {  # every consenting member: a control group worth reading
        "name": "会员专享回馈", "channel": "sms", "filters": {"opted_in": True},
        "offer_id": offer or "",
        "message": "尊敬的{name}，感谢您对V卡联盟的支持！您是{tier}会员，现有{balance}积分。"
                   + ("{offer}，欢迎光临。" if offer else "欢迎到联盟商户消费。"),
        "control_percent": "30", "bonus_points": "0", "schedule_kind": "now",
        "coupon_template_id": campaign_coupon(session)}, actor=actor)
    day = (now - timedelta(days=SENT_DAYS_AGO)).astimezone(SHANGHAI).date()
    run_campaign(session, sent.id, started_by=actor, commit=session.flush,
                 now=datetime.combine(day, time(10, 0), SHANGHAI))
    # birthdays: the birthday programme's own daily campaign (demo/care.py)
    create_campaign(session, {
        "name": "春节问候（草稿）", "channel": "sms", "segment_id": segment.id,
        "message": "{name}您好，V卡联盟恭祝您新春快乐，阖家幸福！", "schedule_kind": "now"},
        actor=actor)
