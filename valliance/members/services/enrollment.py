"""Enrolling members: phone numbers, the member with its points account and first card, and
the membership's status."""

import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from valliance.db import today_shanghai, utcnow
from valliance.errors import ValidationError
from valliance.i18n import bilingual
from valliance.ids import new_id
from valliance.members.models import TIERS, Member, TierChange
from valliance.members.services.cards import issue_card
from valliance.passwords import check_password_strength, new_hash
from valliance.pinyin import name_keys
from valliance.points import accounts, ledger

_PHONE = re.compile(r"^1[3-9]\d{9}$")
PHONE_TAKEN = bilingual("该手机号已注册")


def normalize_phone(raw: str) -> str:
    """Normalize a mainland mobile number (+86 138-0013-8000 → 13800138000) or raise."""
    digits = re.sub(r"[\s\-()]", "", str(raw or ""))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not _PHONE.match(digits):
        raise ValidationError(
            details={"phone": [bilingual("请输入11位手机号码")]})
    return digits


def find_member_by_phone(session: Session, phone: str) -> Member | None:
    """The member enrolled with this (normalized) phone, or None."""
    return session.scalar(select(Member).where(Member.phone == phone))


def enroll_member(session: Session, *, phone: str, name: str, password: str | None = None,
                  password_hash: str | None = None, tier: str = "standard",
                  opening_points: int = 0, actor: str = "system",
                  reason: str = "enrolled") -> Member:
    """Create a member with a points account and a card; refuses a phone already enrolled.

    password_hash: a password already checked and hashed (sign-up keeps only the hash
    between its two steps).
    """
    phone = normalize_phone(phone)
    name = (name or "").strip()
    if not 1 <= len(name) <= 50:
        raise ValidationError(details={"name": [bilingual("请填写姓名（最多50字）")]})
    if tier not in TIERS:
        raise ValidationError(details={"tier": [f"one of {', '.join(TIERS)}"]})
    if password is not None:
        check_password_strength(password)
    if find_member_by_phone(session, phone):
        raise ValidationError(details={"phone": [PHONE_TAKEN]})
    member_id = new_id("mem")
    pinyin, initials = name_keys(name)
    member = Member(id=member_id, phone=phone, name=name, name_pinyin=pinyin,
                    name_initials=initials, tier=tier, membership_status="active",
                    # a tier granted on joining (flagship plans) holds for a year
                    tier_valid_until=today_shanghai() + timedelta(days=365)
                    if tier != "standard" else None,
                    points_account_id=accounts.open_member_account(session, member_id),
                    password_hash=new_hash(password) if password else password_hash,
                    claimed_at=utcnow() if password or password_hash else None)
    session.add(member)
    if tier != "standard":
        session.add(TierChange(member_id=member_id, from_tier="standard", to_tier=tier,
                               reason=reason))
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent sign-up with the same phone
        raise ValidationError(details={"phone": [PHONE_TAKEN]}) from exc
    issue_card(session, member)
    if opening_points:
        ledger.adjust(session, member_account=member.points_account_id, points=opening_points,
                      reason="opening_balance", actor=actor)
    return member


def set_membership(session: Session, member: Member, status: str) -> Member:
    """Freeze, unfreeze or expire a membership (points are frozen with it)."""
    member.membership_status = status
    session.flush()
    return member
