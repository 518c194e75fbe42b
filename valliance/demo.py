"""`flask demo seed`: a believable V-card alliance in 温州市鹿城区 to explore the app with.

Deterministic (one random.Random(seed)): the same members, phones, spend and history shape
on every run, so the printed demo logins are always the same.
"""

import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from valliance.api_keys import key_digest
from valliance.db import run_in_transaction, today_shanghai, utcnow
from valliance.directory.models import Operator
from valliance.extensions import db
from valliance.members import services
from valliance.members.models import AnnualSpend, Member
from valliance.members.review import review_reason
from valliance.members.tiers import TIER_NAMES_ZH, multiplier, thresholds
from valliance.merchants import onboarding
from valliance.merchants.models import Merchant, MerchantUser, Terminal
from valliance.merchants.services import create_merchant, create_offer
from valliance.merchants.users import add_merchant_user
from valliance.passwords import new_hash
from valliance.points import accounts, ledger
from valliance.staff.models import StaffUser
from valliance.staff.services import create_staff_user

DEMO_SEED = 2026
DEMO_PASSWORD = "demo2026"  # noqa: S105 — a published demo login, not a secret
HISTORY_DAYS = 180

#: (merchant id, name, points per yuan, typical spend in fen)
DEMO_MERCHANTS = (
    ("demo-laowang-hotpot", "老王火锅（五马街店）", 2, 12000),
    ("demo-oujiang-hotel", "瓯江大酒店", 1, 48000),
    ("demo-wuma-snacks", "五马街温州小吃", 1, 3500),
    ("demo-jiangxinyu-cafe", "江心屿咖啡馆", 2, 4500),
    ("demo-lucheng-salon", "鹿城丝情美发", 1, 16000),
    ("demo-xiaonanmen-carwash", "小南门汽车美容", 1, 8000),
)
#: the alliance staff login (username, name)
DEMO_STAFF = ("admin", "联盟管理员")
#: published demo keys (like the demo password): the till of the demo shop and a 114 console
DEMO_TILL_KEY = "vt_demo2026-laowang-till"  # noqa: S105 — demo only, printed by the seed
DEMO_OPERATOR_KEY = "vo_demo2026-114-console"  # noqa: S105 — demo only, printed by the seed
#: who signs in to the first demo merchant's portal: (phone, name, role)
DEMO_SHOP = "demo-laowang-hotpot"
DEMO_MERCHANT_USERS = (("13700000001", "王老板", "owner"), ("13700000002", "李收银", "cashier"))
#: applications waiting for staff: id, name, category, district, address, shop phone,
#: typical spend (yuan, as typed), licence (first 17 characters), owner phone, owner name
DEMO_APPLICATIONS = (
    ("demo-apply-ouyue-tea", "瓯越茶馆", "餐饮", "鹿城区", "公园路36号", "0577-88230036", "68",
     "91330302MA2H8TEA0", "13700000011", "陈茶馆"),
    ("demo-apply-lucheng-gym", "鹿城动力健身", "生活服务", "鹿城区", "车站大道518号3楼",
     "0577-88610518", "120", "92330302MA2J6GYM1", "13700000012", "赵教练"),
)
#: how many demo members of each tier (40 in all)
TIER_COUNTS = (("standard", 16), ("silver", 12), ("gold", 8), ("diamond", 4))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗叶郑潘金章谢池"
GIVEN = ("建国", "秀英", "志强", "丽华", "海燕", "晓东", "婷婷", "伟", "芳", "敏", "静",
         "磊", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞", "平", "刚", "桂英",
         "欣怡", "子涵", "浩然", "雨萱", "梓轩", "思远", "瓯生", "鹿鸣", "温婉", "家豪")
PHONE_PREFIXES = ("138", "139", "135", "137", "150", "158", "187", "188", "133", "189", "177")

demo_cli = AppGroup("demo", help="Demo data.")


@dataclass(frozen=True)
class DemoMember:
    phone: str
    name: str
    tier: str
    #: last year's spend that earned the tier (telecom, alliance), fen
    telecom_fen: int
    alliance_fen: int
    history: bool


@dataclass
class DemoResult:
    created: bool = False
    members: int = 0
    transfers: int = 0
    logins: list[dict] = field(default_factory=list)
    #: the staff pages' login, and the merchant portal's (owners of pending applications too)
    staff_logins: list[dict] = field(default_factory=list)
    merchant_logins: list[dict] = field(default_factory=list)
    #: the demo till's terminal key and the demo 114 console's operator key
    device_keys: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"created": self.created, "members": self.members, "transfers": self.transfers,
                "merchants": [m[0] for m in DEMO_MERCHANTS], "logins": self.logins,
                "staff_logins": self.staff_logins, "merchant_logins": self.merchant_logins,
                "device_keys": self.device_keys}


def _spend_range(tier: str) -> tuple[int, int]:
    limits = thresholds()
    order = ["standard", "silver", "gold", "diamond"]
    low = limits.get(tier, 80000) if tier != "standard" else 80000
    following = order.index(tier) + 1
    high = limits[order[following]] - 1 if following < len(order) else low * 2
    return low, high


def demo_roster(seed: int = DEMO_SEED) -> list[DemoMember]:
    """The demo members: Chinese names, unique phones, spend that fits their tier."""
    rng = random.Random(seed)
    names = rng.sample([s + g for s in SURNAMES for g in GIVEN], sum(n for _, n in TIER_COUNTS))
    phones: set[str] = set()
    roster = []
    for tier, count in TIER_COUNTS:
        for _ in range(count):
            phone = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            while phone in phones:
                phone = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            phones.add(phone)
            low, high = _spend_range(tier)
            spend = rng.randint(low, high)
            alliance = spend * rng.randint(0, 25) // 100
            roster.append(DemoMember(phone, names[len(roster)], tier, spend - alliance, alliance,
                                     history=rng.random() < 0.7))
    return roster


def _login_members(roster: list[DemoMember]) -> dict[str, DemoMember]:
    """One member per tier to log in as: the first of each tier (never the frozen one)."""
    logins: dict[str, DemoMember] = {}
    for member in roster[1:]:  # roster[0] is the frozen member
        logins.setdefault(member.tier, member)
    return logins


def _history(session, rng: random.Random, member: Member, tier: str, merchants, now: datetime
             ) -> int:
    """Months of accruals (and a few redemptions) at the demo merchants: transfers recorded."""
    events = sorted(now - timedelta(days=rng.uniform(1, HISTORY_DAYS))
                    for _ in range(rng.randint(3, 14)))
    balance, count = 0, 0
    for at in events:
        merchant_id, _, per_yuan, typical = rng.choice(DEMO_MERCHANTS)
        shop = merchants[merchant_id]
        if balance >= 200 and rng.random() < 0.2:
            points = rng.randint(100, balance) // 10 * 10
            ledger.redeem(session, member_account=member.points_account_id,
                          merchant_account=shop.redeemed, points=points,
                          merchant_id=merchant_id, now=at)
            balance -= points
        else:
            amount = max(1000, int(rng.gauss(typical, typical / 3)))
            points = int(amount * per_yuan * multiplier(tier)) // 100
            ledger.accrue(session, member_account=member.points_account_id,
                          source_account=shop.issued, points=points, merchant_id=merchant_id,
                          now=at)
            balance += points
        count += 1
    return count


def seed_demo(session, *, if_empty: bool = False, seed: int = DEMO_SEED) -> DemoResult:
    """Create the demo alliance's members, spend and points history; flush, never commit."""
    result = DemoResult()
    roster = demo_roster(seed)
    logins = _login_members(roster)
    if not (if_empty and session.scalar(select(func.count()).select_from(Member))):
        _create(session, roster, seed, result)
        _create_partners(session)
    present = set(session.scalars(select(Member.phone).where(
        Member.phone.in_([m.phone for m in logins.values()]))))
    result.logins = [{"tier": m.tier, "phone": m.phone, "password": DEMO_PASSWORD, "name": m.name}
                     for m in logins.values() if m.phone in present]
    _partner_logins(session, result)
    return result


def _create_partners(session) -> None:
    """The staff login, the demo shop's owner and cashier, two applications (each once)."""
    if session.scalar(select(StaffUser.id).where(StaffUser.username == DEMO_STAFF[0])) is None:
        create_staff_user(session, username=DEMO_STAFF[0], name=DEMO_STAFF[1],
                          password=DEMO_PASSWORD, actor="demo")
    taken = set(session.scalars(select(MerchantUser.phone)))
    shop = session.get(Merchant, DEMO_SHOP)
    for phone, name, role in DEMO_MERCHANT_USERS:
        if shop is not None and phone not in taken:
            add_merchant_user(session, shop, phone=phone, name=name, password=DEMO_PASSWORD,
                              role=role, actor="demo")
    if shop is not None and session.scalar(select(Terminal.id).where(
            Terminal.key_hash == key_digest(DEMO_TILL_KEY))) is None:
        session.add(Terminal(id="demo-laowang-till", merchant_id=shop.id, name="1号收银台（演示）",
                             key_hash=key_digest(DEMO_TILL_KEY)))
    if session.scalar(select(Operator.id).where(
            Operator.key_hash == key_digest(DEMO_OPERATOR_KEY))) is None:
        session.add(Operator(id="demo-114-console", name="114演示话务台",
                             key_hash=key_digest(DEMO_OPERATOR_KEY)))
    for (merchant_id, name, category, district, address, phone, avg_spend, licence,
         owner_phone, owner_name) in DEMO_APPLICATIONS:
        if session.get(Merchant, merchant_id) is None and owner_phone not in taken:
            onboarding.apply_for_membership(
                session, merchant_id=merchant_id, name=name, category=category,
                district=district, address=address, phone=phone, avg_spend=avg_spend,
                licence_no=licence + onboarding.licence_check_char(licence),
                owner_name=owner_name, owner_phone=owner_phone, password=DEMO_PASSWORD)


def _partner_logins(session, result: DemoResult) -> None:
    """The demo's staff and merchant logins and device keys that exist."""
    live = {"till": (Terminal, DEMO_TILL_KEY), "console": (Operator, DEMO_OPERATOR_KEY)}
    result.device_keys = {name: key for name, (model, key) in live.items()
                          if session.scalar(select(model.id).where(
                              model.key_hash == key_digest(key), model.revoked_at.is_(None)))}
    username, name = DEMO_STAFF
    if session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        result.staff_logins = [{"username": username, "password": DEMO_PASSWORD, "name": name}]
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


#: category, district, address and the offer of each demo merchant
DEMO_SHOPS = {
    "demo-laowang-hotpot": ("餐饮", "鹿城区", "五马街88号", "V卡8.8折", 12),
    "demo-oujiang-hotel": ("酒店", "鹿城区", "江滨路1号", "V卡住店9折", 10),
    "demo-wuma-snacks": ("餐饮", "鹿城区", "五马街12号", "V卡9.5折", 5),
    "demo-jiangxinyu-cafe": ("餐饮", "鹿城区", "江心屿景区东园", "咖啡8.5折", 15),
    "demo-lucheng-salon": ("美容美发", "鹿城区", "人民路210号", "剪发8折", 20),
    "demo-xiaonanmen-carwash": ("汽车服务", "鹿城区", "小南门路5号", "洗车9折", 10),
}


def _demo_merchant(session, merchant_id: str, name: str, per_yuan: int, typical: int):
    """The demo merchant with its offer (created once), as its two ledger accounts."""
    merchant = session.get(Merchant, merchant_id)
    if merchant is None:
        category, district, address, title, percent = DEMO_SHOPS[merchant_id]
        merchant = create_merchant(session, merchant_id=merchant_id, name=name,
                                   category=category, district=district, address=address,
                                   phone="0577-8888" + str(len(name)).zfill(4),
                                   avg_spend=typical, approved=True)
        create_offer(session, merchant, title=title, percent_off=percent,
                     points_per_yuan=per_yuan, tier_percent_off={"diamond": percent + 3})
    return accounts.MerchantAccounts(merchant.issued_account_id, merchant.redeemed_account_id)


def _create(session, roster: list[DemoMember], seed: int, result: DemoResult) -> None:
    rng = random.Random(seed + 1)
    now = utcnow()
    this_year = today_shanghai().year
    password_hash = new_hash(DEMO_PASSWORD)  # once: every demo login shares it
    merchants = {merchant_id: _demo_merchant(session, merchant_id, name, per_yuan, typical)
                 for merchant_id, name, per_yuan, typical in DEMO_MERCHANTS}
    for index, demo in enumerate(roster):
        if services.find_member_by_phone(session, demo.phone):
            continue  # seeded before: never duplicate or fail
        spend = demo.telecom_fen + demo.alliance_fen
        member = services.enroll_member(session, phone=demo.phone, name=demo.name,
                                        tier=demo.tier, actor="demo",
                                        reason=review_reason(this_year - 1, spend))
        member.password_hash = password_hash
        member.claimed_at = now - timedelta(days=HISTORY_DAYS + rng.randint(1, 400))
        member.tier_valid_until = date(this_year, 12, 31)
        session.add(AnnualSpend(member_id=member.id, year=this_year - 1,
                                telecom_fen=demo.telecom_fen, alliance_fen=demo.alliance_fen))
        # This year so far: about as much as last year, pro rata.
        fraction = rng.uniform(0.6, 1.0) * (today_shanghai().timetuple().tm_yday / 366)
        session.add(AnnualSpend(member_id=member.id, year=this_year,
                                telecom_fen=int(demo.telecom_fen * fraction),
                                alliance_fen=int(demo.alliance_fen * fraction)))
        if demo.history:
            result.transfers += _history(session, rng, member, demo.tier, merchants, now)
        if index == 0:
            services.set_membership(session, member, "frozen")
        elif index == len(roster) - 1 - TIER_COUNTS[-1][1]:  # the last gold member lost a card
            services.set_card_status(session, member.card, "lost")
        result.members += 1
    result.created = result.members > 0
    session.flush()


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when there are members already.")
@click.option("--seed", type=int, default=DEMO_SEED, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def seed_command(if_empty: bool, seed: int, as_json: bool):
    """Seed a demo alliance (温州市鹿城区): members of every tier with points history."""
    result = run_in_transaction(db.session,
                                lambda: seed_demo(db.session, if_empty=if_empty, seed=seed))
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    if result.created:
        click.echo(f"演示数据已创建：{result.members} 位会员，{result.transfers} 笔积分记录"
                   f" / demo seeded: {result.members} members, {result.transfers} transfers")
    else:
        click.echo("已有会员，未创建演示数据 / members exist: demo data not created")
    if result.logins:
        click.echo("演示账号 / demo logins (phone / password):")
        for login in result.logins:
            click.echo(f"  {TIER_NAMES_ZH[login['tier']]:<4} {login['tier']:<9}"
                       f" {login['phone']} / {login['password']}  ({login['name']})")
    for login in result.staff_logins:
        click.echo(f"联盟员工 / alliance staff (/staff/login): {login['username']}"
                   f" / {login['password']}  ({login['name']})")
    if result.merchant_logins:
        click.echo("商户后台 / merchant portal (/merchant/login, phone / password):")
        for login in result.merchant_logins:
            role = "店主 owner" if login["role"] == "owner" else "收银员 cashier"
            zh, en = onboarding.STATUS_NAMES[login["status"]]
            waiting = ("" if login["status"] == "approved" else
                       f"  — {zh}，审核通过后才能登录 / {en.lower()}: signs in once approved")
            click.echo(f"  {role:<10} {login['phone']} / {login['password']}"
                       f"  ({login['name']}, {login['merchant']}){waiting}")
    if "till" in result.device_keys:
        click.echo(f"收银台 / till (/till/) 终端密钥 / terminal key: {result.device_keys['till']}")
    if "console" in result.device_keys:
        click.echo("114控制台 / operator console (/directory/console) 密钥 / key: "
                   + result.device_keys["console"])
