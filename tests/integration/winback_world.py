"""Members, shops and purchases for the win-back tests, on a frozen clock (NOW: 10:00 in
Shanghai). Purchases go through the till's service (purchases.record_purchase → sell)."""

from datetime import UTC, datetime, timedelta

from valliance.marketing.services import rfm, send_rules
from valliance.members.services import enroll_member
from valliance.merchants.services import purchases
from valliance.merchants.services.onboarding import create_merchant
from valliance.merchants.services.refunds import refund_purchase
from valliance.winback.services import programme

#: 10:00 in Shanghai
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def shop(session, name="老街面馆"):
    return create_merchant(session, name=name, category="餐饮", district="鹿城区",
                           avg_spend=8000, approved=True)


def member(session, n: int, *, opted_in: bool = True):
    made = enroll_member(session, phone=f"1380000{n:04d}", name=f"会员{n}", tier="gold")
    made.marketing_opt_in = opted_in
    session.flush()
    return made


def buy(session, merchant, who, at, amount=10_000, *, refund=None, coupon=None):
    bought = purchases.record_purchase(session, merchant, None, who.card.number, amount, 0,
                                       None, at=at, coupon=coupon)
    if refund:
        refund_purchase(session, merchant, bought.id, None if refund == "all" else refund,
                        at=at + timedelta(hours=1))
    return bought


def regular(session, merchant, n: int, last: datetime, *, times: int = 3,
            amount: int = 100_000, opted_in: bool = True):
    """A member who bought `times` times, every ten days, the last at `last`."""
    who = member(session, n, opted_in=opted_in)
    for i in reversed(range(times)):
        buy(session, merchant, who, last - i * 10 * DAY, amount)
    return who


def small_recent(session, merchant, start: int, count: int = 5):
    """Members who bought once, a little, yesterday: the recent, small end of the RFM scale."""
    return [regular(session, merchant, start + i, NOW - DAY, times=1, amount=1_000)
            for i in range(count)]


def settings(**changes) -> dict:
    data = {**programme.DEFAULTS, "enabled": True, "control_percent": 0}
    data.update(changes)
    return data


def save(session, **changes):
    saved = programme.save(session, settings(**changes), actor="test")
    session.commit()
    return saved


def score(session, now=NOW):
    rfm.score_members(session, now=now)
    session.commit()


def split(campaign_id: str, members, percent: int):
    """The members held out and reached, by the engine's own rule."""
    held = [m for m in members if send_rules.in_control(campaign_id, m.id, percent)]
    return held, [m for m in members if m not in held]
