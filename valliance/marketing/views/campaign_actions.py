"""What staff do to a campaign from its page: schedule (or send now), pause, resume, stop,
a test send to their own phone, and setting that phone. Each is audited by its service."""

from flask import after_this_request, flash, redirect, url_for

from valliance.extensions import db, limiter
from valliance.i18n import N_ctx, bilingual, pbilingual
from valliance.marketing.services import campaign_lifecycle as lifecycle
from valliance.marketing.views import bp
from valliance.marketing.views.campaign_forms import PhoneForm, ReasonForm
from valliance.marketing.views.campaigns import campaign_page
from valliance.messaging import deliver_pending
from valliance.staff import services as staff_services
from valliance.staff.auth import current_staff
from valliance.staff.roles import MARKETING, role_required
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional

ACTIONS = {"schedule": lifecycle.schedule, "pause": lifecycle.pause,
           "resume": lifecycle.resume, "stop": lifecycle.stop}
#: flashed after each action (context "Campaign": the merchants' 已暂停 means suspended)
DONE = {"schedule": N_ctx("Campaign", "已排期：%(name)s"),
        "pause": N_ctx("Campaign", "已暂停：%(name)s"),
        "resume": N_ctx("Campaign", "已恢复：%(name)s"),
        "stop": N_ctx("Campaign", "已停止：%(name)s")}


def _after_commit(work) -> None:
    # Runs after @transactional has committed: the engine and the SMS gateway read the
    # committed rows.
    @after_this_request
    def run(response):
        work()
        return response


def _back(campaign_id: str):
    return redirect(url_for("marketing.campaign", campaign_id=campaign_id))


@bp.post("/campaigns/<campaign_id>/<any(schedule, pause, resume, stop):action>",
         endpoint="campaign_action")
@role_required(MARKETING)
@transactional
def campaign_action(campaign_id: str, action: str):
    """Move the campaign on (with the reason); a "now" campaign's run is queued at once."""
    form = ReasonForm()
    page = on_error(form, lambda: campaign_page(campaign_id, reason_form=form))
    if not form.validate_on_submit():
        return page()
    actor = f"staff:{current_staff().id}"
    campaign = ACTIONS[action](db.session, campaign_id, actor=actor, reason=form.reason.data or "")
    _after_commit(lambda: lifecycle.start_now(campaign, actor))
    flash(pbilingual("Campaign", DONE[action], name=campaign.name), FLASH)
    return _back(campaign_id)


@bp.post("/campaigns/<campaign_id>/test", endpoint="campaign_test")
@limiter.limit("5 per minute")  # each is a real SMS
@role_required(MARKETING)
@transactional
def campaign_test(campaign_id: str):
    """Text the message, as a sample member gets it, to one's own phone (【测试】 first)."""
    form = PhoneForm()
    page = on_error(form, lambda: campaign_page(campaign_id, phone_form=form))
    if not form.validate_on_submit():
        return page()
    text = lifecycle.test_send(db.session, campaign_id, current_staff())
    _after_commit(lambda: deliver_pending(db.session))
    flash(bilingual("测试短信已发出：%(text)s", text=text), FLASH)
    return _back(campaign_id)


@bp.post("/campaigns/<campaign_id>/my-phone", endpoint="campaign_my_phone")
@limiter.limit("5 per minute")
@role_required(MARKETING)
@transactional
def campaign_my_phone(campaign_id: str):
    """Set one's own mobile phone, where test sends go (audited)."""
    form = PhoneForm()
    page = on_error(form, lambda: campaign_page(campaign_id, phone_form=form))
    if not form.validate_on_submit():
        return page()
    staff = current_staff()
    staff_services.set_staff_phone(db.session, staff, form.phone.data,
                                   actor=f"staff:{staff.id}", reason="own phone")
    flash(bilingual("已保存您的手机号"), FLASH)
    return _back(campaign_id)
