"""The expiry reminders' programme page: what was sent, what it covered, what it brought.

For each stage (30 and 7 days): the messages sent and the members they reached; the points
they covered (the reminded lots' points left when the reminder went); of the points whose date
has passed, how many were spent (or are still held after a refund) before their date and how
many expired — what the reminder could not save; and the points still waiting for their date.
A lot's expired points come from the ledger (lots.expired). Beside it, the breakage: the
points expired per month (Asia/Shanghai) over the last 12 months, valued at POINT_VALUE_FEN.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.marketing.expiry_models import STAGES, ExpiryReminder
from valliance.points import expired_by_month, lot_outcomes

reminders = ExpiryReminder.__table__


@dataclass
class StageFigures:
    stage: int
    messages: int = 0
    members: int = 0
    points: int = 0
    #: of the covered points whose date has passed: spent before it, and expired
    spent: int = 0
    expired: int = 0
    #: covered points whose date has not come yet
    pending: int = 0

    @property
    def saved_percent(self) -> int | None:
        """Spent before the date, in whole percent of the points whose date passed."""
        due = self.spent + self.expired
        return None if not due else self.spent * 100 // due


@dataclass
class ExpiryReport:
    stages: list[StageFigures]
    #: [("2026-12", points expired)], oldest first
    months: list[tuple[str, int]] = field(default_factory=list)
    point_value_fen: int = 1

    @property
    def breakage(self) -> int:
        return sum(points for _, points in self.months)


def expiry_report(session: Session, *, now: datetime, point_value_fen: int) -> ExpiryReport:
    rows = session.execute(select(reminders.c.stage, reminders.c.member_id,
                                  reminders.c.account_id, reminders.c.expires_at,
                                  reminders.c.points, reminders.c.named)).all()
    outcomes = lot_outcomes(session, [(r.account_id, r.expires_at) for r in rows
                                      if r.points and r.expires_at <= now])
    figures = {stage: StageFigures(stage) for stage in STAGES}
    reached: dict[int, set] = defaultdict(set)
    for row in rows:
        stage = figures[row.stage]
        if row.named:
            stage.messages += 1
            reached[row.stage].add(row.member_id)
        stage.points += row.points
        if row.expires_at > now:
            stage.pending += row.points
            continue
        outcome = outcomes.get((row.account_id, row.expires_at))
        expired = min(row.points, outcome.expired if outcome else 0)
        stage.expired += expired
        stage.spent += row.points - expired
    for stage, members in reached.items():
        figures[stage].members = len(members)
    months = expired_by_month(session, since=now - timedelta(days=366))
    return ExpiryReport([figures[stage] for stage in STAGES], months, point_value_fen)
