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
from valliance.backoffice.views.member_forms import EnrolForm, action_form
from valliance.backoffice.views.member_labels import LABELS
from valliance.extensions import db
from valliance.i18n import _
from valliance.input_guard import bounded_int
from valliance.members.models import TIERS
from valliance.messaging import deliver_pending
from valliance.staff.auth import current_staff
from valliance.staff.roles import MEMBER_CARE, role_required
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional

ACTIONS = tuple(member_care.ACTIONS)


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


def _member_page(member_id: str, forms: dict | None = None):
    forms = forms or {}
    for action in ACTIONS:
        forms.setdefault(action, action_form(action, confirmed=member_care.CONFIRMED))
    return render_template("backoffice/member.html", forms=forms, confirmed=member_care.CONFIRMED,
                           file=member_file(db.session, member_id, ledger_before=request.args.get(
                               "before", type=bounded_int(1))), **LABELS)


@bp.get("/members/<member_id>")
@role_required(MEMBER_CARE)
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


def _support() -> str:
    return current_app.config["SUPPORT_PHONE"]


def _text_after_commit() -> None:
    """Send the SMS this request queued once @transactional has committed them."""
    @after_this_request
    def deliver(response):
        deliver_pending(db.session)
        return response
