"""Each VIP (gold, diamond) member's one account manager, a staff user (issue #19): set,
changed or cleared by member care or the desk, each change in the audit log.

A member below gold is refused one: the promise of a personal manager is the VIP's. A member
who later drops below gold keeps theirs until someone clears it (the tier review does not
reach into the desk).
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.audit import record_event
from valliance.db import utcnow
from valliance.errors import NotFound, ValidationError
from valliance.i18n import bilingual
from valliance.members.models import Member
from valliance.service_desk.models import AccountManager
from valliance.staff.models import StaffUser

#: the tiers whose members have an account manager
VIP_TIERS = ("gold", "diamond")
NOT_VIP = bilingual("只有金卡和钻石卡会员配有专属客户经理")
NOT_ACTIVE = bilingual("请选择在职的员工")


def _member(session: Session, member_id: str) -> Member:
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound(bilingual("没有这个会员"))
    return member


def _manager(session: Session, staff_id) -> StaffUser:
    staff = session.get(StaffUser, staff_id) if isinstance(staff_id, str) and staff_id else None
    if staff is None or not staff.active:
        raise ValidationError(NOT_ACTIVE, details={"staff_id": [NOT_ACTIVE]})
    return staff


def assign_manager(session: Session, member_id: str, staff_id: str, *, by: str,
                   now: datetime | None = None) -> AccountManager:
    """Make the active staff user the VIP member's account manager (replacing any); audited.
    `by` is the actor as the audit log writes it (staff:<id>, cli)."""
    member = _member(session, member_id)
    if member.tier not in VIP_TIERS:
        raise ValidationError(NOT_VIP, details={"staff_id": [NOT_VIP]})
    staff = _manager(session, staff_id)
    row = session.get(AccountManager, member.id)
    previous = row.staff_id if row is not None else None
    if row is None:
        row = AccountManager(member_id=member.id)
        session.add(row)
    row.staff_id, row.assigned_by, row.assigned_at = staff.id, by, now or utcnow()
    session.flush()
    record_event(session, actor=by, action="account_manager.assign", subject=member.id,
                 staff_id=staff.id, previous=previous)
    return row


def clear_manager(session: Session, member_id: str, *, by: str) -> bool:
    """The member no longer has an account manager; audited. False when they had none."""
    member = _member(session, member_id)
    row = session.get(AccountManager, member.id)
    if row is None:
        return False
    previous = row.staff_id
    session.delete(row)
    session.flush()
    record_event(session, actor=by, action="account_manager.clear", subject=member.id,
                 previous=previous)
    return True


def set_manager(session: Session, member_id: str, staff_id: str | None, *, by: str) -> None:
    """The member page's one form: assign the staff user, or with None clear the manager."""
    if staff_id is None:
        clear_manager(session, member_id, by=by)
    else:
        assign_manager(session, member_id, staff_id, by=by)


def manager_of(session: Session, member_id: str) -> StaffUser | None:
    """The member's account manager (a staff user), if they have one."""
    return session.scalar(select(StaffUser).join(
        AccountManager, AccountManager.staff_id == StaffUser.id)
        .where(AccountManager.member_id == member_id))


def manager_choices(session: Session) -> list[StaffUser]:
    """The staff users who may be made an account manager: the active ones, by name."""
    return list(session.scalars(select(StaffUser).where(StaffUser.active.is_(True))
                                .order_by(StaffUser.name, StaffUser.username)))
