"""One-time codes sent by SMS: sign-up, claiming an imported account, replacing a lost card."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from valliance.db import utcnow
from valliance.errors import RateLimited, ValidationError
from valliance.i18n import bilingual
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
    # Keyed: a plain hash of a 6-digit code is undone by trying all million (a database dump
    # would show every live code); without the server's key it is not.
    key = hashlib.sha256(b"valliance one-time code\0"
                         + current_app.config["SECRET_KEY"].encode()).digest()
    return hmac.new(key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


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
    wrong = ValidationError(details={"code": [bilingual("验证码错误或已过期")]})
    guess = _digest(phone, (code or "").strip())
    now = utcnow()
    row_id = session.scalar(select(OneTimeCode.id).where(
        OneTimeCode.phone == phone, OneTimeCode.purpose == purpose,
        OneTimeCode.consumed_at.is_(None)).order_by(OneTimeCode.id.desc()))
    # The guess is counted before it is compared, in one statement that also holds the row
    # until the commit: guesses sent at once each take one of the five, and of two right ones
    # only the first finds the code unused.
    live = (OneTimeCode.id == row_id, OneTimeCode.consumed_at.is_(None),
            OneTimeCode.expires_at > now, OneTimeCode.attempts < MAX_ATTEMPTS)
    counted = session.execute(
        update(OneTimeCode).where(*live).values(attempts=OneTimeCode.attempts + 1)
        .returning(OneTimeCode.code_hash)).scalar() if row_id is not None else None
    if counted is None or not hmac.compare_digest(counted, guess):
        raise wrong
    session.execute(update(OneTimeCode).where(OneTimeCode.id == row_id)
                    .values(consumed_at=now))
