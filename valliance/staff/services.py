"""Alliance staff accounts: create, disable, sign in."""

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.audit import record_event
from valliance.db import utcnow
from valliance.errors import NotFound, ValidationError
from valliance.ids import new_id
from valliance.passwords import hash_password, password_matches
from valliance.staff.models import StaffUser

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")


def normalize_username(raw: str) -> str:
    """Lowercase letters, digits, ".", "_" and "-", 2–40 characters, or raise."""
    username = (raw or "").strip().lower()
    if not _USERNAME.match(username):
        raise ValidationError(details={"username": [
            "用户名为2–40位小写字母、数字或 . _ - / 2–40 lowercase letters, digits, . _ or -"]})
    return username


def find_staff(session: Session, username: str) -> StaffUser | None:
    return session.scalar(select(StaffUser).where(StaffUser.username == username))


def create_staff_user(session: Session, *, username: str, name: str, password: str,
                      actor: str = "cli") -> StaffUser:
    """Give someone who works for the alliance a staff sign-in."""
    username = normalize_username(username)
    name = (name or "").strip()
    if not 1 <= len(name) <= 50:
        raise ValidationError(details={"name": ["请填写姓名 / Enter a name"]})
    if find_staff(session, username):
        raise ValidationError(details={"username": ["用户名已存在 / Username taken"]})
    staff = StaffUser(id=new_id("stf"), username=username, name=name,
                      password_hash=hash_password(password))
    session.add(staff)
    record_event(session, actor=actor, action="staff.create", subject=staff.id,
                 username=username, name=name)
    session.flush()
    return staff


def set_staff_active(session: Session, username: str, active: bool, *,
                     actor: str = "cli") -> StaffUser:
    """Disable (signing out every session at once) or re-enable a staff sign-in."""
    staff = find_staff(session, (username or "").strip().lower())
    if staff is None:
        raise NotFound(f"没有该员工账号 / No staff user {username!r}")
    staff.active = active
    record_event(session, actor=actor, action="staff.enable" if active else "staff.disable",
                 subject=staff.id, username=staff.username)
    session.flush()
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
