"""The birthday programme's configuration (issue #18): one row and the daily campaign it owns.

configure() is its one write path (the staff page, the demo): the greeting (message, channel,
control group, exemption from the 30-day cap) goes to the programme's campaign through the
marketing engine's own services — created on the first save as a daily campaign at 10:00 for
the members whose birthday is this month, paused and resumed around an edit — and the gift to
the programme's row. Audited as `birthday.configure`."""

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.audit import record_event
from valliance.care.models import PROGRAMME_ID, BirthdayProgramme
from valliance.coupons.models import CouponTemplate
from valliance.db import utcnow
from valliance.errors import ValidationError
from valliance.i18n import bilingual
from valliance.marketing.campaign_models import Campaign
from valliance.marketing.services import campaign_lifecycle, campaigns
from valliance.members.gift_models import GIFT_KINDS

CAMPAIGN_NAME = "生日关怀计划"
#: Campaign.programme of its campaign: only this programme changes it
OWNER = "birthday"
DAILY_AT = "10:00"
MAX_POINTS = 100_000
AUDIENCE = {"birthday_this_month": True}


def get_programme(session: Session) -> BirthdayProgramme | None:
    return session.get(BirthdayProgramme, PROGRAMME_ID)


def programme_campaign(session: Session, programme: BirthdayProgramme | None) -> Campaign | None:
    if programme is None or programme.campaign_id is None:
        return None
    return session.get(Campaign, programme.campaign_id)


def _gift(session: Session, data: Mapping, errors: dict) -> tuple[str, int, str | None]:
    gift = str(data.get("gift") or "none")
    if gift not in GIFT_KINDS:
        errors["gift"] = [bilingual("无效的选项：%(values)s", values=gift)]
        return "none", 0, None
    points, template_id = 0, None
    if gift == "points":
        try:
            points = int(str(data.get("bonus_points") or "").strip())
        except ValueError:
            points = 0
        if not 1 <= points <= MAX_POINTS:
            errors["bonus_points"] = [bilingual("须为 %(low)s 到 %(high)s 之间的整数", low=1,
                                                high=MAX_POINTS)]
    if gift == "coupon":
        template_id = str(data.get("coupon_template_id") or "")
        template = session.get(CouponTemplate, template_id) if template_id else None
        if template is None or template.status != "active" or template.merchant_id:
            errors["coupon_template_id"] = [bilingual("请选择一个联盟通用、未停用的优惠券模板")]
    return gift, points, template_id


def coupon_choices(session: Session) -> list[CouponTemplate]:
    """The templates a birthday coupon may be: alliance-wide and active."""
    return list(session.scalars(select(CouponTemplate).where(
        CouponTemplate.merchant_id.is_(None), CouponTemplate.status == "active")
        .order_by(CouponTemplate.created_at)))


def configure(session: Session, data: Mapping, *, actor: str) -> BirthdayProgramme:
    """Save the programme (every field checked at once; ValidationError per field)."""
    errors: dict = {}
    gift, points, template_id = _gift(session, data, errors)
    if errors:
        raise ValidationError(details=errors)
    programme = get_programme(session)
    campaign_data = {"name": CAMPAIGN_NAME, "channel": data.get("channel") or "inbox",
                     "message": data.get("message"), "filters": AUDIENCE,
                     "control_percent": data.get("control_percent") or "0",
                     "bonus_points": "0", "schedule_kind": "daily", "daily_at": DAILY_AT}
    campaign = programme_campaign(session, programme)
    if campaign is None:
        campaign = campaigns.create_campaign(session, campaign_data, actor=actor)
        campaign.programme = OWNER
    else:
        live = campaign.status in ("scheduled", "sending")
        if live:
            campaign_lifecycle.pause(session, campaign.id, actor=actor, reason="birthday",
                                     programme=OWNER)
        campaigns.update_campaign(session, campaign.id, campaign_data, actor=actor,
                                  programme=OWNER)
    campaign.cap_exempt = bool(data.get("cap_exempt"))
    enabled = bool(data.get("enabled"))
    if enabled and campaign.status == "draft":
        campaign_lifecycle.schedule(session, campaign.id, actor=actor, reason="birthday",
                                    programme=OWNER)
    elif enabled and campaign.status == "paused":
        campaign_lifecycle.resume(session, campaign.id, actor=actor, reason="birthday",
                                  programme=OWNER)
    if programme is None:
        programme = BirthdayProgramme(id=PROGRAMME_ID)
        session.add(programme)
    programme.campaign_id, programme.gift = campaign.id, gift
    programme.bonus_points, programme.coupon_template_id = points, template_id
    programme.updated_by, programme.updated_at = actor, utcnow()
    session.flush()
    record_event(session, actor=actor, action="birthday.configure", subject=campaign.id,
                 reason="saved", gift=gift, bonus_points=points, coupon=template_id,
                 cap_exempt=campaign.cap_exempt, enabled=enabled)
    return programme
