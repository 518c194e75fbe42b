"""The ledger's holds (积分抵话费): hold, capture, release, rehold; verify proves them; expiry
leaves held points alone; settlement flows keep bill points off the merchants' statements."""

from datetime import timedelta

import pytest
from sqlalchemy import text

from tests.integration.ledger_helpers import open_members, open_shop
from valliance import points
from valliance.db import utcnow
from valliance.errors import InsufficientPoints
from valliance.points import accounts, ledger
from valliance.points.accounts import LedgerError
from valliance.points.settlement_queries import flows_between, last_seq
from valliance.points.verify import verify_ledger


@pytest.fixture
def shop(session):
    return open_shop(session)


@pytest.fixture
def member(session):
    return open_members(session, 1)[0]


def hold(session, member, amount, reference="payment:pay_1", minutes=90):
    return points.hold(session, member_account=member, points=amount, reference=reference,
                       expires_at=utcnow() + timedelta(minutes=minutes))


def verified(session):
    report = verify_ledger(session)
    assert report.ok, report.render()
    return report.figures


def lots(session):
    return [tuple(row) for row in session.execute(
        text("SELECT transfer_id, remaining FROM lots ORDER BY expires_at")).all()]


def test_a_hold_takes_points_out_of_available_but_not_out_of_the_balance(session, shop, member):
    ledger.accrue(session, member_account=member, source_account=shop.issued, points=1000)
    hold(session, member, 600)
    session.commit()
    found = accounts.get_balance(session, member)
    assert (found.balance, found.available) == (1000, 400)
    assert session.execute(text("SELECT COUNT(*) FROM transfers")).scalar() == 1  # no posting
    figures = verified(session)
    assert (figures["points held"], figures["points outstanding"]) == (600, 1000)
    assert [h.points for h in points.held_points(session, member)] == [600]


def test_a_hold_of_more_than_is_available_is_refused_and_writes_nothing(session, shop, member):
    ledger.accrue(session, member_account=member, source_account=shop.issued, points=1000)
    hold(session, member, 600)
    session.commit()
    with pytest.raises(InsufficientPoints):
        hold(session, member, 401, reference="payment:pay_2")
    session.rollback()
    assert hold(session, member, 400, reference="payment:pay_2")  # exactly what is available
    session.commit()
    assert accounts.get_balance(session, member).available == 0
    verified(session)


def test_held_points_cannot_be_spent_at_a_till(session, shop, member):
    ledger.accrue(session, member_account=member, source_account=shop.issued, points=1000)
    hold(session, member, 600)
    session.commit()
    with pytest.raises(InsufficientPoints):
        ledger.redeem(session, member_account=member, merchant_account=shop.redeemed, points=401)
    session.rollback()
    ledger.redeem(session, member_account=member, merchant_account=shop.redeemed, points=400)
    session.commit()
    found = accounts.get_balance(session, member)
    assert (found.balance, found.available) == (600, 0)
    verified(session)


def test_capture_posts_a_redemption_to_the_bills_account_soonest_lots_first(session, shop,
                                                                            member):
    now = utcnow()
    late = ledger.accrue(session, member_account=member, source_account=shop.issued,
                         points=500, expires_at=now + timedelta(days=300))
    soon = ledger.accrue(session, member_account=member, source_account=shop.issued,
                         points=300, expires_at=now + timedelta(days=10))
    hold_id = hold(session, member, 450)
    settled = points.capture(session, hold_id)
    session.commit()
    assert (settled.status, settled.changed) == ("captured", True)
    found = accounts.get_balance(session, member)
    assert (found.balance, found.available) == (350, 350)
    assert lots(session) == [(soon.transfer_id, 0), (late.transfer_id, 350)]
    transfer = session.execute(text(
        "SELECT t.code, t.kind, t.amount, t.debit_account_id, a.kind, t.merchant_id, t.reason"
        " FROM transfers t JOIN accounts a ON a.id = t.credit_account_id WHERE t.id = :id"),
        {"id": settled.transfer_id}).one()
    assert tuple(transfer) == ("REDEEM", "redeem", 450, member, "alliance_bills", None,
                               "payment:pay_1")
    figures = verified(session)
    assert (figures["points spent on bills"], figures["points held"],
            figures["points redeemed"]) == (450, 0, 0)


def test_a_refunded_bill_puts_its_points_back_into_the_lots_they_came_from(session, shop,
                                                                          member):
    now = utcnow()
    late = ledger.accrue(session, member_account=member, source_account=shop.issued,
                         points=500, expires_at=now + timedelta(days=300))
    soon = ledger.accrue(session, member_account=member, source_account=shop.issued,
                         points=300, expires_at=now + timedelta(days=3))
    settled = points.capture(session, hold(session, member, 450))
    ledger.reverse(session, settled.transfer_id, 450)
    session.commit()
    # back with their own expiry (a bill paid with points about to lapse, then refunded,
    # does not give them two more years); no fresh lot
    assert lots(session) == [(soon.transfer_id, 300), (late.transfer_id, 500)]
    assert accounts.get_balance(session, member).available == 800
    verified(session)


def test_a_hold_is_captured_or_released_once(session, shop, member):
    ledger.accrue(session, member_account=member, source_account=shop.issued, points=1000)
    first, second = hold(session, member, 100), hold(session, member, 200, "payment:pay_2")
    assert points.capture(session, first).changed
    again = points.capture(session, first)
    assert (again.status, again.changed) == ("captured", False)
    assert not points.release(session, first, reason="expired").changed  # captured stays so
    assert points.release(session, second, reason="payment_failed").changed
    assert not points.release(session, second, reason="expired").changed
    assert points.capture(session, second).status == "released"  # a release is final…
    session.commit()
    assert session.execute(text("SELECT COUNT(*) FROM transfers WHERE code = 'REDEEM'")
                           ).scalar() == 1
    found = accounts.get_balance(session, member)
    assert (found.balance, found.available) == (900, 900)
    figures = verified(session)
    assert (figures["points spent on bills"], figures["points held"]) == (100, 0)


def test_a_released_hold_can_be_held_again_while_the_points_are_there(session, shop, member):
    ledger.accrue(session, member_account=member, source_account=shop.issued, points=300)
    hold_id = hold(session, member, 200)
    points.release(session, hold_id, reason="payment_failed")
    assert points.rehold(session, hold_id).changed  # …unless the payment went through after all
    assert accounts.get_balance(session, member).available == 100
    points.capture(session, hold_id)
    session.commit()
    assert accounts.get_balance(session, member).balance == 100
    verified(session)

    other = hold(session, member, 100, "payment:pay_2")
    points.release(session, other, reason="expired")
    ledger.redeem(session, member_account=member, merchant_account=shop.redeemed, points=50)
    with pytest.raises(InsufficientPoints):
        points.rehold(session, other)
    session.rollback()


def test_a_hold_must_be_positive_and_name_its_reference(session, member):
    with pytest.raises(LedgerError):
        hold(session, member, 0)
    with pytest.raises(LedgerError):
        hold(session, member, 10, reference="")
    with pytest.raises(LedgerError):
        points.capture(session, 999_999)


def test_held_points_do_not_expire_while_held_but_do_once_released(session, shop, member):
    now = utcnow()
    ledger.accrue(session, member_account=member, source_account=shop.issued, points=1000,
                  expires_at=now + timedelta(days=1))
    hold_id = hold(session, member, 600)
    later = now + timedelta(days=2)
    assert ledger.expire_due(session, now=later) == (1, 400)  # what was available
    session.commit()
    found = accounts.get_balance(session, member)
    assert (found.balance, found.available) == (600, 0)
    verified(session)

    points.release(session, hold_id, reason="expired")
    assert ledger.expire_due(session, now=later) == (1, 600)
    session.commit()
    assert accounts.get_balance(session, member).balance == 0
    assert verified(session)["points expired"] == 1000


def test_capture_after_the_lot_expired_spends_the_held_points_of_that_lot(session, shop, member):
    now = utcnow()
    ledger.accrue(session, member_account=member, source_account=shop.issued, points=1000,
                  expires_at=now + timedelta(days=1))
    hold_id = hold(session, member, 600)
    ledger.expire_due(session, now=now + timedelta(days=2))
    points.capture(session, hold_id)
    session.commit()
    assert accounts.get_balance(session, member).balance == 0
    assert lots(session)[0][1] == 0
    verified(session)


def test_verify_finds_pending_points_that_no_hold_explains(session, shop, member):
    ledger.accrue(session, member_account=member, source_account=shop.issued, points=1000)
    hold(session, member, 600)
    session.commit()
    session.execute(text("UPDATE accounts SET debits_pending = 500 WHERE id = :id"),
                    {"id": member})
    report = verify_ledger(session)
    assert "every member's pending holds add up to its debits_pending" in report.failures
    assert "pending holds equal the members' debits_pending" in report.failures
    session.rollback()
    session.execute(text("UPDATE holds SET status = 'captured', transfer_id = 1"))
    report = verify_ledger(session)
    assert "every captured hold is one redemption of its points to the bills account" in (
        report.failures)
    session.rollback()


def test_bill_points_come_back_to_the_alliance_and_stay_off_merchant_flows(session, shop,
                                                                           member):
    lower = last_seq(session)
    ledger.accrue(session, member_account=member, source_account=shop.issued, points=1000,
                  merchant_id=shop.merchant_id)
    ledger.redeem(session, member_account=member, merchant_account=shop.redeemed, points=100,
                  merchant_id=shop.merchant_id)
    captured = points.capture(session, hold(session, member, 300))
    ledger.reverse(session, captured.transfer_id, 120)  # a refund gives some back
    session.commit()
    flows = flows_between(session, lower, last_seq(session))
    assert not flows.unknown_kinds and flows.imbalance == 0
    assert (flows.merchants[shop.merchant_id].issued,
            flows.merchants[shop.merchant_id].redeemed) == (1000, 100)
    assert (flows.spent_on_bills, flows.issued_by_alliance) == (180, -180)
    assert (flows.issued_by_merchants + flows.issued_by_alliance - flows.redeemed
            - flows.expired - flows.outstanding_change) == 0
    figures = points.bill_points_figures(session)
    assert (figures.spent, figures.bills, figures.members) == (180, 1, 1)
    assert verified(session)["points spent on bills"] == 180
