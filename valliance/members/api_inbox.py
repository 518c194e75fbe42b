"""Member API: the portal inbox (campaigns, programmes, the service desk write to it)."""

from flask import request

from valliance.api_support import load
from valliance.errors import NotFound, ValidationError
from valliance.extensions import db
from valliance.members.api import BAD_CURSOR, MAX_ID, SECURITY, bp, current_member
from valliance.members.schemas import InboxMessageOut, InboxOut, InboxQuery, UnreadOut
from valliance.members.services import inbox


def _cursor(text: str | None, error) -> int | None:
    """An id from the query string or the path; `error` raised for anything else."""
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ID:
        raise error
    return int(text)


@bp.route("/inbox", methods=["GET"])
@bp.doc(summary="Inbox messages, newest first, and the unread count", security=SECURITY,
        parameters=[{"in": "query", "schema": InboxQuery}])
@bp.response(200, InboxOut)
def inbox_list():
    """One page of the member's inbox (cursor: `next` → `before`)."""
    member = current_member()
    args = load(InboxQuery, {key: request.args.get(key) for key in request.args})
    before = _cursor(args.get("before"), ValidationError(details={"before": [BAD_CURSOR]}))
    return inbox.inbox_page(db.session, member.id, limit=args["limit"], before=before)


@bp.route("/inbox/<message_id>/read", methods=["POST"])
@bp.doc(summary="Mark one message read", security=SECURITY)
@bp.response(200, InboxMessageOut)
@bp.alt_response(404, description="no such message of this member")
def inbox_read(message_id: str):
    """Mark the member's message read; the message (another member's: 404)."""
    member = current_member()
    number = _cursor(message_id, NotFound(inbox.NO_MESSAGE))
    message = inbox.mark_read(db.session, member.id, number)
    db.session.commit()
    return message


@bp.route("/inbox/read-all", methods=["POST"])
@bp.doc(summary="Mark every message read", security=SECURITY)
@bp.response(200, UnreadOut)
def inbox_read_all():
    """Mark all the member's messages read."""
    member = current_member()
    inbox.mark_all_read(db.session, member.id)
    db.session.commit()
    return {"unread": 0}
