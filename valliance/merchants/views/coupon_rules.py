"""Merchant portal, owners only: the shop's own 满就送 rules ("spend ≥ X here → one of our
coupons"), with what each gave and brought; a new one; switching one off or on."""

from flask import flash, redirect, render_template, request, url_for

from valliance.coupons import rule_reads, rules
from valliance.coupons.rule_forms import RuleForm, rule_form
from valliance.extensions import db
from valliance.i18n import bilingual
from valliance.merchants.views.portal import actor, bp, current_merchant, owner_required
from valliance.web.forms import ConfirmForm
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional


def _page(form: RuleForm):
    page = rule_reads.rules_page(db.session, merchant_id=current_merchant().id,
                                 page=request.args.get("page", 1, type=int))
    return render_template("merchants/portal/coupon_rules.html", page=page, form=form,
                           confirm=ConfirmForm(formdata=None))


@bp.get("/coupon-rules", endpoint="coupon_rules")
@owner_required
def coupon_rules():
    """The shop's rules with their figures, and the form for a new one."""
    return _page(rule_form(own_merchant_id=current_merchant().id, formdata=None))


@bp.post("/coupon-rules")
@owner_required
@transactional
def create_coupon_rule():
    """Save a new rule for this shop with one of its own coupons (audited)."""
    merchant_id = current_merchant().id
    form = rule_form(own_merchant_id=merchant_id)
    page = on_error(form, lambda: _page(form))
    if not form.validate_on_submit():
        return page()
    rules.create_rule(db.session, **form.fields_for_service(), created_by=actor(),
                      own_merchant_id=merchant_id)
    flash(bilingual("已新建满就送规则"), FLASH)
    return redirect(url_for("merchant_portal.coupon_rules"))


@bp.post("/coupon-rules/<rule_id>/switch")
@owner_required
@transactional
def switch_coupon_rule(rule_id: str):
    """Switch one of this shop's rules off (or on again; audited); another's is not found."""
    if not ConfirmForm().validate_on_submit():
        flash(bilingual("页面已过期，请重试"), FLASH)
        return redirect(url_for("merchant_portal.coupon_rules"))
    active = request.form.get("active") == "1"
    rules.switch_rule(db.session, rule_id, active=active, actor=actor(),
                      own_merchant_id=current_merchant().id)
    flash(bilingual("已启用满就送规则") if active else bilingual("已停用满就送规则"), FLASH)
    return redirect(url_for("merchant_portal.coupon_rules"))
