"""Guessing pay codes is stopped (contract §10), for all workers alike.

Wrong codes are counted per card (5 in 15 minutes locks the card's redemptions for 15
minutes, and the member is told) and per terminal (20 in 15 minutes locks the terminal's
redemptions for 15 minutes), in the rate limiter's storage: Redis when REDIS_URL is set, else
this process's memory. Moving windows of the `limits` library: a lock is one hit in a
window of 15 minutes, so it ends by itself and Retry-After is when it does. A storage that
fails is replaced by memory for this process (logged) rather than letting guesses through.

A guess is reserved before its code is compared (comparing): the comparisons under way count
against what is left of the card's and the terminal's budget, so a burst of guesses sent at
once gets no more comparisons than the limit, however many arrive before the first is counted.
"""

import logging
import math
import time
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import after_this_request, current_app, has_request_context
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.db import SHANGHAI
from valliance.errors import RateLimited
from valliance.extensions import db, limiter
from valliance.i18n import bilingual
from valliance.members.models import Member
from valliance.messaging import deliver_pending, queue_sms

log = logging.getLogger(__name__)

WINDOW_MINUTES = 15
WRONG_PER_CARD = parse(f"5 per {WINDOW_MINUTES} minutes")
WRONG_PER_TERMINAL = parse(f"20 per {WINDOW_MINUTES} minutes")
#: a lock: one hit, held for the window
LOCK = parse(f"1 per {WINDOW_MINUTES} minutes")
_LIMITS = {"card": WRONG_PER_CARD, "terminal": WRONG_PER_TERMINAL}
#: a reserved guess is forgotten after this long even if its request died mid-comparison
IN_FLIGHT_SECONDS = 30
_fallback = MovingWindowRateLimiter(MemoryStorage())


class PayCodeLocked(RateLimited):
    """429 rate_limited: redemptions refused for a while after too many wrong pay codes."""

    message = bilingual("付款码错误次数过多，暂停积分支付")

    def __init__(self, retry_after: int):
        super().__init__(details={"retry_after": retry_after})
        #: seconds, sent as the Retry-After header
        self.retry_after = retry_after


class PayCodeBusy(PayCodeLocked):
    """429 rate_limited: more pay codes of one card (or terminal) being checked at once than
    wrong ones it may still send."""

    message = (bilingual("付款码核验过于频繁，请稍后再试"))


def _strategy() -> MovingWindowRateLimiter:
    storage = limiter.storage
    cached = current_app.extensions.get("pay_guard")
    if cached is None or cached.storage is not storage:
        cached = current_app.extensions["pay_guard"] = MovingWindowRateLimiter(storage)
    return cached


def _run(operation):
    """operation(strategy) on the shared storage; on this process's memory if it fails."""
    try:
        return operation(_strategy())
    except Exception as exc:  # Redis down: keep counting here rather than let guesses pass
        log.warning("pay-code limits: storage failed (%s); counting in this process",
                    type(exc).__name__)
        return operation(_fallback)


def _lock_ends(kind: str, ident: str) -> float | None:
    """When the lock on this card or terminal ends (epoch seconds), or None: not locked."""
    def read(strategy):
        if strategy.test(LOCK, "paycode-lock", kind, ident):
            return None
        return strategy.get_window_stats(LOCK, "paycode-lock", kind, ident).reset_time
    return _run(read)


def card_locked_until(card_id: str) -> float | None:
    """When the card's redemptions are allowed again (epoch seconds), or None."""
    return _lock_ends("card", card_id)


def require_unlocked(card_id: str, terminal_id: str | None) -> None:
    """Raise PayCodeLocked while the card or the terminal is locked."""
    for kind, ident in (("card", card_id), ("terminal", terminal_id)):
        ends = _lock_ends(kind, ident) if ident else None
        if ends is not None:
            raise PayCodeLocked(max(1, math.ceil(ends - time.time())))


def _in_flight_key(kind: str, ident: str) -> str:
    return f"paycode-checking/{kind}/{ident}"


def _reserve(kind: str, ident: str) -> bool:
    """Reserve one comparison; False (and nothing reserved) when the comparisons under way
    already use up what is left of the wrong-code budget."""
    def reserve(strategy):
        under_way = strategy.storage.incr(_in_flight_key(kind, ident), IN_FLIGHT_SECONDS)
        left = strategy.get_window_stats(_LIMITS[kind], "paycode-wrong", kind, ident).remaining
        if under_way <= left:
            return True
        strategy.storage.incr(_in_flight_key(kind, ident), IN_FLIGHT_SECONDS, -1)
        return False
    return _run(reserve)


def _release(kind: str, ident: str) -> None:
    _run(lambda strategy: strategy.storage.incr(_in_flight_key(kind, ident),
                                                IN_FLIGHT_SECONDS, -1))


@contextmanager
def comparing(card_id: str, terminal_id: str | None):
    """Hold a reserved guess for the card and the terminal while a code is compared; a wrong
    one must be counted (count_wrong_code) inside, before the reservation is given back.

    Raises PayCodeBusy when the guesses under way would exceed what the limits leave.
    """
    reserved = []
    try:
        for kind, ident in (("card", card_id), ("terminal", terminal_id)):
            if not ident:
                continue
            if not _reserve(kind, ident):
                raise PayCodeBusy(1)
            reserved.append((kind, ident))
        yield
    finally:
        for kind, ident in reserved:
            _release(kind, ident)


def _count(kind: str, ident: str) -> bool:
    """Count one wrong code; True when this one locked (only one caller ever gets True)."""
    limit = _LIMITS[kind]

    def count(strategy):
        strategy.hit(limit, "paycode-wrong", kind, ident)
        if strategy.test(limit, "paycode-wrong", kind, ident):
            return False
        return strategy.hit(LOCK, "paycode-lock", kind, ident)
    return _run(count)


def count_wrong_code(card, terminal_id: str | None) -> None:
    """Count a wrong pay code for the card and the terminal; tell the member of a new lock."""
    if terminal_id and _count("terminal", terminal_id):
        log.warning("pay-code limits: terminal %s locked for %d minutes", terminal_id,
                    WINDOW_MINUTES)
    if _count("card", card.id):
        log.warning("pay-code limits: card ending %s locked for %d minutes", card.last4,
                    WINDOW_MINUTES)
        _after_the_request(card.member.id, card.last4)


def _after_the_request(member_id: str, last4: str) -> None:
    # The request fails and its transaction rolls back: the SMS is queued after it, in a
    # transaction of its own.
    if not has_request_context():  # a shell or a test calling the service: a session aside
        with Session(db.engine) as aside:
            _send_lock_notice(aside, member_id, last4)
        return

    @after_this_request
    def notify(response):
        db.session.rollback()  # the failed request's work (an error answer: nothing to keep)
        _send_lock_notice(db.session, member_id, last4)
        return response


def _send_lock_notice(session: Session, member_id: str, last4: str) -> None:
    try:
        phone = session.scalar(select(Member.phone).where(Member.id == member_id))
        until = (datetime.now(SHANGHAI) + timedelta(minutes=WINDOW_MINUTES)).strftime("%H:%M")
        queue_sms(session, phone, f"【V卡联盟】您尾号{last4}的V卡付款码被多次输错，为保护您的积分，"
                                  f"积分支付已暂停至{until}。付款码请勿出示给他人；"
                                  "如非本人操作请联系客服。")
        session.commit()
        deliver_pending(session)
    except Exception:  # the notice must not change the till's answer
        session.rollback()
        log.exception("pay-code limits: the lock notice for card ending %s failed", last4)
