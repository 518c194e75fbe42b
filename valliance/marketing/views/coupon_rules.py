"""满就送 rules, alliance staff's page (marketing): every rule with what it gave and brought, a
form for a new one (any merchant, or every alliance merchant), and switching one off or on."""

from flask import flash, redirect, render_template, request, url_for

from valliance.coupons import rule_reads, rules
from valliance.coupons.rule_forms import RuleForm, rule_form
from valliance.extensions import db
from valliance.i18n import bilingual
from valliance.marketing.views import bp
from valliance.money import format_yuan
from valliance.staff.auth import current_staff
from valliance.staff.roles import MARKETING, role_required
from valliance.web.forms import ConfirmForm
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional


def _page(form: RuleForm):
    page = rule_reads.rules_page(db.session, page=request.args.get("page", 1, type=int))
    return render_template("marketing/coupon_rules.html", page=page, form=form,
                           confirm=ConfirmForm(formdata=None), yuan=format_yuan)


@bp.get("/coupon-rules", endpoint="coupon_rules")
@role_required(MARKETING)
def coupon_rules():
    """The rules with their figures, and the form for a new one."""
    return _page(rule_form(formdata=None))


@bp.post("/coupon-rules")
@role_required(MARKETING)
@transactional
def create_coupon_rule():
    """Save a new rule (audited)."""
    form = rule_form()
    page = on_error(form, lambda: _page(form))
    if not form.validate_on_submit():
        return page()
    rules.create_rule(db.session, **form.fields_for_service(),
                      created_by=f"staff:{current_staff().id}")
    flash(bilingual("已新建满就送规则"), FLASH)
    return redirect(url_for("marketing.coupon_rules"))


@bp.post("/coupon-rules/<rule_id>/switch")
@role_required(MARKETING)
@transactional
def switch_coupon_rule(rule_id: str):
    """Switch a rule off (or on again; audited)."""
    if not ConfirmForm().validate_on_submit():
        flash(bilingual("页面已过期，请重试"), FLASH)
        return redirect(url_for("marketing.coupon_rules"))
    active = request.form.get("active") == "1"
    rules.switch_rule(db.session, rule_id, active=active, actor=f"staff:{current_staff().id}")
    flash(bilingual("已启用满就送规则") if active else bilingual("已停用满就送规则"), FLASH)
    return redirect(url_for("marketing.coupon_rules"))
