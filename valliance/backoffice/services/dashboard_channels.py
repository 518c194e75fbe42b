"""The dashboard's other tiles: the 114 channel, payments through Stripe, the work waiting."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from valliance.backoffice.models import PENDING, PointAdjustment
from valliance.backoffice.services import closed_periods
from valliance.merchants.services.reports import shanghai_midnight
from valliance.payments.models import PAID_STATUSES, Payment
from valliance.staff import services as staff_services

DAYS = 30


@dataclass
class Channels:
    first_day: date  #: the window's first Shanghai day (today is its last)
    referrals: int
    conversions: int
    payments: int  #: payments whose money arrived in the window
    paid: int  #: fen Stripe took for those payments (less what points paid of bills)
    pending_merchants: int
    pending_adjustments: int
    merchants: dict[str, int]  #: merchants by status
    point_value_fen: int


def channels(session: Session, today: date) -> Channels:
    first_day = today - timedelta(days=DAYS - 1)
    since = shanghai_midnight(first_day)
    referrals, conversions = closed_periods.referrals(session, first_day, today)
    payments, paid = session.execute(
        select(func.count(), func.coalesce(func.sum(Payment.amount - Payment.points_value), 0))
        .where(Payment.paid_at >= since, Payment.status.in_(sorted(PAID_STATUSES)))).one()
    merchants = staff_services.status_counts(session)
    adjustments = session.scalar(select(func.count()).select_from(PointAdjustment)
                                 .where(PointAdjustment.status == PENDING)) or 0
    return Channels(first_day, referrals, conversions or 0, payments, int(paid),
                    merchants["pending"], adjustments, merchants,
                    current_app.config["POINT_VALUE_FEN"])
