"""Issue #18 — the ledger's side of expiry: the year-end rule, `flask ledger expire` committing
a chunk of accounts at a time (a run killed part way keeps its chunks; the next run does the
rest, nothing twice), and a refund putting redeemed points back into the lots they came from
with those lots' own expiry."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from tests.integration.ledger_helpers import open_members, open_shop
from valliance.db import run_in_transaction
from valliance.extensions import db
from valliance.points import accounts, ledger
from valliance.points.expiry import default_expiry, last_day
from valliance.points.jobs import expire_in_chunks
from valliance.points.models import Lot, LotDraw, Transfer
from valliance.points.verify import verify_ledger

T0 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
def shop(session):
    return open_shop(session)


def accrue(session, shop, member, points, expires_at, now=T0):
    return ledger.accrue(session, member_account=member, source_account=shop.issued,
                         points=points, merchant_id=shop.merchant_id, expires_at=expires_at,
                         now=now).transfer_id


def expire_count(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(Transfer)
                          .where(Transfer.code == "EXPIRE"))


def lot(session, transfer_id) -> tuple[int, int, datetime]:
    row = session.get(Lot, transfer_id, populate_existing=True)
    return row.remaining, row.expired, row.expires_at


# --- the year-end rule ---------------------------------------------------------------------

def test_points_last_two_years_then_to_the_end_of_that_year_in_shanghai(app, ctx):
    earned = datetime(2026, 5, 1, 4, 0, tzinfo=UTC)
    expires = default_expiry(earned)
    assert expires == datetime(2028, 12, 31, 16, 0, tzinfo=UTC)  # 2029-01-01 00:00 Shanghai
    assert last_day(expires).isoformat() == "2028-12-31"
    # the year of earning counts in Shanghai: late on 31 December UTC is already 2027 there
    assert default_expiry(datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) == expires
    assert default_expiry(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) == datetime(
        2029, 12, 31, 16, 0, tzinfo=UTC)
    app.config["POINTS_EXPIRE_AT_YEAR_END"] = False
    try:
        assert default_expiry(earned) == earned + timedelta(days=730)
    finally:
        app.config["POINTS_EXPIRE_AT_YEAR_END"] = True
    app.config["POINTS_VALIDITY_DAYS"] = 90  # shorter than a year: no year to round to
    try:
        assert default_expiry(earned) == earned + timedelta(days=90)
        app.config["POINTS_VALIDITY_DAYS"] = 365  # one whole year: the end of the next
        assert default_expiry(earned) == datetime(2027, 12, 31, 16, 0, tzinfo=UTC)
    finally:
        app.config["POINTS_VALIDITY_DAYS"] = 730


# --- expiring a chunk at a time --------------------------------------------------------------

def _five_members_with_due_lots(session, shop):
    members = open_members(session, 5)
    for i, member in enumerate(members):
        accrue(session, shop, member, 100 + i, T0 + timedelta(days=1))
        accrue(session, shop, member, 7, T0 + timedelta(days=400))  # not due
    session.commit()
    return members


def test_a_run_killed_after_its_first_chunk_keeps_it_and_the_next_run_does_the_rest(
        session, shop):
    members = _five_members_with_due_lots(session, shop)
    later = T0 + timedelta(days=2)
    commits = []

    def commit_then_die():
        session.commit()
        commits.append(1)
        raise RuntimeError("killed after the first chunk")

    with pytest.raises(RuntimeError):
        expire_in_chunks(session, commit=commit_then_die, now=later, chunk=2)
    session.rollback()
    assert commits == [1] and expire_count(session) == 2
    assert [accounts.get_balance(session, m).balance for m in members] == [7, 7, 109, 110, 111]

    assert expire_in_chunks(session, commit=session.commit, now=later, chunk=2) == {
        "lots": 3, "points": 102 + 103 + 104}
    assert expire_in_chunks(session, commit=session.commit, now=later, chunk=2) == {
        "lots": 0, "points": 0}
    assert expire_count(session) == 5
    assert [accounts.get_balance(session, m).balance for m in members] == [7] * 5
    assert session.scalar(select(func.sum(Lot.expired))) == 100 + 101 + 102 + 103 + 104
    report = verify_ledger(session)
    assert report.ok, report.render()
    assert report.figures["points expired"] == 510


def test_each_chunk_is_its_own_commit(session, shop):
    _five_members_with_due_lots(session, shop)
    seen = []

    def commit():
        session.commit()
        seen.append(expire_count(session))

    assert expire_in_chunks(session, commit=commit, now=T0 + timedelta(days=2), chunk=2) == {
        "lots": 5, "points": 510}
    assert seen == [2, 4, 5]


def test_flask_ledger_expire_prints_json_and_its_old_line(app, session, shop):
    _five_members_with_due_lots(session, shop)
    session.execute(text("UPDATE lots SET expires_at = :past WHERE amount > 7"),
                    {"past": datetime(2020, 1, 1, tzinfo=UTC)})
    session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ledger", "expire", "--json", "--chunk", "2"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"lots": 5, "points": 510}
    again = runner.invoke(args=["ledger", "expire"])
    assert again.exit_code == 0 and again.output.strip() == "expired 0 points in 0 lots"
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0


@pytest.mark.postgres_only
def test_two_runs_at_once_expire_every_lot_once(session, shop, run_threads):
    members = open_members(session, 60)
    for member in members:
        for days in (1, 2, 3):
            accrue(session, shop, member, 10 * days, T0 + timedelta(days=days))
    session.commit()
    later = T0 + timedelta(days=5)
    results = run_threads(2, lambda i: run_in_transaction(db.session, lambda: expire_in_chunks(
        db.session, commit=db.session.commit, now=later, chunk=7)))
    assert sum(r["lots"] for r in results) == 180
    assert sum(r["points"] for r in results) == 60 * 60
    assert expire_count(session) == 180
    assert verify_ledger(session).ok


# --- a refund keeps the lots' expiry --------------------------------------------------------

def _redeem(session, shop, member, points, now):
    return ledger.redeem(session, member_account=member, merchant_account=shop.redeemed,
                         points=points, merchant_id=shop.merchant_id, now=now).transfer_id


def test_a_refund_puts_points_back_into_the_lots_they_came_from(session, shop):
    member = open_members(session, 1)[0]
    soon, late = T0 + timedelta(days=40), T0 + timedelta(days=300)
    a = accrue(session, shop, member, 200, soon)
    b = accrue(session, shop, member, 500, late)
    redemption = _redeem(session, shop, member, 450, T0)  # 200 from a, 250 from b
    session.commit()
    assert (lot(session, a)[0], lot(session, b)[0]) == (0, 250)
    draws = session.execute(select(LotDraw.lot_id, LotDraw.points)
                            .order_by(LotDraw.lot_id)).all()
    assert [tuple(d) for d in draws] == [(a, 200), (b, 250)]

    # a partial refund of 300: the latest-expiring lot first (b: 250), then a (50)
    reversal = ledger.reverse(session, redemption, 300, now=T0 + timedelta(days=1))
    session.commit()
    assert reversal.balance == 250 + 300
    assert lot(session, a) == (50, 0, soon) and lot(session, b) == (500, 0, late)
    assert session.scalar(select(func.count()).select_from(Lot)) == 2  # no fresh lot
    # the rest: 150 into a, which keeps its date 39 days away
    ledger.reverse(session, redemption, 150, now=T0 + timedelta(days=2))
    session.commit()
    assert lot(session, a) == (200, 0, soon) and lot(session, b) == (500, 0, late)
    assert [tuple(d) for d in session.execute(
        select(LotDraw.lot_id, LotDraw.returned).order_by(LotDraw.lot_id))] == [(a, 200),
                                                                               (b, 250)]
    assert accounts.get_balance(session, member).balance == 700
    assert verify_ledger(session).ok


def test_points_refunded_into_a_lot_past_its_date_expire_at_once(session, shop):
    member = open_members(session, 1)[0]
    a = accrue(session, shop, member, 100, T0 + timedelta(days=10))
    b = accrue(session, shop, member, 100, T0 + timedelta(days=300))
    redemption = _redeem(session, shop, member, 150, T0)  # 100 from a, 50 from b
    session.commit()
    later = T0 + timedelta(days=20)  # a's date has passed
    assert ledger.expire_due(session, now=later) == (0, 0)  # a is empty: nothing to expire
    reversal = ledger.reverse(session, redemption, 150, now=later)
    session.commit()
    # b gets its 50 back; a's 100 go back and expire at once, to breakage
    assert reversal.balance == 100
    assert lot(session, a)[:2] == (0, 100) and lot(session, b)[:2] == (100, 0)
    kinds = session.execute(select(Transfer.kind, Transfer.amount)
                            .where(Transfer.created_at == later).order_by(Transfer.id)).all()
    assert [tuple(k) for k in kinds] == [("return", 150), ("expire", 100)]
    report = verify_ledger(session)
    assert report.ok, report.render()
    assert report.figures["points expired"] == 100
    assert report.figures["points outstanding"] == 100


def test_a_redemption_from_before_lot_draws_opens_a_fresh_lot(session, shop):
    member = open_members(session, 1)[0]
    accrue(session, shop, member, 100, T0 + timedelta(days=10))
    redemption = _redeem(session, shop, member, 60, T0)
    session.execute(text("DELETE FROM lot_draws"))  # as the rows written before 0032
    session.commit()
    reversal = ledger.reverse(session, redemption, 60, now=T0)
    session.commit()
    fresh = session.get(Lot, reversal.transfer_ids[0])
    assert (fresh.amount, fresh.remaining, fresh.expires_at) == (60, 60, default_expiry(T0))
    assert verify_ledger(session).ok


def test_a_refund_collects_what_the_member_owes_from_the_restored_points(session, shop):
    member = open_members(session, 1)[0]
    accrual = accrue(session, shop, member, 100, T0 + timedelta(days=100))
    other = accrue(session, shop, member, 50, T0 + timedelta(days=50))
    redemption = _redeem(session, shop, member, 150, T0)
    # the accrual reversed with nothing left: 100 owed
    assert ledger.reverse(session, accrual, 100, now=T0).owed_added == 100
    ledger.reverse(session, redemption, 150, now=T0)
    session.commit()
    balance = accounts.get_balance(session, member)
    assert (balance.balance, balance.owed) == (50, 0)
    assert lot(session, accrual)[0] + lot(session, other)[0] == 50
    assert verify_ledger(session).ok


@pytest.mark.postgres_only
def test_an_account_a_till_holds_is_skipped_then_expired_once_it_is_free(session, shop,
                                                                         run_threads):
    import threading
    import time

    members = open_members(session, 6)
    lots = [accrue(session, shop, member, 100, T0 + timedelta(days=1)) for member in members]
    session.commit()
    held, later = threading.Event(), T0 + timedelta(days=2)

    def work(i):
        if i == 0:  # a till: holds member 3's row a moment, spends 30 of its due points
            def till():
                ledger.lock_members(db.session, [members[3]])
                held.set()
                time.sleep(1.0)
                ledger.redeem(db.session, member_account=members[3],
                              merchant_account=shop.redeemed, points=30, now=later)
            return run_in_transaction(db.session, till)
        held.wait(5)
        return expire_in_chunks(db.session, commit=db.session.commit, now=later, chunk=2)

    _, result = run_threads(2, work, barrier=False)
    assert result == {"lots": 6, "points": 570}  # member 3's lot: 70 left when its turn came
    assert [lot(session, t)[:2] for t in lots] == [(0, 100)] * 3 + [(0, 70)] + [(0, 100)] * 2
    assert verify_ledger(session).ok
