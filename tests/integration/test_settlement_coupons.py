"""Settlement with coupons (contract §11): an alliance-wide coupon's value is paid back to the
merchant as a line of its statement, net of refunds that restored it; a merchant's own coupon
is its own discount. `flask settlement verify` still reconciles to the fen."""

import json
from datetime import timedelta

import pytest

from tests.api.coupon_helpers import coupon, template
from tests.api.pos_helpers import member, shop
from valliance.db import utcnow
from valliance.merchants.services import purchases, refunds
from valliance.settlement import services
from valliance.settlement.models import Settlement


@pytest.fixture(autouse=True)
def _same_month(clear_of_month_end):
    """Activity and the period closed fall in one month (see clear_of_month_end)."""


def _after(period: str):
    return services.period_bounds(period)[1] + timedelta(minutes=1)


def _sell(session, store, card, amount, code):
    sale = purchases.record_purchase(session, store.merchant, None, card.number, amount, 0,
                                     None, coupon=code)
    session.commit()
    return sale


def test_alliance_coupons_are_a_line_of_the_statement_and_own_coupons_are_not(app, session):
    hotpot, noodles = shop(session, "老王火锅"), shop(session, "兰州拉面")
    tea = shop(session, "茶馆")
    someone, card = member(session)
    alliance = template(session, value=1500, min_spend=0, per_member=9)
    own = template(session, value=700, min_spend=0, merchant=noodles.merchant)
    # 老王火锅: ¥100.00 less an alliance coupon of ¥15.00 → 85 points issued, ¥15.00 owed to it.
    _sell(session, hotpot, card, 10_000, coupon(session, alliance, someone).code)
    # 兰州拉面: its own ¥7.00 coupon on ¥50.00 → 43 points, no coupon line.
    _sell(session, noodles, card, 5_000, coupon(session, own, someone).code)
    # 茶馆: an alliance coupon on a sale refunded in full: the coupon comes back, no line.
    refunded = _sell(session, tea, card, 3_000, coupon(session, alliance, someone).code)
    refunds.refund_purchase(session, tea.merchant, refunded.id, None)
    session.commit()
    period = services.period_of(utcnow())
    closed = services.close_period(session, period, now=_after(period))
    session.commit()
    statements = {s.merchant_id: s for s in services.period_statements(session, period)}
    first = statements[hotpot.merchant.id]
    assert (first.points_issued, first.cost_fen, first.coupon_fen, first.net_fen) == (
        85, 85, 1500, 85 - 1500)
    assert first.settlement.direction == "payout" and first.settlement.amount_fen == 1415
    second = statements[noodles.merchant.id]
    assert (second.points_issued, second.coupon_fen, second.net_fen) == (43, 0, 43)
    third = statements[tea.merchant.id]  # 30 issued, all reversed
    assert (third.points_issued, third.coupon_fen, third.net_fen) == (0, 0, 0)
    assert closed.coupon_fen == 1500
    assert services.period_totals(session, closed)["net_fen"] == 85 + 43 - 1500
    assert services.reconcile(session).ok


def test_a_coupon_refund_after_the_period_closed_is_taken_back_in_the_next(app, session):
    hotpot = shop(session, "老王火锅")
    someone, card = member(session)
    alliance = template(session, value=1000, min_spend=0)
    sale = _sell(session, hotpot, card, 4_000, coupon(session, alliance, someone).code)
    period = services.period_of(utcnow())
    services.close_period(session, period, now=_after(period))
    session.commit()
    refunds.refund_purchase(session, hotpot.merchant, sale.id, None)
    session.commit()
    later = services.period_of(_after(period))
    services.close_period(session, later, now=_after(later))
    session.commit()
    (statement,) = services.period_statements(session, later)
    assert (statement.points_issued, statement.coupon_fen, statement.net_fen) == (-30, -1000,
                                                                                  -30 + 1000)
    assert session.get(Settlement, statement.settlement.id).direction == "collect"
    assert services.reconcile(session).ok


def test_settlement_verify_reconciles_a_month_with_coupons(app, session):
    hotpot = shop(session, "老王火锅")
    someone, card = member(session)
    _sell(session, hotpot, card, 10_000,
          coupon(session, template(session, value=2000, min_spend=0), someone).code)
    period = services.period_of(utcnow())
    runner = app.test_cli_runner()
    closed = runner.invoke(args=["settlement", "close", "--period", period, "--json"])
    if not services.period_over(period):
        assert closed.exit_code == 1  # the month is not over: closed below with a clock
        services.close_period(session, period, now=_after(period))
        session.commit()
    verified = runner.invoke(args=["settlement", "verify", "--json"])
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout) == {"periods": 1, "reconciled": True, "failures": []}


def test_every_refund_takes_back_its_share_of_an_alliance_coupon(app, session):
    from sqlalchemy import func, select

    from valliance.coupons.models import Coupon, CouponLine
    hotpot = shop(session, "老王火锅")
    someone, card = member(session)
    code = coupon(session, template(session, value=2000, min_spend=0), someone).code
    sale = _sell(session, hotpot, card, 10_000, code)  # ¥100.00 − ¥20.00 coupon: ¥80.00 paid

    def owed():
        return session.scalar(select(func.sum(CouponLine.value_fen))
                              .where(CouponLine.purchase_id == sale.id))

    half = refunds.refund_purchase(session, hotpot.merchant, sale.id, 5_000)
    session.commit()
    # half the goods back: half the cash (¥40.00) and half the alliance's ¥20.00
    assert (half.cash_refund, owed()) == (4_000, 1_000)
    # the rest, after the coupon's last day: it stays used, and the alliance owes nothing
    used = session.scalar(select(Coupon).where(Coupon.code == code))
    late = utcnow() + timedelta(days=(used.valid_until - utcnow().date()).days + 2)
    refunds.refund_purchase(session, hotpot.merchant, sale.id, None, at=late)
    session.commit()
    session.refresh(used)
    assert (owed(), used.status) == (0, "used")
    assert services.reconcile(session).ok
