"""Signing up and claiming an imported account: the same answer whether or not a phone is known.

A stranger who types a phone learns nothing: every phone in the right format goes on to the
code page, a code goes only to a phone that can sign up (or claim), a phone that cannot gets a
notice saying why (or nothing at all, if no member has it), and both paths do the same work,
the password's hash included. The pending sign-up waits in the database (PendingSignup), never
in the browser's cookie, which holds only a random id.
"""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from valliance import secret_box
from valliance.db import utcnow
from valliance.errors import ValidationError
from valliance.i18n import bilingual
from valliance.members.models import Member, PendingSignup
from valliance.members.services import otp
from valliance.members.services.enrollment import (
    enroll_member,
    find_member_by_phone,
    normalize_phone,
)
from valliance.members.signals import member_signed_up, signup_code_given
from valliance.passwords import check_password_strength, new_hash

ALREADY_MEMBER = ("【V卡联盟】有人用您的手机号申请注册V卡，但您已是会员，无需再注册：请直接登录；"
                  "忘记密码请致电客服 {support}。如非本人操作，请忽略本短信。")
ISSUED_BY_OPERATOR = ("【V卡联盟】您的V卡已由营业厅开通，无需注册：请在会员中心选择"
                      "“激活营业厅开通的V卡”设置密码。如非本人操作，请忽略本短信。")
ALREADY_ACTIVE = ("【V卡联盟】您的V卡账户已激活，无需再次激活：请直接登录；"
                  "忘记密码请致电客服 {support}。如非本人操作，请忽略本短信。")


def _hash_id(pending_id: str) -> str:
    return hashlib.sha256(pending_id.encode()).hexdigest()


def start_signup(session: Session, *, phone: str, name: str, password: str,
                 support_phone: str, invitation_code: str | None = None) -> str:
    """Step 1: check the form, text a code (or a notice), keep the sign-up; its random id.

    invitation_code: a member's code (old brings new); an unknown one is refused."""
    phone = normalize_phone(phone)
    name = (name or "").strip()
    if not 1 <= len(name) <= 50:
        raise ValidationError(details={"name": [bilingual("请填写姓名（最多50字）")]})
    check_password_strength(password)
    invitation_code = (invitation_code or "").strip().upper() or None
    if invitation_code:
        signup_code_given.send(session, phone=phone, code=invitation_code)
    password_hash = new_hash(password)  # on every path: the answer takes as long
    member = find_member_by_phone(session, phone)
    if member is None:
        otp.send_code(session, phone, "signup")
    else:
        notice = ALREADY_MEMBER.format(support=support_phone) if member.password_hash \
            else ISSUED_BY_OPERATOR
        otp.send_no_code(session, phone, "signup", notice)
    now = utcnow()
    session.execute(delete(PendingSignup).where(PendingSignup.expires_at <= now))
    pending_id = secrets.token_urlsafe(32)
    session.add(PendingSignup(id_hash=_hash_id(pending_id), phone=phone, name=name,
                              password_hash=secret_box.seal(password_hash),
                              expires_at=now + timedelta(minutes=otp.CODE_MINUTES),
                              invitation_code=invitation_code))
    session.flush()
    return pending_id


def pending_signup(session: Session, pending_id: str | None) -> PendingSignup | None:
    """The sign-up waiting for its code, or None (unknown, used or expired)."""
    if not pending_id or not isinstance(pending_id, str):
        return None
    pending = session.get(PendingSignup, _hash_id(pending_id))
    if pending is None or pending.expires_at <= utcnow():
        return None
    return pending


def finish_signup(session: Session, pending: PendingSignup, code: str) -> Member:
    """Step 2: the right code enrolls the member; the pending sign-up is deleted."""
    otp.verify_code(session, pending.phone, "signup", code)
    member = enroll_member(session, phone=pending.phone, name=pending.name,
                           password_hash=secret_box.unseal(pending.password_hash))
    member_signed_up.send(session, member=member, code=pending.invitation_code)
    session.delete(pending)
    session.flush()
    return member


def start_claim(session: Session, *, phone: str, support_phone: str) -> str:
    """Claim step 1: a code to an imported member without a password; the normalized phone."""
    phone = normalize_phone(phone)
    member = find_member_by_phone(session, phone)
    if member is not None and member.password_hash is None:
        otp.send_code(session, phone, "claim")
    else:
        notice = ALREADY_ACTIVE.format(support=support_phone) if member is not None else None
        otp.send_no_code(session, phone, "claim", notice)
    return phone


def claimable_member(session: Session, phone: str) -> Member | None:
    """The imported member this phone may claim (after its code), or None."""
    member = session.scalar(select(Member).where(Member.phone == phone))
    return member if member is not None and member.password_hash is None else None
