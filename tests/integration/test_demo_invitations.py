"""The demo's old brings new: invitations rewarded, one below the minimum, one waiting, one
clawed back, one flagged self-referral attempt; the ledger and settlement still verify."""

from sqlalchemy import func, select

from valliance.invitations.models import Invitation, InvitationFlag


def test_the_demo_seeds_invitations_through_the_services(app, session):
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--force", "--json"])
    assert result.exit_code == 0, result.output
    statuses = dict(session.execute(select(Invitation.status, func.count())
                                    .group_by(Invitation.status)).all())
    assert statuses == {"rewarded": 3, "clawed_back": 1, "pending": 2}
    assert sorted(session.scalars(select(InvitationFlag.reason))) == [
        "clawback", "self_referral_attempt"]
    for command in (["ledger", "verify"], ["settlement", "verify"]):
        verified = app.test_cli_runner().invoke(args=command)
        assert verified.exit_code == 0, verified.output
