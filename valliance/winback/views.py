"""The win-back programme's staff page (role marketing): its settings and its report."""

from flask import Blueprint, flash, redirect, render_template, url_for

from valliance.db import SHANGHAI
from valliance.extensions import db
from valliance.i18n import bilingual
from valliance.marketing import labels
from valliance.money import format_yuan
from valliance.replica import reading_session
from valliance.staff.auth import current_staff
from valliance.staff.roles import MARKETING, role_required
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional
from valliance.winback.forms import SettingsForm, settings_form
from valliance.winback.services import programme, report

bp = Blueprint("winback", __name__, url_prefix="/staff/marketing/winback",
               template_folder="templates")


@bp.context_processor
def _helpers() -> dict:
    return {"FLASH": FLASH, "yuan": format_yuan, "tz": SHANGHAI}


def _page(form: SettingsForm):
    current = programme.settings(db.session)
    return render_template("winback/programme.html", form=form, current=current,
                           report=report.report(reading_session(), settings_from=db.session),
                           labels=labels,
                           job_at=programme.JOB_AT)


@bp.get("/", endpoint="page")
@role_required(MARKETING)
def page():
    """The settings (as saved) and the report."""
    return _page(settings_form(programme.settings(db.session)))


@bp.post("/")
@role_required(MARKETING)
@transactional
def save():
    """Save the settings (audited); the first save makes the programme's campaign."""
    form = settings_form()
    render = on_error(form, lambda: _page(form))
    if not form.validate_on_submit():
        return render()
    staff = current_staff()
    saved = programme.save(db.session, form.data_for_service(), actor=f"staff:{staff.id}",
                           staff_id=staff.id)
    flash(bilingual("已保存会员挽回设置（已开启）") if saved.enabled
          else bilingual("已保存会员挽回设置（未开启）"), FLASH)
    return redirect(url_for("winback.page"))
