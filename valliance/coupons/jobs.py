"""The coupons' nightly job: active coupons past their last day are marked expired (they
already read as expired everywhere; the job keeps the table honest for reports)."""

from valliance.coupons.issuing import expire_coupons
from valliance.db import today_shanghai


def expire(session) -> dict:
    """Mark coupons past their last day expired; the job's result counts them."""
    return {"expired": expire_coupons(session, today_shanghai())}
