from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.integration.ledger_helpers import open_members, open_shop
from valliance.db import utcnow
from valliance.errors import InsufficientPoints
from valliance.points import accounts, ledger
from valliance.points.accounts import LedgerError
from valliance.points.verify import verify_ledger


@pytest.fixture
def shop(session):
    return open_shop(session)


@pytest.fixture
def member(session):
    return open_members(session, 1)[0]


def balance(session, member):
    return accounts.get_balance(session, member)


def test_accrue_credits_the_member_and_records_a_balanced_transfer(session, shop, member):
    posting = ledger.accrue(session, member_account=member, source_account=shop.issued,
                            points=339, merchant_id=shop.merchant_id, purchase_id="pur-1")
    session.commit()
    assert posting.balance == 339
    assert balance(session, member).balance == 339
    rows = session.execute(text("SELECT account_id, amount, balance_after FROM entries"
                                " ORDER BY amount")).all()
    assert [tuple(r) for r in rows] == [(shop.issued, -339, None), (member, 339, 339)]
    assert verify_ledger(session).ok


def test_opening_an_account_twice_returns_the_same_account(session):
    assert accounts.open_member_account(session, "m") == accounts.open_member_account(session, "m")


def test_redeem_refuses_more_than_the_balance_and_records_nothing(session, shop, member):
    ledger.accrue(session, member_account=member, source_account=shop.issued, points=100)
    session.commit()
    with pytest.raises(InsufficientPoints):
        ledger.redeem(session, member_account=member, merchant_account=shop.redeemed, points=101)
    session.rollback()
    assert balance(session, member).balance == 100
    assert session.execute(text("SELECT COUNT(*) FROM transfers")).scalar() == 1


def test_redeem_spends_the_soonest_expiring_lots_first(session, shop, member):
    now = utcnow()
    late = ledger.accrue(session, member_account=member, source_account=shop.issued, points=50,
                         expires_at=now + timedelta(days=300))
    soon = ledger.accrue(session, member_account=member, source_account=shop.issued, points=30,
                         expires_at=now + timedelta(days=10))
    ledger.redeem(session, member_account=member, merchant_account=shop.redeemed, points=40)
    session.commit()
    remaining = dict(session.execute(text("SELECT transfer_id, remaining FROM lots")).all())
    assert remaining == {soon.transfer_id: 0, late.transfer_id: 40}


def test_expiry_moves_only_what_remains_of_a_lot_to_breakage(session, shop, member):
    now = utcnow()
    ledger.accrue(session, member_account=member, source_account=shop.issued, points=50,
                  expires_at=now + timedelta(days=1))
    ledger.accrue(session, member_account=member, source_account=shop.issued, points=20,
                  expires_at=now + timedelta(days=100))
    ledger.redeem(session, member_account=member, merchant_account=shop.redeemed, points=30)
    assert ledger.expire_due(session, now=now + timedelta(days=2)) == (1, 20)
    assert ledger.expire_due(session, now=now + timedelta(days=2)) == (0, 0)
    session.commit()
    assert balance(session, member).balance == 20
    report = verify_ledger(session)
    assert report.ok, report.render()
    assert report.figures["points expired"] == 20


def test_reversal_never_makes_a_balance_negative_and_records_what_is_owed(session, shop, member):
    accrual = ledger.accrue(session, member_account=member, source_account=shop.issued,
                            points=100)
    ledger.redeem(session, member_account=member, merchant_account=shop.redeemed, points=70)
    reversal = ledger.reverse(session, accrual.transfer_id, 100)
    session.commit()
    assert (reversal.taken, reversal.owed_added, reversal.balance) == (30, 70, 0)
    assert balance(session, member) == accounts.Balance(balance=0, available=0, owed=70)
    assert verify_ledger(session).ok


def test_points_owed_are_collected_first_from_later_credits(session, shop, member):
    accrual = ledger.accrue(session, member_account=member, source_account=shop.issued,
                            points=100)
    ledger.redeem(session, member_account=member, merchant_account=shop.redeemed, points=100)
    ledger.reverse(session, accrual.transfer_id, 100)
    later = ledger.accrue(session, member_account=member, source_account=shop.issued, points=60)
    assert (later.balance, later.owed) == (0, 40)
    later = ledger.accrue(session, member_account=member, source_account=shop.issued, points=60)
    assert (later.balance, later.owed) == (20, 0)
    session.commit()
    report = verify_ledger(session)
    assert report.ok, report.render()


def test_a_transfer_is_never_reversed_by_more_than_its_amount(session, shop, member):
    accrual = ledger.accrue(session, member_account=member, source_account=shop.issued,
                            points=100)
    ledger.reverse(session, accrual.transfer_id, 60)
    with pytest.raises(LedgerError):
        ledger.reverse(session, accrual.transfer_id, 41)
    ledger.reverse(session, accrual.transfer_id, 40)
    session.commit()
    assert balance(session, member).balance == 0


def test_reversing_a_redemption_returns_the_points(session, shop, member):
    ledger.accrue(session, member_account=member, source_account=shop.issued, points=100)
    spent = ledger.redeem(session, member_account=member, merchant_account=shop.redeemed,
                          points=80)
    back = ledger.reverse(session, spent.transfer_id, 30)
    session.commit()
    assert back.balance == 50
    kinds = [e.kind for e in accounts.get_history(session, member).entries]
    assert kinds == ["return", "redeem", "accrue"]


def test_adjustment_needs_a_reason_and_an_author(session, member):
    with pytest.raises(LedgerError):
        ledger.adjust(session, member_account=member, points=10, reason="because", actor="li")
    with pytest.raises(LedgerError):
        ledger.adjust(session, member_account=member, points=10, reason="goodwill", actor="")
    posting = ledger.adjust(session, member_account=member, points=10, reason="goodwill",
                            actor="staff:li")
    session.commit()
    row = session.execute(text("SELECT reason, actor, kind FROM transfers WHERE id = :id"),
                          {"id": posting.transfer_id}).one()
    assert tuple(row) == ("goodwill", "staff:li", "adjust")


def test_negative_adjustment_cannot_overdraw(session, member):
    ledger.adjust(session, member_account=member, points=10, reason="goodwill", actor="li")
    with pytest.raises(InsufficientPoints):
        ledger.adjust(session, member_account=member, points=-11, reason="correction", actor="li")


@pytest.mark.parametrize("points", [0, -5, True, 1.5, "10"])
def test_amounts_must_be_positive_integers(session, shop, member, points):
    with pytest.raises(LedgerError):
        ledger.accrue(session, member_account=member, source_account=shop.issued, points=points)


def test_history_pages_newest_first_with_a_cursor(session, shop, member):
    for points in range(1, 8):
        ledger.accrue(session, member_account=member, source_account=shop.issued, points=points)
    session.commit()
    first = accounts.get_history(session, member, limit=3)
    assert [e.points for e in first.entries] == [7, 6, 5]
    second = accounts.get_history(session, member, limit=3, before=first.next_before)
    third = accounts.get_history(session, member, limit=3, before=second.next_before)
    assert [e.points for e in second.entries + third.entries] == [4, 3, 2, 1]
    assert third.next_before is None
    assert [e.balance_after for e in first.entries] == [28, 21, 15]


def test_history_filters_by_kind(session, shop, member):
    ledger.accrue(session, member_account=member, source_account=shop.issued, points=10)
    ledger.redeem(session, member_account=member, merchant_account=shop.redeemed, points=4)
    session.commit()
    page = accounts.get_history(session, member, kinds=frozenset({"redeem"}))
    assert [(e.kind, e.points) for e in page.entries] == [("redeem", -4)]


def test_members_move_points_with_ordered_locks(session, shop):
    a, b = open_members(session, 2)
    ledger.accrue(session, member_account=a, source_account=shop.issued, points=10)
    ledger.lock_members(session, [b, a])
    ledger.redeem(session, member_account=a, merchant_account=shop.redeemed, points=10)
    ledger.accrue(session, member_account=b, source_account=shop.issued, points=10)
    session.commit()
    assert verify_ledger(session).ok


@pytest.mark.parametrize("table", ["transfers", "entries"])
@pytest.mark.parametrize("statement", ["UPDATE {t} SET created_at = created_at",
                                       "DELETE FROM {t}"])
def test_the_database_rejects_changes_to_ledger_rows(session, shop, member, table, statement):
    ledger.accrue(session, member_account=member, source_account=shop.issued, points=10)
    session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text(statement.format(t=table)))
    session.rollback()
    assert session.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar() >= 1
