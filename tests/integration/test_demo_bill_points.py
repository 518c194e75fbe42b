"""The demo's 积分抵话费: bills paid partly with points (captured), one held, one given back;
the ledger and settlement still prove themselves; seeding again adds none."""

from sqlalchemy import select

from valliance import points
from valliance.payments.models import Payment
from valliance.points.verify import verify_ledger
from valliance.settlement import services as settlement


def test_the_demo_pays_bills_with_points_in_every_state(app, session):
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--force", "--json"])
    assert result.exit_code == 0, result.output
    rows = session.scalars(select(Payment).where(Payment.points_redeemed > 0)).all()
    states = sorted(points.find_hold(session, p.hold_reference).status for p in rows)
    assert states == ["captured"] * 5 + ["pending", "released"]
    for payment in rows:
        assert 0 < payment.points_value <= payment.amount // 2
        assert payment.card_amount == payment.amount - payment.points_value
    figures = points.bill_points_figures(session)
    assert (figures.bills, figures.held_count, figures.released_count) == (5, 1, 1)
    assert figures.spent == sum(p.points_redeemed for p in rows if p.status == "succeeded")
    report = verify_ledger(session)
    assert report.ok, report.render()
    assert settlement.reconcile(session).ok
    again = app.test_cli_runner().invoke(args=["demo", "seed", "--force", "--json"])
    assert again.exit_code == 0
    assert len(session.scalars(select(Payment).where(Payment.points_redeemed > 0)).all()) == 7
