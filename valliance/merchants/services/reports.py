"""What the alliance brought a merchant: dashboard figures, the filtered purchase list and its
CSV export. Read-only queries, always scoped to one merchant."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, and_, func, literal_column, or_, select
from sqlalchemy.orm import Session

from valliance.db import SHANGHAI, today_shanghai
from valliance.members.models import Card
from valliance.merchants.models import Purchase, Refund, Terminal

PERIODS = {"today": 1, "7d": 7, "30d": 30}
REFUND_STATES = ("none", "partial", "full")


def shanghai_midnight(day: date) -> datetime:
    """The UTC instant a Shanghai calendar day starts."""
    return datetime.combine(day, time.min, SHANGHAI).astimezone(UTC)


def _shanghai_day(session: Session, column):
    # Shanghai keeps no daylight saving: its day is the UTC timestamp shifted by 8 hours.
    if session.get_bind().dialect.name == "postgresql":
        return func.date(column + literal_column("interval '8 hours'"))
    return func.date(column, "+8 hours")


@dataclass
class Figures:
    purchases: int = 0
    members: int = 0
    sales: int = 0  #: list price of what was sold, fen
    discounts: int = 0
    points_value: int = 0  #: fen paid with points
    collected: int = 0  #: what members paid, fen
    points_issued: int = 0  #: earned, less what refunds reversed
    points_redeemed: int = 0  #: spent here, less what refunds returned
    refunds: int = 0
    refunded_cash: int = 0


@dataclass
class Dashboard:
    periods: dict[str, Figures]
    #: [(Shanghai day, sales fen, purchases)] for the last 30 days, oldest first
    daily: list[tuple[date, int, int]] = field(default_factory=list)


def dashboard(session: Session, merchant_id: str, today: date | None = None) -> Dashboard:
    """Figures for today, the last 7 and the last 30 days (Shanghai days, today included)."""
    today = today or today_shanghai()
    periods = {name: _figures(session, merchant_id, shanghai_midnight(
        today - timedelta(days=days - 1))) for name, days in PERIODS.items()}
    return Dashboard(periods, _daily(session, merchant_id, today, 30))


def _figures(session: Session, merchant_id: str, since: datetime) -> Figures:
    sold = session.execute(
        select(func.count(), func.count(func.distinct(Purchase.member_id)),
               func.coalesce(func.sum(Purchase.amount), 0),
               func.coalesce(func.sum(Purchase.discount), 0),
               func.coalesce(func.sum(Purchase.points_value), 0),
               func.coalesce(func.sum(Purchase.payable), 0),
               func.coalesce(func.sum(Purchase.points_earned), 0),
               func.coalesce(func.sum(Purchase.redeem_points), 0))
        .where(Purchase.merchant_id == merchant_id, Purchase.created_at >= since)).one()
    refunded = session.execute(
        select(func.count(), func.coalesce(func.sum(Refund.cash_refund), 0),
               func.coalesce(func.sum(Refund.points_reversed), 0),
               func.coalesce(func.sum(Refund.points_returned), 0))
        .join(Purchase, Purchase.id == Refund.purchase_id)
        .where(Purchase.merchant_id == merchant_id, Refund.created_at >= since)).one()
    return Figures(purchases=sold[0], members=sold[1], sales=int(sold[2]),
                   discounts=int(sold[3]), points_value=int(sold[4]), collected=int(sold[5]),
                   points_issued=int(sold[6]) - int(refunded[2]),
                   points_redeemed=int(sold[7]) - int(refunded[3]),
                   refunds=refunded[0], refunded_cash=int(refunded[1]))


def _daily(session: Session, merchant_id: str, today: date, days: int):
    first = today - timedelta(days=days - 1)
    day = _shanghai_day(session, Purchase.created_at).label("day")
    rows = session.execute(
        select(day, func.sum(Purchase.amount), func.count())
        .where(Purchase.merchant_id == merchant_id,
               Purchase.created_at >= shanghai_midnight(first))
        .group_by(day)).all()
    by_day = {str(row[0])[:10]: (int(row[1]), row[2]) for row in rows}
    return [(first + timedelta(days=i),
             *by_day.get((first + timedelta(days=i)).isoformat(), (0, 0)))
            for i in range(days)]


@dataclass(frozen=True)
class PurchaseFilter:
    date_from: date | None = None
    date_to: date | None = None
    terminal_id: str | None = None
    #: the card's last digits (4 or more) or the whole number
    card: str = ""
    refund_state: str = ""


def filtered(merchant_id: str, wanted: PurchaseFilter) -> Select:
    """Purchases of this merchant matching the filter, newest first, with card and terminal."""
    query = (select(Purchase, Card.number, Terminal.name)
             .join(Card, Card.id == Purchase.card_id)
             .outerjoin(Terminal, Terminal.id == Purchase.terminal_id)
             .where(Purchase.merchant_id == merchant_id))
    if wanted.date_from:
        query = query.where(Purchase.created_at >= shanghai_midnight(wanted.date_from))
    if wanted.date_to:
        query = query.where(
            Purchase.created_at < shanghai_midnight(wanted.date_to + timedelta(days=1)))
    if wanted.terminal_id:
        query = query.where(Purchase.terminal_id == wanted.terminal_id)
    if wanted.card:
        query = query.where(Card.number.endswith(wanted.card, autoescape=True))
    if wanted.refund_state == "none":
        query = query.where(Purchase.refunded_amount == 0)
    elif wanted.refund_state == "partial":
        query = query.where(Purchase.refunded_amount > 0,
                            Purchase.refunded_amount < Purchase.amount)
    elif wanted.refund_state == "full":
        query = query.where(Purchase.refunded_amount == Purchase.amount)
    return query.order_by(Purchase.created_at.desc(), Purchase.id.desc())


def purchase_page(session: Session, merchant_id: str, wanted: PurchaseFilter, *,
                  after: tuple[datetime, str] | None = None, size: int = 50):
    """One page of the filtered list and the cursor of the next page (or None)."""
    query = filtered(merchant_id, wanted)
    if after:
        created_at, purchase_id = after
        query = query.where(or_(Purchase.created_at < created_at,
                                and_(Purchase.created_at == created_at,
                                     Purchase.id < purchase_id)))
    rows = session.execute(query.limit(size + 1)).all()
    cursor = None
    if len(rows) > size:
        rows = rows[:size]
        cursor = (rows[-1][0].created_at, rows[-1][0].id)
    return rows, cursor


def purchase_totals(session: Session, merchant_id: str, wanted: PurchaseFilter) -> Figures:
    """Count and sums of everything the filter matches (not just the page shown)."""
    matched = filtered(merchant_id, wanted).order_by(None).with_only_columns(
        func.count(), func.coalesce(func.sum(Purchase.amount), 0),
        func.coalesce(func.sum(Purchase.discount), 0),
        func.coalesce(func.sum(Purchase.payable), 0),
        func.coalesce(func.sum(Purchase.points_earned), 0))
    row = session.execute(matched).one()
    matched_ids = filtered(merchant_id, wanted).order_by(None).with_only_columns(Purchase.id)
    cash = session.scalar(select(func.coalesce(func.sum(Refund.cash_refund), 0))
                          .where(Refund.purchase_id.in_(matched_ids.scalar_subquery())))
    return Figures(purchases=row[0], sales=int(row[1]), discounts=int(row[2]),
                   collected=int(row[3]), points_issued=int(row[4]), refunded_cash=int(cash))


def card_and_terminal(session: Session, purchase: Purchase) -> tuple[str, str | None]:
    """The card number and the terminal name a purchase was made with."""
    return tuple(session.execute(
        select(Card.number, Terminal.name).select_from(Purchase)
        .join(Card, Card.id == Purchase.card_id)
        .outerjoin(Terminal, Terminal.id == Purchase.terminal_id)
        .where(Purchase.id == purchase.id)).one())
