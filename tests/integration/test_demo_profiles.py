"""The demo's members have birthdays (about 70 %) and consent to marketing (about 60 %), set
through the services (audited), and each printed login has messages in the inbox."""

import json

from sqlalchemy import func, select

from valliance.audit import AuditEvent
from valliance.members.models import InboxMessage, Member


def test_demo_members_have_birthdays_consent_and_the_logins_an_inbox(app, session):
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--force", "--json"])
    assert result.exit_code == 0, result.output
    logins = {login["phone"] for login in json.loads(result.stdout)["logins"]}
    members = session.scalars(select(Member)).all()
    with_birthday = [m for m in members if m.birth_month is not None]
    assert 0.55 <= len(with_birthday) / len(members) <= 0.85
    assert all(m.birth_day is not None for m in with_birthday)
    opted = [m for m in members if m.marketing_opt_in]
    assert 0.45 <= len(opted) / len(members) <= 0.75
    # each birthday given is audited (the birthday care demo changes one login's: two events)
    assert session.scalar(select(func.count(func.distinct(AuditEvent.subject))).where(
        AuditEvent.action == "member.birthday")) == len(with_birthday)
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "member.marketing_opt_in")) == len(opted)
    # the logins' inbox has the profiles' three (two unread) besides what the programmes send
    # (greetings, reminders: demo/care.py, demo/expiry.py)
    for member in members:
        messages = session.scalars(select(InboxMessage).where(
            InboxMessage.member_id == member.id)).all()
        if member.phone in logins:
            assert len(messages) >= 3 and member.birth_month is not None
            assert sum(m.read_at is None for m in messages) >= 2
    seeded = session.scalar(select(func.count()).select_from(InboxMessage))
    again = app.test_cli_runner().invoke(args=["demo", "seed", "--force", "--json"])
    assert again.exit_code == 0
    assert session.scalar(select(func.count()).select_from(InboxMessage)) == seeded
