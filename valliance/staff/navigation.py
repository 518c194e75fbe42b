"""The staff pages' navigation: each entry shows to the roles that may open it."""

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_login import current_user

from valliance.i18n import N_, _
from valliance.staff.roles import (
    ADMIN,
    ANY,
    FINANCE,
    MARKETING,
    MEMBER_CARE,
    MERCHANT_OPS,
    has_role,
)


@dataclass(frozen=True)
class NavEntry:
    endpoint: str
    label: str
    roles: tuple[str, ...]
    #: the endpoints (or "blueprint." prefixes) that mark this entry current
    current: tuple[str, ...] = ()


NAV = (
    NavEntry("backoffice.dashboard", N_("工作台"), ANY),
    NavEntry("backoffice.members", N_("会员服务"), (MEMBER_CARE,), ("backoffice.member",)),
    NavEntry("backoffice.adjustments", N_("积分调整"), (MEMBER_CARE, FINANCE),
             ("backoffice.adjustment",)),
    NavEntry("staff.merchants", N_("商户运营"), (MERCHANT_OPS,),
             ("backoffice.merchant", "backoffice.merchant_edit", "backoffice.merchant_import",
              "backoffice.merchant_import_job")),
    NavEntry("referral_report.page", N_("114推荐转化"), (MERCHANT_OPS, MARKETING)),
    NavEntry("settlement_staff.periods", N_("结算"), (FINANCE,), ("settlement_staff.",)),
    NavEntry("backoffice.liability", N_("积分负债"), (FINANCE,)),
    NavEntry("backoffice.audit_log", N_("审计日志"), (ADMIN, FINANCE)),
    NavEntry("backoffice.staff_accounts", N_("员工账号"), (ADMIN,), ("backoffice.staff_account",)),
)


def staff_nav() -> list[dict]:
    """The entries the signed-in staff user may open (features not installed are left out)."""
    staff = current_user.staff
    endpoint = request.endpoint or ""
    entries = []
    for entry in NAV:
        if entry.endpoint not in current_app.view_functions or not has_role(staff, *entry.roles):
            continue
        marks = (entry.endpoint, *entry.current)
        entries.append({"url": url_for(entry.endpoint), "label": _(entry.label),
                        "current": any(endpoint == m or (m.endswith(".") and endpoint.startswith(m))
                                       for m in marks)})
    return entries
