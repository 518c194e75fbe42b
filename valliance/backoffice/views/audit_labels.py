"""What the audit log page calls things: actions in words, who did it, what it was done to."""

import json
import re
from dataclasses import dataclass

from flask import url_for
from werkzeug.routing import BuildError

from valliance.backoffice.services.audit_log import MEMBER, MERCHANT_USER, STAFF, Names
from valliance.backoffice.views.helpers import has_page
from valliance.i18n import N_, N_ctx, _, label_text
from valliance.staff.roles import role_name

#: action → what it was, in words (an action not here is shown as it is written)
ACTION_LABELS = {
    "staff.create": N_("创建员工账号"),
    "staff.roles": N_("修改员工角色"),
    "staff.disable": N_("停用员工账号"),
    "staff.enable": N_("启用员工账号"),
    "staff.password": N_("重置员工密码"),
    "staff.phone": N_("修改员工手机号"),
    "merchant.apply": N_("商户提交加盟申请"),
    "merchant.reapply": N_("商户重新提交申请"),
    "merchant.approve": N_("通过商户申请"),
    "merchant.reject": N_("拒绝商户申请"),
    "merchant.suspend": N_("暂停商户"),
    "merchant.reinstate": N_("恢复商户"),
    "offer.create": N_("新建优惠"),
    "offer.update": N_("修改优惠"),
    "terminal.create": N_("新增收银终端"),
    "terminal.revoke": N_("停用收银终端"),
    "user.create": N_("新增商户账号"),
    "user.enable": N_("启用商户账号"),
    "user.disable": N_("停用商户账号"),
    "user.password": N_("修改商户账号密码"),
    "purchase.refund": N_("退款"),
    "payout.paid": N_("向商户付款"),
    "collection.paid": N_("收到商户付款"),
    "settlement.closed": N_("结算月度账期"),
    "member.enrol": N_("会员开通"),
    "member.freeze": N_("会员资格冻结"),
    "member.unfreeze": N_("会员资格恢复"),
    "member.tier": N_("会员等级调整"),
    "member.claim_sms": N_("激活短信重发"),
    "member.marketing_opt_in": N_("订阅优惠活动短信"),
    "member.marketing_opt_out": N_("退订优惠活动短信"),
    "member.birthday": N_("会员生日修改"),
    "card.lost": N_("挂失会员卡"),
    "card.reissue": N_("补发会员卡"),
    "adjustment.request": N_("提交积分调整"),
    "adjustment.apply": N_("积分调整入账"),
    "adjustment.approve": N_("审批通过积分调整"),
    "adjustment.reject": N_("驳回积分调整"),
    "merchant.edit": N_("商户资料修改"),
    "merchant_import.upload": N_("上传商户导入文件"),
    "merchant_import.done": N_("完成商户批量导入"),
    "segment.create": N_("新建客户分群"),
    "segment.update": N_("修改客户分群"),
    "segment.delete": N_("删除客户分群"),
    "campaign.create": N_("新建营销活动"),
    "campaign.update": N_("修改营销活动"),
    "campaign.schedule": N_("营销活动排期"),
    "campaign.pause": N_("暂停营销活动"),
    "campaign.resume": N_("恢复营销活动"),
    "campaign.stop": N_("停止营销活动"),
    "campaign.test_send": N_("营销活动测试发送"),
    "account_manager.assign": N_("设置专属客户经理"),
    "account_manager.clear": N_("取消专属客户经理"),
}
#: verify_chain's problem → what the banner says
PROBLEMS = {"missing link": N_("这一条缺失"), "points to the wrong link": N_("指向的上一条不对"),
            "changed after it was written": N_("写入后被改动过"),
            "not a link of the chain": N_("不是链上的一条（被插入）")}
#: what a row calls an offer and a till terminal (a context each: the words mean more elsewhere)
OFFER = (N_ctx("Offer", "优惠"), "Offer")
TERMINAL = (N_ctx("Terminal", "收银终端"), "Terminal")
ADJUSTMENT = (N_ctx("Points adjustment", "积分调整"), "Points adjustment")
PERIOD = re.compile(r"\d{4}-\d{2}")  #: a settlement month ("2026-11"), the subject of closing it
MERCHANT_ROLES = {"owner": N_("店主"), "cashier": N_("收银员")}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return _(label) if label else action


def problem_label(problem: str) -> str:
    label = PROBLEMS.get(problem)
    return _(label) if label else problem


def action_choices() -> list[tuple[str, str]]:
    return [(action, _(label)) for action, label in ACTION_LABELS.items()]


@dataclass(frozen=True)
class Shown:
    """A person or thing as a row shows it: its name, what it is, and its page (if any)."""

    name: str
    kind: str = ""
    url: str | None = None
    plain: bool = False  #: an id or actor string shown as written (no name found)


def _link(endpoint: str, **values) -> str | None:
    if not has_page(endpoint):
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:  # the page takes other arguments than we know
        return None


def _staff(staff) -> Shown:
    roles = _("、").join(role_name(r) for r in staff.role_list) or _("无角色")
    return Shown(staff.name, roles, _link("backoffice.staff_account", staff_id=staff.id))


def _merchant_user(user) -> Shown:
    role = MERCHANT_ROLES.get(user.role)
    kind = f"{user.merchant.name} · {_(role) if role else user.role}"
    return Shown(user.name, kind)


def _member(member) -> Shown:
    return Shown(member.name, f"{_('会员')} {member.phone_masked}",
                 _link("backoffice.member", member_id=member.id))


def who(actor: str, names: Names) -> Shown:
    """The actor of an event: a person's name and role, or what else acted."""
    kind, _colon, ident = actor.partition(":")
    if kind == STAFF and ident in names.staff:
        return _staff(names.staff[ident])
    if kind == MERCHANT_USER and ident in names.merchant_users:
        return _merchant_user(names.merchant_users[ident])
    if kind == MEMBER and ident in names.members:
        return _member(names.members[ident])
    if actor == "cli":
        return Shown(_("命令行"), _("系统运维"))
    if actor == "stripe":
        return Shown("Stripe", _("支付通知"))
    return Shown(actor, plain=True)


def what(subject: str, merchant_id: str | None, names: Names) -> Shown:
    """The object of an event, linked to its page where it has one."""
    if subject in names.merchants:
        merchant = names.merchants[subject]
        return Shown(merchant.name, _("商户"), _link("backoffice.merchant", merchant_id=subject))
    if subject in names.members:
        return _member(names.members[subject])
    if subject in names.staff:
        staff = names.staff[subject]
        return Shown(staff.name, _("员工"), _link("backoffice.staff_account", staff_id=subject))
    if subject in names.merchant_users:
        return _merchant_user(names.merchant_users[subject])
    if subject in names.adjustments:
        return _adjustment(names.adjustments[subject], names)
    merchant = names.merchants.get(merchant_id) if merchant_id else None
    where = f" · {merchant.name}" if merchant else ""
    if subject in names.offers:
        return Shown(names.offers[subject].title, label_text(OFFER) + where)
    if subject in names.terminals:
        kind = label_text(TERMINAL)
        return Shown(names.terminals[subject].name or kind, kind + where)
    if subject.startswith("adj_"):  # an adjustment: its page, not its id
        return Shown(label_text(ADJUSTMENT), "",
                     _link("backoffice.adjustment", adjustment_id=subject))
    if subject.startswith("imp_"):  # a merchant import: its report
        return Shown(_("批量导入商户"), "",
                     _link("backoffice.merchant_import_job", import_id=subject))
    if subject.startswith("cmp_"):  # a marketing campaign: its page
        return Shown(_("营销活动"), "", _link("marketing.campaign", campaign_id=subject))
    if PERIOD.fullmatch(subject):  # a settlement month
        return Shown(subject, _("结算"), _link("settlement_staff.period", period=subject))
    return Shown(subject, merchant.name if merchant else "", plain=True)


def _adjustment(adjustment, names: Names) -> Shown:
    member = names.members.get(adjustment.member_id)
    kind = label_text(ADJUSTMENT) + (f" · {member.name}" if member else "")
    return Shown(_("%(points)s 积分", points=f"{adjustment.points:+,}"), kind,
                 _link("backoffice.adjustment", adjustment_id=adjustment.id))


def detail_text(event) -> str:
    """The event's detail, indented, for the expandable cell ("" when there is none)."""
    details = event.details
    return json.dumps(details, ensure_ascii=False, indent=1, sort_keys=True) if details else ""
