"""The audit chain's lock is the last lock a transaction takes (PostgreSQL, real threads).

record_event holds a PostgreSQL advisory lock until commit. A path that takes it and then
locks a member's ledger row deadlocks against a path that locks the row first and then
records its event (a refund from the merchant portal: points.reverse, then record_event).
Adjustments therefore post to the ledger first and write their audit rows after.
"""

import threading

import pytest
from sqlalchemy import event, select

from valliance import points
from valliance.audit import record_event, verify_chain
from valliance.backoffice.services import adjustments
from valliance.extensions import db
from valliance.members.models import Member
from valliance.members.services import enroll_member
from valliance.staff import services as staff_services
from valliance.staff.models import StaffUser

pytestmark = pytest.mark.postgres_only

WAIT = 3  # seconds a thread holds its first lock for the other to take its own


@pytest.fixture
def crossing(app):
    """Thread "audit-first" pauses just after it takes the audit lock, thread "row-first" just
    after it updates the member's account row, each until the other holds its lock (or WAIT
    passes: then the other is queued behind it, which is no deadlock)."""
    has_audit, has_row = threading.Event(), threading.Event()
    paused: set[str] = set()

    def pause(conn, cursor, statement, *args):
        name = threading.current_thread().name
        if name in paused:
            return
        if name == "audit-first" and "pg_advisory_xact_lock" in statement:
            paused.add(name)
            has_audit.set()
            has_row.wait(WAIT)
        elif name == "row-first" and statement.lstrip().upper().startswith("UPDATE ACCOUNTS"):
            paused.add(name)
            has_row.set()
            has_audit.wait(WAIT)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", pause)
    yield
    event.remove(engine, "after_cursor_execute", pause)


def _in_thread(app, name: str, work, outcomes: dict):
    def run():
        with app.app_context():
            try:
                work()
                db.session.commit()  # one attempt, as a page request (@transactional)
                outcomes[name] = "ok"
            except Exception as exc:  # noqa: BLE001 — reported by the test
                db.session.rollback()
                outcomes[name] = repr(exc)
            finally:
                db.session.remove()

    return threading.Thread(target=run, name=name)


@pytest.mark.parametrize("points_, approved", [(300, False), (-300, False), (6000, True),
                                               (-6000, True)])
def test_an_adjustment_and_a_ledger_then_audit_writer_do_not_deadlock(app, session, crossing,
                                                                      points_, approved):
    member = enroll_member(session, phone="13800138000", name="张三", opening_points=10000)
    maker = staff_services.create_staff_user(session, username="care", name="小王",
                                             password="secret123", roles=("member_care",))
    staff_services.create_staff_user(session, username="fin", name="老蔡",
                                     password="secret123", roles=("finance",))
    pending = adjustments.request_adjustment(session, member=member, points=points_,
                                             reason="goodwill", note="补偿",
                                             maker=maker) if approved else None
    session.commit()
    member_id, pending_id = member.id, pending.id if pending else None

    def adjust():
        if approved:  # the second person's approval applies it
            approver = db.session.scalar(select(StaffUser).where(StaffUser.username == "fin"))
            adjustments.approve_adjustment(db.session, pending_id, approver)
            return
        maker = db.session.scalar(select(StaffUser).where(StaffUser.username == "care"))
        adjustments.request_adjustment(db.session, member=db.session.get(Member, member_id),
                                       points=points_, reason="goodwill", note="补偿",
                                       maker=maker)

    def ledger_then_audit():  # what refunds do: the ledger posting, then the audit row
        account = db.session.get(Member, member_id).points_account_id
        points.adjust(db.session, member_account=account, points=-100, reason="correction",
                      actor="cli")
        record_event(db.session, actor="cli", action="purchase.refund", subject=member_id)

    outcomes: dict = {}
    threads = [_in_thread(app, "audit-first", adjust, outcomes),
               _in_thread(app, "row-first", ledger_then_audit, outcomes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == {"audit-first": "ok", "row-first": "ok"}
    session.rollback()
    account = session.get(Member, member_id).points_account_id
    assert points.get_balance(session, account).balance == 10000 + points_ - 100
    assert verify_chain(session).ok
