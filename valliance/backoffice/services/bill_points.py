"""积分抵话费's programme page: what points spent on bills cost the alliance (read from the
ledger through valliance.points) and the bills members paid with points, a page at a time."""

import math
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from valliance import points
from valliance.members.models import Member
from valliance.payments.models import Payment
from valliance.payments.services.bill_points import POINTS_UNAVAILABLE

PER_PAGE = 20
#: how many of the bills paid without their points the page lists (newest first)
UNCOLLECTED_SHOWN = 50


@dataclass
class BillPointsPage:
    figures: points.BillPointsFigures
    point_value_fen: int
    share_percent: int
    hold_minutes: int
    payments: list[Payment]
    members: dict[str, Member]
    #: payment id → where its points stand (pending, captured, released)
    states: dict[str, str]
    page: int
    pages: int
    total: int
    #: bills the card paid after their held points were given back and spent elsewhere: the
    #: points part was never collected (the alliance bears it; finance follows each up)
    uncollected: list[Payment]

    @property
    def spent_fen(self) -> int:
        return self.figures.spent * self.point_value_fen

    @property
    def held_fen(self) -> int:
        return self.figures.held * self.point_value_fen

    @property
    def released_fen(self) -> int:
        return self.figures.released * self.point_value_fen


def bill_points_page(session: Session, *, page: int = 1,
                     per_page: int = PER_PAGE) -> BillPointsPage:
    """The programme's figures and one page of the payments that used points, newest first."""
    query = select(Payment).where(Payment.points_redeemed > 0)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    rows = list(session.scalars(query.order_by(Payment.created_at.desc(), Payment.id)
                                .offset((page - 1) * per_page).limit(per_page)))
    members = {m.id: m for m in session.scalars(
        select(Member).where(Member.id.in_({r.member_id for r in rows})))} if rows else {}
    states = {}
    for row in rows:
        found = points.find_hold(session, row.hold_reference)
        if found is not None:
            states[row.id] = found.status
    config = current_app.config
    return BillPointsPage(
        figures=points.bill_points_figures(session), point_value_fen=config["POINT_VALUE_FEN"],
        share_percent=config.get("BILL_POINTS_MAX_SHARE_PERCENT", 50),
        hold_minutes=config.get("BILL_POINTS_HOLD_MINUTES", 90), payments=rows,
        members=members, states=states, page=page, pages=pages, total=total,
        uncollected=_uncollected(session, members))


def _uncollected(session: Session, members: dict[str, Member]) -> list[Payment]:
    """The bills paid without their points, newest first (their members added to members)."""
    rows = list(session.scalars(
        select(Payment).where(Payment.status == "succeeded", Payment.note == POINTS_UNAVAILABLE)
        .order_by(Payment.paid_at.desc(), Payment.id).limit(UNCOLLECTED_SHOWN)))
    missing = {r.member_id for r in rows} - set(members)
    if missing:
        members.update({m.id: m for m in session.scalars(
            select(Member).where(Member.id.in_(missing)))})
    return rows
