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

import re
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from valliance import points as ledger_reads  # the ledger's public face
from valliance.audit import record_event
from valliance.db import SHANGHAI, utcnow
from valliance.errors import NotFound, VallianceError
from valliance.ids import new_id
from valliance.merchants.models import Merchant
from valliance.settlement.models import Settlement, SettlementPeriod, Statement

PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
DEFAULT_RATE_FEN = 1


class SettlementRefused(VallianceError):
    status = 422
    code = "settlement_refused"
    pages_only = True  # the shell and staff pages: never an API answer
    message = "无法结算 / Cannot settle"


# --- periods ---------------------------------------------------------------------------------


def parse_period(value: str) -> str:
    """Check a period is 'YYYY-MM'."""
    value = (value or "").strip()
    if not PERIOD.match(value):
        raise SettlementRefused(f"期间格式应为 YYYY-MM / A period is YYYY-MM, got {value!r}")
    return value


def _month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=SHANGHAI)


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """The period's first instant and the instant after it, as Shanghai calendar months."""
    year, month = (int(part) for part in parse_period(period).split("-"))
    start = _month_start(year, month)
    end = _month_start(year + month // 12, month % 12 + 1)
    return start, end


def period_of(moment: datetime) -> str:
    """The Shanghai month a moment falls in."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m")


def _rate(key: str) -> int:
    if has_app_context():
        return int(current_app.config.get(key, DEFAULT_RATE_FEN))
    return DEFAULT_RATE_FEN


def _serialize_closes(session: Session) -> None:
    # Two closes at once would both read the same "last closed period" and overlap.
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE settlement_periods IN SHARE ROW EXCLUSIVE MODE"))


def last_closed(session: Session) -> SettlementPeriod | None:
    """The latest closed period."""
    return session.scalar(select(SettlementPeriod).order_by(SettlementPeriod.period.desc())
                          .limit(1))


def close_period(session: Session, period: str, *, now: datetime | None = None,
                 actor: str = "cli") -> SettlementPeriod:
    """Close a period into statements (once: a closed period is returned as it is)."""
    period = parse_period(period)
    existing = session.get(SettlementPeriod, period)
    if existing is not None:
        return existing
    starts, ends = period_bounds(period)
    now = now or utcnow()
    if now < ends:
        raise SettlementRefused(f"{period} 尚未结束 / {period} has not ended yet")
    _serialize_closes(session)
    ledger_reads.freeze_ledger_writes(session)
    existing = session.get(SettlementPeriod, period)  # closed while we waited for the locks
    if existing is not None:
        return existing
    previous = last_closed(session)
    if previous is not None and previous.period > period:
        raise SettlementRefused(f"{previous.period} 已结算，不能再结算更早的 {period} / "
                                f"{previous.period} is closed: {period} can no longer close")
    lower = previous.cutoff_seq if previous else 0
    earlier = ledger_reads.first_transfer_time(
        session, lower, since=previous.ends_at if previous else None, before=starts)
    if earlier is not None:
        month = period_of(earlier)
        raise SettlementRefused(f"请先结算 {month} / Close {month} first: it had ledger activity")
    cutoff = ledger_reads.cutoff_before(session, lower, ends)
    flows = ledger_reads.flows_between(session, lower, cutoff)
    if flows.imbalance or flows.unknown_kinds:
        raise SettlementRefused("账本不平，请运行 flask ledger verify / The ledger does not "
                                "balance: run flask ledger verify")
    cost, reimburse = _rate("SETTLEMENT_COST_PER_POINT_FEN"), _rate(
        "SETTLEMENT_REIMBURSE_PER_POINT_FEN")
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
        closed_at=utcnow(), closed_by=actor)
    session.add(closed)
    session.flush()
    for merchant_id in sorted(flows.merchants):
        flow = flows.merchants[merchant_id]
        statement = Statement(
            id=new_id("stm"), period=period, merchant_id=merchant_id,
            points_issued=flow.issued, points_redeemed=flow.redeemed,
            cost_fen=flow.issued * cost, reimbursement_fen=flow.redeemed * reimburse,
            net_fen=flow.issued * cost - flow.redeemed * reimburse)
        session.add(statement)
        if statement.net_fen:
            session.add(Settlement(
                id=new_id("stl"), statement_id=statement.id, merchant_id=merchant_id,
                direction="collect" if statement.net_fen > 0 else "payout",
                amount_fen=abs(statement.net_fen), status="due"))
    session.flush()
    return closed


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
        "net_fen": closed.cost_fen - closed.reimbursement_fen,
        "owed_by_merchants_fen": owed_by, "owed_to_merchants_fen": owed_to,
        "closed_at": closed.closed_at.astimezone(SHANGHAI).isoformat(timespec="seconds"),
    }


# --- reconciliation --------------------------------------------------------------------------


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


# --- reading statements ----------------------------------------------------------------------


def statements_of(session: Session, merchant_id: str) -> list[Statement]:
    """A merchant's statements, newest period first."""
    return list(session.scalars(select(Statement).where(Statement.merchant_id == merchant_id)
                                .order_by(Statement.period.desc())))


def statement_of(session: Session, merchant_id: str, statement_id: str) -> Statement:
    """One of the merchant's statements; another merchant's is not found (404)."""
    statement = session.get(Statement, statement_id)
    if statement is None or statement.merchant_id != merchant_id:
        raise NotFound()
    return statement


def closed_period(session: Session, period: str) -> SettlementPeriod | None:
    """A closed period (None when it has not been closed)."""
    return session.get(SettlementPeriod, period)


def closed_periods(session: Session) -> list[SettlementPeriod]:
    """Every closed period, newest first."""
    return list(session.scalars(select(SettlementPeriod)
                                .order_by(SettlementPeriod.period.desc())))


def period_statements(session: Session, period: str) -> list[Statement]:
    """Every statement of a period."""
    return list(session.scalars(select(Statement).where(Statement.period == period)
                                .order_by(Statement.merchant_id)))


def period_statements_named(session: Session, period: str) -> list[tuple[Statement, str]]:
    """Every statement of a period with its merchant's name, largest net first."""
    return [tuple(row) for row in session.execute(
        select(Statement, Merchant.name).join(Merchant, Merchant.id == Statement.merchant_id)
        .where(Statement.period == period).order_by(Statement.net_fen.desc(), Merchant.name))]


# --- money owed on statements ----------------------------------------------------------------


def mark_payout_paid(session: Session, settlement_id: str, reference: str, *,
                     actor: str) -> Settlement:
    """Record that the alliance paid a merchant what a statement owed it (once)."""
    reference = (reference or "").strip()
    if not reference or len(reference) > 255:
        raise SettlementRefused("请填写付款参考号 / Give the payment's reference",
                                details={"reference": ["1–255 characters"]})
    payout = session.scalar(select(Settlement).where(Settlement.id == settlement_id)
                            .with_for_update())
    if payout is None or payout.direction != "payout":
        raise NotFound()
    if payout.status == "paid":
        if payout.reference == reference:
            return payout  # the same form sent twice
        raise SettlementRefused(f"已于此前标记为已付（{payout.reference}） / Already marked "
                                f"paid with reference {payout.reference}")
    payout.status, payout.reference, payout.paid_by, payout.paid_at = (
        "paid", reference, actor, utcnow())
    record_event(session, actor=actor, action="payout.paid", subject=payout.id,
                 merchant_id=payout.merchant_id, statement=payout.statement_id,
                 amount_fen=payout.amount_fen, reference=reference)
    session.flush()
    return payout


def collection_due(session: Session, merchant_id: str, statement_id: str) -> Settlement:
    """What this merchant still owes on its statement (404 otherwise: paid, or not owed)."""
    found = statement_of(session, merchant_id, statement_id)
    due = found.settlement
    if due is None or due.direction != "collect" or due.status != "due":
        raise NotFound()
    return due


def record_statement_checkout(session: Session, settlement_id: str, checkout_id: str) -> None:
    """Remember the Checkout Session opened for paying a statement."""
    due = session.get(Settlement, settlement_id)
    if due is not None and due.status == "due":
        due.stripe_checkout_session_id = checkout_id
        session.flush()


#: what applying a Stripe event to a statement did (the webhook stores it with the event)
PAID, ALREADY_PAID, WRONG_AMOUNT = "applied", "already_applied", "mismatch"


def pay_collection_from_stripe(session: Session, settlement_id: str, *, amount, currency,
                               reference: str | None) -> str | None:
    """Mark a statement's collection paid from a verified Stripe event (once).

    None when no collection has this id; WRONG_AMOUNT (nothing changes) when the event's
    money is not exactly what the statement says.
    """
    due = session.scalar(select(Settlement).where(Settlement.id == settlement_id)
                         .with_for_update())
    if due is None or due.direction != "collect":
        return None
    if due.status == "paid":
        return ALREADY_PAID
    if type(amount) is not int or amount != due.amount_fen or currency != "cny":
        return WRONG_AMOUNT
    due.status, due.reference, due.paid_by, due.paid_at = (
        "paid", reference or "stripe", "stripe", utcnow())
    record_event(session, actor="stripe", action="collection.paid", subject=due.id,
                 merchant_id=due.merchant_id, statement=due.statement_id,
                 amount_fen=due.amount_fen, reference=due.reference)
    session.flush()
    return PAID
