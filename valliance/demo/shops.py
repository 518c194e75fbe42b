"""The demo's merchants with their offers and tills, and its staff and partner logins."""

from datetime import datetime, timedelta

from sqlalchemy import select

from valliance.api_keys import key_digest
from valliance.demo.roster import (
    DEMO_APPLICATIONS,
    DEMO_MERCHANT_USERS,
    DEMO_MERCHANTS,
    DEMO_OPERATOR_KEY,
    DEMO_PASSWORD,
    DEMO_SHOP,
    DEMO_STAFF,
    DEMO_TILL_KEY,
    HISTORY_DAYS,
    DemoResult,
)
from valliance.directory.models import Operator
from valliance.merchants.models import Merchant, MerchantUser, Terminal
from valliance.merchants.services import onboarding
from valliance.merchants.services.application_checks import licence_check_char
from valliance.merchants.services.merchant_users import add_merchant_user
from valliance.merchants.services.offers import create_offer
from valliance.merchants.services.onboarding import create_merchant
from valliance.merchants.services.terminals import create_terminal
from valliance.staff.models import StaffUser
from valliance.staff.services import create_staff_user

#: category, district, address and the offer of each demo merchant
DEMO_SHOPS = {
    "demo-laowang-hotpot": ("餐饮", "鹿城区", "五马街88号", "V卡8.8折", 12),
    "demo-oujiang-hotel": ("酒店", "鹿城区", "江滨路1号", "V卡住店9折", 10),
    "demo-wuma-snacks": ("餐饮", "鹿城区", "五马街12号", "V卡9.5折", 5),
    "demo-jiangxinyu-cafe": ("餐饮", "鹿城区", "江心屿景区东园", "咖啡8.5折", 15),
    "demo-lucheng-salon": ("美容美发", "鹿城区", "人民路210号", "剪发8折", 20),
    "demo-xiaonanmen-carwash": ("汽车服务", "鹿城区", "小南门路5号", "洗车9折", 10),
}
DEMO_TILL_ID = "demo-laowang-till"


def demo_merchants(session, now: datetime) -> dict[str, Merchant]:
    """The demo merchants with their offers and a till each (created once), by id.

    A merchant created here joined before the six months of history it is given.
    """
    joined = now - timedelta(days=HISTORY_DAYS + 60)
    merchants = {}
    for merchant_id, name, per_yuan, typical in DEMO_MERCHANTS:
        merchant = session.get(Merchant, merchant_id)
        if merchant is None:
            category, district, address, title, percent = DEMO_SHOPS[merchant_id]
            merchant = create_merchant(session, merchant_id=merchant_id, name=name,
                                       category=category, district=district, address=address,
                                       phone="0577-8888" + str(len(name)).zfill(4),
                                       avg_spend=typical, approved=True)
            offer = create_offer(session, merchant, title=title, percent_off=percent,
                                 points_per_yuan=per_yuan,
                                 tier_percent_off={"diamond": percent + 3})
            merchant.created_at = merchant.approved_at = offer.created_at = joined
            if merchant_id == DEMO_SHOP:  # the published till key: see demo_partners
                session.add(Terminal(id=DEMO_TILL_ID, merchant_id=merchant_id,
                                     name="1号收银台（演示）", key_hash=key_digest(DEMO_TILL_KEY),
                                     created_at=joined))
            else:  # a till whose key nobody knows: the history's sales were made on it
                till, _ = create_terminal(session, merchant, "1号收银台")
                till.created_at = joined
        merchants[merchant_id] = merchant
    session.flush()
    return merchants


def demo_tills(session) -> dict[str, str]:
    """The live till of each demo merchant, by merchant id (the first one created)."""
    rows = session.execute(select(Terminal.merchant_id, Terminal.id).where(
        Terminal.merchant_id.in_([m[0] for m in DEMO_MERCHANTS]), Terminal.revoked_at.is_(None))
        .order_by(Terminal.created_at, Terminal.id)).all()
    tills: dict[str, str] = {}
    for merchant_id, till_id in rows:
        tills.setdefault(merchant_id, till_id)
    return tills


def demo_operator(session) -> Operator:
    """The demo 114 console's operator (created once)."""
    operator = session.scalar(select(Operator).where(
        Operator.key_hash == key_digest(DEMO_OPERATOR_KEY)))
    if operator is None:
        operator = Operator(id="demo-114-console", name="114演示话务台",
                            key_hash=key_digest(DEMO_OPERATOR_KEY))
        session.add(operator)
        session.flush()
    return operator


def demo_partners(session) -> None:
    """The staff login, the demo shop's owner and cashier, two applications (each once)."""
    for username, name, roles in DEMO_STAFF:
        if session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is None:
            create_staff_user(session, username=username, name=name, password=DEMO_PASSWORD,
                              actor="demo", roles=roles)
    taken = set(session.scalars(select(MerchantUser.phone)))
    shop = session.get(Merchant, DEMO_SHOP)
    for phone, name, role in DEMO_MERCHANT_USERS:
        if shop is not None and phone not in taken:
            add_merchant_user(session, shop, phone=phone, name=name, password=DEMO_PASSWORD,
                              role=role, actor="demo")
    if shop is not None and session.scalar(select(Terminal.id).where(
            Terminal.key_hash == key_digest(DEMO_TILL_KEY))) is None:
        session.add(Terminal(id=DEMO_TILL_ID, merchant_id=shop.id, name="1号收银台（演示）",
                             key_hash=key_digest(DEMO_TILL_KEY)))
    demo_operator(session)
    for (merchant_id, name, category, district, address, phone, avg_spend, licence,
         owner_phone, owner_name) in DEMO_APPLICATIONS:
        if session.get(Merchant, merchant_id) is None and owner_phone not in taken:
            onboarding.apply_for_membership(
                session, merchant_id=merchant_id, name=name, category=category,
                district=district, address=address, phone=phone, avg_spend=avg_spend,
                licence_no=licence + licence_check_char(licence),
                owner_name=owner_name, owner_phone=owner_phone, password=DEMO_PASSWORD)


def partner_logins(session, result: DemoResult) -> None:
    """The demo's staff and merchant logins and device keys that exist."""
    live = {"till": (Terminal, DEMO_TILL_KEY), "console": (Operator, DEMO_OPERATOR_KEY)}
    result.device_keys = {name: key for name, (model, key) in live.items()
                          if session.scalar(select(model.id).where(
                              model.key_hash == key_digest(key), model.revoked_at.is_(None)))}
    present = set(session.scalars(select(StaffUser.username).where(
        StaffUser.username.in_([username for username, _, _ in DEMO_STAFF]))))
    result.staff_logins = [{"username": username, "password": DEMO_PASSWORD, "name": name,
                            "roles": list(roles)}
                           for username, name, roles in DEMO_STAFF if username in present]
    demo_ids = [DEMO_SHOP] + [application[0] for application in DEMO_APPLICATIONS]
    demo_phones = [u[0] for u in DEMO_MERCHANT_USERS] + [a[8] for a in DEMO_APPLICATIONS]
    rows = session.execute(select(MerchantUser, Merchant).join(
        Merchant, Merchant.id == MerchantUser.merchant_id).where(
        MerchantUser.merchant_id.in_(demo_ids), MerchantUser.phone.in_(demo_phones))).all()
    order = {phone: index for index, phone in enumerate(demo_phones)}
    result.merchant_logins = [
        {"merchant_id": merchant.id, "merchant": merchant.name, "status": merchant.status,
         "role": user.role, "phone": user.phone, "password": DEMO_PASSWORD, "name": user.name}
        for user, merchant in sorted(rows, key=lambda row: order[row[0].phone])]
