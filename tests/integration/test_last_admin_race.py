"""The last active admin keeps the role even when two admins demote or disable each other at
the same moment (PostgreSQL, real threads): one change wins, the other is refused."""

import threading

import pytest
from sqlalchemy import event, func, select

from valliance.errors import ValidationError
from valliance.extensions import db
from valliance.staff import services
from valliance.staff.models import StaffUser

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def meet_at_the_check(app):
    """Hold both threads just before the query that counts the other admins."""
    barrier = threading.Barrier(2, timeout=10)

    def wait(conn, cursor, statement, *args):
        if (threading.current_thread() is not threading.main_thread()
                and "FROM staff_users" in statement and "LIKE" in statement):
            barrier.wait()

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", wait)
    yield
    event.remove(engine, "before_cursor_execute", wait)


@pytest.mark.parametrize("change", ["demote", "disable"])
def test_two_admins_removing_each_other_leave_one(session, run_threads, meet_at_the_check,
                                                  change):
    for username in ("ann", "bob"):
        services.create_staff_user(session, username=username, name=username,
                                   password="secret123", roles=("admin",))
    session.commit()
    pairs = [("ann", "bob"), ("bob", "ann")]

    def remove(i):
        actor_name, target_name = pairs[i]
        actor = services.find_staff(db.session, actor_name)
        target = services.find_staff(db.session, target_name)
        try:
            if change == "demote":
                services.set_staff_roles(db.session, target, ("finance",),
                                         actor=f"staff:{actor.id}", reason="调岗")
            else:
                services.set_staff_active(db.session, target_name, False,
                                          actor=f"staff:{actor.id}", reason="离职")
            db.session.commit()
            return "done"
        except ValidationError:
            db.session.rollback()
            return "refused"

    outcomes = run_threads(2, remove)
    assert sorted(outcomes) == ["done", "refused"]
    session.rollback()
    admins = session.scalar(select(func.count()).select_from(StaffUser).where(
        StaffUser.active.is_(True), StaffUser.roles.contains("admin")))
    assert admins == 1
