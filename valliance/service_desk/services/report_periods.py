"""The report's periods: an ISO week (Monday to Sunday) or a calendar month, in Asia/Shanghai
dates, and the moments (UTC) they begin and end."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from valliance.db import SHANGHAI

WEEK, MONTH = "week", "month"
PERIOD_KINDS = (WEEK, MONTH)


@dataclass(frozen=True)
class Period:
    kind: str  #: week or month
    first: date  #: its first day (a Monday, or the 1st)
    end: date  #: the day after its last

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def starts(self) -> datetime:
        return datetime.combine(self.first, time(0), SHANGHAI)

    @property
    def ends(self) -> datetime:
        """The first moment after the period (exclusive)."""
        return datetime.combine(self.end, time(0), SHANGHAI)

    @property
    def key(self) -> str:
        """What the page's `at` says: 2026-12 or 2026-W49."""
        if self.kind == MONTH:
            return f"{self.first:%Y-%m}"
        year, week, _ = self.first.isocalendar()
        return f"{year}-W{week:02d}"

    def previous(self) -> "Period":
        return period_of(self.kind, self.first - timedelta(days=1))

    def next(self) -> "Period":
        return period_of(self.kind, self.end)

    def back(self, count: int) -> list["Period"]:
        """This period and the count - 1 before it, oldest first."""
        periods = [self]
        while len(periods) < count:
            periods.append(periods[-1].previous())
        return periods[::-1]


#: the years a report may be asked for (the series reaches a year back, the page one period on)
FIRST_YEAR, LAST_YEAR = 2000, 9990


def period_of(kind: str, day: date) -> Period:
    """The week or the month holding the day."""
    if kind == WEEK:
        first = day - timedelta(days=day.weekday())
        return Period(WEEK, first, first + timedelta(days=7))
    first = day.replace(day=1)
    return Period(MONTH, first, (first + timedelta(days=32)).replace(day=1))


def parse_period(kind: str | None, at: str | None, today: date) -> Period:
    """The period the page asks for (`at`: 2026-12 or 2026-W49); this one when it asks for
    nothing or for something that is not a period."""
    kind = kind if kind in PERIOD_KINDS else MONTH
    try:
        if kind == MONTH and at:
            asked = period_of(MONTH, datetime.strptime(at + "-01", "%Y-%m-%d").date())
        elif kind == WEEK and at:
            year, week = at.upper().split("-W")
            asked = period_of(WEEK, date.fromisocalendar(int(year), int(week), 1))
        else:
            asked = None
    except (ValueError, OverflowError):
        asked = None
    # the page reaches a year back and a period on: the calendar's ends are not periods
    if asked is None or not FIRST_YEAR <= asked.first.year <= LAST_YEAR:
        return period_of(kind, today)
    return asked
