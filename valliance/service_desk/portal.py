"""Member portal: 我的工单 (/me/service) — the member's tickets, reporting a fault or asking
for a service, one ticket with its updates, "还没解决" and the rating. The members package
links here by endpoint (its navigation); it never imports the desk."""

from flask import Blueprint, after_this_request, flash, redirect, render_template, url_for
from flask_login import current_user

from valliance.extensions import db, limiter
from valliance.i18n import _
from valliance.members.auth import member_required
from valliance.messaging import deliver_after_response
from valliance.service_desk import labels
from valliance.service_desk.models import NOTE_MAX, SUMMARY_MAX
from valliance.service_desk.portal_forms import RatingForm, ReopenForm, TicketForm
from valliance.service_desk.services import reads, tickets
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional

bp = Blueprint("service_portal", __name__, url_prefix="/me/service",
               template_folder="templates")


@bp.context_processor
def _helpers() -> dict:
    return {"FLASH": FLASH, "SUMMARY_MAX": SUMMARY_MAX, "NOTE_MAX": NOTE_MAX,
            "KIND_NAMES": labels.KIND_NAMES, **labels.HELPERS}


@bp.get("/")
@member_required
def tickets_list():
    """The member's tickets, newest first, and their account manager's name."""
    member_id = current_user.member.id
    manager = reads.manager_name(db.session, member_id)
    return render_template("service_desk/portal/tickets.html", manager=manager, tickets=[
        reads.as_member_sees(ticket, manager)
        for ticket in reads.member_tickets(db.session, member_id)])


def _per_member() -> str:
    # per member, not per address: a carrier's NAT puts many members behind one address
    return f"portal-tickets:{current_user.get_id()}"


@bp.route("/new", methods=["GET", "POST"])
@member_required
@limiter.limit("10 per minute", methods=["POST"], key_func=lambda: _per_member())
@transactional
def new_ticket():
    """报修 / 办理业务: one ticket; the member is texted after the commit."""
    member, form = current_user.member, TicketForm()
    if not form.is_submitted():
        form.contact_phone.data = member.phone
    page = on_error(form, lambda: render_template("service_desk/portal/new.html", form=form))
    if not form.validate_on_submit():
        return page()
    ticket = tickets.open_ticket(db.session, member, channel="portal", **form.values())
    after_this_request(deliver_after_response)
    flash(_("已受理，承诺%(when)s前处理", when=labels.moment(ticket.due_at)), FLASH)
    return redirect(url_for(".ticket", ticket_id=ticket.id))


def _ticket_page(ticket_id: str, reopen: ReopenForm | None = None,
                 rate: RatingForm | None = None):
    ticket = tickets.member_ticket(db.session, current_user.member.id, ticket_id)
    return render_template(
        "service_desk/portal/ticket.html",
        ticket=reads.as_member_sees(ticket, reads.manager_name(db.session, ticket.member_id)),
        events=reads.member_events(db.session, ticket.id),
        reopen=reopen or ReopenForm(formdata=None), rate=rate or RatingForm(formdata=None))


@bp.get("/<ticket_id>")
@member_required
def ticket(ticket_id: str):
    """One ticket: its status, the promise, the updates meant for the member."""
    return _ticket_page(ticket_id)


def _member_act(ticket_id: str, form, bound: str, act, done: str):
    """Run the member's action on their ticket (one service); back to the ticket, or the
    ticket page again with the error by its field."""
    page = on_error(form, lambda: _ticket_page(ticket_id, **{bound: form}))
    if not form.validate_on_submit():
        return page()
    act(current_user.member.id)
    flash(done, FLASH)
    return redirect(url_for(".ticket", ticket_id=ticket_id))


@bp.post("/<ticket_id>/reopen")
@member_required
@transactional
def reopen(ticket_id: str):
    """还没解决: the resolved ticket goes back to the desk, its clock running on."""
    form = ReopenForm()
    return _member_act(ticket_id, form, "reopen", lambda member_id: tickets.member_reopen(
        db.session, member_id, ticket_id, note=form.note.data),
        _("已收到，工单已重新交给工程师处理。"))


@bp.post("/<ticket_id>/rate")
@member_required
@transactional
def rate(ticket_id: str):
    """The member's rating of a resolved ticket, once."""
    form = RatingForm()
    return _member_act(ticket_id, form, "rate", lambda member_id: tickets.rate_ticket(
        db.session, member_id, ticket_id, score=form.score_value(),
        comment=form.comment.data), _("谢谢您的评价！"))
