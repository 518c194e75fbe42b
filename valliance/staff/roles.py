"""Staff roles (contract §13): what each may do, and the guard every staff page names them on.

`admin` may do everything; every other role opens its own pages. A signed-in staff user
without the role gets 403 and a page saying which roles may do it and who holds them.
"""

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user

from valliance.errors import Forbidden
from valliance.i18n import N_, bilingual, label_text

ADMIN, MEMBER_CARE, MERCHANT_OPS, FINANCE, MARKETING, SERVICE_DESK = (
    "admin", "member_care", "merchant_ops", "finance", "marketing", "service_desk")
#: every role, in the order pages list them
ROLES = (ADMIN, MEMBER_CARE, MERCHANT_OPS, FINANCE, MARKETING, SERVICE_DESK)
#: every staff user, whatever their roles (the dashboard)
ANY = ROLES
ROLE_NAMES = {
    ADMIN: (N_("管理员"), "Administrator"),
    MEMBER_CARE: (N_("会员服务"), "Member care"),
    MERCHANT_OPS: (N_("商户运营"), "Merchant operations"),
    FINANCE: (N_("财务"), "Finance"),
    MARKETING: (N_("营销"), "Marketing"),
    SERVICE_DESK: (N_("客服工单"), "Service desk"),
}
assert set(ROLE_NAMES) == set(ROLES)
#: who may approve an adjustment someone else made (contract §13)
APPROVERS = (FINANCE, ADMIN)


def role_name(role: str) -> str:
    """What a page calls a role, in the request's language."""
    return label_text(ROLE_NAMES.get(role, (role, role)))


def parse_roles(raw) -> tuple[str, ...]:
    """Roles from a space- or comma-separated string (or a list), in ROLES order; unknown
    names raise ValueError."""
    names = raw.replace(",", " ").split() if isinstance(raw, str) else list(raw or ())
    unknown = sorted(set(names) - set(ROLES))
    if unknown:
        raise ValueError(", ".join(unknown))
    return tuple(role for role in ROLES if role in names)


def has_role(staff, *roles: str) -> bool:
    """Whether this staff user holds one of the roles (an admin holds every role)."""
    held = set(staff.role_list)
    return ADMIN in held or bool(held.intersection(roles))


class RoleRequired(Forbidden):
    """A staff user without any of the roles a page or action names."""

    code = "role_required"

    def __init__(self, roles: tuple[str, ...]):
        self.roles = tuple(r for r in ROLES if r in roles or r == ADMIN)
        super().__init__(bilingual("没有权限：需要以下角色之一：%(roles)s",
                                   roles="、".join(ROLE_NAMES[r][0] for r in self.roles)))


def role_required(*roles: str):
    """Let through signed-in staff holding one of the roles (or admin): visitors sign in,
    members and merchants get 403, staff without the role get the page naming who may."""
    assert roles and set(roles) <= set(ROLES), roles

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:  # every staff page signs in at the staff login
                return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
            if not getattr(current_user, "is_staff", False):
                abort(403)
            if not has_role(current_user.staff, *roles):
                raise RoleRequired(roles)
            return view(*args, **kwargs)

        wrapped.staff_roles = roles  # the role table test reads what each route names
        return wrapped

    return decorate
