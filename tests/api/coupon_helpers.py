"""Building blocks for coupon tests: a template, coupons issued from it."""

from datetime import timedelta

from valliance.coupons import issuing
from valliance.db import utcnow


def template(session, *, value=2000, min_spend=10000, merchant=None, valid_days=30,
             per_member=1, total_limit=None, title="满100减20"):
    made = issuing.create_template(
        session, title=title, value=value, min_spend=min_spend,
        merchant_id=merchant.id if merchant is not None else None, valid_days=valid_days,
        per_member=per_member, total_limit=total_limit, created_by="test")
    session.commit()
    return made


def coupon(session, template_, member, *, days_ago=0):
    """A coupon of the template for the member, issued days_ago days ago."""
    issued = issuing.issue_coupon(session, template_.id, member, source="test",
                                  now=utcnow() - timedelta(days=days_ago))
    session.commit()
    return issued
