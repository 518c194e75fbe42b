"""Who is in the demo: its members (by tier), merchants, logins and published demo keys.

Deterministic (one random.Random(seed)): the same members, phones, spend and history shape
on every run, so the printed demo logins are always the same.
"""

import random
from dataclasses import dataclass, field

from valliance.members.tiers import thresholds

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
#: the alliance staff logins: (username, name, roles) — one per desk, so that the demo shows
#: what each role sees; the second finance user approves what the first one asks for
DEMO_STAFF = (
    ("admin", "联盟管理员", ("admin",)),
    ("care", "会员服务小林", ("member_care",)),
    ("ops", "商户运营小周", ("merchant_ops",)),
    ("finance", "财务小陈", ("finance",)),
    ("finance2", "财务主管吴", ("finance",)),
    ("mkt", "市场小郑", ("marketing",)),
    ("desk", "客服小何", ("service_desk",)),
    ("zwlead", "装维一组组长陈工", ("service_desk",)),
)
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
#: roster[FROZEN] has a frozen membership; roster[lost_card(roster)] reported the card lost
FROZEN = 0


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
    #: the trade recorded: purchases, refunds, 114 referrals; the months closed
    purchases: int = 0
    refunds: int = 0
    referrals: int = 0
    periods: list[str] = field(default_factory=list)
    logins: list[dict] = field(default_factory=list)
    #: the staff pages' login, and the merchant portal's (owners of pending applications too)
    staff_logins: list[dict] = field(default_factory=list)
    merchant_logins: list[dict] = field(default_factory=list)
    #: the demo till's terminal key and the demo 114 console's operator key
    device_keys: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"created": self.created, "members": self.members, "transfers": self.transfers,
                "purchases": self.purchases, "refunds": self.refunds,
                "referrals": self.referrals, "periods": self.periods,
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


def login_members(roster: list[DemoMember]) -> dict[str, DemoMember]:
    """One member per tier to log in as: the first of each tier (never the frozen one)."""
    logins: dict[str, DemoMember] = {}
    for member in roster[1:]:  # roster[0] is the frozen member
        logins.setdefault(member.tier, member)
    return logins


def lost_card(roster: list[DemoMember]) -> int:
    """The roster index of the member whose card is lost: the last gold member."""
    return len(roster) - 1 - TIER_COUNTS[-1][1]
