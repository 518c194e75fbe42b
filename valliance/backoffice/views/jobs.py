"""Background jobs (admin): what is queued, running, waiting for a retry or a time, and what
failed, from RQ's registries (or the web process's own queue without Redis); a failed job can
be queued again, audited with who and why."""

from flask import abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional

from valliance import jobs
from valliance.audit import record_event
from valliance.backoffice.views import bp
from valliance.extensions import db
from valliance.i18n import _
from valliance.staff.auth import current_staff
from valliance.staff.roles import ADMIN, role_required
from valliance.web.navigation import FLASH
from valliance.web.transactions import transactional


class RetryForm(FlaskForm):
    reason = StringField(validators=[Optional(), Length(max=200)])


@bp.get("/jobs", endpoint="jobs")
@role_required(ADMIN)
def jobs_page():
    """The jobs by state, and the daily schedule."""
    return render_template("backoffice/jobs.html", states=jobs.overview(),
                           schedule=sorted(jobs.SCHEDULE.items(), key=lambda item: item[1]),
                           label_of=jobs.label_of, backend=jobs.backend().kind,
                           form=RetryForm())


@bp.post("/jobs/<job_id>/retry")
@role_required(ADMIN)
@transactional
def job_retry(job_id: str):
    """Queue a failed job again (audited first: a retry that cannot be recorded is not made)."""
    form = RetryForm()
    if form.validate_on_submit():
        record_event(db.session, actor=f"staff:{current_staff().id}", action="jobs.retry",
                     subject=job_id, reason=form.reason.data or "")
        if not jobs.retry(job_id):
            abort(404)
        flash(_("已重新排队"), FLASH)
    return redirect(url_for("backoffice.jobs"))
