"""The merchant's activity trail told as sentences in the reader's language:
"王老板 新建了优惠「V卡8.8折」（8.8折，每消费1元积2分）". Money in yuan, people and things by
their names, never an internal id, a key or a Python value; an event kind this module does not
know still reads as a sentence."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.audit import AuditEvent
from valliance.db import Base, select_where_in
from valliance.i18n import N_, N_ctx, gettext, label_text, pgettext
from valliance.members.labels import tier_name
from valliance.members.models import TIERS
from valliance.merchants.labels import discount_text
from valliance.merchants.models import MerchantUser, Offer, Purchase
from valliance.money import format_yuan

#: the order an offer's changed terms are told in
ORDER = ("title", "percent_off", "tier_percent_off", "points_per_yuan", "valid_from",
         "valid_until", "description", "active")
ROLES = {
    "owner": (N_ctx("an owner", "店主"), "an owner"),
    "cashier": (N_ctx("a cashier", "收银员"), "a cashier"),
}
#: a role the feed does not know
SOMEONE = (N_ctx("a person", "员工"), "a person")


@dataclass(frozen=True)
class Line:
    created_at: datetime
    text: str


@dataclass
class _Names:
    users: dict[str, str]
    offers: dict[str, str]
    purchases: dict[str, int]
    periods: dict[str, str]


def _lookups(session: Session, merchant_id: str, events: list[AuditEvent]) -> _Names:
    def subjects(prefix: str) -> list[str]:
        return sorted({e.subject for e in events if e.action.startswith(prefix)})

    statements = sorted({str(e.details.get("statement", "")) for e in events
                         if e.action in ("payout.paid", "collection.paid")} - {""})
    # By table, not by model: settlement depends on merchants, not the other way round.
    statement = Base.metadata.tables["settlement_statements"].c
    users = dict(session.execute(select(MerchantUser.id, MerchantUser.name).where(
        MerchantUser.merchant_id == merchant_id)).all())
    return _Names(
        users=users,
        offers=dict(select_where_in(session, select(Offer.id, Offer.title).where(
            Offer.merchant_id == merchant_id), Offer.id, subjects("offer."))),
        purchases=dict(select_where_in(session, select(Purchase.id, Purchase.amount).where(
            Purchase.merchant_id == merchant_id), Purchase.id, subjects("purchase."))),
        periods=dict(select_where_in(session, select(statement.id, statement.period).where(
            statement.merchant_id == merchant_id), statement.id, statements)))


def _who(actor: str, names: _Names) -> str:
    kind, _, key = actor.partition(":")
    if kind == "merchant_user":
        return names.users.get(key) or gettext("本店员工")
    if kind == "staff":
        return gettext("联盟工作人员")
    if kind == "applicant":
        return pgettext("The applicant", "申请人")
    return gettext("联盟系统")


def _quoted(text) -> str:
    return gettext("「%(text)s」", text=text)


def _discount(percent) -> str:
    try:
        return discount_text(Decimal(str(percent)))
    except ArithmeticError:
        return str(percent)


def _tiers(rates) -> str:
    if not isinstance(rates, dict) or not rates:
        return gettext("无")
    return gettext("、").join(f"{tier_name(t)} {_discount(p)}" for t, p in rates.items()
                               if t in TIERS)


def _change(key: str, before, after) -> str:
    """One changed term of an offer: "折扣 9折 → 8.8折"."""
    if key == "active":
        return pgettext("switched on", "启用") if after else pgettext("switched off", "停用")
    if key == "description":
        return gettext("修改了优惠说明")
    shown = {"percent_off": _discount, "tier_percent_off": _tiers,
             "title": _quoted}.get(key, lambda v: str(v) if v not in ("", None) else
                                   gettext("不限"))
    label = {
        "title": (N_ctx("title", "标题"), "title"),
        "percent_off": (N_ctx("discount", "折扣"), "discount"),
        "points_per_yuan": (N_ctx("points per ¥1", "每元积分"), "points per ¥1"),
        "tier_percent_off": (N_ctx("tier rates", "等级折扣"), "tier rates"),
        "valid_from": (N_("开始日期"), "from"),
        "valid_until": (N_("结束日期"), "until"),
    }.get(key, ("其他条件", "other terms"))
    return (label_text(label) + f' {shown(before)} → {shown(after)}')


def _offer(event: AuditEvent, who: str, names: _Names) -> str:
    details = event.details
    title = details.get("title") if event.action == "offer.create" else None
    if isinstance(details.get("title"), list):
        title = details["title"][1]
    title = _quoted(title or names.offers.get(event.subject) or gettext("一项优惠"))
    if event.action == "offer.create":
        points = details.get("points_per_yuan", 1)
        return gettext(
            "%(who)s 新建了优惠%(title)s（%(details)s，每消费1元积%(points)s分）",
            who=who,
            title=title,
            details=_discount(details.get('percent_off', 0)),
            points=points,
        )
    keys = sorted(details, key=lambda k: ORDER.index(k) if k in ORDER else len(ORDER))
    changes = gettext("；").join(_change(k, *details[k]) for k in keys
                                 if isinstance(details[k], list) and len(details[k]) == 2)
    return gettext(
        "%(who)s 修改了优惠%(title)s：%(changes)s",
        who=who,
        title=title,
        changes=changes,
    )


def _people(event: AuditEvent, who: str, names: _Names) -> str:
    details = event.details
    name = _quoted(details.get("name") or names.users.get(event.subject)
                   or gettext("一名员工"))
    if event.action == "user.create":
        role = ROLES.get(details.get("role"), SOMEONE)
        return gettext("%(who)s 添加了%(role)s%(name)s", who=who, role=label_text(role), name=name)
    if event.action == "user.password":
        if event.actor == f"merchant_user:{event.subject}":
            return gettext("%(who)s 修改了自己的密码", who=who)
        return gettext("%(who)s 修改了%(name)s的密码", who=who, name=name)
    if event.action == "user.disable":
        return gettext("%(who)s 停用了%(name)s的账号", who=who, name=name)
    return gettext("%(who)s 恢复了%(name)s的账号", who=who, name=name)


def _money(event: AuditEvent, who: str, names: _Names) -> str:
    details = event.details
    if event.action == "purchase.refund":
        refund = format_yuan(int(details.get("amount") or 0))
        sale = names.purchases.get(event.subject)
        if sale is None:
            return gettext("%(who)s 退款 %(refund)s", who=who, refund=refund)
        return gettext(
            "%(who)s 为一笔 %(sale)s 的消费退款 %(refund)s",
            who=who,
            sale=format_yuan(sale),
            refund=refund,
        )
    amount = format_yuan(int(details.get("amount_fen") or 0))
    period = names.periods.get(str(details.get("statement", ""))) or gettext("本期")
    if event.action == "payout.paid":
        reference = details.get("reference") or ""
        return gettext(
            "%(who)s 向本店支付了 %(period)s 的结算款 %(amount)s（付款参考号 %(reference)s）",
            who=who,
            period=period,
            amount=amount,
            reference=reference,
        )
    return gettext(
        "本店通过 Stripe 支付了 %(period)s 的结算款 %(amount)s",
        period=period,
        amount=amount,
    )


def _shop(event: AuditEvent, who: str) -> str:
    details = event.details
    note, shop_name = details.get("note") or "", _quoted(details.get("name", ""))
    reason = gettext("，原因：%(note)s", note=note) if note else ""
    return {
        "merchant.apply": gettext(
            "%(who)s 提交了加盟申请%(shop_name)s",
            who=who,
            shop_name=shop_name,
        ),
        "merchant.approve": gettext("%(who)s 通过了本店的加盟申请", who=who),
        "merchant.reject": gettext(
            "%(who)s 未通过本店的加盟申请%(reason)s",
            who=who,
            reason=reason,
        ),
        "merchant.suspend": gettext("%(who)s 暂停了本店%(reason)s", who=who, reason=reason),
        "merchant.reinstate": gettext("%(who)s 恢复了本店", who=who),
        "merchant.edit": gettext("%(who)s 修改了本店的行业、区域或人均消费", who=who),
    }.get(event.action, gettext("%(who)s 修改了本店的状态", who=who))


def sentence(event: AuditEvent, names: _Names) -> str:
    """One event as a sentence in the page's language."""
    who = _who(event.actor, names)
    kind = event.action.partition(".")[0]
    if kind == "offer" and event.action in ("offer.create", "offer.update"):
        return _offer(event, who, names)
    if event.action in ("terminal.create", "terminal.revoke"):
        name = _quoted(event.details.get("name")) if event.details.get("name") else gettext(
            "一台终端",
        )
        return (gettext("%(who)s 新建了终端%(name)s", who=who, name=name)
                if event.action == "terminal.create"
                else gettext("%(who)s 吊销了终端%(name)s", who=who, name=name))
    if event.action in ("user.create", "user.enable", "user.disable", "user.password"):
        return _people(event, who, names)
    if event.action in ("purchase.refund", "payout.paid", "collection.paid"):
        return _money(event, who, names)
    if kind == "merchant":
        return _shop(event, who)
    return gettext("%(who)s 对本店做了一项更改", who=who)


def describe(session: Session, merchant_id: str, events: list[AuditEvent]) -> list[Line]:
    """The events as sentences, in the order given."""
    names = _lookups(session, merchant_id, events)
    return [Line(event.created_at, sentence(event, names)) for event in events]
