"""Offers: their words (the title, a discount typed as 折 or as percent off, the 折 a title
promises) and publishing and changing them. The rules about words are pure (no database) and
shared by the offer service, the import, the CLI and the merchant portal's form and preview."""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance import money
from valliance.audit import record_event
from valliance.errors import ValidationError
from valliance.i18n import bilingual
from valliance.ids import new_id
from valliance.members.models import TIERS
from valliance.merchants import signals
from valliance.merchants.models import Merchant, Offer, OfferTierRate

MAX_PERCENT_OFF = Decimal(90)
MAX_POINTS_PER_YUAN = 100

#: a title longer than this breaks tables on phones and the 114 read-out
MAX_TITLE = 40
TITLE_TOO_LONG = bilingual("标题最多%(MAX_TITLE)s个字", MAX_TITLE=MAX_TITLE)
TITLE_REQUIRED = bilingual("请填写优惠标题")
ZHE_RANGE = ("折扣须在1折到10折之间（10即不打折），最多三位小数，如 8.8"
             " / A 折 between 1 and 10 (10 = no discount), up to three decimals, e.g. 8.8")
UNITS = ("zhe", "percent")

_CN_DIGITS = {"一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "六": "6",
              "七": "7", "八": "8", "九": "9", "〇": "0", "零": "0"}
#: "8.8折", "88折", "8折", "八八折", "九五折", "8.75 折" — not "打折" or "折扣" alone
_TITLE_ZHE = re.compile(r"(\d+(?:\.\d+)?|[一二两三四五六七八九〇零]{1,3})\s*折")


def clean_title(title) -> str:
    """The title as stored: spaces trimmed, 1–40 characters, else a ValidationError."""
    title = (title or "").strip()
    if not title:
        raise ValidationError(details={"title": [TITLE_REQUIRED]})
    if len(title) > MAX_TITLE:
        raise ValidationError(details={"title": [TITLE_TOO_LONG]})
    return title


def zhe_to_percent(value, field: str = "percent_off") -> Decimal:
    """折 → percent off, exactly: 8.8 → 12, 9.5 → 5, 8.75 → 12.5, 10 or blank → 0."""
    text = str(value if value is not None else "").strip()
    if text == "":
        return Decimal("0.00")
    try:
        zhe = Decimal(text)
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(details={field: [ZHE_RANGE]}) from exc
    # The range before quantizing: "1e999999".quantize raises decimal.InvalidOperation
    if (not zhe.is_finite() or not Decimal(1) <= zhe <= Decimal(10)
            or zhe != zhe.quantize(Decimal("0.001"))):
        raise ValidationError(details={field: [ZHE_RANGE]})
    return (Decimal(100) - zhe * 10).quantize(Decimal("0.01"))


def percent_to_zhe_text(percent) -> str:
    """Percent off → the 折 an owner would type: 12 → "8.8", 12.5 → "8.75", 0 → "10"."""
    zhe = (Decimal(100) - Decimal(percent)) / 10
    return format(zhe.normalize(), "f")


def title_zhe(title: str) -> Decimal | None:
    """The 折 a title promises ("V卡8.8折" → 8.8, "八八折" → 8.8, "85折" → 8.5), or None."""
    match = _TITLE_ZHE.search(title or "")
    if match is None:
        return None
    digits = "".join(_CN_DIGITS.get(ch, ch) for ch in match.group(1))
    if "." not in digits and len(digits) >= 2 and digits != "10":  # 10折: no discount
        digits = digits[0] + "." + digits[1:]  # 88折 and 八八折 mean 8.8折
    zhe = Decimal(digits)
    return zhe if Decimal(0) < zhe <= 10 else None


def title_disagrees(title: str, percents) -> Decimal | None:
    """The title's 折 when it matches none of the offer's rates (base and tiers), else None."""
    zhe = title_zhe(title)
    if zhe is None:
        return None
    wanted = Decimal(100) - zhe * 10
    return None if any(Decimal(p) == wanted for p in percents) else zhe


def discount_en(percent) -> str:
    """The English discount label: 12 → "12% off", 12.5 → "12.5% off", 0 → "No discount"."""
    value = Decimal(percent)
    if value == 0:
        return "No discount"
    return f"{format(value.normalize(), 'f')}% off"


def preview_fen(percent, amount: int = 10_000) -> int:
    """What a member pays for an `amount` sale at this percent off (the POS arithmetic)."""
    return amount - money.discount_fen(amount, percent)


# --- publishing --------------------------------------------------------------------------


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError(details={field: [message]})


def parse_percent(value, field: str = "percent_off") -> Decimal:
    """A percentage 0–90 with at most two decimals, as an exact Decimal."""
    if isinstance(value, bool | float):
        raise _invalid(field, bilingual("须为数字，最多两位小数"))
    try:
        percent = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise _invalid(field, bilingual("须为数字")) from exc
    if not percent.is_finite():
        raise _invalid(field, bilingual("须为数字"))
    # The range first: quantizing "1e999999" raises decimal.InvalidOperation (a 500)
    if not 0 <= percent <= MAX_PERCENT_OFF:
        raise _invalid(field, bilingual("须在 0 到 90 之间"))
    if percent != percent.quantize(Decimal("0.01")):
        raise _invalid(field, bilingual("最多两位小数"))
    return percent


def _offer_fields(title, percent_off, points_per_yuan, tier_percent_off, valid_from,
                  valid_until) -> tuple[str, Decimal, dict[str, Decimal]]:
    title = clean_title(title)  # every path (form, CLI, import, demo) meets the same cap
    percent = parse_percent(percent_off)
    if (isinstance(points_per_yuan, bool) or not isinstance(points_per_yuan, int)
            or not 0 <= points_per_yuan <= MAX_POINTS_PER_YUAN):
        raise _invalid("points_per_yuan", bilingual("须为 0 到 100 的整数"))
    if valid_from and valid_until and valid_until < valid_from:
        raise _invalid("valid_until", bilingual("结束日期早于开始日期"))
    rates = {}
    for tier, value in (tier_percent_off or {}).items():
        if tier not in TIERS:
            raise _invalid("tier_percent_off", bilingual("未知等级", tier=repr(tier)))
        rates[tier] = parse_percent(value, "tier_percent_off")
    return title, percent, rates


def create_offer(session: Session, merchant: Merchant, *, title: str, percent_off,
                 points_per_yuan: int = 1, tier_percent_off: dict[str, object] | None = None,
                 valid_from: date | None = None, valid_until: date | None = None,
                 description: str = "", active: bool = True,
                 actor: str | None = None) -> Offer:
    """Publish an offer, validated: 0 ≤ percent_off ≤ 90, 0 ≤ points_per_yuan ≤ 100.

    actor: who did it, for the merchant's audit trail (None: no event, e.g. bulk loads).
    """
    title, percent, rates = _offer_fields(title, percent_off, points_per_yuan,
                                          tier_percent_off, valid_from, valid_until)
    offer = Offer(id=new_id("off"), merchant=merchant, title=title, percent_off=percent,
                  points_per_yuan=points_per_yuan, valid_from=valid_from,
                  valid_until=valid_until, description=description or "", active=active)
    offer.tier_rates = [OfferTierRate(tier=tier, percent_off=p) for tier, p in rates.items()]
    session.add(offer)
    session.flush()
    signals.offers_changed.send(session, merchant_ids=[merchant.id])
    if actor:
        record_event(session, actor=actor, action="offer.create", subject=offer.id,
                     merchant_id=merchant.id, **offer_summary(offer))
    return offer


def update_offer(session: Session, offer: Offer, *, title: str, percent_off,
                 points_per_yuan: int, tier_percent_off: dict[str, object] | None,
                 valid_from: date | None, valid_until: date | None, description: str,
                 active: bool, actor: str) -> dict:
    """Change an offer (same rules as create_offer); returns what changed, for the audit.

    Purchases keep the percent_off they were sold at, so editing never rewrites history.
    """
    title, percent, rates = _offer_fields(title, percent_off, points_per_yuan,
                                          tier_percent_off, valid_from, valid_until)
    before = offer_summary(offer)
    offer.title, offer.percent_off, offer.points_per_yuan = title, percent, points_per_yuan
    offer.valid_from, offer.valid_until = valid_from, valid_until
    offer.description, offer.active = description or "", active
    current = {rate.tier: rate for rate in offer.tier_rates}
    for tier in set(current) - set(rates):
        offer.tier_rates.remove(current[tier])
    for tier, value in rates.items():
        if tier in current:
            current[tier].percent_off = value
        else:
            offer.tier_rates.append(OfferTierRate(tier=tier, percent_off=value))
    session.flush()
    signals.offers_changed.send(session, merchant_ids=[offer.merchant_id])
    after = offer_summary(offer)
    changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changed:
        record_event(session, actor=actor, action="offer.update", subject=offer.id,
                     merchant_id=offer.merchant_id, **changed)
    return changed


def offer_summary(offer: Offer) -> dict:
    """The offer's terms as plain values (strings for percentages: never floats)."""
    def percent(value: Decimal) -> str:
        return str(Decimal(value).quantize(Decimal("0.01")))

    return {"title": offer.title, "percent_off": percent(offer.percent_off),
            "points_per_yuan": offer.points_per_yuan,
            "tier_percent_off": {r.tier: percent(r.percent_off)
                                 for r in sorted(offer.tier_rates, key=lambda r: r.tier)},
            "valid_from": str(offer.valid_from or ""), "valid_until": str(offer.valid_until or ""),
            "description": offer.description, "active": offer.active}


def merchant_offers(session: Session, merchant_id: str) -> list[Offer]:
    """The merchant's offers: switched-on ones first, newest first."""
    return list(session.scalars(select(Offer).where(Offer.merchant_id == merchant_id)
                                .order_by(Offer.active.desc(), Offer.created_at.desc())))
