"""The demo's expiry reminders: members with points expiring in the coming weeks (reminded),
members whose points expired today after their reminders (half spent part first); the ledger
and settlement still verify; seeding again adds nothing."""

from sqlalchemy import func, select

from valliance.db import utcnow
from valliance.marketing.expiry_models import ExpiryReminder
from valliance.marketing.services.expiry_report import expiry_report


def test_the_demo_has_reminders_sent_and_points_expired_and_spent(app, session):
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--force", "--json"])
    assert result.exit_code == 0, result.output
    report = expiry_report(session, now=utcnow(), point_value_fen=1)
    by_stage = {s.stage: s for s in report.stages}
    assert by_stage[30].messages >= 16 and by_stage[7].messages >= 8
    assert by_stage[30].spent > 0 and by_stage[30].expired > 0 and by_stage[30].pending > 0
    assert report.breakage == by_stage[7].expired > 0
    assert app.test_cli_runner().invoke(args=["ledger", "verify"]).exit_code == 0
    count = session.scalar(select(func.count()).select_from(ExpiryReminder))
    again = app.test_cli_runner().invoke(args=["demo", "seed", "--force", "--json"])
    assert again.exit_code == 0
    session.rollback()
    assert session.scalar(select(func.count()).select_from(ExpiryReminder)) == count
