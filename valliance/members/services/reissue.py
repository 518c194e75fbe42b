"""A member replaces a card reported lost, confirmed by an SMS code to the member's phone."""

from sqlalchemy.orm import Session

from valliance.errors import ValidationError
from valliance.i18n import bilingual
from valliance.members.models import Card, Member
from valliance.members.services import otp
from valliance.members.services.cards import reissue_card
from valliance.messaging import queue_sms

NOT_LOST = bilingual("只有已挂失的卡可以补办")
REISSUED = ("【V卡联盟】您的V卡已补办，新卡尾号 {last4}，积分不变；原卡已停用。"
            "如非本人操作，请立即致电客服 {support}。")


def lost_card(member: Member) -> Card:
    """The member's card reported lost, or a validation error."""
    card = member.card
    if card is None or card.status != "lost":
        raise ValidationError(details={"card": [NOT_LOST]})
    return card


def request_reissue(session: Session, member: Member) -> None:
    """Text the member a code that confirms replacing the lost card."""
    lost_card(member)
    otp.send_code(session, member.phone, "reissue")


def confirm_reissue(session: Session, member: Member, code: str, support_phone: str) -> Card:
    """The right code replaces the lost card: a new number, the same member and points."""
    card = lost_card(member)
    otp.verify_code(session, member.phone, "reissue", code)
    new_card = reissue_card(session, card)
    queue_sms(session, member.phone, REISSUED.format(last4=new_card.last4,
                                                     support=support_phone))
    return new_card
