"""Marketing's nightly job: every active member's RFM scores (as `flask rfm score`)."""

from valliance import jobs
from valliance.i18n import N_
from valliance.marketing.services import rfm


def score_members(session) -> dict:
    return rfm.score_members(session).as_json()


def register_jobs() -> None:
    from valliance.marketing.services import campaign_schedule

    jobs.register("marketing.rfm_score", score_members, label=N_("会员RFM评分"),
                  daily_at="02:00")
    campaign_schedule.register_jobs()
