"""Points adjustments and their approval queue (member_care, finance).

member_care and finance make adjustments and read the queue; finance approves or rejects
what someone else made (admin passes every check; the service refuses the maker).
"""

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from valliance import points
from valliance.audit import AuditEvent
from valliance.backoffice.models import ADJUSTMENT_STATUSES, PENDING
from valliance.backoffice.services import adjustment_queue, adjustments
from valliance.backoffice.views import bp
from valliance.backoffice.views.adjustment_forms import AdjustmentForm, RejectForm
from valliance.errors import NotFound
from valliance.extensions import db
from valliance.i18n import N_, _, bilingual
from valliance.input_guard import bounded_int
from valliance.members.models import Member
from valliance.staff.auth import current_staff
from valliance.staff.roles import APPROVERS, FINANCE, MEMBER_CARE, has_role, role_required
from valliance.web.forms import ConfirmForm
from valliance.web.navigation import FLASH, safe_next
from valliance.web.transactions import on_error, transactional

#: who opens the queue and makes adjustments; who decides on them (admin always may)
VIEWERS = (MEMBER_CARE, FINANCE)
DECIDERS = (FINANCE,)
assert set(DECIDERS) | {"admin"} == set(APPROVERS)
STATUS_NAMES = {"pending_approval": N_("待审批"), "applied": N_("已入账"),
                "rejected": N_("已驳回")}
assert tuple(STATUS_NAMES) == ADJUSTMENT_STATUSES
#: what each audit action reads as in an adjustment's history
ACTION_NAMES = {"adjustment.request": N_("提交"), "adjustment.approve": N_("审批通过"),
                "adjustment.apply": N_("入账"), "adjustment.reject": N_("驳回")}


@bp.context_processor
def _adjustment_helpers() -> dict:
    return {"adjustment_status": lambda s: _(STATUS_NAMES.get(s, s)),
            "adjustment_reason": lambda r: _(adjustments.REASON_NAMES.get(r, r)),
            "adjustment_action": lambda a: _(ACTION_NAMES.get(a, a))}


def _member(member_id: str | None) -> Member:
    member = db.session.get(Member, member_id) if member_id else None
    if member is None:
        raise NotFound(bilingual("没有这位会员"))
    return member


def _may_decide(adjustment) -> bool:
    staff = current_staff()
    return has_role(staff, *APPROVERS) and adjustment.made_by != staff.id


@bp.get("/adjustments", endpoint="adjustments")
@role_required(*VIEWERS)
def adjustments_queue():
    """The queue: a tab per status (pending first, oldest on top), one member's when named."""
    status = request.args.get("status", PENDING)
    status = status if status in ADJUSTMENT_STATUSES else PENDING
    member_id = (request.args.get("member") or "").strip()[:40] or None
    member = _member(member_id) if member_id else None
    page = adjustment_queue.adjustment_queue(db.session, status=status, member_id=member_id,
                                            page=request.args.get("page", 1, type=bounded_int(1)))
    return render_template(
        "backoffice/adjustments.html", status=status, page=page, member=member,
        counts=adjustment_queue.status_counts(db.session, member_id), may_decide=_may_decide,
        decides=has_role(current_staff(), *APPROVERS), confirm=ConfirmForm(),
        reject_form=RejectForm(formdata=None), threshold=adjustments.approval_points())


def _detail_page(adjustment_id: str, reject_form: RejectForm | None = None,
                 confirm: ConfirmForm | None = None):
    adjustment = adjustments.get_adjustment(db.session, adjustment_id)
    member = _member(adjustment.member_id)
    history = list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.subject == adjustment.id).order_by(AuditEvent.seq)))
    names = adjustment_queue.staff_names(db.session, {
        adjustment.made_by, adjustment.decided_by,
        *(e.actor.partition(":")[2] for e in history)})
    return render_template(
        "backoffice/adjustment.html", adjustment=adjustment, member=member, history=history,
        staff_names=names, may_decide=_may_decide(adjustment), confirm=confirm or ConfirmForm(),
        reject_form=reject_form or RejectForm(formdata=None),
        balance=points.get_balance(db.session, member.points_account_id))


@bp.get("/adjustments/<adjustment_id>")
@role_required(*VIEWERS)
def adjustment(adjustment_id: str):
    """One adjustment: who asked, why, who decided, and its audit trail."""
    return _detail_page(adjustment_id)


def _back(adjustment_id: str):
    target = request.form.get("next") or ""
    if target and safe_next(target) == target:
        return redirect(target)
    return redirect(url_for("backoffice.adjustment", adjustment_id=adjustment_id))


@bp.post("/adjustments/<adjustment_id>/approve")
@role_required(*DECIDERS)
@transactional
def approve_adjustment(adjustment_id: str):
    """Approve (and apply) an adjustment someone else made."""
    form = ConfirmForm()
    page = on_error(form, lambda: _detail_page(adjustment_id, confirm=form))
    if not form.validate_on_submit():
        return page()
    done = adjustments.approve_adjustment(db.session, adjustment_id, current_staff())
    flash(bilingual("已审批通过并入账：%(points)s 积分", points=f"{done.points:+,}"), FLASH)
    return _back(adjustment_id)


@bp.post("/adjustments/<adjustment_id>/reject")
@role_required(*DECIDERS)
@transactional
def reject_adjustment(adjustment_id: str):
    """Reject a pending adjustment, saying why; no points move."""
    form = RejectForm()
    page = on_error(form, lambda: _detail_page(adjustment_id, reject_form=form))
    if not form.validate_on_submit():
        return page()
    done = adjustments.reject_adjustment(db.session, adjustment_id, current_staff(),
                                         form.reason.data)
    flash(bilingual("已驳回：%(points)s 积分", points=f"{done.points:+,}"), FLASH)
    return _back(adjustment_id)


def _new_page(member: Member, form: AdjustmentForm):
    return render_template(
        "backoffice/new_adjustment.html", member=member, form=form,
        balance=points.get_balance(db.session, member.points_account_id),
        threshold=adjustments.approval_points(), max_note=adjustments.MAX_NOTE)


@bp.route("/members/<member_id>/adjustments/new", methods=["GET", "POST"])
@role_required(*VIEWERS)
@transactional
def new_adjustment(member_id: str):
    """Add or take a member's points with a reason code and a note."""
    member, form = _member(member_id), AdjustmentForm()
    page = on_error(form, lambda: _new_page(member, form))
    if not form.validate_on_submit():
        return page()
    made = adjustments.request_adjustment(db.session, member=member, points=form.points.data,
                                          reason=form.reason.data, note=form.note.data,
                                          maker=current_staff())
    flash(bilingual("已入账：%(points)s 积分", points=f"{made.points:+,}")
          if made.status != PENDING else
          bilingual("已提交，等待另一位财务或管理员审批：%(points)s 积分",
                    points=f"{made.points:+,}"), FLASH)
    return redirect(url_for("backoffice.adjustment", adjustment_id=made.id))
