"""Proving closed periods against the ledger, to the point and to the fen."""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

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
        p = closed.period
        report.periods += 1
        _check(report, p, closed.lower_seq == (previous.cutoff_seq if previous else 0),
               f"starts at seq {closed.lower_seq}, the previous period ended at "
               f"{previous.cutoff_seq if previous else 0}")
        flows = ledger_reads.flows_between(session, closed.lower_seq, closed.cutoff_seq)
        stored = (closed.points_issued_by_merchants, closed.points_issued_by_alliance,
                  closed.points_redeemed, closed.points_expired, closed.outstanding_change)
        ledger = (flows.issued_by_merchants, flows.issued_by_alliance, flows.redeemed,
                  flows.expired, flows.outstanding_change)
        _check(report, p, stored == ledger,
               f"the ledger now says issued/alliance/redeemed/expired/outstanding {ledger}, "
               f"the closed period {stored} (a transfer committed below the cutoff?)")
        _check(report, p, closed.points_issued_by_merchants + closed.points_issued_by_alliance
               - closed.points_redeemed - closed.points_expired - closed.outstanding_change == 0,
               "issued − redeemed − expired − change in outstanding ≠ 0")
        _check(report, p, closed.outstanding_at_cutoff
               == (previous.outstanding_at_cutoff if previous else 0) + closed.outstanding_change,
               "outstanding balances do not carry over from the previous period")
        statements = session.scalars(select(Statement).where(Statement.period == p)).all()
        by_merchant = {s.merchant_id: (s.points_issued, s.points_redeemed) for s in statements}
        from_ledger = {m: (f.issued, f.redeemed) for m, f in flows.merchants.items()}
        _check(report, p, by_merchant == from_ledger,
               "merchant statements differ from the ledger")
        cost, back = closed.cost_per_point_fen, closed.reimburse_per_point_fen
        for s in statements:
            _check(report, p, s.cost_fen == s.points_issued * cost
                   and s.reimbursement_fen == s.points_redeemed * back
                   and s.net_fen == s.cost_fen - s.reimbursement_fen,
                   f"statement {s.id}: fen ≠ points × rates")
            due = s.settlement
            _check(report, p, (due is None and s.net_fen == 0) or (
                due is not None and due.amount_fen == abs(s.net_fen)
                and due.direction == ("collect" if s.net_fen > 0 else "payout")),
                f"statement {s.id}: what is owed does not match its net")
        _check(report, p, closed.cost_fen == sum(s.cost_fen for s in statements)
               == closed.points_issued_by_merchants * cost
               and closed.reimbursement_fen == sum(s.reimbursement_fen for s in statements)
               == closed.points_redeemed * back,
               "the period's fen totals ≠ the sum of its statements ≠ points × rates")
        previous = closed
    if previous is not None:
        # The members' running totals, an independent path: cumulatively
        # issued − redeemed − expired − outstanding = 0 at the last cutoff.
        actual = ledger_reads.outstanding_at(session, previous.cutoff_seq)
        _check(report, previous.period, actual == previous.outstanding_at_cutoff,
               f"members held {actual} points at the cutoff, the periods add up to "
               f"{previous.outstanding_at_cutoff}")
    return report
