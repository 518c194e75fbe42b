"""The service-level clock: how much of a stretch of time counts, and when a number of counted
seconds runs out.

A kind of ticket runs on one of two clocks (docs/service-desk.md): around the clock (24×7),
or business hours — the configured hours of the configured weekdays, Asia/Shanghai. Pure
functions: the desk's services pass them the moments and the hours, tests a frozen clock.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from valliance.db import SHANGHAI

AROUND_THE_CLOCK, BUSINESS_HOURS = "24x7", "business"
CLOCKS = (AROUND_THE_CLOCK, BUSINESS_HOURS)
#: a due date further than this is a configuration error, not a promise
MAX_DAYS = 3660


@dataclass(frozen=True)
class Hours:
    """Business hours: from `start` to `end` on `weekdays` (0 = Monday), Asia/Shanghai."""

    start: time = time(9, 0)
    end: time = time(18, 0)
    weekdays: frozenset[int] = frozenset(range(5))

    @classmethod
    def parse(cls, hours: str, days: str) -> "Hours":
        """From "09:00-18:00" and "1-5" or "1,2,3,4,5,6" (1 = Monday … 7 = Sunday)."""
        start_text, end_text = (part.strip() for part in hours.split("-"))
        start, end = time.fromisoformat(start_text), time.fromisoformat(end_text)
        if not start < end:
            raise ValueError(f"business hours end before they start: {hours!r}")
        weekdays: set[int] = set()
        for part in days.replace(" ", "").split(","):
            low, _, high = part.partition("-")
            first, last = int(low), int(high or low)
            if not 1 <= first <= last <= 7:
                raise ValueError(f"weekdays are 1 (Monday) to 7 (Sunday): {days!r}")
            weekdays.update(range(first - 1, last))
        return cls(start, end, frozenset(weekdays))

    def _window(self, day) -> tuple[datetime, datetime] | None:
        if day.weekday() not in self.weekdays:
            return None
        return (datetime.combine(day, self.start, SHANGHAI),
                datetime.combine(day, self.end, SHANGHAI))


def counted_seconds(start: datetime, end: datetime, hours: Hours | None) -> int:
    """The seconds from start to end that the clock counts (hours None: every second)."""
    if end <= start:
        return 0
    if hours is None:
        return int((end - start).total_seconds())
    total = 0
    day = start.astimezone(SHANGHAI).date()
    last = end.astimezone(SHANGHAI).date()
    while day <= last:
        window = hours._window(day)
        if window is not None:
            opens, closes = max(window[0], start), min(window[1], end)
            if closes > opens:
                total += int((closes - opens).total_seconds())
        day += timedelta(days=1)
    return total


def add_counted(start: datetime, seconds: int, hours: Hours | None) -> datetime:
    """The moment at which `seconds` counted from `start` run out (UTC-aware as given)."""
    if hours is None:
        return start + timedelta(seconds=seconds)
    if not hours.weekdays:
        raise ValueError("business hours without a working day never run out")
    left = seconds
    day = start.astimezone(SHANGHAI).date()
    for _ in range(MAX_DAYS):
        window = hours._window(day)
        if window is not None:
            opens = max(window[0], start)
            if window[1] > opens:
                available = int((window[1] - opens).total_seconds())
                if left <= available:
                    return (opens + timedelta(seconds=left)).astimezone(start.tzinfo)
                left -= available
        day += timedelta(days=1)
    raise ValueError("a due date more than ten years away")
