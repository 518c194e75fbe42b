"""Points adjustments with a second person (contract §13).

A staff user with `member_care`, `finance` or `admin` asks to add or take points with a reason
code and a note. Up to ADJUSTMENT_APPROVAL_POINTS points (either sign) it is applied at once;
above, it waits until another `finance`/`admin` user approves it (never the maker) or
rejects it. Applying is one ledger transfer of kind `adjust` (points.adjust), never a
balance edit, and a negative adjustment never makes a balance negative: it is refused when
asked for and, should the points have been spent meanwhile, again when approved (the
adjustment then stays pending, to be rejected or approved later).

An approval wins by one conditional UPDATE (status still pending, the version it read): two
approvers clicking at once apply it once, the other is told it was already decided.

A frozen or expired membership may still be adjusted: the points stay frozen with it, and a
correction or a fraud reversal must be possible exactly on such accounts; pages say so.
"""

from flask import current_app, has_app_context
from sqlalchemy import update
from sqlalchemy.orm import Session

from valliance import points
from valliance.audit import record_event
from valliance.backoffice.models import (
    ADJUSTMENT_REASONS,
    APPLIED,
    PENDING,
    REJECTED,
    PointAdjustment,
)
from valliance.db import utcnow
from valliance.errors import Forbidden, InsufficientPoints, NotFound, ValidationError
from valliance.i18n import N_, bilingual
from valliance.ids import new_id
from valliance.members.models import Member
from valliance.staff.models import StaffUser
from valliance.staff.roles import APPROVERS, FINANCE, MEMBER_CARE, RoleRequired, has_role

#: who may ask for an adjustment (admin always may)
MAKERS = (MEMBER_CARE, FINANCE)
DEFAULT_APPROVAL_POINTS = 5000
#: no adjustment moves more points than this, whoever approves it (a typo guard)
MAX_POINTS = 10_000_000
MAX_NOTE = 500
#: each reason code's name on pages (gettext msgids)
REASON_NAMES = {
    "goodwill": N_("客户关怀"),
    "correction": N_("差错更正"),
    "service_compensation": N_("服务补偿"),
    "migration": N_("数据迁移"),
    "fraud_reversal": N_("欺诈冲回"),
}
assert tuple(REASON_NAMES) == ADJUSTMENT_REASONS


class OwnAdjustment(Forbidden):
    """The maker tried to approve their own adjustment."""

    code, pages_only = "own_adjustment", True
    message = bilingual("不能审批自己提交的调整：需由另一位财务或管理员审批")


class AlreadyDecided(Forbidden):
    """Someone decided the adjustment first (or it was applied at once)."""

    status, code, pages_only = 409, "adjustment_decided", True
    message = bilingual("该调整已处理，不能再审批或驳回")


class InactiveStaff(Forbidden):
    code, pages_only = "staff_disabled", True
    message = bilingual("该员工账号已停用")


def approval_points() -> int:
    """Adjustments of more points than this (either sign) wait for a second person."""
    if has_app_context():
        return int(current_app.config.get("ADJUSTMENT_APPROVAL_POINTS", DEFAULT_APPROVAL_POINTS))
    return DEFAULT_APPROVAL_POINTS


def needs_approval(points_: int) -> bool:
    return abs(points_) > approval_points()


def actor_of(staff: StaffUser) -> str:
    return f"staff:{staff.id}"


def _checked(points_, reason: str, note: str) -> tuple[int, str, str]:
    details: dict = {}
    if isinstance(points_, bool) or not isinstance(points_, int) or points_ == 0:
        details["points"] = [bilingual("请填写非零的整数积分（负数为扣减）")]
    elif abs(points_) > MAX_POINTS:
        details["points"] = [bilingual("单次调整不超过 %(max)s 积分", max=f"{MAX_POINTS:,}")]
    if reason not in ADJUSTMENT_REASONS:
        details["reason"] = [bilingual("未知调整原因：%(reason)s；可选：%(known)s",
                                       reason=reason, known=", ".join(ADJUSTMENT_REASONS))]
    note = (note or "").strip()
    if not note:
        details["note"] = [bilingual("请写明调整说明")]
    elif len(note) > MAX_NOTE:
        details["note"] = [bilingual("不超过%(MAX_NOTE)s字", MAX_NOTE=MAX_NOTE)]
    if details:
        raise ValidationError(details=details)
    return points_, reason, note


def _check_staff(staff: StaffUser, roles: tuple[str, ...]) -> None:
    if not staff.active:
        raise InactiveStaff()
    if not has_role(staff, *roles):
        raise RoleRequired(roles)


def _refuse_overdraft(session: Session, member: Member, points_: int, *, pending: bool) -> None:
    available = points.get_balance(session, member.points_account_id).available
    if points_ < 0 and available < -points_:
        message = (bilingual("会员可用积分只有 %(available)s，扣减 %(points)s 会使余额为负；"
                             "该调整仍待审批，可以驳回", available=f"{available:,}",
                             points=f"{-points_:,}") if pending else
                   bilingual("会员可用积分只有 %(available)s，扣减 %(points)s 会使余额为负",
                             available=f"{available:,}", points=f"{-points_:,}"))
        raise InsufficientPoints(message, details={"points": [message]})


def _post(session: Session, adjustment: PointAdjustment, member: Member, actor: str, *,
          pending: bool):
    """Post the ledger transfer (refused when the member lacks the points)."""
    _refuse_overdraft(session, member, adjustment.points, pending=pending)
    try:
        posting = points.adjust(session, member_account=member.points_account_id,
                                points=adjustment.points, reason=adjustment.reason, actor=actor)
    except InsufficientPoints:  # spent between the check and the debit (under the lock now)
        _refuse_overdraft(session, member, adjustment.points, pending=pending)
        raise
    adjustment.transfer_id = posting.transfer_id
    session.flush()
    return posting


def _record_apply(session: Session, adjustment: PointAdjustment, member: Member, actor: str,
                  posting) -> None:
    record_event(session, actor=actor, action="adjustment.apply", subject=adjustment.id,
                 reason=adjustment.note, member_id=member.id, points=adjustment.points,
                 reason_code=adjustment.reason, transfer_id=posting.transfer_id,
                 balance=posting.balance)


def request_adjustment(session: Session, *, member: Member, points: int, reason: str,
                       note: str, maker: StaffUser) -> PointAdjustment:
    """Ask for an adjustment: applied at once up to the threshold, else pending approval."""
    _check_staff(maker, MAKERS)
    points_, reason, note = _checked(points, reason, note)
    _refuse_overdraft(session, member, points_, pending=False)
    adjustment = PointAdjustment(id=new_id("adj"), member_id=member.id, points=points_,
                                 reason=reason, note=note, status=PENDING, made_by=maker.id,
                                 version=0)
    session.add(adjustment)
    session.flush()
    posting = None
    if not needs_approval(points_):
        _decide(session, adjustment, APPLIED, maker)
        posting = _post(session, adjustment, member, actor_of(maker), pending=False)
    # the audit rows after the ledger posting: the chain's lock is the last one taken
    record_event(session, actor=actor_of(maker), action="adjustment.request",
                 subject=adjustment.id, reason=note, member_id=member.id, points=points_,
                 reason_code=reason, needs_approval=needs_approval(points_))
    if posting is not None:
        _record_apply(session, adjustment, member, actor_of(maker), posting)
    return adjustment


def get_adjustment(session: Session, adjustment_id: str) -> PointAdjustment:
    adjustment = session.get(PointAdjustment, adjustment_id) if adjustment_id else None
    if adjustment is None:
        raise NotFound(bilingual("没有这笔积分调整"))
    return adjustment


def _decide(session: Session, adjustment: PointAdjustment, status: str, staff: StaffUser,
            note: str = "") -> None:
    """Move a pending adjustment to status, if nobody did first (one conditional UPDATE)."""
    seen = adjustment.version
    won = session.execute(
        update(PointAdjustment)
        .where(PointAdjustment.id == adjustment.id, PointAdjustment.status == PENDING,
               PointAdjustment.version == seen)
        .values(status=status, version=seen + 1, decided_by=staff.id, decided_at=utcnow(),
                decision_note=note)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        raise AlreadyDecided()
    session.refresh(adjustment)


def _pending(session: Session, adjustment_id: str) -> PointAdjustment:
    adjustment = get_adjustment(session, adjustment_id)
    if adjustment.status != PENDING:
        raise AlreadyDecided()
    return adjustment


def approve_adjustment(session: Session, adjustment_id: str,
                       approver: StaffUser) -> PointAdjustment:
    """A second person (finance or admin, not the maker) applies a pending adjustment."""
    _check_staff(approver, APPROVERS)
    adjustment = _pending(session, adjustment_id)
    if adjustment.made_by == approver.id:
        raise OwnAdjustment()
    member = session.get(Member, adjustment.member_id)
    _decide(session, adjustment, APPLIED, approver)
    posting = _post(session, adjustment, member,
                    f"staff:{adjustment.made_by},{actor_of(approver)}", pending=True)
    # the audit rows after the ledger posting: the chain's lock is the last one taken
    record_event(session, actor=actor_of(approver), action="adjustment.approve",
                 subject=adjustment.id, reason=adjustment.note, member_id=member.id,
                 points=adjustment.points, made_by=adjustment.made_by)
    _record_apply(session, adjustment, member, actor_of(approver), posting)
    return adjustment


def reject_adjustment(session: Session, adjustment_id: str, approver: StaffUser,
                      reason: str) -> PointAdjustment:
    """Finance or admin turns a pending adjustment down, saying why (the maker may withdraw
    their own this way if they hold one of those roles: rejecting moves no points)."""
    _check_staff(approver, APPROVERS)
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_NOTE:
        raise ValidationError(details={"reason": [
            bilingual("请写明驳回原因（不超过%(MAX_NOTE)s字）", MAX_NOTE=MAX_NOTE)]})
    adjustment = _pending(session, adjustment_id)
    _decide(session, adjustment, REJECTED, approver, reason)
    record_event(session, actor=actor_of(approver), action="adjustment.reject",
                 subject=adjustment.id, reason=reason, member_id=adjustment.member_id,
                 points=adjustment.points, made_by=adjustment.made_by)
    return adjustment
