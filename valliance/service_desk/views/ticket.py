"""A ticket's page and the desk's actions on it: assign, move, resume, a note. Each action
calls one service of services.tickets; an error shows on the form it came from."""

from flask import after_this_request, flash, redirect, render_template, url_for

from valliance.extensions import db
from valliance.i18n import bilingual
from valliance.messaging import deliver_after_response
from valliance.service_desk.services import ticket_file, tickets
from valliance.service_desk.views import bp
from valliance.service_desk.views.forms import AssignForm, MoveForm, NoteForm, with_choices
from valliance.staff.auth import current_staff
from valliance.staff.roles import SERVICE_DESK, role_required
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional

MOVE_PATH = "<any(assigned, in_progress, waiting_member, resolved, closed, resume):move>"


def _page(ticket_id: str, bound: dict | None = None):
    """The ticket's page, with a bound form (its errors) in place of the fresh one."""
    found = ticket_file.ticket_file(db.session, ticket_id)
    forms = {"assign": with_choices(AssignForm(formdata=None, prefix="assign", data={
        "team_id": found.ticket.team_id or "", "assignee_id": found.ticket.assignee_id or ""}),
        db.session), "note": NoteForm(formdata=None, prefix="note")}
    forms.update({move: MoveForm(formdata=None, prefix=move) for move in found.moves})
    forms.update(bound or {})
    return render_template("service_desk/ticket.html", file=found, forms=forms)


def _done(ticket_id: str, message):
    after_this_request(deliver_after_response)  # the member's SMS, once committed
    flash(message, FLASH)
    return redirect(url_for("desk.ticket", ticket_id=ticket_id))


@bp.get("/tickets/<ticket_id>", endpoint="ticket")
@role_required(SERVICE_DESK)
def ticket_page(ticket_id: str):
    """The ticket, its member, its clock, its timeline and what the desk may do."""
    return _page(ticket_id)


@bp.post("/tickets/<ticket_id>/assign")
@role_required(SERVICE_DESK)
@transactional
def assign_ticket(ticket_id: str):
    """Give the ticket to a team and/or an engineer."""
    form = with_choices(AssignForm(prefix="assign"), db.session)
    page = on_error(form, lambda: _page(ticket_id, {"assign": form}))
    if not form.validate_on_submit():
        return page()
    tickets.assign_ticket(db.session, ticket_id, by=current_staff().id,
                          team_id=form.team_id.data or None,
                          assignee_id=form.assignee_id.data or None, note=form.note.data)
    return _done(ticket_id, bilingual("已派单"))


@bp.post(f"/tickets/<ticket_id>/status/{MOVE_PATH}")
@role_required(SERVICE_DESK)
@transactional
def move_ticket(ticket_id: str, move: str):
    """Move the ticket (only where tickets.MOVES lets it go from its status)."""
    form = MoveForm(prefix=move)
    page = on_error(form, lambda: _page(ticket_id, {move: form}))
    if not form.validate_on_submit():
        return page()
    tickets.change_status(db.session, ticket_id, move, by=current_staff().id,
                          note=form.note.data)
    return _done(ticket_id, bilingual("工单状态已更新"))


@bp.post("/tickets/<ticket_id>/notes")
@role_required(SERVICE_DESK)
@transactional
def add_note(ticket_id: str):
    """A note: internal (the desk only) or for the member (they are told)."""
    form = NoteForm(prefix="note")
    page = on_error(form, lambda: _page(ticket_id, {"note": form}))
    if not form.validate_on_submit():
        return page()
    tickets.add_note(db.session, ticket_id, by=current_staff().id, note=form.note.data,
                     visibility=form.visibility.data)
    return _done(ticket_id, bilingual("备注已添加"))

