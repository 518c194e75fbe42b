"""Staff pages: sign-in, the landing page, the merchant approval queue and merchant reviews."""

from flask import (
    Blueprint,
    after_this_request,
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
from valliance.errors import NotFound
from valliance.extensions import db
from valliance.i18n import N_, _, bilingual, label_text
from valliance.input_guard import bounded_int
from valliance.merchants.labels import category_name
from valliance.merchants.models import MERCHANT_STATUSES, Merchant
from valliance.merchants.services import onboarding
from valliance.messaging import deliver_pending
from valliance.money import format_yuan
from valliance.sign_in import login_rate_limits
from valliance.staff import services
from valliance.staff.auth import StaffSignedIn, current_staff
from valliance.staff.forms import ReviewForm, StaffLoginForm
from valliance.staff.roles import MERCHANT_OPS, role_required
from valliance.web.forms import ConfirmForm
from valliance.web.navigation import FLASH, safe_next
from valliance.web.transactions import on_error, transactional

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates")
#: the queue's tabs, in this order: what needs doing first
TABS = ("pending", "approved", "rejected", "suspended")
assert set(TABS) == set(MERCHANT_STATUSES)
ALL = "all"  #: the tab of a search through every status
ROLE_LABELS = {"owner": (N_("店主"), "Owner"), "cashier": (N_("收银员"), "Cashier")}
#: review action → what staff are told once it is done (a whole message each: the verb is the
#: catalog's)
REVIEWED = {"approve": N_("已通过：%(name)s"), "reject": N_("已拒绝：%(name)s"),
            "suspend": N_("已暂停：%(name)s"), "reinstate": N_("已恢复：%(name)s")}
assert set(REVIEWED) == set(onboarding.TRANSITIONS)


@bp.context_processor
def _helpers() -> dict:
    return {"FLASH": FLASH, "yuan": format_yuan, "tz": SHANGHAI,
            "status_name": lambda s: label_text(onboarding.STATUS_NAMES.get(s, (s, s))),
            "action_name": lambda a: label_text(onboarding.ACTION_NAMES.get(a, (a, a))[:2]),
            "role_label": lambda r: label_text(ROLE_LABELS.get(r, (r, r))),
            "category_name": category_name}


def _login_key() -> str:
    return "staff-login:" + (request.form.get("username") or "").strip().lower()[:40]


@bp.route("/login", methods=["GET", "POST"])
@login_rate_limits(_login_key)
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


def _merchant_page(merchant: Merchant, forms: dict | None = None):
    forms = forms or {}
    allowed = onboarding.allowed_actions(merchant.status)
    for action in allowed:
        forms.setdefault(action, ReviewForm(prefix=action, formdata=None))
    history = onboarding.review_history(db.session, merchant.id)
    staff_ids = {e.actor.partition(":")[2] for e in history if e.actor.startswith("staff:")}
    if merchant.reviewed_by:
        staff_ids.add(merchant.reviewed_by)
    return render_template(
        "staff/merchant.html", merchant=merchant, forms=forms, allowed=allowed, history=history,
        accounts=services.merchant_accounts(db.session, merchant.id),
        staff_names=services.staff_names(db.session, staff_ids),
        note_required=onboarding.NOTE_REQUIRED)


def _get_merchant(merchant_id: str) -> Merchant:
    merchant = db.session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound()
    return merchant


@bp.get("/merchants/<merchant_id>")
@role_required(MERCHANT_OPS)
def merchant(merchant_id: str):
    """Everything the applicant submitted, its accounts, its review history and the actions."""
    return _merchant_page(_get_merchant(merchant_id))


@bp.post("/merchants/<merchant_id>/<any(approve, reject, suspend, reinstate):action>")
@role_required(MERCHANT_OPS)
@transactional
def review(merchant_id: str, action: str):
    """Approve, reject, suspend or reinstate; the owners are texted the outcome."""
    form = ReviewForm(prefix=action)
    page = on_error(form, lambda: _merchant_page(_get_merchant(merchant_id), {action: form}))
    if not form.validate_on_submit():
        return page()
    reviewed = onboarding.review_merchant(db.session, merchant_id, action,
                                          staff_id=current_staff().id, note=form.note.data or "")
    _text_after_commit()
    flash(_(REVIEWED[action], name=reviewed.name), FLASH)
    return redirect(url_for("staff.merchant", merchant_id=merchant_id))


def _text_after_commit() -> None:
    """Send the SMS this request queued once @transactional has committed them."""
    @after_this_request
    def deliver(response):
        deliver_pending(db.session)
        return response
