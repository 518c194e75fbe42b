"""Onboarding merchants, publishing offers, and POS terminals with their keys."""

from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance import points as accounts  # the ledger's public face
from valliance.api_keys import issue_key, key_digest
from valliance.audit import record_event
from valliance.db import utcnow
from valliance.errors import NotFound, ValidationError
from valliance.ids import new_id
from valliance.members.models import TIERS
from valliance.merchants.models import CATEGORIES, Merchant, Offer, OfferTierRate, Terminal
from valliance.merchants.offer_terms import clean_title

MAX_PERCENT_OFF = Decimal(90)
MAX_POINTS_PER_YUAN = 100


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError(details={field: [message]})


def create_merchant(session: Session, *, name: str, category: str, district: str,
                    address: str = "", phone: str = "", avg_spend: int = 0,
                    licence_no: str = "", approved: bool = False,
                    merchant_id: str | None = None) -> Merchant:
    """Register a merchant (pending until approved, unless staff create it approved).

    merchant_id: a fixed id (the demo's merchants); new merchants get a random one.
    """
    name, district = (name or "").strip(), (district or "").strip()
    if not 1 <= len(name) <= 100:
        raise _invalid("name", "请填写商户名称 / Enter the merchant's name")
    if category not in CATEGORIES:
        raise _invalid("category", f"行业须为 / one of: {'、'.join(CATEGORIES)}")
    if not 1 <= len(district) <= 50:
        raise _invalid("district", "请填写所在区域 / Enter the district")
    if isinstance(avg_spend, bool) or not isinstance(avg_spend, int) or avg_spend < 0:
        raise _invalid("avg_spend", "人均消费须为非负整数（分） / whole fen, not negative")
    merchant_id = merchant_id or new_id("mer")
    opened = accounts.open_merchant_accounts(session, merchant_id)
    merchant = Merchant(id=merchant_id, name=name, category=category, district=district,
                        address=(address or "").strip(), phone=(phone or "").strip(),
                        avg_spend=avg_spend, licence_no=(licence_no or "").strip(),
                        status="approved" if approved else "pending",
                        approved_at=utcnow() if approved else None,
                        issued_account_id=opened.issued, redeemed_account_id=opened.redeemed)
    session.add(merchant)
    session.flush()
    return merchant


def set_merchant_status(session: Session, merchant: Merchant, status: str) -> Merchant:
    """Approve, reject or suspend a merchant."""
    merchant.status = status
    if status == "approved" and merchant.approved_at is None:
        merchant.approved_at = utcnow()
    session.flush()
    return merchant


def parse_percent(value, field: str = "percent_off") -> Decimal:
    """A percentage 0–90 with at most two decimals, as an exact Decimal."""
    if isinstance(value, bool | float):
        raise _invalid(field, "须为数字，最多两位小数 / a number with at most two decimals")
    try:
        percent = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise _invalid(field, "须为数字 / must be a number") from exc
    if not percent.is_finite():
        raise _invalid(field, "须为数字 / must be a number")
    # The range first: quantizing "1e999999" raises decimal.InvalidOperation (a 500)
    if not 0 <= percent <= MAX_PERCENT_OFF:
        raise _invalid(field, "须在 0 到 90 之间 / between 0 and 90")
    if percent != percent.quantize(Decimal("0.01")):
        raise _invalid(field, "最多两位小数 / at most two decimals")
    return percent


def _offer_fields(title, percent_off, points_per_yuan, tier_percent_off, valid_from,
                  valid_until) -> tuple[str, Decimal, dict[str, Decimal]]:
    title = clean_title(title)  # every path (form, CLI, import, demo) meets the same cap
    percent = parse_percent(percent_off)
    if (isinstance(points_per_yuan, bool) or not isinstance(points_per_yuan, int)
            or not 0 <= points_per_yuan <= MAX_POINTS_PER_YUAN):
        raise _invalid("points_per_yuan", "须为 0 到 100 的整数 / a whole number 0–100")
    if valid_from and valid_until and valid_until < valid_from:
        raise _invalid("valid_until", "结束日期早于开始日期 / ends before it starts")
    rates = {}
    for tier, value in (tier_percent_off or {}).items():
        if tier not in TIERS:
            raise _invalid("tier_percent_off", f"未知等级 / unknown tier {tier!r}")
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


#: the terminals.name column's length
TERMINAL_NAME_MAX = 100


def create_terminal(session: Session, merchant: Merchant, name: str = "", *,
                    actor: str | None = None) -> tuple[Terminal, str]:
    """A POS terminal and its API key (returned once; only its hash is stored)."""
    name = (name or "").strip()
    if len(name) > TERMINAL_NAME_MAX:
        raise ValidationError(details={"name": [
            f"终端名称最多{TERMINAL_NAME_MAX}个字 / A terminal name has at most "
            f"{TERMINAL_NAME_MAX} characters"]})
    key, digest = issue_key("vt")
    terminal = Terminal(id=new_id("ter"), merchant_id=merchant.id, name=name, key_hash=digest)
    session.add(terminal)
    if actor:
        record_event(session, actor=actor, action="terminal.create", subject=terminal.id,
                     merchant_id=merchant.id, name=terminal.name)
    session.flush()
    return terminal, key


def revoke_terminal(session: Session, terminal_id: str, *, actor: str | None = None) -> Terminal:
    """Refuse the terminal's key from now on (revoking twice changes nothing)."""
    terminal = session.get(Terminal, terminal_id)
    if terminal is None:
        raise NotFound()
    if terminal.revoked_at is None:
        terminal.revoked_at = utcnow()
        if actor:
            record_event(session, actor=actor, action="terminal.revoke", subject=terminal.id,
                         merchant_id=terminal.merchant_id, name=terminal.name)
    session.flush()
    return terminal


def terminal_for_key(session: Session, key: str) -> Terminal | None:
    """The live terminal a key belongs to, or None (unknown or revoked)."""
    terminal = session.scalar(select(Terminal).where(Terminal.key_hash == key_digest(key)))
    return terminal if terminal and terminal.revoked_at is None else None
