"""Merchant operations: the merchant file (everything about one merchant on one page, the
review actions at its top), revoking a terminal, correcting what customers see (industry,
district, typical spend). The approval queue stays in staff (staff.merchants); bulk import
is in merchant_imports. Every route is merchant_ops's (admin always passes)."""

from flask import after_this_request, flash, redirect, render_template, url_for
from markupsafe import Markup

from valliance.backoffice.merchant_ops_forms import ListingForm, RevokeTerminalForm
from valliance.backoffice.services.merchant_file import merchant_file
from valliance.backoffice.views import bp
from valliance.errors import NotFound
from valliance.extensions import db
from valliance.i18n import N_, _, gettext, label_text
from valliance.merchants.labels import HELPERS as MERCHANT_LABELS
from valliance.merchants.models import CATEGORIES, Merchant, Terminal
from valliance.merchants.services import listing, onboarding
from valliance.merchants.services import terminals as pos_terminals
from valliance.merchants.views.portal import ROLE_LABELS
from valliance.merchants.views.sales_chart import daily_sales_svg
from valliance.messaging import deliver_pending
from valliance.money import yuan_text
from valliance.staff.auth import current_staff
from valliance.staff.forms import ReviewForm
from valliance.staff.roles import FINANCE, MERCHANT_OPS, has_role, role_required
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional

#: review action → what staff are told once it is done (a whole message each)
REVIEWED = {"approve": N_("已通过：%(name)s"), "reject": N_("已拒绝：%(name)s"),
            "suspend": N_("已暂停：%(name)s"), "reinstate": N_("已恢复：%(name)s")}
assert set(REVIEWED) == set(onboarding.TRANSITIONS)


def _helpers() -> dict:
    return {**MERCHANT_LABELS,
            "status_name": lambda s: label_text(onboarding.STATUS_NAMES.get(s, (s, s))),
            "action_name": lambda a: label_text(onboarding.ACTION_NAMES.get(a, (a, a))[:2]),
            "role_label": lambda r: label_text(ROLE_LABELS.get(r, (r, r)))}


def _merchant(merchant_id: str) -> Merchant:
    merchant = db.session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound()
    return merchant


def _chart(months) -> Markup:
    svg = daily_sales_svg([(m.first_day, m.amount, m.purchases) for m in months],
                          title=gettext("近12个月销售额"), empty_text=gettext("近12个月没有销售"),
                          axis_format="%Y-%m", tip_format="%Y-%m")
    return Markup(svg)  # noqa: S704 — built from escaped parts


def _file_page(merchant: Merchant, forms: dict | None = None, revoke: tuple | None = None):
    """The merchant file; forms: a review form bound with its errors; revoke: (terminal id,
    its bound form)."""
    forms = forms or {}
    allowed = onboarding.allowed_actions(merchant.status)
    for action in allowed:
        forms.setdefault(action, ReviewForm(prefix=action, formdata=None))
    found = merchant_file(db.session, merchant)
    return render_template(
        "backoffice/merchant.html", file=found, merchant=merchant, forms=forms,
        allowed=allowed, note_required=onboarding.NOTE_REQUIRED, chart=_chart(found.months),
        revoke=revoke or (None, None), revoke_form=RevokeTerminalForm(formdata=None),
        sees_statements=has_role(current_staff(), FINANCE), **_helpers())


@bp.get("/merchants/<merchant_id>")
@role_required(MERCHANT_OPS)
def merchant(merchant_id: str):
    """The merchant file: its review, trade by month, offers, terminals, sign-ins, 114
    referrals, statements and history."""
    return _file_page(_merchant(merchant_id))


@bp.post("/merchants/<merchant_id>/<any(approve, reject, suspend, reinstate):action>")
@role_required(MERCHANT_OPS)
@transactional
def merchant_review(merchant_id: str, action: str):
    """Approve, reject, suspend or reinstate; the owners are texted the outcome."""
    form = ReviewForm(prefix=action)
    page = on_error(form, lambda: _file_page(_merchant(merchant_id), {action: form}))
    if not form.validate_on_submit():
        return page()
    reviewed = onboarding.review_merchant(db.session, merchant_id, action,
                                          staff_id=current_staff().id, note=form.note.data or "")
    after_this_request(_deliver)  # the SMS the review queued, once committed
    flash(_(REVIEWED[action], name=reviewed.name), FLASH)
    return redirect(url_for("backoffice.merchant", merchant_id=merchant_id))


def _deliver(response):
    deliver_pending(db.session)
    return response


@bp.post("/merchants/<merchant_id>/terminals/<terminal_id>/revoke")
@role_required(MERCHANT_OPS)
@transactional
def revoke_terminal(merchant_id: str, terminal_id: str):
    """Revoke a terminal's key (the till using it is refused from now on), with a reason."""
    terminal = db.session.get(Terminal, terminal_id)
    if terminal is None or terminal.merchant_id != merchant_id:
        raise NotFound()
    form = RevokeTerminalForm()
    page = on_error(form, lambda: _file_page(_merchant(merchant_id), revoke=(terminal_id, form)))
    if not form.validate_on_submit():
        return page()
    if terminal.revoked_at is None:
        pos_terminals.revoke_terminal(db.session, terminal.id, reason=form.reason.data,
                                      actor=f"staff:{current_staff().id}")
        flash(_("终端“%(name)s”已停用。", name=terminal.name or terminal.id), FLASH)
    return redirect(url_for("backoffice.merchant", merchant_id=merchant_id, _anchor="terminals"))


def _edit_page(merchant: Merchant, form: ListingForm):
    return render_template("backoffice/merchant_edit.html", merchant=merchant, form=form,
                           categories=CATEGORIES, **_helpers())


@bp.route("/merchants/<merchant_id>/edit", methods=["GET", "POST"])
@role_required(MERCHANT_OPS)
@transactional
def merchant_edit(merchant_id: str):
    """Correct the industry, district and typical spend customers see (the directory
    re-ranks the merchant's offers at once); audited with the reason."""
    merchant = _merchant(merchant_id)
    spend = yuan_text(merchant.avg_spend)  # yuan, as typed
    form = ListingForm(data={"category": merchant.category, "district": merchant.district,
                             "avg_spend": spend})
    page = on_error(form, lambda: _edit_page(merchant, form))
    if not form.validate_on_submit():
        return page()
    changed = listing.update_listing(
        db.session, merchant_id, category=form.category.data, district=form.district.data,
        avg_spend=form.avg_spend.data, reason=form.reason.data,
        actor=f"staff:{current_staff().id}")[1]
    flash(_("已保存商户资料。") if changed else _("资料没有变化。"), FLASH)
    return redirect(url_for("backoffice.merchant", merchant_id=merchant_id))


from valliance.backoffice.views import merchant_imports  # noqa: E402,F401 — its routes
