"""What the member page reads: the member's cards, tier and its history, spend, points,
ledger, purchases, payments, 114 referrals, messages sent and the staff actions on them.

Each list is the newest rows (LIST_SIZE) with how many there are; the ledger pages on.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from valliance.audit import AuditEvent
from valliance.db import today_shanghai
from valliance.directory.models import Operator, Referral
from valliance.errors import NotFound
from valliance.marketing.models import MemberScore
from valliance.marketing.services.rfm import member_score
from valliance.members.models import AnnualSpend, Card, Member, TierChange
from valliance.members.services import statement
from valliance.merchants.models import Merchant, Offer, Purchase
from valliance.messaging import OutboxMessage
from valliance.payments.models import Payment
from valliance.points import ExpiringPoints, expiring_points, get_balance, last_day
from valliance.staff.services import staff_names

LIST_SIZE = 20
LEDGER_PAGE = 20
#: expiry dates shown on the points panel
EXPIRY_DATES = 5


@dataclass(frozen=True)
class Listing:
    rows: list
    total: int


@dataclass(frozen=True)
class Spend:
    year: int
    telecom_fen: int
    alliance_fen: int

    @property
    def total_fen(self) -> int:
        return self.telecom_fen + self.alliance_fen


@dataclass(frozen=True)
class Points:
    balance: int
    available: int
    owed: int
    #: the soonest expiry dates (Shanghai) and their points
    expiring: list[tuple[date, int]]
    #: points with an expiry date (the sum of the open lots)
    expiring_total: int


@dataclass(frozen=True)
class MemberFile:
    member: Member
    #: every card, the current one first, then newest first
    cards: list[Card]
    tier_history: list[TierChange]
    spend: list[Spend]
    points: Points
    ledger: statement.LedgerPage
    purchases: Listing
    payments: Listing
    referrals: Listing
    messages: Listing
    actions: Listing
    #: staff id → name, for the staff actions
    staff: dict[str, str]
    #: the RFM score as last computed (None: not scored: no spend in the window)
    rfm: MemberScore | None = None


def get_member(session: Session, member_id: str) -> Member:
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound()
    return member


def _listing(session: Session, query, count_query) -> Listing:
    return Listing(session.execute(query.limit(LIST_SIZE)).all(),
                   session.scalar(count_query) or 0)


def _spend(session: Session, member_id: str) -> list[Spend]:
    this_year = today_shanghai().year
    rows = {row.year: row for row in session.scalars(select(AnnualSpend).where(
        AnnualSpend.member_id == member_id, AnnualSpend.year >= this_year - 1))}
    return [Spend(year, rows[year].telecom_fen if year in rows else 0,
                  rows[year].alliance_fen if year in rows else 0)
            for year in (this_year, this_year - 1)]


def _points(session: Session, member: Member) -> Points:
    balance = get_balance(session, member.points_account_id)
    lots, total = expiring_points(session, member.points_account_id, limit=50)
    return Points(balance.balance, balance.available, balance.owed, _by_date(lots), total)


def _by_date(lots: list[ExpiringPoints]) -> list[tuple[date, int]]:
    """Points expiring at several times of one Shanghai day shown as one line, by the last day
    they can be spent (12月31日 for points expiring at 1 January 00:00)."""
    days: dict[date, int] = {}
    for lot in lots:
        day = last_day(lot.expires_at)
        days[day] = days.get(day, 0) + lot.points
    return list(days.items())[:EXPIRY_DATES]


def _purchases(session: Session, member_id: str) -> Listing:
    return _listing(session, select(Purchase, Merchant.name)
                    .join(Merchant, Merchant.id == Purchase.merchant_id)
                    .where(Purchase.member_id == member_id)
                    .order_by(Purchase.created_at.desc(), Purchase.id.desc()),
                    select(func.count()).where(Purchase.member_id == member_id))


def _payments(session: Session, member_id: str) -> Listing:
    return _listing(session, select(Payment).where(Payment.member_id == member_id)
                    .order_by(Payment.created_at.desc(), Payment.id.desc()),
                    select(func.count()).select_from(Payment)
                    .where(Payment.member_id == member_id))


def _referrals(session: Session, member_id: str) -> Listing:
    return _listing(session, select(Referral, Merchant.name, Offer.title, Operator.name)
                    .join(Merchant, Merchant.id == Referral.merchant_id)
                    .join(Operator, Operator.id == Referral.operator_id)
                    .outerjoin(Offer, Offer.id == Referral.offer_id)
                    .where(Referral.member_id == member_id)
                    .order_by(Referral.created_at.desc(), Referral.id.desc()),
                    select(func.count()).select_from(Referral)
                    .where(Referral.member_id == member_id))


def _messages(session: Session, phone: str) -> Listing:
    return _listing(session, select(OutboxMessage).where(OutboxMessage.recipient == phone)
                    .order_by(OutboxMessage.id.desc()),
                    select(func.count()).select_from(OutboxMessage)
                    .where(OutboxMessage.recipient == phone))


def _actions(session: Session, member_id: str) -> Listing:
    return _listing(session, select(AuditEvent).where(AuditEvent.subject == member_id)
                    .order_by(AuditEvent.id.desc()),
                    select(func.count()).select_from(AuditEvent)
                    .where(AuditEvent.subject == member_id))


def member_file(session: Session, member_id: str, *, ledger_before: int | None = None
                ) -> MemberFile:
    """Everything the member page shows of one member (404 for an unknown id)."""
    member = get_member(session, member_id)
    current = member.card
    cards = sorted(member.cards, key=lambda c: (c is not current, -c.issued_at.timestamp()))
    actions = _actions(session, member.id)
    tier_history = list(session.scalars(
        select(TierChange).where(TierChange.member_id == member.id)
        .order_by(TierChange.created_at.desc(), TierChange.id.desc()).limit(LIST_SIZE)))
    return MemberFile(
        member, cards, tier_history, _spend(session, member.id), _points(session, member),
        statement.ledger_page(session, member, limit=LEDGER_PAGE, before=ledger_before,
                              kinds=None),
        _purchases(session, member.id), _payments(session, member.id),
        _referrals(session, member.id), _messages(session, member.phone), actions,
        staff_names(session, {e.actor.partition(":")[2] for (e,) in actions.rows
                              if e.actor.startswith("staff:")}),
        member_score(session, member.id))
