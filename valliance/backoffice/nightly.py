"""The back office's nightly job: the dashboard's rollup of the closed days (as `flask
backoffice roll-up`), written before anyone opens the dashboard."""

from valliance import jobs
from valliance.backoffice.services.alliance_days import roll_up
from valliance.backoffice.services.dashboard import month_starts
from valliance.db import today_shanghai
from valliance.i18n import N_


def roll_up_days(session) -> dict:
    today = today_shanghai()
    return {"days": roll_up(session, month_starts(today)[0], today)}


def register_jobs() -> None:
    jobs.register("backoffice.roll_up", roll_up_days, label=N_("看板汇总"), daily_at="01:00")
