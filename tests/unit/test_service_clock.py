"""The service-level clock: what a stretch of time counts on 24×7 and on business hours, and
when a number of counted seconds runs out — worked out by hand on the calendar (Asia/Shanghai;
2026-12-07 is a Monday)."""

from datetime import UTC, datetime, time

import pytest

from valliance.service_desk.clock import Hours, add_counted, counted_seconds

OFFICE = Hours(time(9, 0), time(18, 0), frozenset(range(5)))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00")


def test_around_the_clock_counts_every_second():
    assert counted_seconds(at("2026-12-07T22:00"), at("2026-12-08T03:00"), None) == 5 * 3600
    assert add_counted(at("2026-12-07T22:00"), 5 * 3600, None) == at("2026-12-08T03:00")


@pytest.mark.parametrize("start, end, hours", [
    ("2026-12-07T10:00", "2026-12-07T15:00", 5),       # inside one day
    ("2026-12-07T07:00", "2026-12-07T10:00", 1),       # before opening counts nothing
    ("2026-12-07T17:00", "2026-12-08T10:00", 2),       # an evening and a night skipped
    ("2026-12-11T17:00", "2026-12-14T10:00", 2),       # Friday to Monday: the weekend skipped
    ("2026-12-12T10:00", "2026-12-13T18:00", 0),       # a whole weekend
    ("2026-12-07T09:00", "2026-12-14T09:00", 45),      # a full week: five days of nine hours
])
def test_business_hours_count_only_the_hours_of_working_days(start, end, hours):
    assert counted_seconds(at(start), at(end), OFFICE) == hours * 3600


@pytest.mark.parametrize("start, hours, due", [
    ("2026-12-07T10:00", 5, "2026-12-07T15:00"),
    ("2026-12-07T16:00", 5, "2026-12-08T12:00"),       # 2 h today, 3 h tomorrow
    ("2026-12-07T20:00", 5, "2026-12-08T14:00"),       # opened after hours: starts at 09:00
    ("2026-12-11T16:00", 5, "2026-12-14T12:00"),       # Friday afternoon → Monday noon
    ("2026-12-12T11:00", 24, "2026-12-16T15:00"),      # Saturday: 9+9 on Mon/Tue, 6 on Wed
])
def test_business_hours_due_dates_skip_nights_and_weekends(start, hours, due):
    assert add_counted(at(start), hours * 3600, OFFICE) == at(due)


def test_counting_back_what_was_added_gives_the_same_seconds():
    start = at("2026-12-11T16:37")
    for seconds in (1, 3599, 5 * 3600, 24 * 3600, 100 * 3600):
        assert counted_seconds(start, add_counted(start, seconds, OFFICE), OFFICE) == seconds


def test_a_utc_start_gives_a_utc_due_at_the_same_moment():
    start = at("2026-12-07T16:00").astimezone(UTC)
    due = add_counted(start, 5 * 3600, OFFICE)
    assert due.tzinfo == UTC and due == at("2026-12-08T12:00")


@pytest.mark.parametrize("hours, days, expected", [
    ("09:00-18:00", "1-5", OFFICE),
    ("08:30-20:00", "1-6", Hours(time(8, 30), time(20, 0), frozenset(range(6)))),
    ("09:00-17:00", "1,3,5", Hours(time(9), time(17), frozenset({0, 2, 4}))),
])
def test_business_hours_are_read_from_the_settings(hours, days, expected):
    assert Hours.parse(hours, days) == expected


@pytest.mark.parametrize("hours, days", [
    ("18:00-09:00", "1-5"), ("9-18", "1-5"), ("09:00-18:00", "0-5"), ("09:00-18:00", "6-2"),
    ("09:00-18:00", "x"),
])
def test_mistyped_business_hours_are_refused(hours, days):
    with pytest.raises(ValueError):
        Hours.parse(hours, days)
