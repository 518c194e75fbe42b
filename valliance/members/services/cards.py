"""A member's V-cards: issuing, finding by a scanned code, freezing, replacing and expiring."""

from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from valliance.db import today_shanghai, utcnow
from valliance.errors import CardInactive, CardNotFound, MembershipFrozen, ValidationError
from valliance.i18n import bilingual
from valliance.ids import new_id
from valliance.members import codes
from valliance.members.models import Card, Member
from valliance.members.services import pay_codes

CARD_VALIDITY_YEARS = 5
REPLACED = bilingual("该卡已换发新卡")


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
        raise ValidationError(details={"card": [REPLACED]})
    card.status = status
    session.flush()
    return card


def reissue_card(session: Session, card: Card) -> Card:
    """Replace a card: the old number becomes `replaced`; balance and history stay the member's."""
    if card.status == "replaced":
        raise ValidationError(details={"card": [REPLACED]})
    new_card = issue_card(session, card.member)
    card.status = "replaced"
    card.replaced_by_id = new_card.id
    session.flush()
    return new_card


def expire_cards(session: Session, today: date | None = None) -> int:
    """Mark every active or frozen card past its expiry date as expired (run daily)."""
    today = today or today_shanghai()
    result = session.execute(update(Card).where(Card.expires_on < today,
                                                Card.status.in_(("active", "frozen")))
                             .values(status="expired"))
    return result.rowcount
