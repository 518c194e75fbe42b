"""The merchant portal's blueprint: sign-in for owners and cashiers, and the guards its pages
share. Owners run offers, terminals and staff; cashiers see sales and refund them."""

from functools import wraps

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from valliance import sign_in
from valliance.db import SHANGHAI
from valliance.errors import NotFound, VallianceError
from valliance.extensions import db
from valliance.extensions import login as login_manager
from valliance.i18n import N_, _, bilingual, label_text
from valliance.members.forms import LoginForm, PasswordForm
from valliance.members.labels import tier_name
from valliance.members.services import normalize_phone
from valliance.merchants import labels
from valliance.merchants.models import Merchant, MerchantUser
from valliance.merchants.services import merchant_users
from valliance.money import format_yuan
from valliance.sign_in import login_rate_limits
from valliance.web.forms import ConfirmForm
from valliance.web.navigation import FLASH, safe_next
from valliance.web.transactions import on_error, transactional

bp = Blueprint("merchant_portal", __name__, url_prefix="/merchant",
               template_folder="../templates")
ROLE_LABELS = {"owner": (N_("店主"), "Owner"), "cashier": (N_("收银员"), "Cashier")}


class MerchantSignedIn(sign_in.SignedInUser):
    """A signed-in owner or cashier; signed out as soon as the merchant is not approved."""

    kind = "merchant_user"
    is_merchant_user = True

    @property
    def user(self) -> MerchantUser:
        return self.record

    @property
    def is_active(self) -> bool:
        return self.record.active and self.record.merchant.status == "approved"


def register_sign_in() -> None:
    sign_in.register("merchant_user", MerchantUser, MerchantSignedIn,
                     "merchant_portal.login", blueprint=bp.name)


@bp.context_processor
def _helpers() -> dict:
    return {"yuan": format_yuan, "FLASH": FLASH, "tier_name": tier_name,
            **labels.HELPERS, "role_label": lambda r: label_text(ROLE_LABELS[r]),
            "shanghai": lambda when: when.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")}


def current_staff() -> MerchantUser:
    return current_user.user


def current_merchant() -> Merchant:
    return current_user.user.merchant


def actor() -> str:
    """How the audit trail names the signed-in user."""
    return f"merchant_user:{current_user.user.id}"


def merchant_required(view):
    """Let only a signed-in owner or cashier through; visitors go to the sign-in page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not getattr(current_user, "is_merchant_user", False):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def owner_required(view):
    """Owners only: a cashier gets 403."""

    @wraps(view)
    @merchant_required
    def wrapped(*args, **kwargs):
        if current_user.user.role != "owner":
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def own(model, object_id: str):
    """One of the signed-in merchant's rows; anyone else's is simply not found."""
    row = db.session.get(model, object_id)
    if row is None or row.merchant_id != current_merchant().id:
        raise NotFound()
    return row


#: the sign-in and the application (a re-applicant's password) share one count of failures
SIGN_IN_SCOPE = "merchant-sign-in"


def login_phone(field: str = "phone") -> str:
    """The account a merchant sign-in attempt names: the posted phone, normalized, so that
    +86… and 0086… are the same phone's attempts."""
    try:
        return "merchant-login:" + normalize_phone(request.form.get(field, ""))
    except VallianceError:
        return "merchant-login:invalid"


def _check_password(form: LoginForm) -> MerchantUser | None:
    """The user who signs in with this form, or None; what went wrong goes on the form (a
    wrong password) or in g.refused (the right password, but the portal is closed to them)."""
    try:
        user = merchant_users.sign_in_merchant_user(db.session, form.phone.data,
                                                    form.password.data)
    except merchant_users.SignInRefused as refused:
        g.refused = refused  # not a failed attempt: the password was right
        return None
    if user is None:
        g.login_failed = True
        form.form_errors.append(bilingual("手机号或密码错误"))
    return user


@bp.route("/login", methods=["GET", "POST"])
@login_rate_limits(login_phone, scope=SIGN_IN_SCOPE, kind="merchant")
@transactional
def login():
    """Sign in with the mobile number and password; a merchant still under review or turned
    down is told so (and how to apply again) once the password is right."""
    if request.method == "GET" and getattr(current_user, "is_merchant_user", False):
        return redirect(url_for("merchant_portal.dashboard"))
    form = LoginForm()
    user = _check_password(form) if form.validate_on_submit() else None
    if user is not None:
        login_user(MerchantSignedIn(user))
        return redirect(safe_next(request.args.get("next"), url_for(
            "merchant_portal.dashboard")))
    return render_template("merchants/portal/login.html", form=form, refused=g.get("refused"))


@bp.post("/logout")
def logout():
    """Sign out (a POST with its CSRF token)."""
    if ConfirmForm().validate_on_submit():
        sign_in.sign_out()  # on the server too: a saved cookie stops working
    return redirect(url_for("merchant_portal.login"))


@bp.route("/password", methods=["GET", "POST"])
@merchant_required
@transactional
def password():
    """Change one's own password; every other session of this user is signed out."""
    form = PasswordForm()
    page = on_error(form, lambda: render_template("merchants/portal/password.html", form=form))
    if form.validate_on_submit():
        merchant_users.change_merchant_user_password(
            db.session, current_staff(), form.current_password.data, form.password.data)
        login_user(MerchantSignedIn(current_staff()))  # this session stays signed in
        flash(_("密码已修改。"), FLASH)
        return redirect(url_for("merchant_portal.dashboard"))
    return page()

