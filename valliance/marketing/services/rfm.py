"""RFM scores and the value pyramid (the exact rule: docs/marketing.md).

Window: the 365 days up to the run (`now`). Activity: purchases at alliance merchants (list
price net of refunds, dated when sold) and telecom bills paid through the platform (fen net of
refunds, dated when paid); a purchase or bill refunded in full is not activity. Active: at
least one such purchase or bill in the window; only active members get a score row.

Scores 1–5 are quintiles over the active members, ties scored alike: with n active members,
a member whose value is beaten by b members (b = how many are strictly worse),
score = 1 + floor(5 × b / n). Better is: more recent (fewer days), more often, more fen.
High means score ≥ 3. The cell: M high → important_…, low → general_…; then R and F:
high/high value, high/low develop, low/high keep, low/low retain.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select, union_all
from sqlalchemy.orm import Session

from valliance.db import utcnow
from valliance.marketing.models import RFM_CELLS, MemberScore
from valliance.marketing.services import home_merchants
from valliance.marketing.services.segments import most_frequent_merchants
from valliance.merchants.models import Purchase
from valliance.payments.models import PAID_STATUSES, Payment

WINDOW_DAYS = 365
HIGH = 3  # a score of 3, 4 or 5 is high


@dataclass(frozen=True)
class Activity:
    """One active member's raw values over the window."""

    member_id: str
    recency_days: int
    frequency: int
    monetary_fen: int


@dataclass(frozen=True)
class Score:
    member_id: str
    r: int
    f: int
    m: int
    cell: str


@dataclass
class ScoreRun:
    scored: int
    scored_at: datetime
    cells: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"scored": self.scored, "cells": self.cells}


def quintiles(values: list) -> list[int]:
    """Each value's score 1–5, higher for a higher value; equal values score alike:
    1 + floor(5 × (how many values are strictly lower) / n)."""
    n = len(values)
    order = sorted(range(n), key=values.__getitem__)
    scores = [0] * n
    below = 0
    for position, index in enumerate(order):
        if position and values[index] != values[order[position - 1]]:
            below = position
        scores[index] = 1 + 5 * below // n
    return scores


def cell_of(r: int, f: int, m: int) -> str:
    """The classic cell: high (≥ 3) or low on each of R, F and M."""
    kind = "important" if m >= HIGH else "general"
    stage = {(True, True): "value", (True, False): "develop", (False, True): "keep",
             (False, False): "retain"}[(r >= HIGH, f >= HIGH)]
    return f"{kind}_{stage}"


def score(rows: list[Activity]) -> list[Score]:
    """The pure scoring core: R, F, M and the cell of every active member."""
    rs = quintiles([-row.recency_days for row in rows])  # fewer days is better
    fs = quintiles([row.frequency for row in rows])
    ms = quintiles([row.monetary_fen for row in rows])
    return [Score(row.member_id, r, f, m, cell_of(r, f, m))
            for row, r, f, m in zip(rows, rs, fs, ms, strict=True)]


def activity(session: Session, now: datetime) -> list[Activity]:
    """Every active member's recency, frequency and monetary value, aggregated in SQL."""
    since = now - timedelta(days=WINDOW_DAYS)
    bought = (select(Purchase.member_id.label("member_id"), Purchase.created_at.label("at"),
                     (Purchase.amount - Purchase.refunded_amount).label("fen"))
              .where(Purchase.created_at > since, Purchase.created_at <= now,
                     Purchase.amount > Purchase.refunded_amount))
    paid = (select(Payment.member_id, Payment.paid_at, Payment.amount - Payment.refunded_amount)
            .where(Payment.kind == "bill", Payment.status.in_(sorted(PAID_STATUSES)),
                   Payment.paid_at > since, Payment.paid_at <= now,
                   Payment.amount > Payment.refunded_amount))
    spent = union_all(bought, paid).subquery()
    rows = session.execute(
        select(spent.c.member_id, func.max(spent.c.at), func.count(),
               func.sum(spent.c.fen)).group_by(spent.c.member_id)
        .order_by(spent.c.member_id)).all()
    return [Activity(member_id, (now - _aware(last)).days, count, int(fen))
            for member_id, last, count, fen in rows]


def _aware(moment) -> datetime:
    """max() over a union may come back as text or a naive datetime on SQLite."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def score_members(session: Session, now: datetime | None = None) -> ScoreRun:
    """Score every active member and replace the previous run's rows (flushed, not
    committed: the caller's one transaction replaces them all or none)."""
    now = now or utcnow()
    rows = activity(session, now)
    scores = score(rows)
    session.execute(delete(MemberScore))
    _write(session, [(s.member_id, a.recency_days, a.frequency, a.monetary_fen, s.r, s.f, s.m,
                      s.cell) for a, s in zip(rows, scores, strict=True)], now)
    session.flush()
    home_merchants.refresh(session, most_frequent_merchants(), now)
    counts = Counter(s.cell for s in scores)
    return ScoreRun(len(scores), now, {cell: counts.get(cell, 0) for cell in RFM_CELLS})


COLUMNS = ("member_id", "recency_days", "frequency", "monetary_fen", "r", "f", "m", "cell",
           "scored_at")


def _write(session: Session, rows: list[tuple], now: datetime) -> None:
    """Insert the run's rows: COPY on PostgreSQL (the one engine-specific part: 100,000 rows
    in a fraction of a second), a bulk INSERT elsewhere; in the session's transaction."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        naive = now.astimezone(UTC).replace(tzinfo=None)  # the column holds naive UTC
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY member_scores ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((*row, naive))
    elif rows:
        session.execute(insert(MemberScore), [dict(zip(COLUMNS, (*row, now), strict=True))
                                              for row in rows])


def member_score(session: Session, member_id: str) -> MemberScore | None:
    """The member's score as last computed (None: not active at the last run, or never run)."""
    return session.get(MemberScore, member_id)


