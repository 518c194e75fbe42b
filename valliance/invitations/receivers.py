"""How invitations listen: members' sign-up signals, merchants' sale and refund signals. A
member with a pending invitation is sold through the app's path, which sends
purchase_recorded (members.services.sale_watch; everyone else's sale stays one statement)."""

from valliance.invitations.services import clawback, enlisting, rewarding
from valliance.members.signals import member_signed_up, signup_code_given
from valliance.merchants.signals import purchase_recorded, purchase_refunded


def _code_given(session, *, phone: str, code: str) -> None:
    enlisting.check_code(session, phone=phone, code=code)


def _signed_up(session, *, member, code: str | None) -> None:
    enlisting.record_invitation(session, member=member, code=code)


def _purchase(session, *, purchase: dict) -> None:
    rewarding.on_purchase(session, purchase)


def _refund(session, *, purchase, refund, at) -> None:
    clawback.on_refund(session, purchase, at)


def connect() -> None:
    """Connect the receivers (weakly held by blinker: these are module functions)."""
    signup_code_given.connect(_code_given)
    member_signed_up.connect(_signed_up)
    purchase_recorded.connect(_purchase)
    purchase_refunded.connect(_refund)
