"""Merchants apply to join the alliance: the public application form and its confirmation."""

from flask import Blueprint, g, redirect, render_template, session, url_for

from valliance.errors import VallianceError
from valliance.extensions import db, limiter
from valliance.members.services import normalize_phone
from valliance.merchants import onboarding, reapply
from valliance.merchants.apply_forms import ApplyForm
from valliance.merchants.labels import CATEGORY_NAMES_EN
from valliance.merchants.models import CATEGORIES
from valliance.merchants.portal import SIGN_IN_SCOPE, login_phone
from valliance.sign_in import login_rate_limits
from valliance.web.forms import show_error
from valliance.web.i18n import tr

bp = Blueprint("merchant_apply", __name__, url_prefix="/merchant/apply",
               template_folder="templates")


@bp.context_processor
def _helpers() -> dict:
    return {"tr": tr}


def _category_choices() -> list[tuple[str, str]]:
    return [("", tr("请选择行业", "Choose the industry"))] + [
        (c, tr(c, f"{CATEGORY_NAMES_EN.get(c, c)} · {c}")) for c in CATEGORIES]


def _owner_phone() -> str:
    return login_phone("owner_phone")


def _refused(form: ApplyForm, exc: VallianceError) -> None:
    """Show the errors; a phone that has an account counts as a failed sign-in (applying
    again checks its password: guessing here shares the merchant sign-in's limits)."""
    db.session.rollback()
    if reapply.PHONE_TAKEN_OR_REAPPLY in exc.details.get("owner_phone", []):
        g.login_failed = True
    show_error(form, exc)


@bp.route("", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@login_rate_limits(_owner_phone, scope=SIGN_IN_SCOPE)
def apply():
    """The application: the shop, its licence, and the owner's sign-in (pending until approved)."""
    form = ApplyForm()
    form.category.choices = _category_choices()
    if form.validate_on_submit():
        try:
            merchant = onboarding.apply_for_membership(
                db.session, name=form.name.data, category=form.category.data,
                district=form.district.data, address=form.address.data, phone=form.phone.data,
                avg_spend=form.avg_spend.data, licence_no=form.licence_no.data,
                owner_name=form.owner_name.data, owner_phone=form.owner_phone.data,
                password=form.password.data)
        except VallianceError as exc:
            _refused(form, exc)
        else:
            owner_phone = normalize_phone(form.owner_phone.data)
            session["merchant_applied"] = {
                "name": merchant.name, "phone": f"{owner_phone[:3]}****{owner_phone[-4:]}"}
            db.session.commit()
            return redirect(url_for("merchant_apply.applied"))
    return render_template("merchants/apply.html", form=form)


@bp.get("/submitted")
def applied():
    """What happens next: staff review, an SMS with the outcome, then the merchant portal."""
    applied = session.get("merchant_applied")
    if not applied:
        return redirect(url_for("merchant_apply.apply"))
    return render_template("merchants/applied.html", applied=applied)
