"""Campaigns: list, create, edit and the campaign's page (marketing); the actions on one are
in campaign_actions."""

from flask import flash, redirect, render_template, request, url_for

from valliance.extensions import db
from valliance.i18n import _, bilingual
from valliance.marketing import labels
from valliance.marketing.services import campaign_report, campaigns, templates
from valliance.marketing.services.campaign_detail import campaign_detail
from valliance.marketing.services.campaign_lifecycle import MOVES
from valliance.marketing.views import bp
from valliance.marketing.views.campaign_forms import (
    CampaignForm,
    PhoneForm,
    ReasonForm,
    campaign_form,
)
from valliance.marketing.views.segment_forms import choices, describe
from valliance.staff.auth import current_staff
from valliance.staff.roles import MARKETING, role_required
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional


@bp.get("/campaigns", endpoint="campaigns")
@role_required(MARKETING)
def campaigns_list():
    """Every campaign, newest first, a page at a time."""
    page = campaigns.campaigns_page(db.session, request.args.get("page", 1, type=int))
    return render_template("marketing/campaigns.html", page=page, labels=labels)


def _form_page(form: CampaignForm, campaign=None):
    return render_template("marketing/campaign_form.html", form=form, campaign=campaign,
                           placeholders=templates.PLACEHOLDERS,
                           message_max=templates.MESSAGE_MAX)


def campaign_page(campaign_id: str, **forms):
    """The campaign's page: summary, audience, actions, runs and counts."""
    detail, options = campaign_detail(db.session, campaign_id), choices()
    forms.setdefault("reason_form", ReasonForm(formdata=None))
    forms.setdefault("phone_form", PhoneForm(formdata=None))
    owner = detail.campaign.programme  # a programme's campaign: its page acts, not this one
    return render_template(
        "marketing/campaign.html", detail=detail, c=detail.campaign, labels=labels,
        can=[] if owner else [action for action, froms in MOVES.items()
                              if detail.campaign.status in froms],
        owner=_(campaigns.PROGRAMME_NAMES.get(owner, owner)) if owner else None,
        lines=describe(detail.filters, options), options=options,
        report=campaign_report.report(db.session, campaign_id),
        staff_phone=current_staff().phone, editable=() if owner else campaigns.EDITABLE,
        **forms)


@bp.get("/campaigns/new", endpoint="new_campaign")
@role_required(MARKETING)
def new_campaign():
    """A blank campaign form (a segment may be picked ahead: ?segment_id=)."""
    form = campaign_form(formdata=None, segment_id=request.args.get("segment_id", ""))
    return _form_page(form)


@bp.post("/campaigns/new")
@role_required(MARKETING)
@transactional
def create_campaign():
    """Save a new draft campaign (audited) and open its page."""
    form = campaign_form()
    page = on_error(form, lambda: _form_page(form))
    if not form.validate_on_submit():
        return page()
    staff = current_staff()
    campaign = campaigns.create_campaign(db.session, form.data_for_service(),
                                         actor=f"staff:{staff.id}", staff_id=staff.id)
    flash(bilingual("已保存营销活动（草稿）：%(name)s", name=campaign.name), FLASH)
    return redirect(url_for("marketing.campaign", campaign_id=campaign.id))


@bp.get("/campaigns/<campaign_id>", endpoint="campaign")
@role_required(MARKETING)
def campaign(campaign_id: str):
    """One campaign's page."""
    return campaign_page(campaign_id)


@bp.get("/campaigns/<campaign_id>/edit", endpoint="edit_campaign")
@role_required(MARKETING)
def edit_campaign(campaign_id: str):
    """The form holding a draft or paused campaign's fields."""
    found = campaigns.get_campaign(db.session, campaign_id)
    return _form_page(campaign_form(found, formdata=None), found)


@bp.post("/campaigns/<campaign_id>/edit")
@role_required(MARKETING)
@transactional
def update_campaign(campaign_id: str):
    """Save a draft or paused campaign's changes (audited)."""
    found, form = campaigns.get_campaign(db.session, campaign_id), campaign_form()
    page = on_error(form, lambda: _form_page(form, found))
    if not form.validate_on_submit():
        return page()
    campaigns.update_campaign(db.session, campaign_id, form.data_for_service(),
                              actor=f"staff:{current_staff().id}")
    flash(bilingual("已保存营销活动：%(name)s", name=found.name), FLASH)
    return redirect(url_for("marketing.campaign", campaign_id=campaign_id))
