"""The desk's report against a generated month: the share of faults fixed within their
service level, the median and 90th percentile time to fix, the reopen rate and satisfaction,
computed here from the generator's own record and compared with the report."""

import random
from collections import Counter
from datetime import datetime, timedelta

import pytest

from tests.desk_month import (
    MONTH_END,
    MONTH_START,
    REPORT_AT,
    desk_people,
    generate_month,
)
from tests.sms import record_sms
from valliance.db import SHANGHAI
from valliance.service_desk.services import tickets
from valliance.service_desk.services.report import build_report, fault_series
from valliance.service_desk.services.report_periods import (
    MONTH,
    WEEK,
    parse_period,
    period_of,
)


@pytest.fixture(autouse=True)
def sms(app, monkeypatch):
    return record_sms(app, monkeypatch)


def _nearest_rank(values, p):
    """The smallest value with at least p·n values at or below it."""
    for value in sorted(values):
        if sum(1 for v in values if v <= value) >= p * len(values):
            return value
    return None


def _expected(done):
    """within, late, pending, closed without resolution — from what the generator did."""
    counts = Counter()
    for d in done:
        if d.outcome == "resolved":
            counts["within" if d.fix_seconds <= d.target_seconds else "late"] += 1
        elif d.outcome == "closed_unresolved":
            counts["closed"] += 1
            if d.used_when_closed > d.target_seconds:  # closing a late ticket hides nothing
                counts["late"] += 1
        elif d.outcome == "paused":
            counts["late" if d.used_when_paused > d.target_seconds else "pending"] += 1
        else:
            due = d.opened + timedelta(seconds=d.target_seconds)
            counts["late" if due < REPORT_AT else "pending"] += 1
    return counts


def _assert_row(row, done):
    counts = _expected(done)
    assert (row.opened, row.within, row.late, row.pending, row.closed_unresolved) == (
        len(done), counts["within"], counts["late"], counts["pending"], counts["closed"])
    fixes = [d.fix_seconds for d in done if d.outcome == "resolved"]
    assert row.median_seconds == _nearest_rank(fixes, 0.5)
    assert row.p90_seconds == _nearest_rank(fixes, 0.9)
    assert row.resolved == len(fixes)
    assert row.reopened == sum(1 for d in done if d.outcome == "resolved" and d.reopened)


@pytest.fixture
def month(session):
    """A generated November with tickets just outside it on both sides."""
    people = desk_people(session)
    done = generate_month(session, random.Random(19), people, 160)
    member = people["members"][0]
    for moment in (MONTH_START - timedelta(seconds=1), MONTH_END):
        tickets.open_ticket(session, member, kind="fault", summary="断网",
                            contact_phone=member.phone, now=moment)
    session.commit()
    return done


def test_the_monthly_share_of_faults_within_their_level_matches_the_generators_record(
        session, month):
    report = build_report(session, period_of(MONTH, MONTH_START.date()), now=REPORT_AT)
    faults = [d for d in month if d.kind == "fault"]
    counts = _expected(faults)
    assert all(counts[name] for name in ("within", "late", "pending", "closed"))
    assert report.faults.share == pytest.approx(
        counts["within"] / (counts["within"] + counts["late"]))
    _assert_row(report.faults, faults)
    _assert_row(report.total, month)  # the tickets one second outside the month left out


def test_every_kind_tier_team_and_engineer_row_matches_the_record(session, month):
    report = build_report(session, period_of(MONTH, MONTH_START.date()), now=REPORT_AT)
    assert {row.key for row in report.by_kind} == {d.kind for d in month}
    assert _expected([d for d in month if d.kind == "install"])["pending"] > 0
    for row in report.by_kind:
        _assert_row(row, [d for d in month if d.kind == row.key])
    for row in report.by_tier:
        _assert_row(row, [d for d in month if d.tier == row.key])
    for row in report.by_team:
        _assert_row(row, [d for d in month if d.team == row.key])
    assert [row.name for row in report.by_team] == ["装维1组", "装维2组", None]
    for row in report.by_engineer:
        _assert_row(row, [d for d in month if d.engineer == row.key])


def test_reopen_rate_and_satisfaction_are_counted_over_the_resolved_and_the_rated(
        session, month):
    report = build_report(session, period_of(MONTH, MONTH_START.date()), now=REPORT_AT)
    resolved = [d for d in month if d.outcome == "resolved"]
    ratings = [d.rating for d in resolved if d.rating is not None]
    assert any(d.reopened for d in resolved)
    assert report.total.reopen_rate == pytest.approx(
        sum(d.reopened for d in resolved) / len(resolved))
    assert report.total.ratings == len(ratings)
    assert report.total.mean_rating == pytest.approx(sum(ratings) / len(ratings))
    assert report.total.satisfied_share == pytest.approx(
        sum(1 for r in ratings if r >= 4) / len(ratings))


def test_the_series_holds_the_months_share_and_nothing_before_the_first_ticket(
        session, month):
    november = period_of(MONTH, MONTH_START.date())
    report = build_report(session, november, now=REPORT_AT)
    assert len(report.series) == 12 and report.series[-1].period == november
    assert report.series[-1].share == report.faults.share
    october, december = november.previous(), november.next()
    # one fault a second before the month and one at midnight after it, both overdue
    assert [(p.within, p.late) for p in fault_series(
        session, [october, november, december], now=REPORT_AT)][::2] == [(0, 1), (0, 1)]
    assert all(point.share is None for point in report.series[:-2])


def test_a_ticket_opened_sunday_2359_belongs_to_that_week_and_monday_0000_to_the_next(
        session):
    people = desk_people(session, teams=1, members_per_tier=1)
    member = people["members"][0]
    sunday = datetime(2026, 12, 6, 23, 59, 59, tzinfo=SHANGHAI)  # a Sunday
    for moment in (sunday, sunday + timedelta(seconds=1)):
        tickets.open_ticket(session, member, kind="fault", summary=f"断网 {moment:%H:%M:%S}",
                            contact_phone=member.phone, now=moment)
    session.flush()
    week = parse_period(WEEK, "2026-W49", sunday.date())
    assert (week.first.isoformat(), week.last.isoformat()) == ("2026-11-30", "2026-12-06")
    at = sunday + timedelta(hours=1)
    assert build_report(session, week, now=at).total.opened == 1
    assert build_report(session, week.next(), now=at).total.opened == 1
    assert week.next().key == "2026-W50"


def test_a_period_that_is_not_one_falls_back_to_this_period():
    today = datetime(2026, 12, 7).date()
    assert parse_period(MONTH, "2026-13", today).key == "2026-12"
    assert parse_period(WEEK, "soon", today).key == "2026-W50"
    assert parse_period("year", None, today).kind == MONTH
    assert parse_period(WEEK, "2027-W01", today).first.isoformat() == "2027-01-04"


def test_an_empty_period_has_no_share_and_no_times(session):
    report = build_report(session, period_of(MONTH, MONTH_START.date()), now=REPORT_AT)
    assert report.empty and report.faults.share is None
    assert report.faults.median_seconds is None and report.total.reopen_rate is None


def test_a_ticket_reopened_and_worked_again_counts_in_the_reopen_rate_at_once(session):
    people = desk_people(session, teams=1, members_per_tier=1)
    member = people["members"][0]
    start = MONTH_START + timedelta(days=2)
    made = [tickets.open_ticket(session, member, kind="fault", summary=f"断网{i}",
                                contact_phone=member.phone, now=start + timedelta(minutes=i))
            for i in range(4)]
    for ticket in made:
        tickets.change_status(session, ticket.id, "resolved", by=None, note="已修复",
                              now=start + timedelta(hours=1))
    tickets.member_reopen(session, member.id, made[0].id, now=start + timedelta(hours=2))
    session.flush()
    total = build_report(session, period_of(MONTH, start.date()), now=REPORT_AT).total
    assert (total.reopened, total.reopen_base, total.resolved) == (1, 4, 3)
    assert total.reopen_rate == pytest.approx(0.25)


def test_closing_a_late_fault_unresolved_keeps_it_late_in_the_share(session):
    people = desk_people(session, teams=1, members_per_tier=1)
    member = people["members"][0]  # a standard member: faults within 5 hours
    start = MONTH_START + timedelta(days=3)
    late = tickets.open_ticket(session, member, kind="fault", summary="断网",
                               contact_phone=member.phone, now=start)
    duplicate = tickets.open_ticket(session, member, kind="fault", summary="又断网",
                                    contact_phone=member.phone, now=start)
    tickets.change_status(session, late.id, "closed", by=None, note="用户撤销",
                          now=start + timedelta(hours=6))
    tickets.change_status(session, duplicate.id, "closed", by=None, note="重复报修",
                          now=start + timedelta(minutes=10))
    session.flush()
    faults = build_report(session, period_of(MONTH, start.date()), now=REPORT_AT).faults
    assert (faults.within, faults.late, faults.closed_unresolved) == (0, 1, 2)
    assert faults.share == 0.0
