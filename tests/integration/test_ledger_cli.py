from sqlalchemy import text

from tests.integration.ledger_helpers import open_members, open_shop
from valliance.extensions import db
from valliance.points import ledger


def _some_activity(session):
    shop = open_shop(session)
    member = open_members(session, 1)[0]
    accrual = ledger.accrue(session, member_account=member, source_account=shop.issued,
                            points=100)
    ledger.redeem(session, member_account=member, merchant_account=shop.redeemed, points=30)
    session.commit()
    return accrual.transfer_id


def test_verify_passes_on_a_sound_ledger(app, session):
    _some_activity(session)
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert "ledger ok" in result.output


def _corrupt(session, statement):
    """Change a ledger row behind the triggers' back, as an attacker with SQL access could."""
    if db.engine.dialect.name == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))
        session.execute(text(statement))
        session.commit()
        return
    session.execute(text("DROP TRIGGER entries_no_update"))
    session.execute(text(statement))
    session.commit()


def test_verify_fails_with_a_report_on_a_corrupted_copy(app, session):
    transfer_id = _some_activity(session)
    _corrupt(session, f"UPDATE entries SET amount = amount + 5 WHERE transfer_id = {transfer_id}"
                      " AND amount > 0")
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 1
    assert "FAILED every transfer has one debit and one credit entry matching it" in result.output
    assert "FAILED debits equal credits" in result.output


def test_verify_catches_a_stored_balance_that_drifted(app, session):
    _some_activity(session)
    session.execute(text("UPDATE accounts SET credits_posted = credits_posted + 1"
                         " WHERE kind = 'member'"))
    session.commit()
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 1
    assert "FAILED every member's stored totals equal the sum of its entries" in result.output
    assert "issued − redeemed − spent on bills − expired − outstanding = 0" in result.output
