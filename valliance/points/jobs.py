"""The ledger's jobs: lots past their date expire every night (as `flask ledger expire`)."""

from valliance import jobs
from valliance.i18n import N_
from valliance.points.ledger import expire_due


def expire(session) -> dict:
    """Expire every lot past its date; the job's result counts them."""
    lots, points = expire_due(session)
    return {"lots": lots, "points": points}


def register_jobs() -> None:
    jobs.register("ledger.expire", expire, label=N_("积分到期"), daily_at="00:30")
