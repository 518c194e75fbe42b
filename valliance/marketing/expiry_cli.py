"""`flask expiry remind`: send the reminders due before points expire (the daily job's work)."""

from flask.cli import AppGroup

from valliance.cli import JsonCommand, emit, json_option
from valliance.extensions import db
from valliance.marketing.expiry_jobs import remind_in_batches

expiry_cli = AppGroup("expiry", help="Reminders before members' points expire.")


@expiry_cli.command("remind", cls=JsonCommand)
@json_option
def remind_command(as_json: bool):
    """Remind members whose points expire within 30 or 7 days (once per stage), committing
    a batch of members at a time: {"members", "sent_30", "sent_7", "quiet"}."""
    try:
        result = remind_in_batches(db.session, commit=db.session.commit)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    emit(as_json, result, "quiet hours: nothing sent" if result["quiet"] else
         f"reminded {result['members']} members (30 days: {result['sent_30']}, "
         f"7 days: {result['sent_7']})")
