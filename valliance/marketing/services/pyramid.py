"""The value pyramid: members by tier and by value band, with counts and share of spend.

Bands rank the members scored at the last RFM run by monetary value (fen in the 365-day
window, valliance.marketing.services.rfm): a member beaten by b of the n scored members is in
top1 when b/n < 1 %, next4 when < 5 %, next15 when < 20 %, rest otherwise (equal spend, equal
band). Members with no score row (no spend in the window) are the band `none`.
"""

from dataclasses import dataclass

from sqlalchemy import select
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


def value_pyramid(session: Session) -> list[Band]:
    """The pyramid, top band first, then members with no spend."""
    rows = session.execute(select(Member.tier, MemberScore.monetary_fen)
                           .outerjoin(MemberScore, MemberScore.member_id == Member.id)).all()
    spenders = [(tier, fen) for tier, fen in rows if fen]
    names = band_of([fen for _, fen in spenders])
    table = {band: Band(band, 0, 0, 0.0, dict.fromkeys(TIERS, 0)) for band in BAND_ORDER}
    for (tier, fen), band in zip(spenders, names, strict=True):
        _count(table[band], tier, fen)
    for tier, fen in rows:
        if not fen:
            _count(table["none"], tier, 0)
    total = sum(fen for _, fen in spenders)
    for band in table.values():
        band.share = round(100 * band.spend_fen / total, 1) if total else 0.0
    return list(table.values())


def _count(band: Band, tier: str, fen: int) -> None:
    band.members += 1
    band.spend_fen += fen
    band.by_tier[tier] = band.by_tier.get(tier, 0) + 1
