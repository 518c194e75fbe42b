"""The desk's report: is the promise kept? (issue #19; docs/service-desk.md documents these
definitions from here.)

Period: an ISO week (Monday to Sunday) or a calendar month, in Asia/Shanghai dates. A ticket
belongs to the period in which it was OPENED (a cohort), whatever happened to it later; a
past period's figures can still move while its late tickets are worked.

Within their service level, for the tickets of a row (a kind, a tier, a team, an engineer):
- within: resolved (`resolved_at` set; a ticket closed after its resolution keeps it) and
  `within_target` true — as stored at its last resolution (a reopened ticket counts by its
  final resolution, its clock counting on from where it stopped);
- late: resolved with `within_target` false, or not resolved yet (open, assigned,
  in_progress, waiting_member) and already past its service level at the report's moment:
  a running ticket past `due_at`, a paused one that had used more than its time before it
  paused; or closed without a resolution after using more than its time (closing a late
  ticket does not take it out of the share);
- pending: not resolved and not late yet — left out of the share;
- closed without resolution (`resolved_at` null, status closed: duplicates, cancelled) —
  counted on their own, and left out of the share unless late.
Share = within / (within + late); None when nothing is within or late. The headline is the
faults' share against the 80 % target; every kind has its own row. The tier, team and
engineer rows count tickets of every kind, each against its own service level.

Time to fix: `fix_seconds` of the resolved tickets (the counted seconds on the ticket's
clock, pauses and — on business hours — the hours outside excluded): the median and the 90th
percentile by nearest rank (the ⌈p·n⌉-th smallest; the median of an even count is the lower
middle value), computed in Python from one column query, the same on both engines.
Reopen rate: tickets with reopen_count > 0 (reopened by the member or the desk) among the
tickets resolved or reopened — one reopened and being worked again counts at once.
Satisfaction: the mean rating, the count of ratings, and the share rated 4 or 5.
The series: the faults' share in each of the last 12 weeks or months, the period shown last.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, func, not_, or_, select
from sqlalchemy.orm import Session

from valliance.db import utcnow
from valliance.members.tiers import TIER_ORDER
from valliance.service_desk.models import KINDS, RUNNING, UNRESOLVED, ServiceTeam, Ticket
from valliance.service_desk.services.report_periods import Period
from valliance.staff.models import StaffUser

TARGET = 0.8
SERIES_LENGTH = 12
FAULT = "fault"
COUNTS = ("opened", "within", "late", "pending", "closed_unresolved", "resolved", "reopened",
          "reopen_base", "ratings", "rating_sum", "satisfied")


@dataclass
class Row:
    """The figures of one row: `key` a kind, a tier, a team id or a staff id (None: no team,
    nobody assigned, or the totals); `name` the team's or the engineer's."""

    key: str | None = None
    name: str | None = None
    opened: int = 0
    within: int = 0
    late: int = 0
    pending: int = 0
    closed_unresolved: int = 0
    resolved: int = 0
    reopened: int = 0
    #: resolved, or reopened and being worked again (the reopen rate's denominator)
    reopen_base: int = 0
    ratings: int = 0
    rating_sum: int = 0
    satisfied: int = 0  #: rated 4 or 5
    fix_seconds: list[int] = field(default_factory=list, repr=False)

    def add(self, counts) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + (counts[name] or 0))

    @property
    def share(self) -> float | None:
        counted = self.within + self.late
        return self.within / counted if counted else None

    @property
    def median_seconds(self) -> int | None:
        return nearest_rank(self.fix_seconds, 0.5)

    @property
    def p90_seconds(self) -> int | None:
        return nearest_rank(self.fix_seconds, 0.9)

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened / self.reopen_base if self.reopen_base else None

    @property
    def mean_rating(self) -> float | None:
        return self.rating_sum / self.ratings if self.ratings else None

    @property
    def satisfied_share(self) -> float | None:
        return self.satisfied / self.ratings if self.ratings else None


@dataclass
class SeriesPoint:
    period: Period
    within: int = 0
    late: int = 0

    @property
    def share(self) -> float | None:
        return self.within / (self.within + self.late) if self.within + self.late else None


@dataclass
class Report:
    period: Period
    now: datetime
    faults: Row
    total: Row
    by_kind: list[Row]
    by_tier: list[Row]
    by_team: list[Row]
    by_engineer: list[Row]
    series: list[SeriesPoint]
    target: float = TARGET

    @property
    def empty(self) -> bool:
        return self.total.opened == 0


def nearest_rank(values: list[int], p: float) -> int | None:
    """The ⌈p·n⌉-th smallest value (None for none)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p * len(ordered))) - 1]


def _conditions(now: datetime) -> dict:
    resolved = Ticket.resolved_at.is_not(None)
    unresolved = Ticket.status.in_(UNRESOLVED)
    # past the level: more time used than it allows (exactly the level is still within it)
    used_up = Ticket.used_seconds > Ticket.target_minutes * 60
    past_level = or_(and_(Ticket.status.in_(RUNNING), Ticket.due_at < now),
                     and_(Ticket.status == "waiting_member", used_up))
    closed_unresolved = and_(Ticket.resolved_at.is_(None), Ticket.status == "closed")
    return {
        "within": and_(resolved, Ticket.within_target.is_(True)),
        # a ticket closed unresolved after its level ran out is late (closing it hides nothing)
        "late": or_(and_(resolved, Ticket.within_target.is_(False)),
                    and_(unresolved, past_level), and_(closed_unresolved, used_up)),
        "pending": and_(unresolved, not_(past_level)),
        "closed_unresolved": closed_unresolved,
        "resolved": resolved,
        # reopened now or before its last resolution, among the resolved and the reopened
        "reopened": Ticket.reopen_count > 0,
        "reopen_base": or_(resolved, Ticket.reopen_count > 0),
        "satisfied": Ticket.rating >= 4,
    }


def _counted(condition):
    return func.count(case((condition, 1)))


def _in_period(period: Period):
    return and_(Ticket.created_at >= period.starts, Ticket.created_at < period.ends)


def build_report(session: Session, period: Period, *, now: datetime | None = None) -> Report:
    """The report of the tickets opened in the period, as things stand at `now`."""
    now = now or utcnow()
    rows = {name: defaultdict(Row) for name in ("kind", "tier", "team", "engineer")}
    total = Row()
    conditions = _conditions(now)
    groups = (Ticket.kind, Ticket.tier, Ticket.team_id, Ticket.assignee_id)
    query = (select(*groups, func.count().label("opened"),
                    *(_counted(conditions[name]).label(name) for name in COUNTS[1:8]
                      if name != "ratings"),
                    func.count(Ticket.rating).label("ratings"),
                    func.coalesce(func.sum(Ticket.rating), 0).label("rating_sum"),
                    _counted(conditions["satisfied"]).label("satisfied"))
             .where(_in_period(period)).group_by(*groups))
    for counts in session.execute(query).mappings():
        total.add(counts)
        for name, key in zip(rows, (counts["kind"], counts["tier"], counts["team_id"],
                                    counts["assignee_id"]), strict=True):
            rows[name][key].add(counts)
    fixes = session.execute(select(*groups, Ticket.fix_seconds).where(
        _in_period(period), Ticket.resolved_at.is_not(None)))
    for kind, tier, team, engineer, seconds in fixes:
        total.fix_seconds.append(seconds)
        for name, key in zip(rows, (kind, tier, team, engineer), strict=True):
            rows[name][key].fix_seconds.append(seconds)
    by_kind = [_keyed(rows["kind"], kind) for kind in KINDS if kind in rows["kind"]]
    by_tier = [_keyed(rows["tier"], tier) for tier in sorted(
        rows["tier"], key=lambda tier: (TIER_ORDER.index(tier) if tier in TIER_ORDER else 99))]
    return Report(period, now, _keyed(rows["kind"], FAULT) if FAULT in rows["kind"] else
                  Row(FAULT), total, by_kind, by_tier,
                  _named(session, rows["team"], ServiceTeam),
                  _named(session, rows["engineer"], StaffUser),
                  fault_series(session, period.back(SERIES_LENGTH), now=now))


def _keyed(rows: dict, key: str) -> Row:
    row = rows[key]
    row.key = key
    return row


def _named(session: Session, rows: dict, model) -> list[Row]:
    """The rows by name (the row without a team or an engineer last)."""
    ids = [key for key in rows if key is not None]
    names = dict(session.execute(select(model.id, model.name).where(model.id.in_(ids))).all()
                 ) if ids else {}
    for key, row in rows.items():
        row.key, row.name = key, names.get(key, key) if key is not None else None
    return sorted(rows.values(), key=lambda row: (row.key is None, row.name or ""))


def fault_series(session: Session, periods: list[Period], *, now: datetime | None = None
                 ) -> list[SeriesPoint]:
    """The faults within and late in each period (consecutive, oldest first): one query."""
    now = now or utcnow()
    conditions = _conditions(now)
    bucket = case(*((Ticket.created_at < p.ends, index) for index, p in enumerate(periods)))
    counted = session.execute(
        select(bucket, _counted(conditions["within"]), _counted(conditions["late"]))
        .where(Ticket.kind == FAULT, Ticket.created_at >= periods[0].starts,
               Ticket.created_at < periods[-1].ends).group_by(bucket)).all()
    points = [SeriesPoint(period) for period in periods]
    for index, within, late in counted:
        points[index].within, points[index].late = within, late
    return points

