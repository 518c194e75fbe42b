"""Merchant operations: bulk import from the page. Upload the CSV `flask merchants import`
takes; the file is checked whole at once, then written a chunk per request while the page shows
how far it got (its script posts the next chunk until done; without script, a button does),
and the report says what was created, updated and skipped, or which rows are wrong."""

from flask import jsonify, redirect, render_template, request, url_for

from valliance.backoffice.import_jobs import REJECTED, RUNNING
from valliance.backoffice.merchant_ops_forms import ImportForm
from valliance.backoffice.services import merchant_imports as service
from valliance.backoffice.views import bp
from valliance.errors import ValidationError
from valliance.extensions import db
from valliance.i18n import bilingual
from valliance.merchants.services.imports import COLUMNS
from valliance.staff.auth import current_staff
from valliance.staff.roles import MERCHANT_OPS, role_required
from valliance.web.forms import ConfirmForm
from valliance.web.transactions import on_error, transactional


def _upload_page(form: ImportForm, status: int = 200):
    return render_template("backoffice/merchant_import.html", form=form, columns=COLUMNS,
                           max_mb=service.MAX_UPLOAD_BYTES // (1024 * 1024),
                           max_bytes=service.MAX_UPLOAD_BYTES,
                           recent=service.recent_imports(db.session)), status


@bp.route("/merchants/import", methods=["GET", "POST"])
@role_required(MERCHANT_OPS)
@transactional
def merchant_import():
    """Upload a merchant CSV: checked whole, then written while the next page watches. (A
    body over the app's MAX_CONTENT_LENGTH is refused before this view: the page's script
    says so before sending; the service refuses a file over MAX_UPLOAD_BYTES.)"""
    form, upload = ImportForm(), request.files.get("file")
    page = on_error(form, lambda: _upload_page(form, 422 if form.is_submitted() else 200))
    if not form.validate_on_submit():
        return page()
    if upload is None or not upload.filename:
        raise ValidationError(details={"file": [bilingual("请选择要上传的 CSV 文件")]})
    job = service.start_import(db.session, filename=upload.filename, data=upload.read(),
                               staff_id=current_staff().id)
    return redirect(url_for("backoffice.merchant_import_job", import_id=job.id), 303)


@bp.get("/merchants/imports/<import_id>")
@role_required(MERCHANT_OPS)
def merchant_import_job(import_id: str):
    """An import: its progress while it runs, then its report."""
    job = service.find_import(db.session, import_id)
    return render_template("backoffice/merchant_import_job.html", job=job, form=ConfirmForm(),
                           errors=service.row_errors(job) if job.status == REJECTED else [],
                           RUNNING=RUNNING)


@bp.get("/merchants/imports/<import_id>/status")
@role_required(MERCHANT_OPS)
def merchant_import_status(import_id: str):
    """How far the import got (JSON)."""
    return jsonify(service.progress(service.find_import(db.session, import_id)))


@bp.post("/merchants/imports/<import_id>/step")
@role_required(MERCHANT_OPS)
@transactional
def merchant_import_step(import_id: str):
    """Write the next chunk; the page's script gets JSON, a plain form the page again."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return jsonify({"error": "csrf"}), 400
    job = service.run_chunk(db.session, import_id, staff_id=current_staff().id)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(service.progress(job))
    return redirect(url_for("backoffice.merchant_import_job", import_id=import_id), 303)
