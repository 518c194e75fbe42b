"""The yearly tier review: each member's tier from the previous year's spend (contract §4)."""

from datetime import date

from sqlalchemy import and_, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from valliance.db import utcnow
from valliance.i18n import bilingual
from valliance.members.models import AnnualSpend, Member, TierChange
from valliance.members.tiers import TIER_ORDER, tier_for_spend
from valliance.money import format_yuan

CHUNK = 5000

members_table = Member.__table__
spend_table = AnnualSpend.__table__
changes_table = TierChange.__table__


def review_reason(year: int, spend_fen: int) -> str:
    """The reason recorded on a tier change made by the review of `year`."""
    return bilingual(
        "年度评审 %(year)s：消费 %(spend_fen)s",
        year=year,
        spend_fen=format_yuan(spend_fen),
    )


def valid_until(year: int) -> date:
    """A tier earned on `year`'s spend holds through the end of the following year."""
    return date(year + 1, 12, 31)


def review_tiers(session: Session, year: int) -> tuple[int, int]:
    """Set every member's tier from `year`'s spend; flush, never commit: (reviewed, changed).

    Safe to re-run: a member already on the right tier is not changed again, and a member has
    at most one review change per year (a re-run after corrected spend amends it).
    """
    spend = (spend_table.c.telecom_fen + spend_table.c.alliance_fen)
    rows = session.execute(
        select(members_table.c.id, members_table.c.tier, members_table.c.tier_valid_until,
               func.coalesce(spend, 0))
        .select_from(members_table.outerjoin(
            spend_table, and_(spend_table.c.member_id == members_table.c.id,
                              spend_table.c.year == year)))
        .order_by(members_table.c.id)
    ).all()
    earlier = {
        row.member_id: row for row in session.execute(
            select(changes_table.c.id, changes_table.c.member_id, changes_table.c.from_tier)
            .where(changes_table.c.review_year == year)
        )
    }
    until = valid_until(year)
    member_updates, new_changes, amended, dropped = [], [], [], []
    changed = 0
    for member_id, tier, tier_until, spend_fen in rows:
        new_tier = tier_for_spend(spend_fen)
        granted_longer = tier_until is not None and tier_until > until
        if granted_longer and TIER_ORDER.index(new_tier) <= TIER_ORDER.index(tier):
            continue  # a tier granted on joining (flagship plans) holds until its own date
        if new_tier != tier or tier_until != until:
            member_updates.append({"b_id": member_id, "b_tier": new_tier})
        if new_tier == tier:
            continue
        changed += 1
        previous = earlier.get(member_id)
        if previous is None:
            new_changes.append({"member_id": member_id, "from_tier": tier, "to_tier": new_tier,
                                "reason": review_reason(year, spend_fen), "review_year": year,
                                "spend_fen": spend_fen, "created_at": utcnow()})
        elif previous.from_tier == new_tier:
            dropped.append(previous.id)  # the corrected spend undoes this year's change
        else:
            amended.append({"b_id": previous.id, "b_to": new_tier, "b_spend": spend_fen,
                            "b_reason": review_reason(year, spend_fen)})

    for start in range(0, len(member_updates), CHUNK):
        session.execute(
            update(members_table).where(members_table.c.id == bindparam("b_id"))
            .values(tier=bindparam("b_tier"), tier_valid_until=until),
            member_updates[start:start + CHUNK])
    for start in range(0, len(new_changes), CHUNK):
        session.execute(insert(changes_table), new_changes[start:start + CHUNK])
    if amended:
        session.execute(
            update(changes_table).where(changes_table.c.id == bindparam("b_id"))
            .values(to_tier=bindparam("b_to"), spend_fen=bindparam("b_spend"),
                    reason=bindparam("b_reason"), created_at=utcnow()),
            amended)
    if dropped:
        session.execute(delete(changes_table).where(changes_table.c.id.in_(dropped)))
    session.flush()
    # The ORM identity map may hold members loaded earlier in this session.
    session.expire_all()
    return len(rows), changed
