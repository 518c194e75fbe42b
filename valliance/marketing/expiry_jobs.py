"""The expiry reminders' daily job (as `flask points remind-expiry`): a batch of accounts per
commit, so a run that dies keeps what it sent and its retry sends nobody twice."""

from collections.abc import Callable
from datetime import datetime

from valliance import jobs
from valliance.i18n import N_
from valliance.marketing.expiry_models import STAGES
from valliance.marketing.services.expiry_reminders import BATCH, send_reminders


def remind_in_batches(session, *, commit: Callable, now: datetime | None = None,
                      batch: int = BATCH) -> dict:
    """Send every due reminder, committing each batch: {"members", "sent_30", "sent_7",
    "quiet"}."""
    result = {"members": 0, **{f"sent_{stage}": 0 for stage in STAGES}, "quiet": False}
    after = 0
    while True:
        part = send_reminders(session, now=now, after=after, limit=batch)
        if part.quiet:
            result["quiet"] = True
            return result
        if part.last is None:
            return result
        result["members"] += part.members
        for stage, count in part.sent.items():
            result[f"sent_{stage}"] += count
        after = part.last
        commit()


def remind(session, at: str | None = None) -> dict:
    """The daily job; `at` (ISO 8601, optional): the moment to run as (a frozen clock)."""
    now = datetime.fromisoformat(at) if at else None
    return remind_in_batches(session, commit=session.commit, now=now)


def register_jobs() -> None:
    # 10:00 Asia/Shanghai: a reminder is a service message, but it never wakes anyone
    jobs.register("points.remind_expiry", remind, label=N_("积分到期提醒"), daily_at="10:00")
