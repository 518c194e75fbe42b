"""The people of a merchant who sign in to its portal: one or more owners and the cashiers."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from valliance.audit import record_event
from valliance.db import utcnow
from valliance.errors import ValidationError, VallianceError
from valliance.i18n import bilingual
from valliance.ids import new_id
from valliance.members.services import normalize_phone
from valliance.merchants.models import MERCHANT_ROLES, Merchant, MerchantUser
from valliance.passwords import hash_password, password_matches

PHONE_TAKEN = bilingual("该手机号已有商户账号")


def add_merchant_user(session: Session, merchant: Merchant, *, phone: str, name: str,
                      password: str, role: str, actor: str) -> MerchantUser:
    """Give someone a sign-in for this merchant's portal."""
    phone = normalize_phone(phone)
    name = (name or "").strip()
    if not 1 <= len(name) <= 50:
        raise ValidationError(details={"name": [bilingual("请填写姓名")]})
    if role not in MERCHANT_ROLES:
        raise ValidationError(details={"role": [bilingual("角色须为店主或收银员")]})
    if session.scalar(select(MerchantUser.id).where(MerchantUser.phone == phone)):
        raise ValidationError(details={"phone": [PHONE_TAKEN]})
    user = MerchantUser(id=new_id("mus"), merchant_id=merchant.id, role=role, phone=phone,
                        name=name, password_hash=hash_password(password))
    session.add(user)
    record_event(session, actor=actor, action="user.create", subject=user.id,
                 merchant_id=merchant.id, role=role, name=name)
    session.flush()
    return user


def set_user_active(session: Session, user: MerchantUser, active: bool, *, actor: str) -> None:
    """Disable or re-enable a sign-in; the last active owner cannot be disabled."""
    # Lock the merchant first: two owners disabling each other at once must not leave none.
    session.execute(select(Merchant.id).where(Merchant.id == user.merchant_id).with_for_update())
    if not active and user.role == "owner" and active_owner_count(session, user.merchant_id) <= 1:
        raise ValidationError(details={"active": [
            bilingual("至少保留一名店主")]})
    user.active = active
    record_event(session, actor=actor, action="user.enable" if active else "user.disable",
                 subject=user.id, merchant_id=user.merchant_id)
    session.flush()


def active_owner_count(session: Session, merchant_id: str) -> int:
    return session.scalar(select(func.count()).select_from(MerchantUser).where(
        MerchantUser.merchant_id == merchant_id, MerchantUser.role == "owner",
        MerchantUser.active.is_(True))) or 0


def change_merchant_user_password(session: Session, user: MerchantUser, current: str,
                                  new: str) -> None:
    """Set a new password after checking the current one (signs out other sessions)."""
    if not password_matches(user.password_hash, current):
        raise ValidationError(details={"current_password": [bilingual("当前密码不正确")]})
    user.password_hash = hash_password(new)
    record_event(session, actor=f"merchant_user:{user.id}", action="user.password",
                 subject=user.id, merchant_id=user.merchant_id)
    session.flush()


class SignInRefused(VallianceError):
    """The phone and password are right, but this sign-in may not open the portal now: the
    merchant is pending, rejected or suspended, or the sign-in is disabled. Only someone who
    knows the password learns this; the page says why and what to do."""

    status = 403
    code = "sign_in_refused"
    message = bilingual("暂时无法登录商户后台")

    def __init__(self, user: MerchantUser):
        super().__init__()
        self.user = user
        #: why: the merchant's status (pending, rejected, suspended), or "disabled"
        self.reason = "disabled" if not user.active else user.merchant.status


def sign_in_merchant_user(session: Session, phone: str, password: str) -> MerchantUser | None:
    """The user with this phone and password, signing in now; None for a wrong phone or
    password; SignInRefused when they are right but the portal is closed to this user."""
    try:
        phone = normalize_phone(phone)
    except ValidationError:
        phone = ""
    user = session.scalar(select(MerchantUser).where(MerchantUser.phone == phone))
    if not password_matches(user.password_hash if user else None, password):
        return None
    if not user.active or user.merchant.status != "approved":
        raise SignInRefused(user)
    user.last_sign_in_at = utcnow()
    session.flush()
    return user


def authenticate_merchant_user(session: Session, phone: str, password: str) -> MerchantUser | None:
    """The active user of an approved merchant with this phone and password, or None."""
    try:
        return sign_in_merchant_user(session, phone, password)
    except SignInRefused:
        return None


def list_merchant_users(session: Session, merchant_id: str) -> list[MerchantUser]:
    """Who signs in for the merchant: active first, owners before cashiers, oldest first."""
    return list(session.scalars(select(MerchantUser).where(
        MerchantUser.merchant_id == merchant_id)
        .order_by(MerchantUser.active.desc(), MerchantUser.role.desc(),
                  MerchantUser.created_at)))
