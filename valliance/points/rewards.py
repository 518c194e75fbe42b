"""Points the alliance gives away: campaign bonuses and, later, programme rewards (kind
`reward`, contract §11). They come from the alliance's rewards account, so what a campaign or
programme cost is the sum of its transfers; `reason` names what each was for
("campaign:<id>")."""

from datetime import datetime

from sqlalchemy.orm import Session

from valliance.db import utcnow
from valliance.points.accounts import LedgerError, system_account
from valliance.points.ledger import Posting, _check_points, _credit
from valliance.points.rules import ACCRUE, ALLIANCE_REWARDS

#: the longest reason a reward carries (transfers.reason)
REASON_MAX = 200


def reward(session: Session, *, member_account: int, points: int, reason: str,
           actor: str | None = None, now: datetime | None = None) -> Posting:
    """Credit a member points the alliance gives (a lot with the usual validity); reason says
    what for, e.g. "campaign:cmp_…". Points the member owes are collected from it first."""
    _check_points(points)
    if not reason or len(reason) > REASON_MAX:
        raise LedgerError("a reward names what it is for (at most 200 characters)")
    conn = session.connection()
    source = system_account(conn, ALLIANCE_REWARDS)
    return _credit(conn, member_account, source, points, ACCRUE, "reward", now or utcnow(),
                   None, reason=reason, actor=actor)
