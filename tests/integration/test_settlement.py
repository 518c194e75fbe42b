"""Monthly settlement: a month of mixed activity closes into statements checked by hand,
that reconcile with the ledger; closing is once-only, in order, and cut by seq."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from tests.api.pos_helpers import member, pay_code, shop
from valliance.db import utcnow
from valliance.extensions import db
from valliance.merchants.models import Merchant
from valliance.merchants.services import purchases, refunds
from valliance.payments import services as payments
from valliance.points import ledger
from valliance.points.verify import verify_ledger
from valliance.settlement import services
from valliance.settlement.models import Settlement, SettlementPeriod, Statement


@pytest.fixture(autouse=True)
def _same_month(clear_of_month_end):
    """Activity and the period closed fall in one month (see clear_of_month_end)."""



def _month_activity(session):
    """The month's activity (see test_a_month_of_mixed_activity… for the arithmetic)."""
    noodles = shop(session, name="兰州拉面")
    hotpot = shop(session, name="老王火锅")
    rich, rich_card = member(session, points=500)  # opening balance: the alliance issues 500
    poor, poor_card = member(session)
    # 兰州拉面 issues 100 points for ¥100.00 (no offer: 1 point per yuan, standard tier ×1).
    purchases.record_purchase(session, noodles.merchant, None, poor_card.number, 10_000, 0, None)
    # 老王火锅: ¥200.00 paying 300 points → ¥197.00 in cash → 197 points issued.
    sale = purchases.record_purchase(session, hotpot.merchant, None, pay_code(rich_card),
                                     20_000, 300, None)
    session.commit()
    # Half of it refunded: 98 of the 197 points reversed, 150 of the 300 returned.
    refund = refunds.refund_purchase(session, hotpot.merchant, sale.id, 10_000)
    assert (refund.points_reversed, refund.points_returned) == (98, 150)
    # 40 points of 兰州拉面's that expire this month.
    ledger.accrue(session, member_account=poor.points_account_id,
                  source_account=noodles.merchant.issued_account_id, points=40,
                  merchant_id=noodles.merchant.id, expires_at=utcnow() - timedelta(seconds=1))
    assert ledger.expire_due(session) == (1, 40)
    # Staff take back 50 points; the member pays a ¥50.00 bill and earns 50.
    ledger.adjust(session, member_account=rich.points_account_id, points=-50,
                  reason="correction", actor="staff:1")
    bill = payments.start_payment(session, rich, "bill", 5_000)
    payments.succeed_payment(session, bill, amount=5_000, currency="cny")
    session.commit()
    return noodles.merchant.id, hotpot.merchant.id, sale.id


def _after(period: str):
    return services.period_bounds(period)[1] + timedelta(minutes=1)


def test_a_month_of_mixed_activity_closes_into_statements_that_reconcile(session):
    noodles, hotpot, _ = _month_activity(session)
    period = services.period_of(utcnow())
    closed = services.close_period(session, period, now=_after(period))
    session.commit()

    statements = {s.merchant_id: s for s in services.period_statements(session, period)}
    assert set(statements) == {noodles, hotpot}
    # 兰州拉面: 100 + 40 issued (the expired 40 are still its cost), nothing redeemed.
    assert (statements[noodles].points_issued, statements[noodles].points_redeemed) == (140, 0)
    assert (statements[noodles].cost_fen, statements[noodles].reimbursement_fen,
            statements[noodles].net_fen) == (140, 0, 140)
    # 老王火锅: 197 − 98 issued, 300 − 150 redeemed: the alliance owes it 51 fen.
    assert (statements[hotpot].points_issued, statements[hotpot].points_redeemed) == (99, 150)
    assert (statements[hotpot].cost_fen, statements[hotpot].reimbursement_fen,
            statements[hotpot].net_fen) == (99, 150, -51)
    owed = {s.merchant_id: (s.direction, s.amount_fen, s.status)
            for s in session.scalars(select(Settlement))}
    assert owed == {noodles: ("collect", 140, "due"), hotpot: ("payout", 51, "due")}

    # Alliance-wide: 500 opening − 50 adjusted + 50 for the bill; 40 expired; members hold
    # 500 − 300 + 197 − 98 + 150 − 50 + 50 = 449 and 100 + 40 − 40 = 100.
    assert (closed.points_issued_by_merchants, closed.points_issued_by_alliance,
            closed.points_redeemed, closed.points_expired) == (239, 500, 150, 40)
    assert closed.outstanding_change == closed.outstanding_at_cutoff == 549
    assert 239 + 500 - 150 - 40 - 549 == 0
    assert (closed.cost_fen, closed.reimbursement_fen) == (239, 150)
    assert services.reconcile(session).ok
    assert verify_ledger(session).ok


def test_rates_come_from_the_configuration_and_are_kept_with_the_period(app, session):
    noodles, hotpot, _ = _month_activity(session)
    period = services.period_of(utcnow())
    app.config.update(SETTLEMENT_COST_PER_POINT_FEN=3, SETTLEMENT_REIMBURSE_PER_POINT_FEN=2)
    try:
        services.close_period(session, period, now=_after(period))
        session.commit()
    finally:
        app.config.update(SETTLEMENT_COST_PER_POINT_FEN=1, SETTLEMENT_REIMBURSE_PER_POINT_FEN=1)
    statements = {s.merchant_id: s for s in services.period_statements(session, period)}
    assert (statements[hotpot].cost_fen, statements[hotpot].reimbursement_fen,
            statements[hotpot].net_fen) == (297, 300, -3)
    assert statements[noodles].net_fen == 420
    assert services.reconcile(session).ok  # the stored rates, not today's, are checked


def test_closing_twice_changes_nothing(app, session):
    _month_activity(session)
    period = services.period_of(utcnow())
    first = services.close_period(session, period, now=_after(period))
    session.commit()
    totals = services.period_totals(session, first)
    counts = [session.scalar(select(func.count()).select_from(model))
              for model in (SettlementPeriod, Statement, Settlement)]
    again = services.close_period(session, period, now=_after(period) + timedelta(days=40))
    session.commit()
    assert services.period_totals(session, again) == totals
    assert [session.scalar(select(func.count()).select_from(model))
            for model in (SettlementPeriod, Statement, Settlement)] == counts == [1, 2, 2]


def test_a_transfer_after_the_cutoff_goes_into_the_next_period(session):
    noodles, hotpot, sale_id = _month_activity(session)
    period = services.period_of(utcnow())
    end = services.period_bounds(period)[1]
    closed = services.close_period(session, period, now=end + timedelta(minutes=1))
    session.commit()
    # Written after the close: one dated next month, one dated inside the closed month (a
    # late writer); both have a seq above the cutoff, so both belong to the next period.
    late, _ = member(session, points=10)  # the alliance issues 10 (an opening balance)
    noodle_shop = session.get(Merchant, noodles)
    for points, when in ((7, end + timedelta(hours=2)), (5, end - timedelta(hours=1))):
        ledger.accrue(session, member_account=late.points_account_id,
                      source_account=noodle_shop.issued_account_id, points=points,
                      merchant_id=noodles, now=when)
    # A refund next month of this month's sale: 老王火锅 gets back the rest of its points.
    refunds.refund_purchase(session, session.get(Merchant, hotpot), sale_id, None)
    session.commit()
    assert services.close_period(session, period).cutoff_seq == closed.cutoff_seq

    following = services.period_of(end + timedelta(days=1))
    nxt = services.close_period(session, following,
                                now=services.period_bounds(following)[1] + timedelta(seconds=1))
    session.commit()
    assert nxt.lower_seq == closed.cutoff_seq and nxt.cutoff_seq > closed.cutoff_seq
    statements = {s.merchant_id: s for s in services.period_statements(session, following)}
    assert statements[noodles].points_issued == 12
    # The rest of the refund: 99 issued points reversed and 150 redeemed returned.
    assert (statements[hotpot].points_issued, statements[hotpot].points_redeemed) == (-99, -150)
    assert statements[hotpot].net_fen == 51
    assert nxt.points_issued_by_alliance == 10
    report = services.reconcile(session)
    assert report.ok, report.failures
    assert report.periods == 2
    assert verify_ledger(session).ok


def test_a_period_closes_only_after_it_ends_and_in_order(session):
    _month_activity(session)
    period = services.period_of(utcnow())
    start, end = services.period_bounds(period)
    with pytest.raises(services.SettlementRefused, match="has not ended"):
        services.close_period(session, period, now=end - timedelta(seconds=1))
    session.rollback()
    # The month after has ended too, but this month had activity and is still open.
    following = services.period_of(end + timedelta(days=1))
    with pytest.raises(services.SettlementRefused, match=f"Close {period} first"):
        services.close_period(session, following, now=end + timedelta(days=62))
    session.rollback()
    # A month without activity before this one may be skipped; once this month is closed,
    # an earlier one may not close any more.
    services.close_period(session, period, now=end + timedelta(minutes=1))
    session.commit()
    earlier = services.period_of(start - timedelta(days=1))
    with pytest.raises(services.SettlementRefused, match="can no longer close"):
        services.close_period(session, earlier, now=end + timedelta(minutes=1))
    session.rollback()
    with pytest.raises(services.SettlementRefused, match="YYYY-MM"):
        services.close_period(session, "2026-13")


def test_closed_periods_and_statements_cannot_be_changed(session):
    _month_activity(session)
    period = services.period_of(utcnow())
    services.close_period(session, period, now=_after(period))
    session.commit()
    for sql in ("UPDATE settlement_statements SET cost_fen = 0",
                "DELETE FROM settlement_statements",
                "UPDATE settlement_periods SET cutoff_seq = cutoff_seq + 1"):
        with pytest.raises(DBAPIError):
            session.execute(text(sql))
        session.rollback()


def _backdated_month(session, when):
    """Ledger activity dated at `when` (a past month), through the ledger itself."""
    made = shop(session, name="江心屿咖啡")
    someone, _ = member(session)
    ledger.accrue(session, member_account=someone.points_account_id,
                  source_account=made.merchant.issued_account_id, points=120,
                  merchant_id=made.merchant.id, now=when)
    ledger.redeem(session, member_account=someone.points_account_id,
                  merchant_account=made.merchant.redeemed_account_id, points=20,
                  merchant_id=made.merchant.id, now=when)
    session.commit()
    return made.merchant.id


def test_flask_settlement_close_prints_the_same_totals_each_time(app, session):
    last_month = services.period_bounds(services.period_of(utcnow()))[0] - timedelta(days=3)
    period = services.period_of(last_month)
    _backdated_month(session, last_month)
    db.session.remove()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["settlement", "close", "--period", period, "--json"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(args=["settlement", "close", "--period", period, "--json"])
    assert again.exit_code == 0 and again.stdout == first.stdout
    totals = json.loads(first.stdout)
    assert totals["period"] == period and totals["statements"] == 1
    assert (totals["points_issued_by_merchants"], totals["points_redeemed"], totals["net_fen"],
            totals["reconciled"]) == (120, 20, 100, True)
    verified = runner.invoke(args=["settlement", "verify", "--json"])
    assert verified.exit_code == 0 and json.loads(verified.stdout)["reconciled"] is True
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0
    refused = runner.invoke(args=["settlement", "close", "--period",
                                  services.period_of(utcnow())])
    assert refused.exit_code == 1 and "has not ended" in refused.output
