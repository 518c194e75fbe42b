"""Member care: search and the member page (member_care)."""

from flask import (
    after_this_request,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from valliance.backoffice.services import member_care, member_search
from valliance.backoffice.services.member_file import get_member, member_file
from valliance.backoffice.views import bp
from valliance.backoffice.views.member_forms import EnrolForm, ManagerForm, action_form
from valliance.backoffice.views.member_labels import LABELS
from valliance.extensions import db
from valliance.i18n import _
from valliance.input_guard import bounded_int
from valliance.members.models import TIERS
from valliance.messaging import deliver_pending
from valliance.service_desk.services import managers
from valliance.service_desk.services.member_desk import member_desk
from valliance.staff.auth import current_staff
from valliance.staff.roles import MEMBER_CARE, SERVICE_DESK, has_role, role_required
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional

ACTIONS = tuple(member_care.ACTIONS)
#: who sees the member page and sets their account manager (the desk too: it serves them)
MEMBER_PAGE = (MEMBER_CARE, SERVICE_DESK)


@bp.get("/members")
@role_required(MEMBER_CARE)
def members():
    """One search box: phone or card digits, name or pinyin, and a tier; a page of the members
    found (a tier alone lists its members)."""
    q = (request.args.get("q") or "").strip()[:member_search.MAX_QUERY]
    narrowing = member_search.Narrowing.from_args(request.args)
    found = member_search.search_members(db.session, q, request.args.get(
        "page", 1, type=bounded_int(1)), narrowing) if q or narrowing.lists else None
    return render_template("backoffice/members.html", q=q, narrowing=narrowing, TIERS=TIERS,
                           found=found,
                           MIN_DIGITS=member_search.MIN_DIGITS,
                           MIN_LETTERS=member_search.MIN_LETTERS, **LABELS)


def _member_page(member_id: str, forms: dict | None = None,
                 manager_form: ManagerForm | None = None):
    forms = forms or {}
    for action in ACTIONS:
        forms.setdefault(action, action_form(action, confirmed=member_care.CONFIRMED))
    file = member_file(db.session, member_id, ledger_before=request.args.get(
        "before", type=bounded_int(1)))
    return render_template("backoffice/member.html", forms=forms, confirmed=member_care.CONFIRMED,
                           file=file, desk=member_desk(db.session, file.member),
                           manager_form=manager_form or ManagerForm(formdata=None),
                           cares=has_role(current_staff(), MEMBER_CARE),
                           on_desk=has_role(current_staff(), SERVICE_DESK), **LABELS)


@bp.get("/members/<member_id>")
@role_required(*MEMBER_PAGE)
def member(member_id: str):
    """Cards, tier, spend, points, history, purchases, payments, referrals, messages, actions."""
    return _member_page(member_id)


@bp.route("/members/new", methods=["GET", "POST"])
@role_required(MEMBER_CARE)
@transactional
def new_member():
    """Enrol a member: a card is issued and the member is texted how to claim the account."""
    form = EnrolForm()
    page = on_error(form, lambda: render_template("backoffice/member_new.html", form=form,
                                                  **LABELS))
    if not form.validate_on_submit():
        return page()
    enrolled = member_care.enrol(db.session, current_staff().id, phone=form.phone.data,
                                 name=form.name.data, tier=form.tier.data,
                                 reason=form.reason.data, support_phone=_support())
    _text_after_commit()
    flash(_("已开通会员，并已发送激活短信。"), FLASH)
    return redirect(url_for("backoffice.member", member_id=enrolled.id))


@bp.post("/members/<member_id>/<any(freeze, unfreeze, lost, reissue, tier, claim_sms):action>")
@role_required(MEMBER_CARE)
@transactional
def member_action(member_id: str, action: str):
    """Freeze, unfreeze, report the card lost, reissue it, change the tier, resend the claim
    SMS: each with a reason, in the audit log."""
    target = get_member(db.session, member_id)
    form = action_form(action, formdata=True, confirmed=member_care.CONFIRMED)
    page = on_error(form, lambda: _member_page(member_id, {action: form}))
    if not form.validate_on_submit():
        return page()
    member_care.act(db.session, current_staff().id, target, action, reason=form.reason.data,
                    support_phone=_support(), tier=getattr(form, "tier", None) and form.tier.data)
    _text_after_commit()
    flash(_(member_care.ACTIONS[action][1]), FLASH)
    return redirect(url_for("backoffice.member", member_id=member_id))


@bp.post("/members/<member_id>/manager")
@role_required(*MEMBER_PAGE)
@transactional
def member_manager(member_id: str):
    """Set, change or clear (the clear button) the VIP member's account manager; audited."""
    form = ManagerForm()
    page = on_error(form, lambda: _member_page(member_id, manager_form=form))
    if not form.validate_on_submit():
        return page()
    staff_id = None if request.form.get("clear") else form.staff_id.data
    managers.set_manager(db.session, member_id, staff_id,
                         by=member_care.actor(current_staff().id))
    flash(_("已设置专属客户经理。") if staff_id else _("已取消专属客户经理。"), FLASH)
    return redirect(url_for("backoffice.member", member_id=member_id) + "#desk")


def _support() -> str:
    return current_app.config["SUPPORT_PHONE"]


def _text_after_commit() -> None:
    """Send the SMS this request queued once @transactional has committed them."""
    @after_this_request
    def deliver(response):
        deliver_pending(db.session)
        return response
