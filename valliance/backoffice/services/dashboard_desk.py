"""The service desk on the alliance dashboard: this month's share of faults fixed within their
service level against the 80 % target (as the desk's report defines it), and the running
tickets past their level now, of which escalated to their team's lead."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from valliance.db import SHANGHAI, utcnow
from valliance.service_desk.services.queue import overdue_count
from valliance.service_desk.services.report import TARGET, fault_series
from valliance.service_desk.services.report_periods import MONTH, Period, period_of


@dataclass(frozen=True)
class DeskFigures:
    month: Period
    within: int
    late: int
    overdue: int
    escalated: int
    target: float = TARGET

    @property
    def share(self) -> float | None:
        return self.within / (self.within + self.late) if self.within + self.late else None

    @property
    def below_target(self) -> bool:
        return self.share is not None and self.share < self.target


def desk_figures(session: Session, *, now: datetime | None = None) -> DeskFigures:
    """This month's faults within and late (opened this month, Asia/Shanghai), and overdue."""
    now = now or utcnow()
    month = period_of(MONTH, now.astimezone(SHANGHAI).date())
    point = fault_series(session, [month], now=now)[0]
    overdue, escalated = overdue_count(session, now=now)
    return DeskFigures(month, point.within, point.late, overdue, escalated)
