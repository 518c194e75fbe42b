"""Coupon templates (role `marketing`): the list with what each cost and brought, creating one
(alliance-wide or one merchant's), its page with the coupons issued, issuing one by hand,
voiding a coupon, switching the template off. Each write is audited by its service."""

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from valliance.coupons import figures, issuing, labels
from valliance.coupons.forms import ALLIANCE, PhoneForm, StaffTemplateForm
from valliance.db import today_shanghai
from valliance.extensions import db
from valliance.i18n import _
from valliance.marketing.views import bp
from valliance.members.labels import tier_name
from valliance.merchants.models import Merchant
from valliance.staff.auth import current_staff
from valliance.staff.roles import MARKETING, role_required
from valliance.web.forms import ConfirmForm
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional


def _actor() -> str:
    return f"staff:{current_staff().id}"


@bp.get("/coupons", endpoint="coupons")
@role_required(MARKETING)
def coupon_templates():
    """Every template, newest first, with issued, used, value, cost and purchases."""
    page = figures.templates_page(db.session, request.args.get("page", 1, type=int))
    return render_template("marketing/coupon_templates.html", page=page, **labels.HELPERS)


def _form_page(form: StaffTemplateForm):
    merchants = db.session.execute(select(Merchant.id, Merchant.name).where(
        Merchant.status == "approved").order_by(Merchant.name)).all()
    form.merchant.choices = [(ALLIANCE, _("全部联盟商户（联盟承担，结算时返还商户）")),
                             *[(m.id, m.name) for m in merchants]]
    return render_template("marketing/coupon_template_form.html", form=form)


@bp.get("/coupons/new", endpoint="coupon_new")
@role_required(MARKETING)
def coupon_new():
    """A blank template form."""
    return _form_page(StaffTemplateForm(formdata=None))


@bp.post("/coupons/new")
@role_required(MARKETING)
@transactional
def coupon_create():
    """Create the template (audited) and open its page."""
    form = StaffTemplateForm()
    page = on_error(form, lambda: _form_page(form))
    if not form.validate_on_submit():
        return page()
    template = issuing.create_template(db.session, **form.fields_for_service(),
                                       created_by=_actor())
    flash(_("已创建优惠券模板：%(title)s", title=template.title), FLASH)
    return redirect(url_for("marketing.coupon_template", template_id=template.id))


def template_page(template_id: str, phone_form: PhoneForm | None = None):
    """The template's page: its terms and figures, issue by hand, its coupons a page at a time."""
    template = issuing.get_template(db.session, template_id)
    rows, page, pages = figures.coupons_page(db.session, template_id,
                                             request.args.get("page", 1, type=int))
    return render_template(
        "marketing/coupon_template.html", t=template, rows=rows, page=page, pages=pages,
        fig=figures.figures_of(db.session, [template.id])[template.id],
        merchant=figures.merchant_names(db.session, [template.merchant_id]).get(
            template.merchant_id), phone_form=phone_form or PhoneForm(formdata=None),
        confirm=ConfirmForm(), today=today_shanghai(), tier_name=tier_name, **labels.HELPERS)


@bp.get("/coupons/<template_id>", endpoint="coupon_template")
@role_required(MARKETING)
def coupon_template(template_id: str):
    return template_page(template_id)


@bp.post("/coupons/<template_id>/issue", endpoint="coupon_issue")
@role_required(MARKETING)
@transactional
def coupon_issue(template_id: str):
    """Issue one coupon to the member with this phone (audited)."""
    form = PhoneForm()
    page = on_error(form, lambda: template_page(template_id, form))
    if not form.validate_on_submit():
        return page()
    coupon = issuing.issue_to_phone(db.session, template_id, form.phone.data, source=_actor())
    flash(_("已发放优惠券 %(code)s，有效期至 %(until)s", code=labels.grouped(coupon.code),
            until=coupon.valid_until.isoformat()), FLASH)
    return redirect(url_for("marketing.coupon_template", template_id=template_id))


@bp.post("/coupons/<template_id>/retire", endpoint="coupon_retire")
@role_required(MARKETING)
@transactional
def coupon_retire(template_id: str):
    """Switch the template off: no more are issued; those issued stay usable (audited)."""
    if ConfirmForm().validate_on_submit():
        issuing.retire_template(db.session, template_id, actor=_actor())
        flash(_("已停用该优惠券模板，已发放的券仍可使用。"), FLASH)
    return redirect(url_for("marketing.coupon_template", template_id=template_id))


@bp.post("/coupons/<template_id>/void/<code>", endpoint="coupon_void")
@role_required(MARKETING)
@transactional
def coupon_void(template_id: str, code: str):
    """Void one unused coupon of the template (audited)."""
    coupon = issuing.find_coupon(db.session, template_id, code)
    if ConfirmForm().validate_on_submit():
        issuing.void_coupon(db.session, coupon.code, actor=_actor())
        flash(_("已作废优惠券 %(code)s", code=labels.grouped(coupon.code)), FLASH)
    return redirect(url_for("marketing.coupon_template", template_id=template_id))
