"""A card's pay codes (contract §3, §10): shown to the member, checked at the till, retired by
the redemption they authorize. The arithmetic is in members.codes; this module holds the card's
secret (sealed at rest) and the use counter that makes each code good for one redemption.
See docs/pay-codes.md.
"""

import time

from sqlalchemy import update
from sqlalchemy.orm import Session

from valliance.errors import PayCodeUsed, RedemptionNotAuthorized
from valliance.members import codes
from valliance.members.models import Card
from valliance.members.services import pay_guard
from valliance.secret_box import seal, unseal


def new_sealed_secret() -> str:
    """A new card's pay secret, encrypted for the cards table."""
    return seal(codes.new_pay_secret())


def current_code(card, at: float | None = None) -> tuple[str, int]:
    """The card's pay code now (never a used one) and the seconds until the next."""
    return codes.pay_code(card.number, unseal(card.pay_secret), card.pay_code_uses, at)


def code_version(card, at: float | None = None) -> str:
    """A tag that changes exactly when the card's current code does (the portal polls with
    it); it says nothing about the code's digits."""
    now = time.time() if at is None else at
    return f"{int(now // codes.PAY_CODE_STEP)}.{card.pay_code_uses}"


def code_with_version(card) -> tuple[str, int, str]:
    """current_code and its code_version, at one instant."""
    now = time.time()
    code, expires_in = current_code(card, now)
    return code, expires_in, code_version(card, now)


def authorize(card, pay_part: str | None, terminal_id: str | None) -> None:
    """Let a redemption through, or raise: 429 while the card or terminal is locked after
    wrong codes, pay_code_used, redemption_not_authorized (a wrong code is counted)."""
    pay_guard.require_unlocked(card.id, terminal_id)
    if pay_part is None:  # a static code: the cashier's mistake, not a guess
        raise RedemptionNotAuthorized()
    with pay_guard.comparing(card.id, terminal_id):  # a burst gets no more guesses than 5
        verdict = codes.check_pay_code(pay_part, unseal(card.pay_secret), card.pay_code_uses)
        if verdict == codes.WRONG:
            pay_guard.count_wrong_code(card, terminal_id)
    if verdict == codes.USED:
        raise PayCodeUsed()
    if verdict != codes.VALID:
        raise RedemptionNotAuthorized()


def retire(session: Session, card_id: str, seen_uses: int) -> None:
    """Spend the code checked against seen_uses, in the purchase's transaction.

    One conditional UPDATE: two tills racing with one code both read seen_uses, the second
    waits for the first's row lock and then matches no row → pay_code_used (its purchase rolls
    back). The member's next code is computed with the new count: fresh at once.
    """
    moved = session.execute(
        update(Card).where(Card.id == card_id, Card.pay_code_uses == seen_uses)
        .values(pay_code_uses=seen_uses + 1).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        raise PayCodeUsed()
