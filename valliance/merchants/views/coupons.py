"""Merchant portal, owners only: the shop's own coupon templates (满减 at this shop only, its
own cost: no settlement line) — the list with issued and used counts, creating one, its page,
switching it off. Another merchant's template is simply not found."""

from flask import flash, redirect, render_template, request, url_for

from valliance.coupons import figures, issuing, labels
from valliance.coupons.forms import TemplateForm
from valliance.extensions import db
from valliance.i18n import _
from valliance.members.labels import tier_name
from valliance.merchants.views.portal import actor, bp, current_merchant, owner_required
from valliance.web.forms import ConfirmForm
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional


@bp.get("/coupons")
@owner_required
def coupons():
    """The shop's own templates, newest first, with their counts."""
    page = figures.templates_page(db.session, request.args.get("page", 1, type=int),
                                  merchant_id=current_merchant().id)
    return render_template("merchants/portal/coupons.html", page=page, **labels.HELPERS)


def _form_page(form: TemplateForm):
    return render_template("merchants/portal/coupon_form.html", form=form)


@bp.get("/coupons/new", endpoint="coupon_new")
@owner_required
def coupon_new():
    return _form_page(TemplateForm(formdata=None))


@bp.post("/coupons/new")
@owner_required
@transactional
def coupon_create():
    """Create a template valid at this shop only (audited)."""
    form = TemplateForm()
    page = on_error(form, lambda: _form_page(form))
    if not form.validate_on_submit():
        return page()
    template = issuing.create_template(db.session, **form.fields_for_service(),
                                       merchant_id=current_merchant().id, created_by=actor())
    flash(_("已创建优惠券模板：%(title)s", title=template.title), FLASH)
    return redirect(url_for("merchant_portal.coupon_template", template_id=template.id))


@bp.get("/coupons/<template_id>", endpoint="coupon_template")
@owner_required
def coupon_template(template_id: str):
    """One of the shop's templates: its terms and figures."""
    template = issuing.get_template(db.session, template_id, merchant_id=current_merchant().id)
    return render_template(
        "merchants/portal/coupon.html", t=template, confirm=ConfirmForm(), tier_name=tier_name,
        fig=figures.figures_of(db.session, [template.id])[template.id], **labels.HELPERS)


@bp.post("/coupons/<template_id>/retire", endpoint="coupon_retire")
@owner_required
@transactional
def coupon_retire(template_id: str):
    """Switch one of the shop's templates off (audited); those issued stay usable."""
    if ConfirmForm().validate_on_submit():
        issuing.retire_template(db.session, template_id, actor=actor(),
                                merchant_id=current_merchant().id)
        flash(_("已停用该优惠券模板，已发放的券仍可使用。"), FLASH)
    return redirect(url_for("merchant_portal.coupon_template", template_id=template_id))
