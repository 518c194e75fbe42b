"""Periods: a settlement month's name and bounds (Asia/Shanghai), and which are closed."""

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.db import SHANGHAI
from valliance.errors import VallianceError
from valliance.i18n import bilingual
from valliance.settlement.models import SettlementPeriod

#: years 1000 to 9998: a datetime has no year 0, and 9999-12's end would be in year 10000
PERIOD = re.compile(r"^((?!9999)[1-9]\d{3})-(0[1-9]|1[0-2])$")


class SettlementRefused(VallianceError):
    status = 422
    code = "settlement_refused"
    pages_only = True  # the shell and staff pages: never an API answer
    message = bilingual("无法结算")


def parse_period(value: str) -> str:
    """Check a period is 'YYYY-MM'."""
    value = (value or "").strip()
    if not PERIOD.match(value):
        raise SettlementRefused(bilingual("期间格式应为 YYYY-MM", value=repr(value)))
    return value


def _month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=SHANGHAI)


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """The period's first instant and the instant after it, as Shanghai calendar months."""
    year, month = (int(part) for part in parse_period(period).split("-"))
    start = _month_start(year, month)
    end = _month_start(year + month // 12, month % 12 + 1)
    return start, end


def period_of(moment: datetime) -> str:
    """The Shanghai month a moment falls in."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m")


def last_closed(session: Session) -> SettlementPeriod | None:
    """The latest closed period."""
    return session.scalar(select(SettlementPeriod).order_by(SettlementPeriod.period.desc())
                          .limit(1))


def closed_period(session: Session, period: str) -> SettlementPeriod | None:
    """A closed period (None when it has not been closed)."""
    return session.get(SettlementPeriod, period)


def closed_periods(session: Session) -> list[SettlementPeriod]:
    """Every closed period, newest first."""
    return list(session.scalars(select(SettlementPeriod)
                                .order_by(SettlementPeriod.period.desc())))
