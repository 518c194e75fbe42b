"""Segments: list, build (a GET preview that re-renders), save, edit and delete (marketing)."""

from flask import flash, redirect, render_template, request, url_for

from valliance.db import SHANGHAI
from valliance.errors import ValidationError
from valliance.extensions import db
from valliance.i18n import bilingual, localized
from valliance.marketing.services import saved_segments
from valliance.marketing.services.segment_filters import Filters, parse_filters
from valliance.marketing.services.segments import preview
from valliance.marketing.views import bp
from valliance.marketing.views.segment_forms import (
    CELL_NAMES,
    FIELD_NAMES,
    SaveForm,
    choices,
    describe,
    filter_fields,
    has_filters,
)
from valliance.staff.auth import current_staff
from valliance.staff.roles import MARKETING, role_required
from valliance.web.forms import ConfirmForm
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional

SAMPLE = 10


@bp.context_processor
def _page_helpers() -> dict:
    """What the staff layout and these pages read: the flash category, the time zone."""
    return {"FLASH": FLASH, "tz": SHANGHAI}


@bp.get("/segments", endpoint="segments")
@role_required(MARKETING)
def segments_list():
    """Every saved segment with the number of members it names now."""
    options = choices()
    rows = [(saved, describe(saved.filters, options))
            for saved in saved_segments.saved_segments(db.session)]
    return render_template("marketing/segments.html", rows=rows, confirm=ConfirmForm())


def _builder(fields: dict, *, segment=None, form: SaveForm | None = None, previewing: bool):
    """The builder page: the filters as a form, and (asked for) the preview or their errors."""
    errors, result, filters = {}, None, Filters()
    try:
        filters = parse_filters(fields)
    except ValidationError as exc:
        errors = {name: [localized(m) for m in messages] for name, messages in exc.details.items()}
    if previewing and not errors:
        result = preview(db.session, filters, sample=SAMPLE)
    form = form or SaveForm(formdata=None, name=segment.name if segment else "")
    return render_template(
        "marketing/segment_builder.html", segment=segment, fields=fields, errors=errors,
        result=result, form=form, options=choices(), field_names=FIELD_NAMES,
        cell_names=CELL_NAMES, saved_fields=filters.to_dict() if not errors else {})


@bp.get("/segments/new", endpoint="new_segment")
@role_required(MARKETING)
def new_segment():
    """Build a segment: each "preview" re-renders the page with the count and a sample."""
    return _builder(filter_fields(request.args), previewing=has_filters(request.args)
                    or "preview" in request.args)


@bp.post("/segments/new")
@role_required(MARKETING)
@transactional
def create_segment():
    """Save the previewed filters under a name (audited)."""
    form, fields = SaveForm(), filter_fields(request.form)
    on_error(form, lambda: _builder(fields, form=form, previewing=True))
    if not form.validate_on_submit():
        return _builder(fields, form=form, previewing=True)
    segment = saved_segments.create_segment(db.session, form.name.data, parse_filters(fields),
                                            current_staff().id)
    flash(bilingual("已保存分群：%(name)s", name=segment.name), FLASH)
    return redirect(url_for("marketing.segments"))


@bp.get("/segments/<segment_id>/edit", endpoint="edit_segment")
@role_required(MARKETING)
def edit_segment(segment_id: str):
    """Change a saved segment: its filters as the form (the query string once previewed)."""
    segment = saved_segments.get_segment(db.session, segment_id)
    previewed = "preview" in request.args
    fields = filter_fields(request.args) if previewed else segment.filters
    return _builder(fields, segment=segment, previewing=True)


@bp.post("/segments/<segment_id>/edit")
@role_required(MARKETING)
@transactional
def update_segment(segment_id: str):
    """Save a segment's new name or filters (audited)."""
    segment = saved_segments.get_segment(db.session, segment_id)
    form, fields = SaveForm(), filter_fields(request.form)
    on_error(form, lambda: _builder(fields, segment=segment, form=form, previewing=True))
    if not form.validate_on_submit():
        return _builder(fields, segment=segment, form=form, previewing=True)
    saved_segments.update_segment(db.session, segment_id, form.name.data,
                                  parse_filters(fields), current_staff().id)
    flash(bilingual("已保存分群：%(name)s", name=form.name.data.strip()), FLASH)
    return redirect(url_for("marketing.segments"))


@bp.post("/segments/<segment_id>/delete", endpoint="delete_segment")
@role_required(MARKETING)
@transactional
def delete_segment(segment_id: str):
    """Delete a saved segment (audited)."""
    if not ConfirmForm().validate_on_submit():
        flash(bilingual("页面已过期，请重试"), FLASH)
        return redirect(url_for("marketing.segments"))
    name = saved_segments.delete_segment(db.session, segment_id, current_staff().id)
    flash(bilingual("已删除分群：%(name)s", name=name), FLASH)
    return redirect(url_for("marketing.segments"))
