"""The audit log's hash chain: `flask audit verify`, the triggers that refuse UPDATE and DELETE,
tampering that goes around them (it is caught, naming the first broken link), and writers in
parallel (one chain: no fork, no gap)."""

import json

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from valliance.audit import GENESIS, AuditEvent, record_event, verify_chain
from valliance.extensions import db

ON_POSTGRES_ONLY = pytest.mark.postgres_only


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def write_events(app, n: int = 4) -> None:
    with app.app_context():
        for i in range(1, n + 1):
            record_event(db.session, actor="cli", action="test.write", subject=f"obj_{i}",
                         reason=f"第{i}条", n=i, who="张三")
        db.session.commit()
        db.session.remove()


def tamper(app, *statements: str) -> None:
    """Run SQL the triggers would refuse, with the triggers out of the way (PostgreSQL: as a
    replica, which fires no ordinary trigger — what a superuser could do; SQLite: dropped)."""
    with app.app_context():
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            else:
                conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
                conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
            for statement in statements:
                conn.execute(text(statement))
        db.session.remove()


def verify_json(app) -> tuple[int, dict]:
    result = run(app, "audit", "verify", "--json")
    return result.exit_code, json.loads(result.stdout)


def test_an_intact_chain_verifies(app):
    write_events(app, 4)
    assert verify_json(app) == (0, {"ok": True, "links": 4})
    result = run(app, "audit", "verify")
    assert result.exit_code == 0 and "4" in result.output


def test_an_empty_log_verifies(app):
    assert verify_json(app) == (0, {"ok": True, "links": 0})


def test_links_point_back_in_order(session, app):
    write_events(app, 3)
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert events[1].reason == "第2条"


def test_a_changed_detail_is_named(app):
    write_events(app, 4)
    tamper(app, "UPDATE audit_events SET detail = '{\"n\": 99}' WHERE seq = 2")
    code, answer = verify_json(app)
    assert code == 1
    message = answer.pop("message")
    assert answer == {"error": "audit_chain_broken", "ok": False, "links": 1, "broken_seq": 2,
                      "problem": "changed after it was written"}
    assert "2" in message
    result = run(app, "audit", "verify")
    assert result.exit_code == 1 and "2" in result.output


def test_a_changed_reason_is_named(app):
    write_events(app, 3)
    tamper(app, "UPDATE audit_events SET reason = '没有原因' WHERE seq = 3")
    assert verify_json(app)[1]["broken_seq"] == 3


def test_a_deleted_middle_row_is_named(app):
    write_events(app, 4)
    tamper(app, "DELETE FROM audit_events WHERE seq = 2")
    code, answer = verify_json(app)
    assert code == 1
    assert (answer["broken_seq"], answer["problem"], answer["links"]) == (2, "missing link", 1)


def test_two_rows_swapped_are_named(app):
    write_events(app, 4)
    tamper(app, "UPDATE audit_events SET seq = -1 WHERE seq = 2",
           "UPDATE audit_events SET seq = 2 WHERE seq = 3",
           "UPDATE audit_events SET seq = 3 WHERE seq = -1")
    code, answer = verify_json(app)
    assert code == 1
    assert (answer["broken_seq"], answer["problem"]) == (2, "points to the wrong link")


def test_a_rehashed_row_still_breaks_the_next_link(app):
    """Rewriting a row and its own hash consistently is caught by the row after it."""
    write_events(app, 3)
    # (a different first character: 'f' || … changed nothing when the hash began with f)
    tamper(app, "UPDATE audit_events SET hash = CASE WHEN substr(hash, 1, 1) = 'f' THEN 'e' "
                "ELSE 'f' END || substr(hash, 2) WHERE seq = 2")
    code, answer = verify_json(app)
    assert code == 1 and answer["broken_seq"] == 2  # its stored hash no longer matches
    tamper(app, "UPDATE audit_events SET prev_hash = (SELECT hash FROM audit_events WHERE seq = 2)"
                " WHERE seq = 3")
    assert verify_json(app)[1]["broken_seq"] == 2


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET reason = 'changed' WHERE seq = 1",
    "UPDATE audit_events SET detail = '{}'",
    "DELETE FROM audit_events WHERE seq = 1",
    "DELETE FROM audit_events",
])
def test_the_database_refuses_update_and_delete(app, session, statement):
    write_events(app, 2)
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text(statement))
        session.flush()
    session.rollback()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == 2
    assert verify_chain(session).ok


def test_the_orm_cannot_change_a_row_either(app, session):
    write_events(app, 1)
    event = session.scalar(select(AuditEvent))
    event.reason = "改一下"
    with pytest.raises(DBAPIError, match="append-only"):
        session.commit()
    session.rollback()


@ON_POSTGRES_ONLY
def test_writers_in_parallel_make_one_chain(app, run_threads):
    threads, each = 8, 6

    def write(i):
        for j in range(each):
            record_event(db.session, actor=f"staff:stf_{i}", action="test.parallel",
                         subject=f"obj_{i}_{j}", reason="并发")
            db.session.commit()

    run_threads(threads, write)
    with app.app_context():
        seqs = db.session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
        prevs = db.session.scalars(select(AuditEvent.prev_hash)).all()
        report = verify_chain(db.session)
        db.session.remove()
    assert seqs == list(range(1, threads * each + 1))  # contiguous, no gap
    assert len(set(prevs)) == len(prevs)  # no fork: no two rows after the same one
    assert report.ok and report.links == threads * each


@ON_POSTGRES_ONLY
def test_writers_in_parallel_with_rollbacks_leave_no_gap(app, run_threads):
    """A writer that rolls back after taking a place leaves no hole: the next takes it."""

    def write(i):
        for j in range(4):
            record_event(db.session, actor="cli", action="test.parallel", subject=f"o{i}{j}")
            if (i + j) % 3 == 0:
                db.session.rollback()
            else:
                db.session.commit()

    run_threads(6, write)
    with app.app_context():
        report = verify_chain(db.session)
        count = db.session.scalar(select(func.count()).select_from(AuditEvent))
        db.session.remove()
    assert report.ok and report.links == count > 0


@pytest.mark.parametrize("seq", [0, -7])
def test_a_row_slipped_in_before_the_first_link_is_named(app, seq):
    """INSERT is what the app may do (the triggers refuse only UPDATE and DELETE): a row
    with a place before 1 is no link of the chain, and verify says so."""
    write_events(app, 2)
    with app.app_context():
        db.session.execute(text(
            "INSERT INTO audit_events (created_at, actor, action, subject, detail, reason, seq, "
            "prev_hash, hash) VALUES (:now, 'cli', 'staff.create', 'stf_x', '{}', '', :seq, "
            ":genesis, :genesis)"), {"now": "2026-01-01 00:00:00", "seq": seq,
                                     "genesis": GENESIS})
        db.session.commit()
        db.session.remove()
    code, answer = verify_json(app)
    assert code == 1
    assert (answer["broken_seq"], answer["problem"]) == (seq, "not a link of the chain")
