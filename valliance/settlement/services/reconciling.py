"""Proving closed periods against the ledger, to the point and to the fen."""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.coupons import reads as coupon_lines
from valliance.points import settlement_queries as ledger_reads
from valliance.settlement.models import SettlementPeriod, Statement


@dataclass
class Reconciliation:
    failures: list[str] = field(default_factory=list)
    periods: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures


def _check(report: Reconciliation, period: str, holds: bool, what: str) -> None:
    if not holds:
        report.failures.append(f"{period}: {what}")


def reconcile(session: Session) -> Reconciliation:
    """Prove every closed period against the ledger, to the point and to the fen."""
    report = Reconciliation()
    periods = session.scalars(select(SettlementPeriod).order_by(SettlementPeriod.period)).all()
    previous = None
    for closed in periods:
        report.periods += 1
        _check_period(session, report, closed, previous)
        previous = closed
    if previous is not None:
        # The members' running totals, an independent path: cumulatively
        # issued − redeemed − expired − outstanding = 0 at the last cutoff.
        actual = ledger_reads.outstanding_at(session, previous.cutoff_seq)
        _check(report, previous.period, actual == previous.outstanding_at_cutoff,
               f"members held {actual} points at the cutoff, the periods add up to "
               f"{previous.outstanding_at_cutoff}")
    return report


def _check_period(session: Session, report: Reconciliation, closed: SettlementPeriod,
                  previous: SettlementPeriod | None) -> None:
    """Check one closed period: its seq range, its figures against the ledger, its statements."""
    period = closed.period
    _check(report, period, closed.lower_seq == (previous.cutoff_seq if previous else 0),
           f"starts at seq {closed.lower_seq}, the previous period ended at "
           f"{previous.cutoff_seq if previous else 0}")
    flows = ledger_reads.flows_between(session, closed.lower_seq, closed.cutoff_seq)
    stored = (closed.points_issued_by_merchants, closed.points_issued_by_alliance,
              closed.points_redeemed, closed.points_expired, closed.outstanding_change)
    ledger = (flows.issued_by_merchants, flows.issued_by_alliance, flows.redeemed,
              flows.expired, flows.outstanding_change)
    _check(report, period, stored == ledger,
           f"the ledger now says issued/alliance/redeemed/expired/outstanding {ledger}, "
           f"the closed period {stored} (a transfer committed below the cutoff?)")
    _check(report, period, closed.points_issued_by_merchants + closed.points_issued_by_alliance
           - closed.points_redeemed - closed.points_expired - closed.outstanding_change == 0,
           "issued − redeemed − expired − change in outstanding ≠ 0")
    _check(report, period, closed.outstanding_at_cutoff
           == (previous.outstanding_at_cutoff if previous else 0) + closed.outstanding_change,
           "outstanding balances do not carry over from the previous period")
    statements = session.scalars(select(Statement).where(Statement.period == period)).all()
    by_merchant = {statement.merchant_id: (statement.points_issued, statement.points_redeemed)
                   for statement in statements}
    from_ledger = {merchant_id: (flow.issued, flow.redeemed)
                   for merchant_id, flow in flows.merchants.items()}
    coupons = coupon_lines.lines_between(session, closed.coupon_lower_id,
                                         closed.coupon_cutoff_id)
    for merchant_id in coupons:  # a shop with coupon lines only has a statement of 0 points
        from_ledger.setdefault(merchant_id, (0, 0))
    _check(report, period, by_merchant == from_ledger,
           "merchant statements differ from the ledger")
    _check(report, period, closed.coupon_lower_id == (previous.coupon_cutoff_id
                                                      if previous else 0),
           "coupon lines do not carry over from the previous period")
    _check(report, period, {s.merchant_id: s.coupon_fen for s in statements if s.coupon_fen}
           == coupons, "statements' alliance coupon lines differ from the coupons used")
    _check_statements(report, closed, statements)


def _check_statements(report: Reconciliation, closed: SettlementPeriod,
                      statements: list[Statement]) -> None:
    """Check each statement's fen and what is owed on it, and that they add up to the period."""
    period, cost, reimburse = (closed.period, closed.cost_per_point_fen,
                               closed.reimburse_per_point_fen)
    for statement in statements:
        _check(report, period, statement.cost_fen == statement.points_issued * cost
               and statement.reimbursement_fen == statement.points_redeemed * reimburse
               and statement.net_fen == statement.cost_fen - statement.reimbursement_fen
               - statement.coupon_fen,
               f"statement {statement.id}: fen ≠ points × rates")
        owed = statement.settlement
        _check(report, period, (owed is None and statement.net_fen == 0) or (
            owed is not None and owed.amount_fen == abs(statement.net_fen)
            and owed.direction == ("collect" if statement.net_fen > 0 else "payout")),
            f"statement {statement.id}: what is owed does not match its net")
    _check(report, period, closed.cost_fen == sum(s.cost_fen for s in statements)
           == closed.points_issued_by_merchants * cost
           and closed.reimbursement_fen == sum(s.reimbursement_fen for s in statements)
           == closed.points_redeemed * reimburse
           and closed.coupon_fen == sum(s.coupon_fen for s in statements),
           "the period's fen totals ≠ the sum of its statements ≠ points × rates")
