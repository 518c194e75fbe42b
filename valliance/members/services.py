"""Enrolling members, issuing and replacing cards, passwords and member API tokens."""

import hashlib
import re
import secrets
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from valliance import points as accounts  # the ledger's public face
from valliance import points as ledger
from valliance.db import today_shanghai, utcnow
from valliance.errors import CardInactive, CardNotFound, MembershipFrozen, ValidationError
from valliance.ids import new_id
from valliance.members import cards as codes
from valliance.members import pay_codes
from valliance.members.models import TIERS, Card, Member, MemberToken, TierChange
from valliance.passwords import check_password_strength, new_hash, password_matches

CARD_VALIDITY_YEARS = 5
TOKEN_DAYS = 30
_PHONE = re.compile(r"^1[3-9]\d{9}$")
PHONE_TAKEN = "该手机号已注册 / This phone is already enrolled"


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
            details={"phone": ["请输入11位手机号码 / Enter an 11-digit mobile number"]})
    return digits


def find_member_by_phone(session: Session, phone: str) -> Member | None:
    return session.scalar(select(Member).where(Member.phone == phone))


def issue_card(session: Session, member: Member) -> Card:
    """Give the member a new card with a random number (retrying the rare collision)."""
    for _ in range(5):
        number = codes.random_card_number()
        if session.scalar(select(Card.id).where(Card.number == number)) is None:
            break
    else:  # pragma: no cover - 10^14 numbers
        raise RuntimeError("could not find a free card number")
    card = Card(id=new_id("card"), number=number, member=member, status="active",
                pay_secret=pay_codes.new_sealed_secret(), issued_at=utcnow(),
                expires_on=today_shanghai() + timedelta(days=365 * CARD_VALIDITY_YEARS))
    session.add(card)
    session.flush()
    return card


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
        raise ValidationError(details={"name": ["请填写姓名（最多50字） / Enter a name (≤ 50)"]})
    if tier not in TIERS:
        raise ValidationError(details={"tier": [f"one of {', '.join(TIERS)}"]})
    if password is not None:
        check_password_strength(password)
    if find_member_by_phone(session, phone):
        raise ValidationError(details={"phone": [PHONE_TAKEN]})
    member_id = new_id("mem")
    member = Member(id=member_id, phone=phone, name=name, tier=tier, membership_status="active",
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


def find_card(session: Session, scanned: str) -> tuple[Card, str | None]:
    """Resolve a static or pay code to its card: (card, pay-code part) or 404 card_not_found."""
    parts = codes.split_scanned_code(scanned or "")
    if parts is None or not codes.luhn_valid(parts[0]):
        raise CardNotFound()
    card = session.scalar(select(Card).where(Card.number == parts[0]))
    if card is None:
        raise CardNotFound()
    return card, parts[1]


def require_usable(card: Card) -> None:
    """Refuse an inactive card (422 card_inactive) or a frozen membership (membership_frozen)."""
    if card.status != "active" or card.expires_on < today_shanghai():
        status = card.status if card.status != "active" else "expired"
        raise CardInactive(details={"status": [status]})
    if card.member.membership_status != "active":
        raise MembershipFrozen()


def set_card_status(session: Session, card: Card, status: str) -> Card:
    """Freeze, unfreeze or report lost; a replaced card never comes back."""
    if card.status == "replaced":
        raise ValidationError(details={"card": ["该卡已换发新卡 / This card was replaced"]})
    card.status = status
    session.flush()
    return card


def reissue_card(session: Session, card: Card) -> Card:
    """Replace a card: the old number becomes `replaced`; balance and history stay the member's."""
    if card.status == "replaced":
        raise ValidationError(details={"card": ["该卡已换发新卡 / This card was replaced"]})
    new_card = issue_card(session, card.member)
    card.status = "replaced"
    card.replaced_by_id = new_card.id
    session.flush()
    return new_card


def set_membership(session: Session, member: Member, status: str) -> Member:
    """Freeze, unfreeze or expire a membership (points are frozen with it)."""
    member.membership_status = status
    session.flush()
    return member


def change_password(session: Session, member: Member, current: str | None, new: str) -> None:
    """Set a new password (checking the current one) and revoke every API token."""
    if member.password_hash and not password_matches(member.password_hash, current):
        raise ValidationError(details={"current_password": ["当前密码不正确 / Wrong password"]})
    check_password_strength(new)
    member.password_hash = new_hash(new)
    member.claimed_at = member.claimed_at or utcnow()
    revoke_tokens(session, member)
    session.flush()


def authenticate(session: Session, phone: str, password: str) -> Member | None:
    """The member with this phone and password, or None (same answer for either mistake)."""
    try:
        phone = normalize_phone(phone)
    except ValidationError:
        return None
    member = find_member_by_phone(session, phone)
    # (same time whether or not the member exists or has a password)
    matches = password_matches(member.password_hash if member else None, password)
    return member if matches else None


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, member: Member) -> tuple[str, MemberToken]:
    """A new bearer token for the member app; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    row = MemberToken(token_hash=_hash_token(token), member_id=member.id,
                      expires_at=utcnow() + timedelta(days=TOKEN_DAYS))
    session.add(row)
    session.flush()
    return token, row


def member_for_token(session: Session, token: str) -> Member | None:
    """The member a live token belongs to, or None (unknown, expired or revoked)."""
    row = session.scalar(select(MemberToken).where(MemberToken.token_hash == _hash_token(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return session.get(Member, row.member_id)


def revoke_token(session: Session, token: str) -> None:
    """Sign one app session out (the member's other tokens stay valid)."""
    session.execute(update(MemberToken).where(MemberToken.token_hash == _hash_token(token),
                                              MemberToken.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))


def revoke_tokens(session: Session, member: Member) -> None:
    """Revoke every token of the member (after a password change)."""
    session.execute(update(MemberToken).where(MemberToken.member_id == member.id,
                                              MemberToken.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))


def expire_cards(session: Session, today: date | None = None) -> int:
    """Mark every active or frozen card past its expiry date as expired (run daily)."""
    today = today or today_shanghai()
    result = session.execute(update(Card).where(Card.expires_on < today,
                                                Card.status.in_(("active", "frozen")))
                             .values(status="expired"))
    return result.rowcount
