"""Migration 0016 chains the audit rows written before it (at 0015), in id order, so that
`flask audit verify` holds straight after the upgrade and new rows follow on; the append-only
triggers are in place; existing staff become admins."""

import json

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from valliance.audit import GENESIS, record_event, verify_chain
from valliance.extensions import db

ROWS = [  # as 0015's app wrote them: no reason, no place in a chain
    ("2026-11-01 08:00:00.123456", "staff:stf_a", "merchant.approve", "mer_1", None,
     {"note": "资料齐全"}),
    ("2026-11-02 09:30:00", "merchant_user:mus_1", "offer.update", "off_1", None,
     {"percent_off": 15}),
    ("2026-11-01 07:00:00.5", "cli", "staff.create", "stf_b", None, {}),  # older, later id
]


def _reset(session) -> None:
    session.rollback()
    db.session.remove()
    db.engine.dispose()  # (SQLite: no other connection while the schema changes)


@pytest.fixture
def at_0015(session):
    _reset(session)
    downgrade(revision="0015")
    try:
        yield db.session
    finally:
        _reset(db.session)
        upgrade()


def test_rows_written_before_0016_are_chained_and_verify(at_0015, app):
    conn = at_0015.connection()
    conn.execute(text("INSERT INTO staff_users (id, username, name, password_hash, active, "
                      "created_at, session_generation) VALUES ('stf_a', 'old', '老员工', 'x', "
                      ":yes, '2026-10-01 00:00:00', 0)"), {"yes": True})
    for created_at, actor, action, subject, merchant_id, detail in ROWS:
        conn.execute(text("INSERT INTO audit_events (created_at, actor, action, subject, "
                          "merchant_id, detail) VALUES (:c, :a, :ac, :s, :m, :d)"),
                     {"c": created_at, "a": actor, "ac": action, "s": subject, "m": merchant_id,
                      "d": json.dumps(detail, ensure_ascii=False)})
    at_0015.commit()
    _reset(at_0015)

    upgrade()

    session = db.session
    report = verify_chain(session)
    assert report.ok and report.links == 3
    chained = session.execute(text(
        "SELECT seq, action, prev_hash, hash, reason FROM audit_events ORDER BY seq")).all()
    assert [row.action for row in chained] == [r[2] for r in ROWS]  # id order, not time
    assert chained[0].prev_hash == GENESIS
    assert [row.prev_hash for row in chained[1:]] == [row.hash for row in chained[:-1]]
    assert {row.reason for row in chained} == {""}
    assert session.execute(text("SELECT roles FROM staff_users")).scalar_one() == "admin"

    record_event(session, actor="cli", action="test.after", subject="x", reason="升级后")
    session.commit()
    report = verify_chain(session)
    assert report.ok and report.links == 4

    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("UPDATE audit_events SET reason = 'x' WHERE seq = 1"))
    session.rollback()


def test_an_empty_log_upgrades_to_an_empty_chain(at_0015):
    _reset(at_0015)
    upgrade()
    assert verify_chain(db.session).ok
