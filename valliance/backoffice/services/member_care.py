"""What member care does to a member, each through the members package's own services (one
write path per fact), each in the audit log with the staff user's reason; texts to the member
are queued here and sent after the commit.

Audit actions (subject: the member's id): member.enrol, member.freeze, member.unfreeze,
card.lost, card.reissue, member.tier, member.claim_sms.
"""

from sqlalchemy.orm import Session

from valliance.audit import record_event
from valliance.errors import ValidationError
from valliance.i18n import N_, bilingual
from valliance.members.models import Card, Member
from valliance.members.services import (
    enroll_member,
    reissue_card,
    set_card_status,
    set_membership,
)
from valliance.members.services.reissue import REISSUED
from valliance.members.services.signup import start_claim
from valliance.members.services.tier_change import MAX_REASON, change_tier
from valliance.messaging import queue_sms

ENROLLED = ("【V卡联盟】您的V卡已开通，卡号尾号 {last4}。请在会员中心选择“激活营业厅开通的V卡”，"
            "凭短信验证码设置密码后使用。如有疑问请致电客服 {support}。")
#: an action on the member page → (audit action, what staff are told once it is done)
ACTIONS = {
    "freeze": ("member.freeze", N_("已冻结会员资格。")),
    "unfreeze": ("member.unfreeze", N_("已恢复会员资格。")),
    "lost": ("card.lost", N_("已挂失，卡已停用。")),
    "reissue": ("card.reissue", N_("已补发新卡，积分随会员保留。")),
    "tier": ("member.tier", N_("已调整会员等级。")),
    "claim_sms": ("member.claim_sms", N_("已重发激活短信。")),
}
#: actions that cannot be undone by a click (the page asks to confirm them)
CONFIRMED = frozenset({"freeze", "lost", "reissue"})
NO_CARD = bilingual("会员没有可操作的卡")


def actor(staff_id: str) -> str:
    return f"staff:{staff_id}"


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(details={"reason": [bilingual("请填写原因")]})
    return reason


def enrol(session: Session, staff_id: str, *, phone: str, name: str, tier: str, reason: str,
          support_phone: str) -> Member:
    """Enrol a member with a card (no password: the member claims the account by SMS)."""
    reason = _reason(reason)
    member = enroll_member(session, phone=phone, name=name, tier=tier, actor=actor(staff_id),
                           reason=f"staff: {reason}"[:MAX_REASON])
    queue_sms(session, member.phone, ENROLLED.format(last4=member.card.last4,
                                                     support=support_phone))
    record_event(session, actor=actor(staff_id), action="member.enrol", subject=member.id,
                 reason=reason, tier=tier, card=member.card.last4)
    return member


def _current_card(member: Member, *statuses: str) -> Card:
    card = member.card
    if card is None or (statuses and card.status not in statuses):
        raise ValidationError(details={"card": [NO_CARD]})
    return card


#: what freezing and unfreezing change: status before → after (an expired membership is
#: neither)
FREEZING = {"freeze": ("active", "frozen"), "unfreeze": ("frozen", "active")}


def _membership(session: Session, member: Member, action: str) -> dict:
    was, status = FREEZING[action]
    if member.membership_status != was:
        raise ValidationError(details={"member": [bilingual("会员资格已是该状态")
                                                  if member.membership_status == status
                                                  else bilingual("会员资格已过期")]})
    set_membership(session, member, status)
    return {"from": was, "to": status}


def _lost(session: Session, member: Member) -> dict:
    card = _current_card(member, "active", "frozen")
    set_card_status(session, card, "lost")
    return {"card": card.last4}


def _reissue(session: Session, member: Member, support_phone: str) -> dict:
    old = _current_card(member)
    new = reissue_card(session, old)
    queue_sms(session, member.phone, REISSUED.format(last4=new.last4, support=support_phone))
    return {"old_card": old.last4, "new_card": new.last4}


def _claim_sms(session: Session, member: Member, support_phone: str) -> dict:
    if member.password_hash is not None:
        raise ValidationError(details={"member": [bilingual("会员已激活账户，无需激活短信")]})
    start_claim(session, phone=member.phone, support_phone=support_phone)
    return {}


def act(session: Session, staff_id: str, member: Member, action: str, *, reason: str,
        support_phone: str, tier: str | None = None) -> None:
    """Do one of ACTIONS to the member and record it with the reason. The member's row is
    locked first and read again (cards too): two actions at once take turns, so two reissues
    never leave two live cards, and each checks what the other did."""
    reason = _reason(reason)
    session.refresh(member, with_for_update=True)
    if action in ("freeze", "unfreeze"):
        detail = _membership(session, member, action)
    elif action == "lost":
        detail = _lost(session, member)
    elif action == "reissue":
        detail = _reissue(session, member, support_phone)
    elif action == "tier":
        change = change_tier(session, member, tier or "", reason=reason)
        detail = {"from": change.from_tier, "to": change.to_tier}
    elif action == "claim_sms":
        detail = _claim_sms(session, member, support_phone)
    else:
        raise ValueError(action)
    record_event(session, actor=actor(staff_id), action=ACTIONS[action][0], subject=member.id,
                 reason=reason, **detail)
