"""Who may not reward whom (old brings new): the same member, the same phone, the same
payment card, and a newcomer phone rewarded before."""

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.invitations.models import RewardedPhone
from valliance.members.models import Member
from valliance.payments.models import Payment, StripeEvent


def phone_hash(phone: str) -> str:
    """What the rewarded-phones table keeps of a phone."""
    return hashlib.sha256(f"valliance-invitation:{phone}".encode()).hexdigest()


def phone_rewarded_before(session: Session, phone: str) -> bool:
    return session.get(RewardedPhone, phone_hash(phone)) is not None


def _fingerprints(value, found: set[str]) -> set[str]:
    """Every card fingerprint in a Stripe object (payment_method_details.card.fingerprint)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "fingerprint" and isinstance(item, str) and item:
                found.add(item)
            else:
                _fingerprints(item, found)
    elif isinstance(value, list):
        for item in value:
            _fingerprints(item, found)
    return found


def card_fingerprints(session: Session, member_id: str) -> set[str]:
    """The payment cards' fingerprints of a member's Stripe payments, as Stripe sent them in
    the events we stored (the payments table keeps no card; an event without charges
    carries none)."""
    payloads = session.scalars(
        select(StripeEvent.payload).join(Payment, Payment.id == StripeEvent.payment_id)
        .where(Payment.member_id == member_id))
    found: set[str] = set()
    for payload in payloads:
        try:
            _fingerprints(json.loads(payload), found)
        except ValueError:
            continue
    return found


def same_person(session: Session, referrer: Member, newcomer: Member) -> bool:
    """A self-referral: one member, one phone, or one payment card behind both."""
    if referrer.id == newcomer.id or referrer.phone == newcomer.phone:
        return True
    theirs = card_fingerprints(session, referrer.id)
    return bool(theirs and theirs & card_fingerprints(session, newcomer.id))
