"""Operators and their keys, caller lookups (has a V-card? which tier?), referrals, and what
the 114 channel brings merchants: referrals and their conversions, by operator, merchant,
category and week (Monday-based weeks in Asia/Shanghai)."""

import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    String,
    and_,
    bindparam,
    exists,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from valliance.api_keys import issue_key, key_digest
from valliance.db import utcnow
from valliance.directory import search
from valliance.directory.models import CallerLookup, Operator, Referral
from valliance.errors import NotFound, ValidationError
from valliance.i18n import bilingual
from valliance.ids import new_id
from valliance.members.services import find_member_by_phone, normalize_phone
from valliance.merchants.models import Merchant, Offer, Purchase
from valliance.merchants.services.reports import shanghai_midnight

CONVERSION_DAYS = 7


def create_operator(session: Session, name: str) -> tuple[Operator, str]:
    """An operator and its API key (returned once; only its hash is stored)."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise ValidationError(details={"name": [bilingual("请填写话务员名称")]})
    key, digest = issue_key("vo")
    operator = Operator(id=new_id("opr"), name=name, key_hash=digest)
    session.add(operator)
    session.flush()
    return operator, key


def revoke_operator(session: Session, operator_id: str) -> Operator:
    operator = session.get(Operator, operator_id)
    if operator is None:
        raise NotFound()
    operator.revoked_at = operator.revoked_at or utcnow()
    session.flush()
    return operator


@dataclass(frozen=True)
class OperatorSeat:
    """Who is asking, as a request needs it: the operator's id and name."""

    id: str
    name: str


_operators = Operator.__table__
#: every directory request asks this: made once (an ORM query costs more Python to make)
_LIVE_OPERATOR = select(_operators.c.id, _operators.c.name).where(
    _operators.c.key_hash == bindparam("digest"), _operators.c.revoked_at.is_(None))


def operator_for_key(session: Session, key: str) -> OperatorSeat | None:
    """The live operator a key belongs to, or None (unknown or revoked)."""
    row = session.connection().execute(_LIVE_OPERATOR, {"digest": key_digest(key)}).first()
    return OperatorSeat(row.id, row.name) if row else None


@dataclass(frozen=True)
class Caller:
    """All an operator may learn about a caller (contract §6): nothing about the person."""

    member_id: str | None
    tier: str | None
    card_status: str | None

    @property
    def has_vcard(self) -> bool:
        return self.member_id is not None

    def as_json(self) -> dict:
        return {"has_vcard": self.has_vcard, "tier": self.tier, "card_status": self.card_status}


NO_VCARD = Caller(None, None, None)


def find_caller(session: Session, phone: str) -> Caller:
    """The caller's V-card status; raises ValidationError for a number that is not a mobile."""
    member = find_member_by_phone(session, normalize_phone(phone))
    if member is None or member.card is None:
        return NO_VCARD
    return Caller(member.id, member.tier, member.card.status)


def phone_digest(phone: str) -> str:
    """A keyed hash of the phone: the same caller twice is visible, the number is not."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, phone.encode(), hashlib.sha256).hexdigest()


def look_up_caller(session: Session, operator: OperatorSeat, phone: str, *,
                   at: datetime | None = None) -> Caller:
    """find_caller, logged: which operator asked about which (hashed) number, and the answer."""
    phone = normalize_phone(phone)
    caller = find_caller(session, phone)
    session.add(CallerLookup(operator_id=operator.id, phone_digest=phone_digest(phone),
                             found=caller.has_vcard, created_at=at or utcnow()))
    session.flush()
    return caller


def search_for_caller(session: Session, operator: OperatorSeat, *, q: str, category: str | None,
                      district: str | None, caller: str | None, limit: int,
                      offset: int, reader: Session | None = None) -> dict:
    """The offers answer of contract §6: ranked for the caller's tier when a caller is given
    (the lookup is logged through session), for the standard tier otherwise; the offers are
    read through reader (the read replica's session, valliance/replica.py) when given."""
    found = look_up_caller(session, operator, caller) if caller else None
    total, hits = search.search_offers(reader or session, search.SearchQuery(
        q=q, category=category, district=district or None,
        tier=(found.tier if found else None) or "standard", limit=limit, offset=offset))
    return {"caller": {"has_vcard": found.has_vcard, "tier": found.tier} if found else None,
            "total": total, "results": [search.offer_json(hit) for hit in hits]}


def create_referral(session: Session, operator: OperatorSeat, *, caller: str,
                    merchant_id: str, offer_id: str | None, at: datetime | None = None
                    ) -> Referral:
    """Record that the operator sent this caller to the merchant (and offer).

    at: when, for a history recorded afterwards (the demo); default now.
    """
    phone = normalize_phone(caller)
    merchant = session.get(Merchant, merchant_id)
    if merchant is None or merchant.status != "approved":
        raise ValidationError(details={"merchant_id": [bilingual("未知商户")]})
    if offer_id is not None:
        offer = session.get(Offer, offer_id)
        if offer is None or offer.merchant_id != merchant.id:
            raise ValidationError(details={"offer_id": [bilingual("该商户没有此优惠")]})
    at = at or utcnow()
    found = look_up_caller(session, operator, phone, at=at)  # it tells has-V-card: logged
    referral = Referral(id=new_id("rfl"), operator_id=operator.id, member_id=found.member_id,
                        caller_has_vcard=found.has_vcard, merchant_id=merchant.id,
                        offer_id=offer_id, created_at=at)
    session.add(referral)
    session.flush()
    return referral


def conversion_time(session: Session, referral: Referral) -> datetime | None:
    """When the caller's card first bought at the merchant within 7 days, or None."""
    if referral.member_id is None:
        return None
    return session.scalar(
        select(Purchase.created_at)
        .where(Purchase.member_id == referral.member_id,
               Purchase.merchant_id == referral.merchant_id,
               Purchase.created_at >= referral.created_at,
               Purchase.created_at <= referral.created_at + timedelta(days=CONVERSION_DAYS))
        .order_by(Purchase.created_at).limit(1))


def find_referral(session: Session, operator: OperatorSeat, referral_id: str) -> Referral:
    """One of this operator's referrals (another operator's is not found)."""
    referral = session.get(Referral, referral_id)
    if referral is None or referral.operator_id != operator.id:
        raise NotFound()
    return referral


def converted_clause(session: Session):
    """SQL: a purchase by the referred member at the merchant within 7 days exists."""
    if session.get_bind().dialect.name == "postgresql":
        deadline = Referral.created_at + literal_column(f"interval '{CONVERSION_DAYS} days'")
    else:  # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff": shift the date, keep the microseconds
        shifted = func.strftime("%Y-%m-%d %H:%M:%S", Referral.created_at,
                                f"+{CONVERSION_DAYS} days")
        deadline = type_coerce(shifted, String) + func.substr(Referral.created_at, 20)  # ||
    return exists().where(and_(Purchase.member_id == Referral.member_id,
                               Purchase.merchant_id == Referral.merchant_id,
                               Purchase.created_at >= Referral.created_at,
                               Purchase.created_at <= deadline))


# --- the referral report ------------------------------------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")
GROUPS = ("week", "operator", "merchant", "category")


@dataclass
class Line:
    label: str
    referrals: int = 0
    conversions: int = 0

    @property
    def rate_percent(self) -> int:
        """The conversion rate in whole percent, rounded half up (integers only)."""
        if not self.referrals:
            return 0
        return (self.conversions * 200 + self.referrals) // (self.referrals * 2)


@dataclass
class ReferralReport:
    first_day: date
    last_day: date
    total: Line
    groups: dict[str, list[Line]]


def referral_report(session: Session, first_day: date, last_day: date) -> ReferralReport:
    """Referrals made on these Shanghai days (inclusive) and how many converted."""
    converted = converted_clause(session).label("converted")
    rows = session.execute(
        select(Referral.created_at, Operator.id, Operator.name, Merchant.id, Merchant.name,
               Merchant.district, Merchant.category, converted)
        .join(Operator, Operator.id == Referral.operator_id)
        .join(Merchant, Merchant.id == Referral.merchant_id)
        .where(Referral.created_at >= shanghai_midnight(first_day),
               Referral.created_at < shanghai_midnight(last_day + timedelta(days=1)))).all()
    total = Line(bilingual("合计"))
    groups: dict[str, dict[str, Line]] = {name: {} for name in GROUPS}  # by id, then label
    for (created_at, operator_id, operator, merchant_id, merchant, district, category,
         was_converted) in rows:
        day = created_at.astimezone(SHANGHAI).date()
        week = (day - timedelta(days=day.weekday())).isoformat()
        # Grouped by id: two branches of one chain, or two seats of one name, stay apart.
        keys = {"week": (week, week), "operator": (operator_id, operator),
                "merchant": (merchant_id, f"{merchant}（{district}）"),
                "category": (category, category)}
        for line in [total] + [groups[name].setdefault(key, Line(label))
                               for name, (key, label) in keys.items()]:
            line.referrals += 1
            line.conversions += 1 if was_converted else 0
    ordered = defaultdict(list)
    for name, lines in groups.items():
        if name == "week":
            ordered[name] = sorted(lines.values(), key=lambda line: line.label)
        else:
            ordered[name] = sorted(lines.values(),
                                   key=lambda line: (-line.conversions, -line.referrals,
                                                     line.label))
    return ReferralReport(first_day, last_day, total, dict(ordered))
