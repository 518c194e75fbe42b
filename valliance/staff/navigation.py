"""The staff pages' navigation: each entry shows to the roles that may open it."""

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_login import current_user

from valliance.i18n import N_, N_ctx, label_text
from valliance.staff.roles import (
    ADMIN,
    ANY,
    FINANCE,
    MARKETING,
    MEMBER_CARE,
    MERCHANT_OPS,
    SERVICE_DESK,
    has_role,
)


@dataclass(frozen=True)
class NavEntry:
    endpoint: str
    #: ("中文",) or ("中文", context) — valliance.i18n.label_text
    label: tuple
    roles: tuple[str, ...]
    #: the other endpoints that mark this entry current (ending in "." or "_": prefixes)
    current: tuple[str, ...] = ()


ADJUSTMENTS = "Points adjustments"  #: the context of 积分调整 meaning the staff page
NAV = (
    NavEntry("backoffice.dashboard", (N_("工作台"),), ANY),
    NavEntry("backoffice.members", (N_("会员服务"),), (MEMBER_CARE,),
             ("backoffice.member", "backoffice.member_", "backoffice.new_member")),
    NavEntry("backoffice.adjustments", (N_ctx(ADJUSTMENTS, "积分调整"), ADJUSTMENTS),
             (MEMBER_CARE, FINANCE),
             ("backoffice.adjustment", "backoffice.new_adjustment", "backoffice.approve_",
              "backoffice.reject_")),
    NavEntry("staff.merchants", (N_("商户运营"),), (MERCHANT_OPS,),
             ("backoffice.merchant", "backoffice.merchant_")),
    NavEntry("referral_report.page", (N_("114推荐转化"),), (MERCHANT_OPS, MARKETING)),
    NavEntry("settlement_staff.periods", (N_("结算"),), (FINANCE,), ("settlement_staff.",)),
    NavEntry("backoffice.liability", (N_("积分负债"),), (FINANCE,)),
    NavEntry("marketing.segments", (N_("客户分群"),), (MARKETING,), ("marketing.segment",)),
    NavEntry("marketing.campaigns", (N_("营销活动"),), (MARKETING,), ("marketing.campaign",)),
    # the programmes (issue #18): one entry, their overview; each programme's page marks it
    NavEntry("backoffice.programmes_page", (N_("会员计划"),), (MARKETING, FINANCE),
             ("backoffice.bill_points", "care.", "marketing.coupons", "marketing.coupon_",
              "marketing.expiry", "invitations_staff.", "winback.")),
    # the VIP service desk (issue #19): the queue; its tickets, intake, teams, levels and the
    # report mark it
    NavEntry("desk.queue", (N_("客服工单"),), (SERVICE_DESK,), ("desk.", "desk_report.")),
    NavEntry("backoffice.jobs", (N_("后台任务"),), (ADMIN,), ("backoffice.job",)),
    NavEntry("backoffice.audit_log", (N_("审计日志"),), (ADMIN, FINANCE), ("backoffice.audit_",)),
    NavEntry("backoffice.staff_accounts", (N_("员工账号"),), (ADMIN,),
             ("backoffice.staff_account", "backoffice.staff_account_")),
)


#: the programmes' own pages (the overview at backoffice.programmes_page links each), by the
#: key of their figures (backoffice.services.programmes)
PROGRAMMES = {
    "coupons": NavEntry("marketing.coupons", (N_("优惠券"),), (MARKETING,)),
    "coupon_rules": NavEntry("marketing.coupon_rules", (N_("满就送"),), (MARKETING,)),
    "birthday": NavEntry("care.birthday", (N_("生日关怀"),), (MARKETING,)),
    "invitations": NavEntry("invitations_staff.report", (N_("老带新"),), (MARKETING,)),
    "winback": NavEntry("winback.page", (N_("会员挽回"),), (MARKETING,)),
    "expiry": NavEntry("marketing.expiry", (N_("积分到期提醒"),), (MARKETING, FINANCE)),
    "bill_points": NavEntry("backoffice.bill_points", (N_("积分抵话费"),), (FINANCE, MARKETING)),
}


def staff_nav() -> list[dict]:
    """The entries the signed-in staff user may open (features not installed are left out)."""
    staff = current_user.staff
    endpoint = request.endpoint or ""
    entries = []
    for entry in NAV:
        if entry.endpoint not in current_app.view_functions or not has_role(staff, *entry.roles):
            continue
        entries.append({"url": url_for(entry.endpoint), "label": label_text(entry.label),
                        "current": _marks(endpoint, (entry.endpoint, *entry.current))})
    return entries


def _marks(endpoint: str, marks: tuple[str, ...]) -> bool:
    """Whether the page is one of the marks (a mark ending in "." or "_" is a prefix)."""
    return any(endpoint == m or (m.endswith((".", "_")) and endpoint.startswith(m))
               for m in marks)
