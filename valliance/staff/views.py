"""Staff pages: sign-in and the merchant approval queue (each merchant's file, with its review
actions, is the back office's: backoffice.merchant)."""

from flask import (
    Blueprint,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user

from valliance import sign_in
from valliance.db import SHANGHAI
from valliance.extensions import db
from valliance.i18n import _, bilingual, label_text
from valliance.input_guard import bounded_int
from valliance.merchants.labels import category_name
from valliance.merchants.models import MERCHANT_STATUSES
from valliance.merchants.services import onboarding
from valliance.money import format_yuan
from valliance.sign_in import login_rate_limits
from valliance.staff import services
from valliance.staff.auth import StaffSignedIn
from valliance.staff.forms import StaffLoginForm
from valliance.staff.roles import MERCHANT_OPS, role_required
from valliance.web.forms import ConfirmForm
from valliance.web.navigation import FLASH, safe_next
from valliance.web.transactions import transactional

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates")
#: the queue's tabs, in this order: what needs doing first
TABS = ("pending", "approved", "rejected", "suspended")
assert set(TABS) == set(MERCHANT_STATUSES)
ALL = "all"  #: the tab of a search through every status


@bp.context_processor
def _helpers() -> dict:
    return {"FLASH": FLASH, "yuan": format_yuan, "tz": SHANGHAI,
            "status_name": lambda s: label_text(onboarding.STATUS_NAMES.get(s, (s, s))),
            "category_name": category_name}


def _login_key() -> str:
    return "staff-login:" + (request.form.get("username") or "").strip().lower()[:40]


@bp.route("/login", methods=["GET", "POST"])
@login_rate_limits(_login_key, kind="staff")
@transactional
def login():
    """Sign in with username and password; one answer whether the user exists or not."""
    if request.method == "GET" and getattr(current_user, "is_staff", False):
        return redirect(url_for("backoffice.dashboard"))
    form = StaffLoginForm()
    if form.validate_on_submit():
        staff = services.authenticate_staff(db.session, form.username.data, form.password.data)
        if staff is not None:
            login_user(StaffSignedIn(staff))
            target = request.args.get("next")
            return redirect(target if target and safe_next(target) == target
                            else url_for("backoffice.dashboard"))
        g.login_failed = True  # counts towards this username's limit, from any address
        form.form_errors.append(bilingual("用户名或密码错误"))
    return render_template("staff/login.html", form=form)


@bp.post("/logout")
def logout():
    """Sign out (a POST with its CSRF token)."""
    if ConfirmForm().validate_on_submit():
        sign_in.sign_out()  # on the server too: a saved cookie stops working
        flash(_("已退出登录。"), FLASH)
    return redirect(url_for("staff.login"))


@bp.get("/merchants")
@role_required(MERCHANT_OPS)
def merchants():
    """The approval queue: a tab per status (pending first), newest first, pages; a search
    looks through every status (the "all" tab) unless a tab is chosen."""
    q = (request.args.get("q") or "").strip()[:services.MAX_QUERY]
    status = request.args.get("status") or (ALL if q else "pending")
    if status not in TABS and status != ALL:
        status = "pending"
    page = services.merchant_queue(db.session, status=None if status == ALL else status, q=q,
                                page=request.args.get("page", 1, type=bounded_int(1)))
    return render_template("staff/merchants.html", tabs=TABS, status=status, q=q, page=page,
                           counts=services.status_counts(db.session, q), ALL=ALL)
