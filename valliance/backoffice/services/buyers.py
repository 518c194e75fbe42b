"""Active members: who bought in the last N days, from each member's last closed day with a
purchase (rolled up with the days, by alliance_days.roll_up) and the purchases of the days
still read live."""

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from valliance import points
from valliance.backoffice.dashboard_models import AllianceBuyer
from valliance.merchants.models import Purchase
from valliance.merchants.services.reports import shanghai_midnight

buyers = AllianceBuyer.__table__


def roll_up(session: Session, first: date, last: date) -> None:
    """Move each member's last day with a purchase on to the days first..last (never back)."""
    day = points.shanghai_day(session, Purchase.created_at)
    rows = [{"member_id": member_id, "last_day": date.fromisoformat(str(when)[:10])}
            for member_id, when in session.execute(
                select(Purchase.member_id, func.max(day))
                .where(Purchase.created_at >= shanghai_midnight(first),
                       Purchase.created_at < shanghai_midnight(last + timedelta(days=1)))
                .group_by(Purchase.member_id).order_by(Purchase.member_id))]
    # in key order: two first visits at once take their row locks in the same order
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
        later = func.greatest
    else:
        from sqlalchemy.dialects.sqlite import insert
        later = func.max
    statement = insert(buyers)
    conn.execute(statement.on_conflict_do_update(
        index_elements=["member_id"],
        set_={"last_day": later(buyers.c.last_day, statement.excluded.last_day)}), rows)


def active(session: Session, today: date, windows: tuple[int, ...], live_from: date
           ) -> dict[int, int]:
    """Members who bought in each window of days ending today: those whose last closed day
    with a purchase is in it, and those who bought since live_from and were not counted."""
    first = {days: today - timedelta(days=days - 1) for days in windows}
    stored = session.execute(
        select(*(func.count().filter(buyers.c.last_day >= first[days]) for days in windows))
        .where(buyers.c.last_day >= min(first.values()))).one()
    recent = session.execute(
        select(*(func.count(func.distinct(Purchase.member_id)).filter(
            (buyers.c.last_day.is_(None)) | (buyers.c.last_day < first[days]))
            for days in windows))
        .select_from(Purchase).outerjoin(buyers, buyers.c.member_id == Purchase.member_id)
        .where(Purchase.created_at >= shanghai_midnight(live_from))).one()
    return {days: int(stored[i] or 0) + int(recent[i] or 0) for i, days in enumerate(windows)}
