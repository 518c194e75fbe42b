"""The desk's jobs: every minute, escalate what fell due and queue the SMS the quiet hours
held back; every night, close tickets resolved a week ago."""

from datetime import datetime

from valliance import jobs
from valliance.i18n import N_
from valliance.marketing.services.campaign_schedule import DELIVER_JOB
from valliance.service_desk.services import escalation, notices, tickets

TICK_JOB = "service_desk.tick"
CLOSE_JOB = "service_desk.close_resolved"


def tick(session, at: str | None = None) -> dict:
    """Escalate overdue tickets and queue held SMS; `at` (ISO 8601): run as of that moment."""
    now = datetime.fromisoformat(at) if at else None
    result = {"escalated": escalation.escalate_overdue(session, now=now),
              "sms_queued": notices.queue_due_sms(session, now=now)}
    if result["escalated"] or result["sms_queued"]:
        jobs.enqueue(DELIVER_JOB, key=DELIVER_JOB)
    return result


def close_resolved(session, at: str | None = None) -> dict:
    """Close the tickets resolved more than a week ago and neither reopened nor closed."""
    now = datetime.fromisoformat(at) if at else None
    return {"closed": tickets.close_resolved(session, now=now, limit=10_000)}


def register_jobs() -> None:
    jobs.register(TICK_JOB, tick, label=N_("工单超时升级与通知"), every_minutes=1)
    jobs.register(CLOSE_JOB, close_resolved, label=N_("关闭已解决一周的工单"), daily_at="03:30")
