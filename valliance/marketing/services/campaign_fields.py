"""A campaign's fields read and checked from a dict (the page's form, the CLI's options), with
bilingual errors per field, as segment_filters reads a segment's.

Every field is checked before any error is raised, so a page shows them all at once.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from valliance.coupons.models import CouponTemplate
from valliance.db import SHANGHAI, today_shanghai, utcnow
from valliance.errors import ValidationError
from valliance.i18n import bilingual
from valliance.marketing.campaign_models import CHANNELS, SCHEDULE_KINDS, Campaign
from valliance.marketing.models import Segment
from valliance.marketing.services import templates
from valliance.marketing.services.segment_filters import parse_filters
from valliance.merchants.models import Merchant, Offer

MAX_NAME = 80
MAX_BONUS = 100_000
MAX_CONTROL = 50
_DAILY_AT = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
#: what a datetime-local input sends ("2026-12-08T10:00"), read as Asia/Shanghai
_LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")


@dataclass(frozen=True)
class CampaignFields:
    name: str
    channel: str
    message: str
    #: the saved segment the audience came from (None: filters given directly)
    segment_id: str | None
    filters: dict
    offer_id: str | None
    bonus_points: int
    #: the coupon template issued to each member reached (None: no coupon)
    coupon_template_id: str | None
    control_percent: int
    schedule_kind: str
    send_at: datetime | None
    daily_at: str | None


def active_offers(session: Session) -> list[tuple[Offer, str]]:
    """Offers a campaign may name: active, valid today, of an approved merchant (with its
    name), by merchant then title."""
    today = today_shanghai()
    rows = session.execute(
        select(Offer, Merchant.name).join(Merchant, Merchant.id == Offer.merchant_id)
        .where(Merchant.status == "approved", Offer.active.is_(True),
               or_(Offer.valid_from.is_(None), Offer.valid_from <= today),
               or_(Offer.valid_until.is_(None), Offer.valid_until >= today))
        .order_by(Merchant.name, Offer.title, Offer.id)).all()
    return [(offer, name) for offer, name in rows]


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _int(value, errors: dict, name: str, high: int) -> int:
    if isinstance(value, bool):
        errors[name] = [bilingual("请填写整数")]
        return 0
    text = _text(value)
    if not text:
        return 0
    try:
        number = int(text)
    except ValueError:
        errors[name] = [bilingual("请填写整数")]
        return 0
    if not 0 <= number <= high:
        errors[name] = [bilingual("请填写 0 到 %(limit)s 之间的整数", limit=f"{high:,}")]
        return 0
    return number


def _name(session: Session, value, errors: dict, campaign_id: str | None) -> str:
    name = _text(value)
    if not name:
        errors["name"] = [bilingual("请填写活动名称")]
    elif len(name) > MAX_NAME:
        errors["name"] = [bilingual("不超过%(max)s字", max=MAX_NAME)]
    else:
        taken = session.scalar(select(Campaign.id).where(Campaign.name == name))
        if taken is not None and taken != campaign_id:
            errors["name"] = [bilingual("已有同名活动")]
    return name


def placeholder_list() -> str:
    return "、".join("{" + name + "}" for name in templates.PLACEHOLDERS)


def _message(value, errors: dict) -> str:
    message = _text(value)
    if not message:
        errors["message"] = [bilingual("请填写消息内容")]
    elif len(message) > templates.MESSAGE_MAX:
        errors["message"] = [bilingual("不超过%(max)s字", max=templates.MESSAGE_MAX)]
    elif unknown := templates.unknown_placeholders(message):
        errors["message"] = [bilingual(
            "未知的占位符：%(unknown)s。可用的占位符：%(allowed)s",
            unknown="、".join("{" + name + "}" for name in unknown),
            allowed=placeholder_list())]
    return message


def _audience(session: Session, data: Mapping, errors: dict) -> tuple[str | None, dict]:
    segment_id = _text(data.get("segment_id")) or None
    if segment_id:
        segment = session.get(Segment, segment_id)
        if segment is None:
            errors["segment_id"] = [bilingual("没有这个分群")]
            return None, {}
        return segment.id, parse_filters(segment.filters or {}).to_dict()
    if data.get("filters") is None:
        errors["segment_id"] = [bilingual("请选择客户分群")]
        return None, {}
    try:
        return None, parse_filters(data["filters"]).to_dict()
    except ValidationError as exc:
        errors.update(exc.details)
        return None, {}


def _offer(session: Session, data: Mapping, message: str, errors: dict) -> str | None:
    offer_id = _text(data.get("offer_id")) or None
    if offer_id and offer_id not in {offer.id for offer, _name in active_offers(session)}:
        errors["offer_id"] = [bilingual("没有这个优惠，或优惠已下线")]
    elif not offer_id and templates.uses(message, "offer"):
        errors["offer_id"] = [bilingual("消息中用了{offer}，请选择一个优惠")]
    return offer_id


def active_coupon_templates(session: Session) -> list[CouponTemplate]:
    """Templates a campaign may issue: active and alliance-wide (valid at every merchant),
    by title."""
    return list(session.scalars(select(CouponTemplate).where(
        CouponTemplate.status == "active", CouponTemplate.merchant_id.is_(None))
        .order_by(CouponTemplate.title, CouponTemplate.id)))


def _coupon(session: Session, data: Mapping, errors: dict) -> str | None:
    template_id = _text(data.get("coupon_template_id")) or None
    if template_id is None:
        return None
    template = session.get(CouponTemplate, template_id)
    if template is None or template.status != "active":
        errors["coupon_template_id"] = [bilingual("没有这个优惠券模板，或模板已停用")]
    elif template.merchant_id is not None:
        errors["coupon_template_id"] = [bilingual("活动只能发放全联盟通用的优惠券")]
    return template_id


def _send_at(value, errors: dict) -> datetime | None:
    if isinstance(value, datetime):
        at = value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
    else:
        text, at = _text(value), None
        for pattern in _LOCAL_FORMATS:
            try:
                at = datetime.strptime(text, pattern).replace(tzinfo=SHANGHAI)
                break
            except ValueError:
                continue
        if at is None:
            errors["send_at"] = [bilingual("请填写发送时间（年-月-日 时:分）")]
            return None
    if at <= utcnow():
        errors["send_at"] = [bilingual("发送时间须晚于现在")]
    return at


def _schedule(data: Mapping, errors: dict) -> tuple[str, datetime | None, str | None]:
    kind = _text(data.get("schedule_kind")) or "now"
    if kind not in SCHEDULE_KINDS:
        errors["schedule_kind"] = [bilingual("无效的选项：%(values)s", values=kind)]
        return "now", None, None
    if kind == "at":
        return kind, _send_at(data.get("send_at"), errors), None
    if kind == "daily":
        daily_at = _text(data.get("daily_at"))
        if not _DAILY_AT.match(daily_at):
            errors["daily_at"] = [bilingual("请填写每天的发送时刻（时:分，如 10:00）")]
        return kind, None, daily_at
    return kind, None, None


def parse_campaign(session: Session, data: Mapping, *, campaign_id: str | None = None
                   ) -> CampaignFields:
    """The campaign's fields from data, or ValidationError with every wrong field."""
    errors: dict = {}
    name = _name(session, data.get("name"), errors, campaign_id)
    channel = _text(data.get("channel")) or "sms"
    if channel not in CHANNELS:
        errors["channel"] = [bilingual("无效的选项：%(values)s", values=channel)]
    message = _message(data.get("message"), errors)
    segment_id, filters = _audience(session, data, errors)
    offer_id = _offer(session, data, message, errors)
    coupon_template_id = _coupon(session, data, errors)
    bonus = _int(data.get("bonus_points"), errors, "bonus_points", MAX_BONUS)
    control = _int(data.get("control_percent"), errors, "control_percent", MAX_CONTROL)
    kind, send_at, daily_at = _schedule(data, errors)
    if errors:
        raise ValidationError(details=errors)
    return CampaignFields(name, channel, message, segment_id, filters, offer_id, bonus,
                          coupon_template_id, control, kind, send_at, daily_at)
