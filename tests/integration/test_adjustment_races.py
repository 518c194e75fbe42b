"""Real threads against PostgreSQL: concurrent decisions on one adjustment, exactly one wins."""

import threading

import pytest
from sqlalchemy import event, func, select

from valliance.backoffice.models import PointAdjustment
from valliance.backoffice.services import adjustments
from valliance.db import run_in_transaction
from valliance.extensions import db
from valliance.members.models import Member
from valliance.members.services import enroll_member
from valliance.points.accounts import get_balance
from valliance.points.models import Transfer
from valliance.points.verify import verify_ledger
from valliance.staff import services as staff_services
from valliance.staff.models import StaffUser

pytestmark = pytest.mark.postgres_only

THREADS = 6


def _setup(session, approvers: int):
    member = enroll_member(session, phone="13800138000", name="张三", opening_points=20000)
    maker = staff_services.create_staff_user(session, username="care", name="小王",
                                             password="secret123", roles=("member_care",))
    for i in range(approvers):
        staff_services.create_staff_user(session, username=f"fin{i}", name=f"财务{i}",
                                         password="secret123", roles=("finance",))
    adjustment = adjustments.request_adjustment(session, member=member, points=-9000,
                                                reason="fraud_reversal", note="刷单积分冲回",
                                                maker=maker)
    session.commit()
    return member.id, adjustment.id


@pytest.fixture
def meet_before_deciding(app):
    """Hold every thread at a barrier just before its UPDATE of point_adjustments, so all of
    them have read the adjustment as pending before any decides."""
    barrier = threading.Barrier(THREADS, timeout=30)

    def wait(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("UPDATE POINT_ADJUSTMENTS SET STATUS"):
            barrier.wait()

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", wait)
    yield
    event.remove(engine, "before_cursor_execute", wait)


def _decide_in_thread(adjustment_id, decision):
    def work():
        staff = db.session.scalar(select(StaffUser).where(StaffUser.username == decision[1]))
        if decision[0] == "approve":
            return adjustments.approve_adjustment(db.session, adjustment_id, staff).status
        return adjustments.reject_adjustment(db.session, adjustment_id, staff, "不予调整").status

    try:
        return run_in_transaction(db.session, work)
    except adjustments.AlreadyDecided:
        return "lost"


def test_concurrent_approvals_apply_once(session, run_threads, meet_before_deciding):
    member_id, adjustment_id = _setup(session, THREADS)
    outcomes = run_threads(THREADS, lambda i: _decide_in_thread(adjustment_id,
                                                                ("approve", f"fin{i}")))
    assert sorted(outcomes) == ["applied"] + ["lost"] * (THREADS - 1)
    session.rollback()
    row = session.get(PointAdjustment, adjustment_id)
    assert row.status == "applied" and row.version == 1
    member = session.get(Member, member_id)
    assert get_balance(session, member.points_account_id).balance == 11000
    assert session.scalar(select(func.count()).select_from(Transfer).where(
        Transfer.kind == "adjust", Transfer.actor.like("staff:%"))) == 1
    assert verify_ledger(session).ok


def test_approvals_racing_rejections_decide_once(session, run_threads, meet_before_deciding):
    member_id, adjustment_id = _setup(session, THREADS)
    outcomes = run_threads(THREADS, lambda i: _decide_in_thread(
        adjustment_id, ("approve" if i % 2 else "reject", f"fin{i}")))
    winners = [o for o in outcomes if o != "lost"]
    assert len(winners) == 1
    session.rollback()
    row = session.get(PointAdjustment, adjustment_id)
    assert row.status == winners[0]
    expected = 11000 if row.status == "applied" else 20000
    member = session.get(Member, member_id)
    assert get_balance(session, member.points_account_id).balance == expected
