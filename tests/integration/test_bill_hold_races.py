"""Real threads against PostgreSQL: holds and till redemptions racing for the same points never
overspend, and a hold racing its capture and its release settles once."""

from datetime import timedelta

import pytest
from sqlalchemy import text

from tests.integration.ledger_helpers import open_members, open_shop
from valliance import points
from valliance.db import run_in_transaction, utcnow
from valliance.errors import InsufficientPoints
from valliance.extensions import db
from valliance.members.models import Member
from valliance.members.services import enroll_member
from valliance.payments import services as payments
from valliance.points import accounts, ledger
from valliance.points.verify import verify_ledger

pytestmark = pytest.mark.postgres_only

THREADS = 12


def test_bills_with_points_and_till_redemptions_racing_never_overspend(session, run_threads):
    shop = open_shop(session, "busy-shop")
    enrolled = enroll_member(session, phone="13800138000", name="王芳", opening_points=1000)
    member_id, member = enrolled.id, enrolled.points_account_id
    session.commit()

    def worker(i):
        def work():
            if i % 2:  # a bill of ¥50.00 paying ¥6.00 with points: held by the payment
                return ("hold", payments.start_payment(
                    db.session, db.session.get(Member, member_id), "bill", 5000, 600))
            return ("redeem", ledger.redeem(db.session, member_account=member,
                                            merchant_account=shop.redeemed, points=600))
        try:
            return run_in_transaction(db.session, work)[0]
        except InsufficientPoints:
            return "refused"

    outcomes = run_threads(THREADS, worker)
    assert sorted(outcomes).count("refused") == THREADS - 1  # 600 + 600 > 1000: one wins
    session.rollback()
    found = accounts.get_balance(session, member)
    assert found.available == 400
    report = verify_ledger(session)
    assert report.ok, report.render()


def test_a_capture_and_releases_racing_for_one_hold_settle_it_once(session, run_threads):
    shop = open_shop(session, "busy-shop")
    [member] = open_members(session, 1)
    ledger.accrue(session, member_account=member, source_account=shop.issued, points=1000)
    hold_id = points.hold(session, member_account=member, points=700, reference="payment:pay_x",
                          expires_at=utcnow() + timedelta(minutes=90))
    session.commit()

    def worker(i):
        def work():
            if i == 0:
                return points.capture(db.session, hold_id)
            return points.release(db.session, hold_id, reason="expired")
        return run_in_transaction(db.session, work)

    outcomes = run_threads(THREADS, worker)
    assert sum(outcome.changed for outcome in outcomes) == 1
    session.rollback()
    status = session.execute(text("SELECT status FROM holds WHERE id = :id"),
                             {"id": hold_id}).scalar_one()
    found = accounts.get_balance(session, member)
    assert (found.balance, found.available) == ((300, 300) if status == "captured"
                                                else (1000, 1000))
    report = verify_ledger(session)
    assert report.ok, report.render()
