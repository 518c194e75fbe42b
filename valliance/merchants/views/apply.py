"""Merchants apply to join the alliance: the public application form and its confirmation."""

from flask import Blueprint, g, redirect, render_template, session, url_for

from valliance.extensions import db, limiter
from valliance.i18n import _
from valliance.members.services import normalize_phone
from valliance.merchants.forms import ApplyForm
from valliance.merchants.models import CATEGORIES
from valliance.merchants.services import onboarding, reapply
from valliance.merchants.views.portal import SIGN_IN_SCOPE, login_phone
from valliance.sign_in import login_rate_limits
from valliance.web.transactions import on_error, transactional

bp = Blueprint("merchant_apply", __name__, url_prefix="/merchant/apply",
               template_folder="../templates")
#: the form's fields that are the application's own (the rest: confirm, agree, CSRF)
APPLICATION_FIELDS = ("name", "category", "district", "address", "phone", "avg_spend",
                      "licence_no", "owner_name", "owner_phone", "password")


@bp.context_processor
def _helpers() -> dict:
    return {}


def _category_choices() -> list[tuple[str, str]]:
    return [("", _("请选择行业"))] + [
        (c, c if _(c) == c else f"{_(c)} · {c}") for c in CATEGORIES]


def _owner_phone() -> str:
    return login_phone("owner_phone")


def _form_page(form: ApplyForm) -> str:
    """The form again, with its errors. A phone that has an account counts as a failed
    sign-in (applying again checks its password: guessing here shares the merchant sign-in's
    limits)."""
    if reapply.PHONE_TAKEN_OR_REAPPLY in form.owner_phone.errors:
        g.login_failed = True
    return render_template("merchants/apply.html", form=form)


def _remember_applicant(merchant, owner_phone: str) -> None:
    """What the confirmation page shows: the shop and the owner's phone, masked."""
    phone = normalize_phone(owner_phone)
    session["merchant_applied"] = {"name": merchant.name,
                                   "phone": f"{phone[:3]}****{phone[-4:]}"}


@bp.route("", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@login_rate_limits(_owner_phone, scope=SIGN_IN_SCOPE, kind="merchant")
@transactional
def apply():
    """The application: the shop, its licence, and the owner's sign-in (pending until approved)."""
    form = ApplyForm()
    form.category.choices = _category_choices()
    page = on_error(form, lambda: _form_page(form))
    if form.validate_on_submit():
        merchant = onboarding.apply_for_membership(
            db.session, **{name: form[name].data for name in APPLICATION_FIELDS})
        _remember_applicant(merchant, form.owner_phone.data)
        return redirect(url_for("merchant_apply.applied"))
    return page()


@bp.get("/submitted")
def applied():
    """What happens next: staff review, an SMS with the outcome, then the merchant portal."""
    applied = session.get("merchant_applied")
    if not applied:
        return redirect(url_for("merchant_apply.apply"))
    return render_template("merchants/applied.html", applied=applied)
