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
from valliance.members.labels import tier_name
from valliance.members.models import TIERS
from valliance.merchants.labels import discount_text
from valliance.merchants.models import MerchantUser, Offer, Purchase
from valliance.money import format_yuan
from valliance.web.i18n import tr

#: the order an offer's changed terms are told in
ORDER = ("title", "percent_off", "tier_percent_off", "points_per_yuan", "valid_from",
         "valid_until", "description", "active")
ROLES = {"owner": ("店主", "an owner"), "cashier": ("收银员", "a cashier")}


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
        return names.users.get(key) or tr("本店员工", "A shop member")
    if kind == "staff":
        return tr("联盟工作人员", "Alliance staff")
    if kind == "applicant":
        return tr("申请人", "The applicant")
    return tr("联盟系统", "The alliance")


def _quoted(text) -> str:
    return tr(f"「{text}」", f"“{text}”")


def _discount(percent) -> str:
    try:
        return discount_text(Decimal(str(percent)))
    except ArithmeticError:
        return str(percent)


def _tiers(rates) -> str:
    if not isinstance(rates, dict) or not rates:
        return tr("无", "none")
    return tr("、", ", ").join(f"{tier_name(t)} {_discount(p)}" for t, p in rates.items()
                               if t in TIERS)


def _change(key: str, before, after) -> str:
    """One changed term of an offer: "折扣 9折 → 8.8折"."""
    if key == "active":
        return tr("启用", "switched on") if after else tr("停用", "switched off")
    if key == "description":
        return tr("修改了优惠说明", "new details")
    shown = {"percent_off": _discount, "tier_percent_off": _tiers,
             "title": _quoted}.get(key, lambda v: str(v) if v not in ("", None) else
                                   tr("不限", "open"))
    label = {"title": ("标题", "title"), "percent_off": ("折扣", "discount"),
             "points_per_yuan": ("每元积分", "points per ¥1"),
             "tier_percent_off": ("等级折扣", "tier rates"),
             "valid_from": ("开始日期", "from"), "valid_until": ("结束日期", "until")}.get(
        key, ("其他条件", "other terms"))
    return f"{tr(*label)} {shown(before)} → {shown(after)}"


def _offer(event: AuditEvent, who: str, names: _Names) -> str:
    details = event.details
    title = details.get("title") if event.action == "offer.create" else None
    if isinstance(details.get("title"), list):
        title = details["title"][1]
    title = _quoted(title or names.offers.get(event.subject) or tr("一项优惠", "an offer"))
    if event.action == "offer.create":
        points = details.get("points_per_yuan", 1)
        return tr(f"{who} 新建了优惠{title}（{_discount(details.get('percent_off', 0))}，"
                  f"每消费1元积{points}分）",
                  f"{who} created the offer {title} ({_discount(details.get('percent_off', 0))}, "
                  f"{points} points per ¥1)")
    keys = sorted(details, key=lambda k: ORDER.index(k) if k in ORDER else len(ORDER))
    changes = tr("；", "; ").join(_change(k, *details[k]) for k in keys
                                 if isinstance(details[k], list) and len(details[k]) == 2)
    return tr(f"{who} 修改了优惠{title}：{changes}", f"{who} changed the offer {title}: {changes}")


def _people(event: AuditEvent, who: str, names: _Names) -> str:
    details = event.details
    name = _quoted(details.get("name") or names.users.get(event.subject)
                   or tr("一名员工", "someone"))
    if event.action == "user.create":
        role = ROLES.get(details.get("role"), ("员工", "a person"))
        return tr(f"{who} 添加了{role[0]}{name}", f"{who} added {role[1]} {name}")
    if event.action == "user.password":
        if event.actor == f"merchant_user:{event.subject}":
            return tr(f"{who} 修改了自己的密码", f"{who} changed their password")
        return tr(f"{who} 修改了{name}的密码", f"{who} changed the password of {name}")
    if event.action == "user.disable":
        return tr(f"{who} 停用了{name}的账号", f"{who} disabled the sign-in of {name}")
    return tr(f"{who} 恢复了{name}的账号", f"{who} enabled the sign-in of {name}")


def _money(event: AuditEvent, who: str, names: _Names) -> str:
    details = event.details
    if event.action == "purchase.refund":
        refund = format_yuan(int(details.get("amount") or 0))
        sale = names.purchases.get(event.subject)
        if sale is None:
            return tr(f"{who} 退款 {refund}", f"{who} refunded {refund}")
        return tr(f"{who} 为一笔 {format_yuan(sale)} 的消费退款 {refund}",
                  f"{who} refunded {refund} of a {format_yuan(sale)} purchase")
    amount = format_yuan(int(details.get("amount_fen") or 0))
    period = names.periods.get(str(details.get("statement", ""))) or tr("本期", "the period")
    if event.action == "payout.paid":
        reference = details.get("reference") or ""
        return tr(f"{who} 向本店支付了 {period} 的结算款 {amount}（付款参考号 {reference}）",
                  f"{who} paid the shop {amount} for {period} (reference {reference})")
    return tr(f"本店通过 Stripe 支付了 {period} 的结算款 {amount}",
              f"The shop paid {amount} for {period} through Stripe")


def _shop(event: AuditEvent, who: str) -> str:
    details = event.details
    note, shop_name = details.get("note") or "", _quoted(details.get("name", ""))
    reason = tr(f"，原因：{note}", f": {note}") if note else ""
    return {
        "merchant.apply": tr(f"{who} 提交了加盟申请{shop_name}",
                             f"{who} applied to join the alliance as {shop_name}"),
        "merchant.approve": tr(f"{who} 通过了本店的加盟申请", f"{who} approved the shop"),
        "merchant.reject": tr(f"{who} 未通过本店的加盟申请{reason}",
                              f"{who} turned the application down{reason}"),
        "merchant.suspend": tr(f"{who} 暂停了本店{reason}", f"{who} suspended the shop{reason}"),
        "merchant.reinstate": tr(f"{who} 恢复了本店", f"{who} reinstated the shop"),
    }.get(event.action, tr(f"{who} 修改了本店的状态", f"{who} changed the shop's status"))


def sentence(event: AuditEvent, names: _Names) -> str:
    """One event as a sentence in the page's language."""
    who = _who(event.actor, names)
    kind = event.action.partition(".")[0]
    if kind == "offer" and event.action in ("offer.create", "offer.update"):
        return _offer(event, who, names)
    if event.action in ("terminal.create", "terminal.revoke"):
        name = _quoted(event.details.get("name")) if event.details.get("name") else tr(
            "一台终端", "a terminal")
        return (tr(f"{who} 新建了终端{name}", f"{who} added the terminal {name}")
                if event.action == "terminal.create"
                else tr(f"{who} 吊销了终端{name}", f"{who} revoked the terminal {name}"))
    if event.action in ("user.create", "user.enable", "user.disable", "user.password"):
        return _people(event, who, names)
    if event.action in ("purchase.refund", "payout.paid", "collection.paid"):
        return _money(event, who, names)
    if kind == "merchant":
        return _shop(event, who)
    return tr(f"{who} 对本店做了一项更改", f"{who} made a change to the shop")


def describe(session: Session, merchant_id: str, events: list[AuditEvent]) -> list[Line]:
    """The events as sentences, in the order given."""
    names = _lookups(session, merchant_id, events)
    return [Line(event.created_at, sentence(event, names)) for event in events]
