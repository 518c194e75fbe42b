"""The shape of the demo's six months of trade: who bought what, where, when (no database).

Plausible hours for each kind of shop (lunch and dinner at the hotpot, breakfast at the
snack bar, check-out at the hotel), bills around each shop's typical spend or from its price
list, more visits from members of higher tiers, a few redemptions, a few partial and full
refunds (at least one of each at every merchant), and 114 referrals, most followed by a
purchase within days. Every moment is in the past; the last days are busy too, so the
dashboards' today / 7 / 30 days have something to show.
"""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from valliance.db import SHANGHAI
from valliance.demo.roster import DEMO_MERCHANTS, DEMO_SHOP, HISTORY_DAYS, PHONE_PREFIXES

#: when each merchant sells, Shanghai hours: (from, to, weight)
HOURS = {
    "demo-laowang-hotpot": ((0.0, 1.0, 0.5), (11.0, 13.5, 3), (17.0, 21.5, 6), (21.5, 23.9, 2)),
    "demo-oujiang-hotel": ((7.5, 11.5, 3), (18.0, 21.0, 1)),
    "demo-wuma-snacks": ((6.5, 9.0, 2), (11.0, 13.0, 2), (17.0, 19.5, 1)),
    "demo-jiangxinyu-cafe": ((9.5, 12.0, 1), (13.0, 18.0, 3), (18.0, 21.0, 1)),
    "demo-lucheng-salon": ((10.0, 20.5, 1),),
    "demo-xiaonanmen-carwash": ((8.0, 17.5, 1),),
}
#: price lists (yuan) of the shops that have one; the others bill around their typical spend
PRICES = {
    "demo-oujiang-hotel": (398, 458, 528, 688, 916, 1056),  # a night or two
    "demo-lucheng-salon": (48, 68, 88, 128, 168, 388, 588),
    "demo-xiaonanmen-carwash": (35, 50, 50, 80, 298),
}
#: how often members go to each merchant (the demo shop is the busiest)
POPULARITY = {"demo-laowang-hotpot": 5, "demo-oujiang-hotel": 2, "demo-wuma-snacks": 4,
              "demo-jiangxinyu-cafe": 3, "demo-lucheng-salon": 2, "demo-xiaonanmen-carwash": 2}
#: visits in six months, by tier (lowest, highest)
VISITS = {"standard": (3, 9), "silver": (6, 14), "gold": (10, 20), "diamond": (14, 26)}
#: sales a day in the last 30 days, by merchant, on average (on top of the members' own
#: visits): the dashboards' 7 and 30 days have a daily chart to fill
RECENT = {"demo-laowang-hotpot": 1.3, "demo-oujiang-hotel": 0.15, "demo-wuma-snacks": 0.8,
          "demo-jiangxinyu-cafe": 0.6, "demo-lucheng-salon": 0.3, "demo-xiaonanmen-carwash": 0.3}
RECENT_DAYS = 30
TYPICAL = {merchant_id: typical for merchant_id, _, _, typical in DEMO_MERCHANTS}
REFERRALS = 24
#: members do not act after this: a frozen member or a lost card, lately
QUIET_DAYS = 15


@dataclass
class Sale:
    at: datetime
    member: int  # roster index
    merchant_id: str
    amount: int  # fen
    redeem: bool = False
    #: filled in once recorded
    purchase_id: str | None = None


@dataclass
class Refund:
    at: datetime
    sale: Sale
    amount: int | None  # None: all of it


@dataclass
class Referral:
    at: datetime
    merchant_id: str
    #: the caller: a member (roster index), or someone without a V-card (a phone)
    member: int | None
    phone: str = ""


class Planner:
    def __init__(self, rng: random.Random, now: datetime):
        self.rng, self.now = rng, now
        self.today = now.astimezone(SHANGHAI).date()
        self.events: list[Sale | Refund | Referral] = []
        self.refunded: set[int] = set()  # id() of the sales refunded: once each

    def moment(self, merchant_id: str, day: date) -> datetime | None:
        """A plausible moment of trade at this merchant on this day, or None (not yet)."""
        windows = HOURS[merchant_id]
        start, end, _ = self.rng.choices(windows, [w[2] for w in windows])[0]
        local = datetime.combine(day, time(), SHANGHAI) + timedelta(
            hours=self.rng.uniform(start, end))
        if local >= self.now - timedelta(minutes=2):
            return None
        return local.astimezone(UTC).replace(microsecond=0)

    def amount(self, merchant_id: str) -> int:
        if merchant_id in PRICES:
            return self.rng.choice(PRICES[merchant_id]) * 100
        typical = TYPICAL[merchant_id] // 100
        return max(typical // 4, round(self.rng.gauss(typical, typical / 3))) * 100

    def sale(self, member: int, merchant_id: str, day: date, at: datetime | None = None
             ) -> Sale | None:
        at = at or self.moment(merchant_id, day)
        if at is None:
            return None
        sale = Sale(at, member, merchant_id, self.amount(merchant_id),
                    redeem=self.rng.random() < 0.15)
        self.events.append(sale)
        return sale

    def refund(self, sale: Sale, full: bool) -> None:
        if id(sale) in self.refunded:
            return
        self.refunded.add(id(sale))
        # within two days, and before now: a sale of the last hours is refunded soon after
        room = self.now - timedelta(minutes=1) - sale.at
        after = timedelta(minutes=self.rng.uniform(10, 2880))
        at = sale.at + (after if after < room else room * self.rng.uniform(0.2, 1))
        amount = None
        if not full and sale.amount >= 200:
            amount = max(100, int(sale.amount * self.rng.uniform(0.2, 0.6)) // 100 * 100)
        self.events.append(Refund(at.replace(microsecond=0), sale, amount))

    def merchant(self, favourites: list[str]) -> str:
        merchants = list(POPULARITY)
        weights = [POPULARITY[m] * (3 if m in favourites else 1) for m in merchants]
        return self.rng.choices(merchants, weights)[0]


def plan_trade(rng: random.Random, now: datetime, tiers: list[str], active: list[int],
               quiet: set[int]) -> list[Sale | Refund | Referral]:
    """The demo's trade, in time order.

    tiers: each roster member's tier; active: the members with a history (roster indexes);
    quiet: members who stopped trading QUIET_DAYS ago (frozen, lost card).
    """
    planner = Planner(rng, now)
    today = planner.today
    for member in active:
        favourites = rng.sample(list(POPULARITY), 2)
        oldest = QUIET_DAYS if member in quiet else 0
        for _ in range(rng.randint(*VISITS[tiers[member]])):
            day = today - timedelta(days=rng.randint(oldest, HISTORY_DAYS - 1))
            planner.sale(member, planner.merchant(favourites), day)
    regulars = [member for member in active if member not in quiet]
    for back in range(RECENT_DAYS):
        for merchant_id, mean in RECENT.items():
            for _ in range(int(mean) + (rng.random() < mean % 1)):
                planner.sale(rng.choice(regulars), merchant_id, today - timedelta(days=back))
    _today_at_the_demo_shop(planner, regulars)
    _refunds(planner)
    _referrals(planner, regulars)
    return sorted(planner.events, key=lambda event: event.at)


def _today_at_the_demo_shop(planner: Planner, regulars: list[int]) -> None:
    """The demo shop's dashboard shows today too, once the shop has opened today."""
    if any(isinstance(e, Sale) and e.merchant_id == DEMO_SHOP
           and e.at.astimezone(SHANGHAI).date() == planner.today for e in planner.events):
        return
    local = planner.now.astimezone(SHANGHAI)
    hours = local.hour + local.minute / 60 - 0.05
    opened = [window for window in HOURS[DEMO_SHOP] if window[0] < hours]
    if opened:
        start, end, _ = opened[-1]
        at = datetime.combine(planner.today, time(), SHANGHAI) + timedelta(
            hours=planner.rng.uniform(start, min(end, hours)))
        planner.sale(planner.rng.choice(regulars), DEMO_SHOP, planner.today,
                     at.astimezone(UTC).replace(microsecond=0))


def _refunds(planner: Planner) -> None:
    """A full and a partial refund at every merchant, and a few more here and there."""
    sales = [e for e in planner.events if isinstance(e, Sale)]
    week_ago = planner.now - timedelta(days=7)
    for merchant_id in POPULARITY:
        older = [s for s in sales if s.merchant_id == merchant_id and s.at < week_ago]
        chosen = planner.rng.sample(older, min(2, len(older)))
        for sale, full in zip(chosen, (True, False)[:len(chosen)], strict=True):
            planner.refund(sale, full)
    for sale in sales:
        if planner.rng.random() < 0.02:
            planner.refund(sale, planner.rng.random() < 0.5)


def _referrals(planner: Planner, regulars: list[int]) -> None:
    """Callers sent to merchants by 114 in the last two months; most of them go and buy."""
    rng = planner.rng
    for _ in range(REFERRALS):
        merchant_id = planner.merchant([DEMO_SHOP])
        day = planner.today - timedelta(days=rng.randint(0, 60))
        at = datetime.combine(day, time(), SHANGHAI) + timedelta(hours=rng.uniform(9, 21))
        if at >= planner.now - timedelta(minutes=5):
            continue
        referral = Referral(at.astimezone(UTC).replace(microsecond=0), merchant_id, None)
        if rng.random() < 0.75:
            referral.member = rng.choice(regulars)
        else:
            referral.phone = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        planner.events.append(referral)
        if referral.member is not None and rng.random() < 0.7:  # goes there within days
            day = (referral.at + timedelta(days=rng.uniform(0.1, 5))).astimezone(SHANGHAI).date()
            at = planner.moment(merchant_id, day)
            if at is not None and at > referral.at:
                planner.sale(referral.member, merchant_id, day, at)
