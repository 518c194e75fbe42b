"""Staff accounts and their roles (admin): create, change roles, disable or enable, set a new
password; every change through valliance.staff.services, audited with who and why.

A password the page makes is shown once, on the answer to the POST that made it (never put in
the session cookie, never shown again); the admin hands it over.
"""

from flask import flash, redirect, render_template, url_for

from valliance.backoffice.services import audit_log
from valliance.backoffice.views import audit_labels, bp
from valliance.backoffice.views.staff_account_forms import (
    ActiveForm,
    CreateStaffForm,
    PasswordForm,
    PhoneForm,
    RolesForm,
)
from valliance.extensions import db
from valliance.i18n import _
from valliance.staff import services
from valliance.staff.auth import current_staff
from valliance.staff.roles import ADMIN, role_required
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional


def _actor() -> str:
    return f"staff:{current_staff().id}"


def _list_page(form: CreateStaffForm | None = None):
    return render_template("backoffice/staff_accounts.html", accounts=services.list_staff(
        db.session), form=form or CreateStaffForm(formdata=None))


def _account_page(staff_id: str, **forms):
    staff = services.get_staff(db.session, staff_id)
    forms.setdefault("roles_form", RolesForm(formdata=None, roles=list(staff.role_list)))
    forms.setdefault("active_form", ActiveForm(formdata=None))
    forms.setdefault("password_form", PasswordForm(formdata=None))
    forms.setdefault("phone_form", PhoneForm(formdata=None, phone=staff.phone or ""))
    return render_template("backoffice/staff_account.html", staff=staff, labels=audit_labels,
                           trail=audit_log.staff_trail(db.session, staff.id), **forms)


def _shown_once(staff, password: str):
    html = render_template("backoffice/staff_password.html", staff=staff, password=password)
    return html, 200, {"Cache-Control": "no-store"}


@bp.get("/accounts")
@role_required(ADMIN)
def staff_accounts():
    """Every staff account, and the form that adds one."""
    return _list_page()


@bp.post("/accounts")
@role_required(ADMIN)
@transactional
def staff_account_create():
    """Add a staff account; a blank password is made here and shown once."""
    form = CreateStaffForm()
    page = on_error(form, lambda: _list_page(form))
    if not form.validate_on_submit():
        return page()
    password = form.password.data or services.new_password()
    staff = services.create_staff_user(
        db.session, username=form.username.data, name=form.name.data, password=password,
        roles=form.roles.data, actor=_actor(), reason=form.reason.data or "")
    if not form.password.data:
        return _shown_once(staff, password)
    flash(_("已创建员工账号：%(name)s", name=staff.name), FLASH)
    return redirect(url_for("backoffice.staff_account", staff_id=staff.id))


@bp.get("/accounts/<staff_id>")
@role_required(ADMIN)
def staff_account(staff_id: str):
    """One account: its roles, whether it may sign in, its password, and its audit trail."""
    return _account_page(staff_id)


@bp.post("/accounts/<staff_id>/roles")
@role_required(ADMIN)
@transactional
def staff_account_roles(staff_id: str):
    """Change the roles (with the reason); the last active admin keeps theirs."""
    form = RolesForm()
    page = on_error(form, lambda: _account_page(staff_id, roles_form=form))
    if not form.validate_on_submit():
        return page()
    staff = services.set_staff_roles(db.session, services.get_staff(db.session, staff_id),
                                     form.roles.data, actor=_actor(), reason=form.reason.data)
    flash(_("已更新角色：%(name)s", name=staff.name), FLASH)
    return redirect(url_for("backoffice.staff_account", staff_id=staff_id))


@bp.post("/accounts/<staff_id>/<any(disable, enable):change>")
@role_required(ADMIN)
@transactional
def staff_account_active(staff_id: str, change: str):
    """Disable (their sessions end at once) or enable an account, with the reason."""
    form = ActiveForm()
    page = on_error(form, lambda: _account_page(staff_id, active_form=form))
    if not form.validate_on_submit():
        return page()
    staff = services.set_staff_active(
        db.session, services.get_staff(db.session, staff_id).username, change == "enable",
        actor=_actor(), reason=form.reason.data)
    flash(_("已启用：%(name)s", name=staff.name) if staff.active
          else _("已停用：%(name)s", name=staff.name), FLASH)
    return redirect(url_for("backoffice.staff_account", staff_id=staff_id))


@bp.post("/accounts/<staff_id>/password")
@role_required(ADMIN)
@transactional
def staff_account_password(staff_id: str):
    """Set a new password (the admin's, or one made here and shown once); sessions end."""
    form = PasswordForm()
    page = on_error(form, lambda: _account_page(staff_id, password_form=form))
    if not form.validate_on_submit():
        return page()
    staff = services.get_staff(db.session, staff_id)
    password = services.reset_password(db.session, staff, actor=_actor(),
                                       reason=form.reason.data, password=form.password.data)
    if not form.password.data:
        return _shown_once(staff, password)
    flash(_("已设置新密码：%(name)s", name=staff.name), FLASH)
    return redirect(url_for("backoffice.staff_account", staff_id=staff_id))


@bp.post("/accounts/<staff_id>/phone")
@role_required(ADMIN)
@transactional
def staff_account_phone(staff_id: str):
    """Set or clear the mobile phone that campaign test sends go to (with the reason)."""
    form = PhoneForm()
    page = on_error(form, lambda: _account_page(staff_id, phone_form=form))
    if not form.validate_on_submit():
        return page()
    staff = services.set_staff_phone(db.session, services.get_staff(db.session, staff_id),
                                     form.phone.data, actor=_actor(), reason=form.reason.data)
    flash(_("已保存手机号：%(name)s", name=staff.name), FLASH)
    return redirect(url_for("backoffice.staff_account", staff_id=staff_id))
