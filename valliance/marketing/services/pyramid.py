"""The value pyramid: members by tier and by value band, with counts and share of spend.

Bands rank the members scored at the last RFM run by monetary value (fen in the 365-day
window, valliance.marketing.services.rfm): a member beaten by b of the n scored members is in
top1 when b/n < 1 %, next4 when < 5 %, next15 when < 20 %, rest otherwise (equal spend, equal
band). Members with no score row (no spend in the window) are the band `none`.
"""

from dataclasses import dataclass

from sqlalchemy import case, exists, func, literal, select
from sqlalchemy.orm import Session

from valliance.marketing.models import MemberScore
from valliance.members.models import TIERS, Member

#: (band, share of the scored members above which it ends), top down
BANDS = (("top1", 0.01), ("next4", 0.05), ("next15", 0.20), ("rest", 1.0))
BAND_ORDER = tuple(band for band, _ in BANDS) + ("none",)


@dataclass
class Band:
    band: str
    members: int
    spend_fen: int
    #: share of all spend in the window, in percent (0 when nobody spent)
    share: float
    by_tier: dict


def band_of(values: list[int]) -> list[str]:
    """Each value's band among these values (higher spend, higher band; ties alike)."""
    n = len(values)
    order = sorted(range(n), key=values.__getitem__, reverse=True)
    bands = [""] * n
    above = 0
    for position, index in enumerate(order):
        if position and values[index] != values[order[position - 1]]:
            above = position
        bands[index] = next(band for band, limit in BANDS if above / n < limit)
    return bands


#: the last pyramid counted, per database and scoring run (the dashboard reads it often; it
#: changes when the members are scored again)
_counted: dict = {}


def value_pyramid(session: Session) -> list[Band]:
    """The pyramid as of the last RFM run, top band first, then members with no spend.

    Counted once per run and process (≈ 0.6 s at 100,000 members), so tiers changed and
    members joined since the run show after the next one; before any run, counted each time.
    """
    run = session.scalar(select(MemberScore.scored_at).limit(1))  # one run: one scored_at
    if run is None:
        return _count_bands(session)
    key = (str(session.get_bind().url), run)
    if key not in _counted:
        bands = _count_bands(session)
        _counted.clear()
        _counted[key] = bands
    return _counted[key]


def _count_bands(session: Session) -> list[Band]:
    """Counted in SQL: a window rank over the scores (band_of is the same rule in Python)."""
    above = func.rank().over(order_by=MemberScore.monetary_fen.desc()) - 1
    ranked = (select(Member.tier, MemberScore.monetary_fen.label("fen"), above.label("above"),
                     func.count().over().label("n"))
              .join(MemberScore, MemberScore.member_id == Member.id).subquery())
    band = case(*[(ranked.c.above * 100 < ranked.c.n * round(limit * 100), name)
                  for name, limit in BANDS[:-1]], else_=BANDS[-1][0])
    spenders = session.execute(select(band, ranked.c.tier, func.count(), func.sum(ranked.c.fen))
                               .group_by(band, ranked.c.tier)).all()
    idle = session.execute(select(literal("none"), Member.tier, func.count(), literal(0))
                           .where(~exists().where(MemberScore.member_id == Member.id))
                           .group_by(Member.tier)).all()
    table = {name: Band(name, 0, 0, 0.0, dict.fromkeys(TIERS, 0)) for name in BAND_ORDER}
    for name, tier, members, fen in [*spenders, *idle]:
        table[name].members += members
        table[name].spend_fen += int(fen or 0)
        table[name].by_tier[tier] = table[name].by_tier.get(tier, 0) + members
    total = sum(b.spend_fen for b in table.values())
    for b in table.values():
        b.share = round(100 * b.spend_fen / total, 1) if total else 0.0
    return list(table.values())
