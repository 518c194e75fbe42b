"""Alliance staff: their accounts (create, disable, sign in) and the merchant approval queue
they read (counts per status, search, pages)."""

import math
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from valliance.audit import record_event
from valliance.db import utcnow
from valliance.errors import NotFound, ValidationError
from valliance.i18n import bilingual
from valliance.ids import new_id
from valliance.members.services.enrollment import normalize_phone
from valliance.merchants.models import MERCHANT_STATUSES, Merchant, MerchantUser
from valliance.passwords import hash_password, password_matches
from valliance.staff.models import StaffUser
from valliance.staff.roles import ADMIN, ROLES, parse_roles

PER_PAGE = 20
MAX_QUERY = 100
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")


def normalize_username(raw: str) -> str:
    """Lowercase letters, digits, ".", "_" and "-", 2–40 characters, or raise."""
    username = (raw or "").strip().lower()
    if not _USERNAME.match(username):
        raise ValidationError(details={"username": [
            bilingual("用户名为2–40位小写字母、数字或 . _ -")]})
    return username


def find_staff(session: Session, username: str) -> StaffUser | None:
    return session.scalar(select(StaffUser).where(StaffUser.username == username))


def checked_roles(raw) -> tuple[str, ...]:
    """Known roles (at least one) from a string or list, or a ValidationError naming them."""
    try:
        roles = parse_roles(raw)
    except ValueError as exc:
        known = ", ".join(ROLES)
        raise ValidationError(details={"role": [bilingual(
            "未知角色：%(names)s；可选：%(known)s", names=str(exc), known=known)]}) from None
    if not roles:
        raise ValidationError(details={"role": [bilingual("请至少选择一个角色")]})
    return roles


def create_staff_user(session: Session, *, username: str, name: str, password: str,
                      roles, actor: str = "cli", reason: str = "") -> StaffUser:
    """Give someone who works for the alliance a staff sign-in with one or more roles."""
    roles = checked_roles(roles)
    username = normalize_username(username)
    name = (name or "").strip()
    if not 1 <= len(name) <= 50:
        raise ValidationError(details={"name": [bilingual("请填写姓名")]})
    if find_staff(session, username):
        raise ValidationError(details={"username": [bilingual("用户名已存在")]})
    staff = StaffUser(id=new_id("stf"), username=username, name=name,
                      password_hash=hash_password(password), roles=" ".join(roles))
    session.add(staff)
    record_event(session, actor=actor, action="staff.create", subject=staff.id, reason=reason,
                 username=username, name=name, roles=list(roles))
    session.flush()
    return staff


def _needs_reason(actor: str, reason: str) -> None:
    """A staff user changing an account says why (the shell's operator need not)."""
    if actor != "cli" and not (reason or "").strip():
        raise ValidationError(details={"reason": [bilingual("请填写原因")]})


def _keeps_an_admin(session: Session, staff: StaffUser, actor: str) -> None:
    """From the staff pages, the last active admin keeps the role and the account (the shell
    stays the way back in, so `flask staff` may).

    The active admins' rows are locked (in id order) while counting: two admins removing
    each other at once are taken one after the other, and the second sees the first's change.
    """
    if actor == "cli" or not staff.active or ADMIN not in staff.role_list:
        return
    admins = session.scalars(select(StaffUser.id).where(
        StaffUser.active.is_(True), StaffUser.roles.contains(ADMIN))
        .order_by(StaffUser.id).with_for_update()).all()
    if not set(admins) - {staff.id}:
        raise ValidationError(bilingual(
            "%(name)s 是唯一在职的管理员：请先让另一位同事成为管理员", name=staff.name))


def set_staff_roles(session: Session, staff: StaffUser, roles, *, actor: str,
                    reason: str = "") -> StaffUser:
    """Change the roles a staff user holds (audited with what they were)."""
    roles = checked_roles(roles)
    before = staff.role_list
    if before != roles:
        _needs_reason(actor, reason)
        if ADMIN not in roles:
            _keeps_an_admin(session, staff, actor)
        staff.roles = " ".join(roles)
        record_event(session, actor=actor, action="staff.roles", subject=staff.id,
                     reason=reason, username=staff.username, before=list(before),
                     after=list(roles))
    session.flush()
    return staff


def set_staff_active(session: Session, username: str, active: bool, *,
                     actor: str = "cli", reason: str = "") -> StaffUser:
    """Disable (signing out every session at once) or re-enable a staff sign-in."""
    staff = find_staff(session, (username or "").strip().lower())
    if staff is None:
        raise NotFound(bilingual("没有该员工账号", username=repr(username)))
    if staff.active == active and actor != "cli":
        return staff
    _needs_reason(actor, reason)
    if not active:
        _keeps_an_admin(session, staff, actor)
    staff.active = active
    record_event(session, actor=actor, action="staff.enable" if active else "staff.disable",
                 subject=staff.id, reason=reason, username=staff.username)
    session.flush()
    return staff


def set_staff_phone(session: Session, staff: StaffUser, phone: str | None, *, actor: str,
                    reason: str = "") -> StaffUser:
    """Set (or clear, with a blank) the mobile number test sends of campaigns go to
    (11 digits, as members' phones; audited, masked)."""
    phone = normalize_phone(phone) if (phone or "").strip() else None
    if phone != staff.phone:
        masked = f"{phone[:3]}****{phone[-4:]}" if phone else None
        staff.phone = phone
        record_event(session, actor=actor, action="staff.phone", subject=staff.id,
                     reason=reason, username=staff.username, phone=masked)
    session.flush()
    return staff


def new_password() -> str:
    """A password to hand over once: 12 letters and digits, with at least one of each."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(12))
        if re.search(r"\d", password) and re.search(r"[A-Za-z]", password):
            return password


def reset_password(session: Session, staff: StaffUser, *, actor: str, reason: str,
                   password: str | None = None) -> str:
    """Set a staff user's password (a generated one when none is given) and return it; their
    sessions end (the password is part of every session's credential)."""
    _needs_reason(actor, reason)
    generated = not password
    password = password or new_password()
    staff.password_hash = hash_password(password)
    record_event(session, actor=actor, action="staff.password", subject=staff.id,
                 reason=reason, username=staff.username,
                 generated=generated)
    session.flush()
    return password


def list_staff(session: Session) -> list[StaffUser]:
    """Every staff account: active first, then by name."""
    return list(session.scalars(select(StaffUser).order_by(
        StaffUser.active.desc(), StaffUser.name, StaffUser.username)))


def get_staff(session: Session, staff_id: str) -> StaffUser:
    staff = session.get(StaffUser, staff_id)
    if staff is None:
        raise NotFound()
    return staff


def authenticate_staff(session: Session, username: str, password: str) -> StaffUser | None:
    """The active staff user with this username and password, or None (in the same time)."""
    staff = find_staff(session, (username or "").strip().lower())
    if not password_matches(staff.password_hash if staff else None, password):
        return None
    if not staff.active:
        return None
    staff.last_sign_in_at = utcnow()
    session.flush()
    return staff


# --- the merchant approval queue --------------------------------------------------------


@dataclass
class QueuePage:
    merchants: list[Merchant]
    #: merchant id → its owners' accounts
    owners: dict[str, list[MerchantUser]]
    total: int
    page: int
    pages: int


def _matching(query, q: str):
    q = (q or "").strip()[:MAX_QUERY]
    if not q:
        return query
    return query.where(or_(Merchant.name.icontains(q, autoescape=True),
                           Merchant.licence_no.startswith(q.upper(), autoescape=True)))


def status_counts(session: Session, q: str = "") -> dict[str, int]:
    """How many merchants (matching the search) are in each status; every status present."""
    rows = session.execute(_matching(
        select(Merchant.status, func.count()).group_by(Merchant.status), q)).all()
    counts = dict.fromkeys(MERCHANT_STATUSES, 0)
    counts.update({status: count for status, count in rows})
    return counts


def merchant_queue(session: Session, *, status: str | None, q: str = "", page: int = 1,
                   per_page: int = PER_PAGE) -> QueuePage:
    """One page of merchants in a status (None: every status), newest applications first."""
    base = select(Merchant) if status is None else select(Merchant).where(
        Merchant.status == status)
    base = _matching(base, q)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    merchants = list(session.scalars(base.order_by(Merchant.created_at.desc(), Merchant.id.desc())
                                     .offset((page - 1) * per_page).limit(per_page)))
    owners: dict[str, list[MerchantUser]] = {m.id: [] for m in merchants}
    if merchants:
        for user in session.scalars(select(MerchantUser).where(
                MerchantUser.merchant_id.in_(list(owners)), MerchantUser.role == "owner")
                .order_by(MerchantUser.created_at)):
            owners[user.merchant_id].append(user)
    return QueuePage(merchants, owners, total, page, pages)


def merchant_accounts(session: Session, merchant_id: str) -> list[MerchantUser]:
    """Everyone who signs in for this merchant: owners first."""
    return list(session.scalars(select(MerchantUser).where(
        MerchantUser.merchant_id == merchant_id).order_by(
        MerchantUser.role.desc(), MerchantUser.created_at)))


def staff_names(session: Session, staff_ids: set[str]) -> dict[str, str]:
    """staff id → name, for showing who reviewed what."""
    if not staff_ids:
        return {}
    return dict(session.execute(select(StaffUser.id, StaffUser.name).where(
        StaffUser.id.in_(list(staff_ids)))).all())
