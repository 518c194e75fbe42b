"""Merchant portal, owners only: terminals, staff accounts and the activity trail (offers are
in portal_offers)."""

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from valliance.audit import events_for_merchant
from valliance.errors import NotFound, VallianceError
from valliance.extensions import db
from valliance.input_guard import bounded_int
from valliance.merchants import services, users
from valliance.merchants.activity import describe
from valliance.merchants.models import MerchantUser, Terminal
from valliance.merchants.portal import FLASH, actor, bp, current_merchant, owner_required
from valliance.merchants.portal_forms import StaffForm, TerminalForm
from valliance.web.forms import ConfirmForm, show_error
from valliance.web.i18n import tr

AUDIT_PAGE = 50


def own(model, object_id: str):
    """One of the signed-in merchant's rows; anyone else's is simply not found."""
    row = db.session.get(model, object_id)
    if row is None or row.merchant_id != current_merchant().id:
        raise NotFound()
    return row


# --- terminals --------------------------------------------------------------------------


@bp.route("/terminals", methods=["GET", "POST"])
@owner_required
def terminals():
    """The shop's POS terminals; a new one's key is shown once, on the next page only."""
    form = TerminalForm()
    if form.validate_on_submit():
        terminal, key = services.create_terminal(db.session, current_merchant(), form.name.data,
                                                 actor=actor())
        db.session.commit()
        response = render_template("merchants/portal/terminal_key.html", terminal=terminal,
                                   key=key)
        return response, 201, {"Cache-Control": "no-store"}
    rows = db.session.scalars(select(Terminal).where(
        Terminal.merchant_id == current_merchant().id)
        .order_by(Terminal.revoked_at.is_not(None), Terminal.created_at.desc())).all()
    return render_template("merchants/portal/terminals.html", form=form, terminals=rows,
                           confirm=ConfirmForm())


@bp.post("/terminals/<terminal_id>/revoke")
@owner_required
def revoke_terminal(terminal_id: str):
    """Revoke a terminal's key: the till using it is refused from now on."""
    terminal = own(Terminal, terminal_id)
    if ConfirmForm().validate_on_submit() and terminal.revoked_at is None:
        services.revoke_terminal(db.session, terminal.id, actor=actor())
        db.session.commit()
        flash(tr(f"终端“{terminal.name}”已停用。", f"Terminal “{terminal.name}” revoked."), FLASH)
    return redirect(url_for("merchant_portal.terminals"))


# --- staff ------------------------------------------------------------------------------


@bp.route("/staff", methods=["GET", "POST"])
@owner_required
def staff():
    """Owners and cashiers who can sign in for this shop; add one, disable one."""
    form = StaffForm()
    if form.validate_on_submit():
        try:
            users.add_merchant_user(db.session, current_merchant(), phone=form.phone.data,
                                    name=form.name.data, password=form.password.data,
                                    role=form.role.data, actor=actor())
        except VallianceError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(tr("账号已添加，请把手机号和初始密码告诉本人。",
                     "Account added: give the phone number and first password to its owner."),
                  FLASH)
            return redirect(url_for("merchant_portal.staff"))
    rows = db.session.scalars(select(MerchantUser).where(
        MerchantUser.merchant_id == current_merchant().id)
        .order_by(MerchantUser.active.desc(), MerchantUser.role.desc(),
                  MerchantUser.created_at)).all()
    return render_template("merchants/portal/staff.html", form=form, people=rows,
                           confirm=ConfirmForm())


@bp.post("/staff/<user_id>/<any(enable, disable):change>")
@owner_required
def set_staff_active(user_id: str, change: str):
    """Disable a sign-in (signs that person out at once) or enable it again."""
    person = own(MerchantUser, user_id)
    if ConfirmForm().validate_on_submit():
        try:
            users.set_user_active(db.session, person, change == "enable", actor=actor())
        except VallianceError as exc:
            db.session.rollback()
            flash(" ".join(m for ms in (exc.details or {}).values() for m in ms)
                  or exc.message, "portal-error")
        else:
            db.session.commit()
    return redirect(url_for("merchant_portal.staff"))


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
