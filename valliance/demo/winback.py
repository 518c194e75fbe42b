"""The demo's win-back programme: the demo members the history leaves idle were regulars of
the demo shops who stopped coming two to three months ago (their sales are part of the
history, played in time order with the rest),
the programme configured by marketing staff (a ¥20 coupon, 200 bonus points, a 20 % control
group), its round run after the history's last sale, and some of them back at the shops since
— so its page shows who came back against the control group and what it cost. Through the
services staff and the till use; deterministic (its own random.Random)."""

import math
import random
from datetime import datetime, timedelta

from sqlalchemy import func, select

from valliance.coupons.issuing import create_template
from valliance.coupons.models import Coupon
from valliance.db import SHANGHAI, utcnow
from valliance.demo import plan
from valliance.demo.roster import DEMO_MERCHANTS
from valliance.demo.shops import demo_tills
from valliance.marketing.campaign_models import CampaignDelivery
from valliance.marketing.services import rfm
from valliance.members.models import Member
from valliance.merchants.models import Merchant, Purchase, Refund
from valliance.merchants.services import purchases
from valliance.winback.services import entries, programme

#: the share of each group back at the shops since the round: reached, held out
CAME_BACK = {"reached": 0.45, "control": 0.2}
CONTROL_PERCENT = 30


def lapsed_regulars(rng: random.Random, now: datetime, idle: list[int]) -> list[plan.Sale]:
    """Sales of the demo members the history leaves idle (roster indexes): 3–5 each, ¥200–700,
    the last 62–100 days ago — regulars who stopped coming."""
    shops = [merchant_id for merchant_id, *_ in DEMO_MERCHANTS]
    sales = []
    for index in idle:
        last = now - timedelta(days=rng.randint(62, 100), hours=rng.randint(0, 8))
        for n in range(rng.randint(3, 5)):
            sales.append(plan.Sale(last - timedelta(days=n * rng.randint(6, 12)), index,
                                   rng.choice(shops), rng.randint(200, 700) * 100))
    return sales


def _came_back(session, campaign_id: str) -> list[Member]:
    """The first members of each group (by id) up to its share: rounded up for the members
    reached, down for the control group."""
    rows = session.execute(select(CampaignDelivery.status, Member).join(
        Member, Member.id == CampaignDelivery.member_id).where(
        CampaignDelivery.campaign_id == campaign_id,
        CampaignDelivery.status.in_(("sent", "deferred", "control")))
        .order_by(Member.id)).all()
    back = []
    for group in CAME_BACK:
        members = [m for status, m in rows if (status == "control") == (group == "control")]
        share = len(members) * CAME_BACK[group]
        back += members[:math.ceil(share) if group == "reached" else math.floor(share)]
    return sorted(back, key=lambda m: m.id)


def seed_winback(session, now: datetime) -> int:
    """Once, after the history: the programme configured and its round run just after the
    history's last sale, then some members back since; how many purchases it recorded."""
    if programme.programme(session) is not None:
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
    back = _came_back(session, saved.campaign_id)
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
