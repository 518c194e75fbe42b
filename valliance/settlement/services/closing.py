"""Closing a month: one statement per merchant, computed from the ledger up to a seq cutoff.

The cutoff. Closing period P fixes `cutoff_seq`: the highest transfer id created before the
end of P (Asia/Shanghai), read while new ledger writes are held back
(points.settlement_queries.freeze_ledger_writes) so that no transfer still in flight can
commit later with an id below it. P covers the transfers with
previous cutoff < id <= cutoff; the seq, not the clock, is the boundary: a transfer written
after P closed always lands in a later period, even when it is dated inside P.

Order. Periods close once each and in order: a period cannot close before it has ended,
after a later period has closed, or while an earlier month that had ledger activity is
still open (months without activity may be skipped).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from valliance.audit import record_event
from valliance.coupons import reads as coupon_lines
from valliance.db import SHANGHAI, utcnow
from valliance.i18n import bilingual
from valliance.ids import new_id
from valliance.points import settlement_queries as ledger_reads
from valliance.settlement.models import Settlement, SettlementPeriod, Statement
from valliance.settlement.services.periods import (
    SettlementRefused,
    last_closed,
    parse_period,
    period_bounds,
    period_of,
)

DEFAULT_RATE_FEN = 1


def _rate(key: str) -> int:
    if has_app_context():
        return int(current_app.config.get(key, DEFAULT_RATE_FEN))
    return DEFAULT_RATE_FEN


def _serialize_closes(session: Session) -> None:
    # Two closes at once would both read the same "last closed period" and overlap.
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE settlement_periods IN SHARE ROW EXCLUSIVE MODE"))


@dataclass
class ClosePlan:
    """What closing a period writes: the period and one statement per merchant (not added to
    the session). The confirmation page shows it; close_period adds it: one arithmetic."""

    period: SettlementPeriod
    statements: list[Statement]

    @property
    def empty(self) -> bool:
        """No ledger transfer falls in the period."""
        return (self.period.cutoff_seq == self.period.lower_seq
                and self.period.coupon_cutoff_id == self.period.coupon_lower_id)


def period_over(period: str, now: datetime | None = None) -> bool:
    """Whether the month has ended (it may be closed from then on)."""
    return (now or utcnow()) >= period_bounds(period)[1]


def _refuse_unless_over(period: str, now: datetime | None) -> None:
    if not period_over(period, now):
        raise SettlementRefused(bilingual("%(period)s 尚未结束", period=period))


def _refuse_closed(session: Session, period: str) -> None:
    if session.get(SettlementPeriod, period) is not None:
        raise SettlementRefused(bilingual("%(period)s 已结算", period=period))


def _refuse_empty(plan: ClosePlan) -> None:
    if plan.empty:
        raise SettlementRefused(bilingual("%(period)s 没有账本记录，无需结算",
                                          period=plan.period.period))


def preview_close(session: Session, period: str, *, now: datetime | None = None) -> ClosePlan:
    """What closing the period would write, written nowhere (refused when it is not over,
    already closed, out of order, or has no ledger activity to close)."""
    period = parse_period(period)
    _refuse_closed(session, period)
    _refuse_unless_over(period, now)
    plan = _plan(session, period)
    _refuse_empty(plan)
    return plan


def close_period(session: Session, period: str, *, now: datetime | None = None,
                 actor: str = "cli", reason: str = "", expect_cutoff: int | None = None,
                 expect_coupon_cutoff: int | None = None, strict: bool = False) -> SettlementPeriod:
    """Close a period into statements, once: a closed period is returned as it is.

    strict (the staff page): refuse a closed period, or one without ledger activity, rather
    than pass quietly. expect_cutoff, expect_coupon_cutoff: the cutoffs the confirmation
    showed (refused if either moved: a sale's points or an alliance coupon used since).
    """
    period = parse_period(period)
    existing = session.get(SettlementPeriod, period)
    if existing is None:
        _refuse_unless_over(period, now)
        _serialize_closes(session)
        ledger_reads.freeze_ledger_writes(session)
        coupon_lines.freeze_line_writes(session)
        existing = session.get(SettlementPeriod, period)  # closed while we waited for the locks
    if existing is not None:
        if strict:
            _refuse_closed(session, period)
        return existing
    plan = _plan(session, period)
    if strict:
        _refuse_empty(plan)
    if ((expect_cutoff is not None and plan.period.cutoff_seq != expect_cutoff)
            or (expect_coupon_cutoff is not None
                and plan.period.coupon_cutoff_id != expect_coupon_cutoff)):
        raise SettlementRefused(bilingual("%(period)s 的数字已变化，请重新确认", period=period))
    plan.period.closed_by = actor
    session.add(plan.period)
    session.flush()
    _write_statements(session, plan.statements)
    record_event(session, actor=actor, action="settlement.closed", subject=period,
                 reason=reason, statements=len(plan.statements),
                 lower_seq=plan.period.lower_seq, cutoff_seq=plan.period.cutoff_seq,
                 cost_fen=plan.period.cost_fen, reimbursement_fen=plan.period.reimbursement_fen)
    return plan.period


def _plan(session: Session, period: str) -> ClosePlan:
    """The period and its statements, computed from the ledger (refused out of order)."""
    starts, ends = period_bounds(period)
    previous = last_closed(session)
    if previous is not None and previous.period > period:
        raise SettlementRefused(bilingual(
            "%(period)s 已结算，不能再结算更早的 %(period_2)s",
            period=previous.period,
            period_2=period,
        ))
    lower = previous.cutoff_seq if previous else 0
    earlier = ledger_reads.first_transfer_time(
        session, lower, since=previous.ends_at if previous else None, before=starts)
    if earlier is not None:
        month = period_of(earlier)
        raise SettlementRefused(bilingual("请先结算 %(month)s", month=month))
    cutoff = ledger_reads.cutoff_before(session, lower, ends)
    flows = ledger_reads.flows_between(session, lower, cutoff)
    if flows.imbalance or flows.unknown_kinds:
        raise SettlementRefused(bilingual("账本不平，请运行 flask ledger verify"))
    cost, reimburse = _rate("SETTLEMENT_COST_PER_POINT_FEN"), _rate(
        "SETTLEMENT_REIMBURSE_PER_POINT_FEN")
    # Alliance-wide coupons used in each shop, net of refunds that restored them: a line of
    # its statement, cut by the coupon lines' ids as the ledger is by its seq.
    coupon_lower = previous.coupon_cutoff_id if previous else 0
    coupon_cutoff = coupon_lines.line_cutoff_before(session, coupon_lower, ends)
    coupons = coupon_lines.lines_between(session, coupon_lower, coupon_cutoff)
    closed = SettlementPeriod(
        period=period, starts_at=starts, ends_at=ends, lower_seq=lower, cutoff_seq=cutoff,
        cost_per_point_fen=cost, reimburse_per_point_fen=reimburse,
        points_issued_by_merchants=flows.issued_by_merchants,
        points_issued_by_alliance=flows.issued_by_alliance,
        points_redeemed=flows.redeemed, points_expired=flows.expired,
        outstanding_change=flows.outstanding_change,
        outstanding_at_cutoff=(previous.outstanding_at_cutoff if previous else 0)
        + flows.outstanding_change,
        cost_fen=flows.issued_by_merchants * cost, reimbursement_fen=flows.redeemed * reimburse,
        coupon_lower_id=coupon_lower, coupon_cutoff_id=coupon_cutoff,
        coupon_fen=sum(coupons.values()), closed_at=utcnow())
    statements = [_statement(period, merchant_id, flows.merchants.get(merchant_id),
                             coupons.get(merchant_id, 0), cost, reimburse)
                  for merchant_id in sorted(set(flows.merchants) | set(coupons))]
    return ClosePlan(period=closed, statements=statements)


def _statement(period: str, merchant_id: str, flow, coupon_fen: int, cost: int,
               reimburse: int) -> Statement:
    issued, redeemed = (flow.issued, flow.redeemed) if flow else (0, 0)
    return Statement(id=new_id("stm"), period=period, merchant_id=merchant_id,
                     points_issued=issued, points_redeemed=redeemed, cost_fen=issued * cost,
                     reimbursement_fen=redeemed * reimburse, coupon_fen=coupon_fen,
                     net_fen=issued * cost - redeemed * reimburse - coupon_fen)


def _write_statements(session: Session, statements: list[Statement]) -> None:
    """Add the statements, and what is owed on each one that is not zero."""
    for statement in statements:
        session.add(statement)
        if statement.net_fen:
            session.add(Settlement(
                id=new_id("stl"), statement_id=statement.id, merchant_id=statement.merchant_id,
                direction="collect" if statement.net_fen > 0 else "payout",
                amount_fen=abs(statement.net_fen), status="due"))
    session.flush()


def period_totals(session: Session, closed: SettlementPeriod) -> dict:
    """The figures `flask settlement close` prints (the same each time it runs)."""
    statements = session.scalars(select(Statement).where(Statement.period == closed.period)
                                 ).all()
    owed_by = sum(s.net_fen for s in statements if s.net_fen > 0)
    owed_to = -sum(s.net_fen for s in statements if s.net_fen < 0)
    return {
        "period": closed.period, "lower_seq": closed.lower_seq, "cutoff_seq": closed.cutoff_seq,
        "statements": len(statements),
        "cost_per_point_fen": closed.cost_per_point_fen,
        "reimburse_per_point_fen": closed.reimburse_per_point_fen,
        "points_issued_by_merchants": closed.points_issued_by_merchants,
        "points_issued_by_alliance": closed.points_issued_by_alliance,
        "points_redeemed": closed.points_redeemed, "points_expired": closed.points_expired,
        "outstanding_change": closed.outstanding_change,
        "outstanding_at_cutoff": closed.outstanding_at_cutoff,
        "cost_fen": closed.cost_fen, "reimbursement_fen": closed.reimbursement_fen,
        "coupon_fen": closed.coupon_fen,
        "net_fen": closed.cost_fen - closed.reimbursement_fen - closed.coupon_fen,
        "owed_by_merchants_fen": owed_by, "owed_to_merchants_fen": owed_to,
        "closed_at": closed.closed_at.astimezone(SHANGHAI).isoformat(timespec="seconds"),
    }


def next_to_close(session: Session) -> str | None:
    """The first month with ledger activity after the last closed period (None: none yet).

    A transfer that committed above the last cutoff though dated inside a closed period
    belongs to the month after it (the seq, not the clock, is the boundary)."""
    previous = last_closed(session)
    lower = previous.cutoff_seq if previous else 0
    first = ledger_reads.first_transfer_time(
        session, lower, since=previous.ends_at if previous else None,
        before=utcnow() + timedelta(days=1))
    if first is not None:
        return period_of(first)
    if previous is not None and ledger_reads.last_seq(session) > lower:
        return period_of(previous.ends_at)
    return None
