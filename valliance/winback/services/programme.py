"""The win-back programme's settings (docs/winback.md): read them, and save them from a dict
(the page's form), every field checked at once; audited as `winback.update`.

The programme's campaign is made on the first save: a daily campaign of the marketing engine
whose audience is the lapse (members with no purchase for N days, after at least K purchases,
in the chosen RFM cells) and whose re-entry period keeps each member to one entry per lapse.
It stays `scheduled` with no `next_run_at`: the minute tick never starts it, the programme's
daily job does (services/entries.py), and issues the coupons.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.audit import record_event
from valliance.coupons.models import CouponTemplate
from valliance.db import utcnow
from valliance.errors import ValidationError
from valliance.i18n import bilingual
from valliance.ids import new_id
from valliance.marketing.campaign_models import Campaign, CampaignDelivery
from valliance.marketing.services.campaign_fields import parse_campaign
from valliance.marketing.services.campaigns import FIXED_ONCE_SENT
from valliance.winback.models import PROGRAMME, WinbackProgramme

NAME = "会员挽回"
#: the time of day (Asia/Shanghai) the daily job runs the programme's round
JOB_AT = "10:00"
#: the RFM cells a lapsed member may be in: important members whose recency is low
CELLS = ("important_retain", "important_keep")
DEFAULTS = {"enabled": False, "lapse_days": 60, "min_purchases": 3, "reentry_days": 180,
            "window_days": 30, "channel": "sms", "bonus_points": 0, "control_percent": 10,
            "rfm_cells": list(CELLS), "coupon_template_id": "",
            "message": "{name}您好，好久不见！V卡联盟为您准备了回归礼，期待您再次光临联盟商户。"}
#: field → (lowest, highest)
LIMITS = {"lapse_days": (1, 3650), "min_purchases": (1, 1000), "reentry_days": (1, 3650),
          "window_days": (1, 365)}


@dataclass(frozen=True)
class Settings:
    """The programme's settings as the page shows them (its campaign's fields included)."""

    enabled: bool
    lapse_days: int
    min_purchases: int
    reentry_days: int
    window_days: int
    channel: str
    message: str
    bonus_points: int
    control_percent: int
    rfm_cells: list[str]
    coupon_template_id: str
    #: the campaign's status (None before the first save)
    campaign_status: str | None = None
    campaign_id: str | None = None


def programme(session: Session, *, lock: bool = False) -> WinbackProgramme | None:
    query = select(WinbackProgramme).where(WinbackProgramme.id == PROGRAMME)
    return session.scalar(query.with_for_update() if lock else query)


def settings(session: Session) -> Settings:
    """The saved settings, or the defaults before the first save."""
    saved = programme(session)
    if saved is None:
        return Settings(**DEFAULTS)
    campaign = session.get(Campaign, saved.campaign_id)
    return Settings(
        enabled=saved.enabled, lapse_days=saved.lapse_days, min_purchases=saved.min_purchases,
        reentry_days=campaign.reentry_days, window_days=saved.window_days,
        channel=campaign.channel, message=campaign.message,
        bonus_points=campaign.bonus_points, control_percent=campaign.control_percent,
        rfm_cells=list(campaign.filters.get("rfm_cells", [])),
        coupon_template_id=saved.coupon_template_id or "",
        campaign_status=campaign.status, campaign_id=campaign.id)


def coupon_templates(session: Session) -> list[CouponTemplate]:
    """Templates the programme may give: the alliance's own (no merchant), active."""
    return list(session.scalars(select(CouponTemplate).where(
        CouponTemplate.merchant_id.is_(None), CouponTemplate.status == "active")
        .order_by(CouponTemplate.created_at.desc(), CouponTemplate.id)))


def _whole(data: Mapping, name: str, errors: dict) -> int:
    low, high = LIMITS[name]
    raw = data.get(name, DEFAULTS[name])
    try:
        value = int(str(raw).strip())
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        errors[name] = [bilingual("请填写 %(low)s 到 %(high)s 之间的整数", low=low, high=high)]
        return DEFAULTS[name]
    return value


def _coupon(session: Session, data: Mapping, errors: dict) -> str | None:
    template_id = str(data.get("coupon_template_id") or "").strip() or None
    if template_id and template_id not in {t.id for t in coupon_templates(session)}:
        errors["coupon_template_id"] = [bilingual("没有这个联盟优惠券模板，或已停用")]
    return template_id


def _flag(value) -> bool:
    return value is True or str(value).strip().lower() in ("1", "true", "on", "y", "yes")


def save(session: Session, data: Mapping, *, actor: str, staff_id: str | None = None
         ) -> WinbackProgramme:
    """Check and save the settings (ValidationError with every wrong field); the first save
    makes the programme's campaign. Audited with what was before."""
    errors: dict = {}
    numbers = {name: _whole(data, name, errors) for name in LIMITS}
    template_id = _coupon(session, data, errors)
    saved = programme(session, lock=True)
    campaign = session.get(Campaign, saved.campaign_id) if saved else None
    cells = data.get("rfm_cells", DEFAULTS["rfm_cells"])
    cells = [cells] if isinstance(cells, str) else list(cells or ())
    filters = {"inactive_min": numbers["lapse_days"], "purchases_min": numbers["min_purchases"]}
    if cells:
        filters["rfm_cells"] = cells
    fields = None
    try:
        fields = parse_campaign(session, {
            "name": NAME, "channel": data.get("channel", DEFAULTS["channel"]),
            "message": data.get("message", DEFAULTS["message"]), "filters": filters,
            "bonus_points": data.get("bonus_points", 0),
            "control_percent": data.get("control_percent", 0),
            "schedule_kind": "daily", "daily_at": JOB_AT},
            campaign_id=campaign.id if campaign else None)
    except ValidationError as exc:
        errors.update(exc.details)
    if fields is not None and campaign is not None:
        errors.update(_kept(session, campaign, fields))
    if errors:
        raise ValidationError(details=errors)
    before = _audited(session, saved)
    now = utcnow()
    if campaign is None:
        campaign = Campaign(id=new_id("cmp"), status="scheduled", created_by=staff_id,
                            created_at=now, programme="winback")
        session.add(campaign)
    for name in ("name", "channel", "message", "filters", "bonus_points", "control_percent",
                 "schedule_kind", "daily_at"):
        setattr(campaign, name, getattr(fields, name))
    campaign.reentry_days, campaign.next_run_at, campaign.updated_at = (
        numbers["reentry_days"], None, now)
    session.flush()
    if saved is None:
        saved = WinbackProgramme(id=PROGRAMME, campaign_id=campaign.id)
        session.add(saved)
    saved.enabled = _flag(data.get("enabled"))
    saved.lapse_days, saved.min_purchases, saved.window_days = (
        numbers["lapse_days"], numbers["min_purchases"], numbers["window_days"])
    saved.coupon_template_id, saved.updated_by, saved.updated_at = template_id, actor, now
    session.flush()
    record_event(session, actor=actor, action="winback.update", subject=campaign.id,
                 reason="settings", before=before, **_audited(session, saved))
    return saved


def _kept(session: Session, campaign: Campaign, fields) -> dict:
    """Once the programme reached anyone its control percent, bonus and channel stay (as
    every campaign's: campaigns.FIXED_ONCE_SENT)."""
    changed = [name for name in FIXED_ONCE_SENT
               if getattr(fields, name) != getattr(campaign, name)]
    if not changed or session.scalar(select(CampaignDelivery.id).where(
            CampaignDelivery.campaign_id == campaign.id).limit(1)) is None:
        return {}
    return {name: [bilingual("挽回活动已开始，不能再改%(field)s（否则对照组与效果报告失去意义）",
                             field=bilingual(FIXED_ONCE_SENT[name]))] for name in changed}


def _audited(session: Session, saved: WinbackProgramme | None) -> dict:
    if saved is None:
        return {}
    current = settings(session)
    return {"enabled": current.enabled, "lapse_days": current.lapse_days,
            "min_purchases": current.min_purchases, "reentry_days": current.reentry_days,
            "window_days": current.window_days, "channel": current.channel,
            "message": current.message, "bonus_points": current.bonus_points,
            "control_percent": current.control_percent, "rfm_cells": current.rfm_cells,
            "coupon_template_id": current.coupon_template_id or None}
