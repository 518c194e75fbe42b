"""The points liability: what members hold × the point value, by tier, with what expires soon
and the points members owe back (read through valliance.points)."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from valliance import points
from valliance.db import utcnow
from valliance.members.tiers import TIER_ORDER

#: the horizons the page shows, in days (cumulative: the 90 include the 30)
HORIZONS = (30, 90, 365)


@dataclass
class TierLiability:
    #: a tier of TIER_ORDER, or None for the total (or accounts without a member)
    tier: str | None
    members: int = 0
    points: int = 0
    owed: int = 0
    owing_members: int = 0
    expiring: list[int] = field(default_factory=lambda: [0] * len(HORIZONS))
    point_value_fen: int = 1

    @property
    def fen(self) -> int:
        return self.points * self.point_value_fen

    @property
    def owed_fen(self) -> int:
        return self.owed * self.point_value_fen

    @property
    def expiring_fen(self) -> list[int]:
        return [p * self.point_value_fen for p in self.expiring]

    def add(self, other: "TierLiability") -> None:
        self.members += other.members
        self.points += other.points
        self.owed += other.owed
        self.owing_members += other.owing_members
        self.expiring = [a + b for a, b in zip(self.expiring, other.expiring, strict=True)]


@dataclass
class Liability:
    point_value_fen: int
    as_of: datetime
    tiers: list[TierLiability]
    total: TierLiability
    horizons: tuple[int, ...] = HORIZONS
    #: 积分抵话费: points spent on bills (the alliance's own cost) and held for bills now
    #: (still in the balances above until the payment succeeds)
    bill_points: points.BillPointsFigures = field(default_factory=points.BillPointsFigures)


def liability(session: Session, point_value_fen: int, *, now: datetime | None = None
              ) -> Liability:
    """Every tier (in order, even when empty), then anything outside the tiers, and the total."""
    now = now or utcnow()
    held = points.outstanding_by(session, "tier")
    expiring = points.expiring_by(session, now, HORIZONS, "tier")
    keys = [*TIER_ORDER, *sorted((k for k in {*held, *expiring} if k not in TIER_ORDER),
                                 key=str)]
    rows, total = [], TierLiability(tier=None, point_value_fen=point_value_fen)
    for key in keys:
        found = held.get(key, points.Outstanding())
        row = TierLiability(tier=key, members=found.accounts, points=found.points,
                            owed=found.owed, owing_members=found.owing_accounts,
                            expiring=list(expiring.get(key, (0,) * len(HORIZONS))),
                            point_value_fen=point_value_fen)
        rows.append(row)
        total.add(row)
    return Liability(point_value_fen=point_value_fen, as_of=now, tiers=rows, total=total,
                     bill_points=points.bill_points_figures(session))
