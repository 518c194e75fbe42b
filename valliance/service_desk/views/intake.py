"""Opening a ticket for a member who phones in: find them by phone or card, then the same
fields as the member's own form, the contact phone prefilled from the member."""

from flask import after_this_request, flash, redirect, render_template, request, url_for

from valliance.extensions import db
from valliance.i18n import bilingual
from valliance.messaging import deliver_after_response
from valliance.service_desk.services import callers
from valliance.service_desk.views import bp
from valliance.service_desk.views.forms import FindForm, IntakeForm, with_choices
from valliance.staff.auth import current_staff
from valliance.staff.roles import SERVICE_DESK, role_required
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional


def _page(find: FindForm, form: IntakeForm | None = None, member=None):
    recent = callers.recent_tickets(db.session, member.id) if member else []
    return render_template("service_desk/intake.html", find=find, form=form, member=member,
                           recent=recent)


def _form_for(member) -> IntakeForm:
    return with_choices(IntakeForm(formdata=None, data={
        "member_id": member.id, "contact_phone": member.phone}), db.session)


@bp.get("/new", endpoint="intake")
@role_required(SERVICE_DESK)
@transactional
def intake_page():
    """The search for the caller; once found, the ticket's form for them."""
    find = FindForm(request.args)
    page = on_error(find, lambda: _page(find))
    if not find.q.data:
        return page()
    ticket = callers.ticket_by_number(db.session, find.q.data)
    if ticket is not None:  # the caller read out their ticket's number
        return redirect(url_for("desk.ticket", ticket_id=ticket.id))
    member = callers.find_caller(db.session, find.q.data)
    return _page(find, _form_for(member), member)


@bp.post("/new")
@role_required(SERVICE_DESK)
@transactional
def open_for_caller():
    """Open the ticket in the member's name (channel desk, opened by this staff user)."""
    form = with_choices(IntakeForm(), db.session)
    page = on_error(form, lambda: _page(FindForm(formdata=None), form,
                                        callers.get_member(db.session, form.member_id.data)))
    if not form.validate_on_submit():
        return page()
    ticket = callers.open_for_caller(db.session, form.member_id.data, by=current_staff().id,
                                     **form.fields_for_service())
    after_this_request(deliver_after_response)
    flash(bilingual("已为会员开单：%(number)s", number=ticket.number), FLASH)
    return redirect(url_for("desk.ticket", ticket_id=ticket.id))
