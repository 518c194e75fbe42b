"""Member portal: the inbox (消息中心) — messages newest first, 20 a page; opening one reads it;
the unread count on the portal's nav link (one query a page, only where the nav shows)."""

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from valliance.db import SHANGHAI
from valliance.errors import NotFound
from valliance.extensions import db
from valliance.i18n import _
from valliance.input_guard import bounded_int
from valliance.members.auth import member_required
from valliance.members.services import inbox
from valliance.members.views import bp
from valliance.web.forms import ConfirmForm
from valliance.web.navigation import FLASH
from valliance.web.transactions import transactional


def unread_badge() -> int:
    """The signed-in member's unread messages, counted once per request (0 for anyone else)."""
    if "inbox_unread" not in g:
        member = getattr(current_user, "member", None) if current_user.is_authenticated else None
        g.inbox_unread = inbox.unread_count(db.session, member.id) if member else 0
    return g.inbox_unread


@bp.app_context_processor
def _badge() -> dict:
    # a function, not a number: pages without the portal's nav never count
    return {"inbox_unread": unread_badge}


@bp.get("/inbox")
@member_required
def inbox_list():
    """The member's messages, newest first; unread ones marked; "更早的消息" pages on."""
    before = request.args.get("before", type=bounded_int(1))
    page = inbox.inbox_page(db.session, current_user.member.id, before=before)
    g.inbox_unread = page.unread
    return render_template("members/inbox.html", page=page, before=before, tz=SHANGHAI,
                           read_all=ConfirmForm())


@bp.get("/inbox/<int:message_id>")
@member_required
@transactional
def inbox_message(message_id: int):
    """One message, whole; opening it marks it read."""
    if message_id > inbox.MAX_ID:
        raise NotFound(inbox.NO_MESSAGE)
    message = inbox.mark_read(db.session, current_user.member.id, message_id)
    return render_template("members/inbox_message.html", message=message, tz=SHANGHAI)


@bp.post("/inbox/read-all")
@member_required
@transactional
def inbox_read_all():
    """"全部标为已读": every unread message of the member read."""
    if ConfirmForm().validate_on_submit():
        inbox.mark_all_read(db.session, current_user.member.id)
        flash(_("已全部标为已读。"), FLASH)
    return redirect(url_for("members.inbox_list"))
