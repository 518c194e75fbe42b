"""The demo's win-back programme: regulars of the demo shops who stopped coming two to three
months ago (their sales are part of the demo's history, played in time order with the rest),
the programme configured by marketing staff (a ¥20 coupon, 200 bonus points, a 20 % control
group), its round run after the history's last sale, and some of them back at the shops since
— so its page shows who came back against the control group and what it cost. Through the
services staff and the till use; deterministic (its own random.Random)."""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from valliance.coupons.issuing import create_template
from valliance.coupons.models import Coupon
from valliance.db import SHANGHAI, utcnow
from valliance.demo import plan
from valliance.demo.roster import DEMO_MERCHANTS
from valliance.demo.shops import demo_tills
from valliance.marketing.services import rfm
from valliance.marketing.services.send_rules import in_control
from valliance.members.models import Member
from valliance.members.services import enroll_member
from valliance.merchants.models import Merchant, Purchase, Refund
from valliance.merchants.services import purchases
from valliance.winback.services import entries, programme

LAPSED = 30
#: their keys among the demo's members (the roster's are its indexes)
FIRST_KEY = 10_000
SURNAMES = "钱冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜戚谢邹喻柏水"
#: chance to have come back since the round: reached, held out
CAME_BACK = (0.45, 0.15)
CONTROL_PERCENT = 20


@dataclass
class Regulars:
    """The lapsed regulars (by key) and their sales, for the demo's history."""

    members: dict[int, Member] = field(default_factory=dict)
    sales: list[plan.Sale] = field(default_factory=list)


def lapsed_regulars(session, now: datetime, *, seed: int = 18) -> Regulars:
    """Members who bought 3–5 times, ¥200–700 each, the last 62–100 days ago (flushed):
    under silver's threshold in any year, so their tier (standard) is what they earned."""
    rng, made = random.Random(seed), Regulars()
    shops = [merchant_id for merchant_id, *_ in DEMO_MERCHANTS]
    for i in range(LAPSED):
        member = enroll_member(session, phone=f"1660018{i:04d}",
                               name=SURNAMES[i % len(SURNAMES)] + rng.choice("明华丽强芳伟静军"),
                               tier="standard")
        member.marketing_opt_in = i % 10 != 9  # a few never agreed to marketing
        made.members[FIRST_KEY + i] = member
        last = now - timedelta(days=rng.randint(62, 100), hours=rng.randint(0, 8))
        for n in range(rng.randint(3, 5)):
            made.sales.append(plan.Sale(last - timedelta(days=n * rng.randint(6, 12)),
                                        FIRST_KEY + i, rng.choice(shops),
                                        rng.randint(200, 700) * 100))
    session.flush()
    return made


def seed_winback(session, now: datetime, regulars: Regulars) -> int:
    """Once, after the history: the programme configured and its round run just after the
    history's last sale, then some members back since; how many purchases it recorded."""
    if programme.programme(session) is not None or not regulars.members:
        return 0
    rng = random.Random(19)
    last = max(session.scalar(select(func.max(Purchase.created_at))) or now,
               session.scalar(select(func.max(Refund.created_at))) or now - timedelta(days=1))
    # the ledger's ids grow with its dates (settlement cuts months by id): after the history
    moment = min(last + timedelta(seconds=1), now)
    template = create_template(session, title="会员回归礼券", value=2_000, min_spend=10_000,
                               valid_days=60, created_by="demo")
    programme.save(session, {**programme.DEFAULTS, "enabled": True, "bonus_points": 200,
                             "control_percent": CONTROL_PERCENT,
                             "coupon_template_id": template.id,
                             "message": "{name}您好，好久不见！V卡联盟送您200积分和一张满100减20"
                                        "回归礼券，期待您再次光临。"}, actor="demo")
    saved = programme.programme(session)
    rfm.score_members(session, now=moment)
    entries.run_round(session, saved, now=moment, commit=session.flush)
    back = [m for m in regulars.members.values()
            if rng.random() < CAME_BACK[in_control(saved.campaign_id, m.id, CONTROL_PERCENT)]]
    tills = demo_tills(session)
    for j, member in enumerate(back):  # in time order, between the round and now
        # (the till checks a coupon against today: a demo seeded at another date uses none)
        code = session.scalar(select(Coupon.code).where(
            Coupon.member_id == member.id, Coupon.source == entries.SOURCE,
            Coupon.valid_until >= utcnow().astimezone(SHANGHAI).date()))
        merchant_id = rng.choice(sorted(tills))
        purchases.record_purchase(
            session, session.get(Merchant, merchant_id), tills[merchant_id],
            member.card.number, rng.randint(120, 600) * 100, 0, None,
            at=moment + (now - moment) * (j + 1) / (len(back) + 1),
            coupon=code if code and rng.random() < 0.7 else None)
    rfm.score_members(session, now=now)
    return len(back)
