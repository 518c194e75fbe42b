"""The birthday programme's staff page (role `marketing`): its configuration, what it cost
and what it brought."""

from flask import Blueprint, flash, redirect, render_template, url_for

from valliance.care.forms import GIFT_NAMES, ProgrammeForm
from valliance.care.services import figures, programme
from valliance.extensions import db
from valliance.i18n import _
from valliance.money import format_yuan
from valliance.staff.auth import current_staff
from valliance.staff.roles import MARKETING, role_required
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional

bp = Blueprint("care", __name__, url_prefix="/staff/care", template_folder="templates")

DEFAULT_MESSAGE = "亲爱的{name}，V卡联盟祝您生日快乐！生日礼已放入您的账户，愿您天天开心。"


def _form(form: ProgrammeForm | None = None) -> ProgrammeForm:
    current = programme.get_programme(db.session)
    campaign = programme.programme_campaign(db.session, current)
    if form is None:
        form = ProgrammeForm(formdata=None, data={
            "enabled": campaign is not None and campaign.status in ("scheduled", "sending"),
            "channel": campaign.channel if campaign else "inbox",
            "message": campaign.message if campaign else DEFAULT_MESSAGE,
            "cap_exempt": campaign.cap_exempt if campaign else False,  # the cap holds by default
            "control_percent": str(campaign.control_percent if campaign else 10),
            "gift": current.gift if current else "none",
            "bonus_points": str(current.bonus_points or "") if current else "",
            "coupon_template_id": current.coupon_template_id or "" if current else ""})
    form.coupon_template_id.choices = [("", _("请选择"))] + [
        (t.id, f"{t.title}（{format_yuan(t.value)}）")
        for t in programme.coupon_choices(db.session)]
    return form


def _page(form: ProgrammeForm | None = None):
    current = programme.get_programme(db.session)
    campaign = programme.programme_campaign(db.session, current)
    return render_template("care/birthday.html", form=_form(form), programme=current,
                           campaign=campaign, gift_names=GIFT_NAMES, yuan=format_yuan,
                           figures=figures.programme_figures(
                               db.session, campaign.id if campaign else None))


@bp.get("/birthday")
@role_required(MARKETING)
def birthday():
    """The programme: its configuration, cost and result."""
    return _page()


@bp.post("/birthday")
@role_required(MARKETING)
@transactional
def save_birthday():
    """Save the configuration (audited)."""
    form = ProgrammeForm()
    page = on_error(form, lambda: _page(form))
    if not form.validate_on_submit():
        return page()
    programme.configure(db.session, form.data, actor=f"staff:{current_staff().id}")
    flash(_("生日关怀设置已保存。"), FLASH)
    return redirect(url_for("care.birthday"))
