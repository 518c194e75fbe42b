"""One-time codes sent by SMS: sign-up, claiming an imported account, replacing a lost card."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from valliance.db import utcnow
from valliance.errors import RateLimited, ValidationError
from valliance.members.models import OneTimeCode
from valliance.messaging import queue_sms

CODE_MINUTES = 10
MAX_ATTEMPTS = 5
#: at most this many codes per phone and purpose within CODE_MINUTES
MAX_CODES_PER_WINDOW = 3
PURPOSES = {"signup": "注册", "claim": "激活账户", "reissue": "补办新卡"}
#: stands in for a code's hash where no code was sent: no code's digest is ever this
NO_CODE = "-"


def _digest(phone: str, code: str) -> str:
    return hashlib.sha256(f"{phone}:{code}".encode()).hexdigest()


def _within_limit(session: Session, phone: str, purpose: str, now) -> None:
    recent = session.scalars(select(OneTimeCode.id).where(
        OneTimeCode.phone == phone, OneTimeCode.purpose == purpose,
        OneTimeCode.created_at > now - timedelta(minutes=CODE_MINUTES))).all()
    if len(recent) >= MAX_CODES_PER_WINDOW:
        raise RateLimited()


def send_code(session: Session, phone: str, purpose: str) -> None:
    """Queue a 6-digit code by SMS; earlier unused codes for the same purpose stop working."""
    now = utcnow()
    _within_limit(session, phone, purpose, now)
    session.execute(update(OneTimeCode).where(
        OneTimeCode.phone == phone, OneTimeCode.purpose == purpose,
        OneTimeCode.consumed_at.is_(None)).values(consumed_at=now))
    code = f"{secrets.randbelow(10**6):06d}"
    session.add(OneTimeCode(phone=phone, purpose=purpose, code_hash=_digest(phone, code),
                            expires_at=now + timedelta(minutes=CODE_MINUTES)))
    queue_sms(session, phone, f"【V卡联盟】您的{PURPOSES[purpose]}验证码是 {code}，"
                              f"{CODE_MINUTES}分钟内有效。请勿告诉他人。", secret=True)


def send_no_code(session: Session, phone: str, purpose: str, notice: str | None) -> None:
    """Answer a request that gets no code (the phone cannot do this) like one that does.

    It counts towards the same limit, leaves a row that no code matches, and texts the phone
    a notice instead of a code (or nothing), so a stranger learns nothing from the answer.
    """
    now = utcnow()
    _within_limit(session, phone, purpose, now)
    session.add(OneTimeCode(phone=phone, purpose=purpose, code_hash=NO_CODE, expires_at=now,
                            consumed_at=now))
    if notice:
        queue_sms(session, phone, notice)
    session.flush()


def verify_code(session: Session, phone: str, purpose: str, code: str) -> None:
    """Accept the latest live code once; wrong guesses count, five use it up."""
    wrong = ValidationError(details={"code": ["验证码错误或已过期 / Wrong or expired code"]})
    row = session.scalar(select(OneTimeCode).where(
        OneTimeCode.phone == phone, OneTimeCode.purpose == purpose,
        OneTimeCode.consumed_at.is_(None)).order_by(OneTimeCode.id.desc()))
    if row is None or row.expires_at <= utcnow() or row.attempts >= MAX_ATTEMPTS:
        raise wrong
    if not hmac.compare_digest(row.code_hash, _digest(phone, (code or "").strip())):
        row.attempts += 1
        session.flush()
        raise wrong
    row.consumed_at = utcnow()
    session.flush()
