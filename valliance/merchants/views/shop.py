"""Merchant portal, owners only: terminals, staff accounts and the activity trail (offers are
in views/offers)."""

from flask import flash, redirect, render_template, request, url_for

from valliance.audit import events_for_merchant
from valliance.extensions import db
from valliance.i18n import _
from valliance.input_guard import bounded_int
from valliance.merchants.forms import StaffForm, TerminalForm
from valliance.merchants.models import MerchantUser, Terminal
from valliance.merchants.services import merchant_users
from valliance.merchants.services import terminals as pos_terminals
from valliance.merchants.services.activity import describe
from valliance.merchants.views.portal import actor, bp, current_merchant, own, owner_required
from valliance.web.forms import ConfirmForm
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional

AUDIT_PAGE = 50


# --- terminals --------------------------------------------------------------------------


def _terminals_page(form: TerminalForm) -> str:
    rows = pos_terminals.list_terminals(db.session, current_merchant().id, live_first=True)
    return render_template("merchants/portal/terminals.html", form=form, terminals=rows,
                           confirm=ConfirmForm())


@bp.route("/terminals", methods=["GET", "POST"])
@owner_required
@transactional
def terminals():
    """The shop's POS terminals; a new one's key is shown once, on the next page only."""
    form = TerminalForm()
    page = on_error(form, lambda: _terminals_page(form))
    if form.validate_on_submit():
        terminal, key = pos_terminals.create_terminal(db.session, current_merchant(),
                                                      form.name.data, actor=actor())
        response = render_template("merchants/portal/terminal_key.html", terminal=terminal,
                                   key=key)
        return response, 201, {"Cache-Control": "no-store"}
    return page()


@bp.post("/terminals/<terminal_id>/revoke")
@owner_required
@transactional
def revoke_terminal(terminal_id: str):
    """Revoke a terminal's key: the till using it is refused from now on."""
    terminal = own(Terminal, terminal_id)
    if ConfirmForm().validate_on_submit() and terminal.revoked_at is None:
        pos_terminals.revoke_terminal(db.session, terminal.id, actor=actor())
        flash(_("终端“%(name)s”已停用。", name=terminal.name), FLASH)
    return redirect(url_for("merchant_portal.terminals"))


# --- staff ------------------------------------------------------------------------------


def _staff_page(form: StaffForm) -> str:
    rows = merchant_users.list_merchant_users(db.session, current_merchant().id)
    return render_template("merchants/portal/staff.html", form=form, people=rows,
                           confirm=ConfirmForm())


@bp.route("/staff", methods=["GET", "POST"])
@owner_required
@transactional
def staff():
    """Owners and cashiers who can sign in for this shop; add one, disable one."""
    form = StaffForm()
    page = on_error(form, lambda: _staff_page(form))
    if form.validate_on_submit():
        merchant_users.add_merchant_user(
            db.session, current_merchant(), phone=form.phone.data, name=form.name.data,
            password=form.password.data, role=form.role.data, actor=actor())
        flash(_("账号已添加，请把手机号和初始密码告诉本人。"),
              FLASH)
        return redirect(url_for("merchant_portal.staff"))
    return page()


def _back_to_staff(confirm: ConfirmForm):
    """The staff list, with why a change was refused (if it was) above it."""
    if confirm.form_errors:
        flash(" ".join(confirm.form_errors), "portal-error")
    return redirect(url_for("merchant_portal.staff"))


@bp.post("/staff/<user_id>/<any(enable, disable):change>")
@owner_required
@transactional
def set_staff_active(user_id: str, change: str):
    """Disable a sign-in (signs that person out at once) or enable it again."""
    person = own(MerchantUser, user_id)
    confirm = ConfirmForm()
    page = on_error(confirm, lambda: _back_to_staff(confirm))
    if confirm.validate_on_submit():
        merchant_users.set_user_active(db.session, person, change == "enable", actor=actor())
    return page()


@bp.get("/activity")
@owner_required
def activity():
    """Who changed what in this shop, as sentences: offers, terminals, staff, refunds."""
    before = request.args.get("before", type=bounded_int(1))
    events = events_for_merchant(db.session, current_merchant().id, limit=AUDIT_PAGE + 1,
                                 before=before)
    older = events[AUDIT_PAGE - 1].id if len(events) > AUDIT_PAGE else None
    lines = describe(db.session, current_merchant().id, events[:AUDIT_PAGE])
    return render_template("merchants/portal/activity.html", lines=lines, older=older)
