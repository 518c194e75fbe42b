"""The merchant file: everything the back office knows about one merchant, read for one page
(its offers, terminals, sign-ins, the last twelve months of sales, points and 114 referrals,
its settlement statements and its review history)."""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from valliance import points
from valliance.audit import AuditEvent
from valliance.db import today_shanghai
from valliance.directory.models import Referral
from valliance.directory.services import converted_clause
from valliance.merchants.models import Merchant, Offer, Purchase, Terminal
from valliance.merchants.services import offers as offer_services
from valliance.merchants.services import onboarding
from valliance.merchants.services import terminals as pos_terminals
from valliance.merchants.services.reports import shanghai_midnight
from valliance.settlement.models import Statement
from valliance.settlement.services import statements_of
from valliance.staff import services as staff_services

MONTHS = 12


@dataclass
class Month:
    """One Shanghai calendar month of the merchant's trade."""

    first_day: date
    purchases: int = 0
    amount: int = 0  #: fen, before discount
    discount: int = 0  #: fen
    points_issued: int = 0  #: net of refunds' reversals
    points_redeemed: int = 0
    referrals: int = 0
    conversions: int = 0


@dataclass
class MerchantFile:
    merchant: Merchant
    offers: list[Offer]
    terminals: list[Terminal]
    accounts: list
    months: list[Month]
    statements: list[Statement]
    history: list[AuditEvent]
    staff_names: dict[str, str] = field(default_factory=dict)

    @property
    def totals(self) -> Month:
        total = Month(self.months[0].first_day if self.months else today_shanghai())
        for month in self.months:
            for name in ("purchases", "amount", "discount", "points_issued",
                         "points_redeemed", "referrals", "conversions"):
                setattr(total, name, getattr(total, name) + getattr(month, name))
        return total

    @property
    def live_terminals(self) -> int:
        return sum(1 for terminal in self.terminals if terminal.revoked_at is None)


def month_starts(today: date, months: int = MONTHS) -> list[date]:
    """The first days of the last `months` months up to today's, and of the month after."""
    firsts = []
    year, month = today.year, today.month
    for _ in range(months + 1):
        firsts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    firsts.reverse()
    after = firsts[-1]
    firsts.append(date(after.year + after.month // 12, after.month % 12 + 1, 1))
    return firsts[1:]


def _period(column, bounds: list[datetime]):
    return case(*[(column < bounds[i + 1], i) for i in range(len(bounds) - 1)])


def _sales(session: Session, merchant_id: str, bounds: list[datetime], months: list[Month]):
    period = _period(Purchase.created_at, bounds)
    rows = session.execute(
        select(period, func.count(), func.sum(Purchase.amount), func.sum(Purchase.discount))
        .where(Purchase.merchant_id == merchant_id, Purchase.created_at >= bounds[0],
               Purchase.created_at < bounds[-1]).group_by(period)).all()
    for index, count, amount, discount in rows:
        month = months[int(index)]
        month.purchases, month.amount, month.discount = count, int(amount), int(discount)


def _points(session: Session, merchant: Merchant, bounds: list[datetime], months: list[Month]):
    accounts = [merchant.issued_account_id, merchant.redeemed_account_id]
    net = points.net_by_period(session, [a for a in accounts if a is not None], bounds)
    for index, month in enumerate(months):
        # the merchant's issuing account is debited for points it gives (as in settlement)
        month.points_issued = -net.get(merchant.issued_account_id, [0] * len(months))[index]
        month.points_redeemed = net.get(merchant.redeemed_account_id, [0] * len(months))[index]


def _referrals(session: Session, merchant_id: str, bounds: list[datetime], months: list[Month]):
    period = _period(Referral.created_at, bounds)
    converted = case((converted_clause(session), 1), else_=0)
    rows = session.execute(
        select(period, func.count(), func.sum(converted))
        .where(Referral.merchant_id == merchant_id, Referral.created_at >= bounds[0],
               Referral.created_at < bounds[-1]).group_by(period)).all()
    for index, count, conversions in rows:
        months[int(index)].referrals, months[int(index)].conversions = count, int(conversions)


def monthly(session: Session, merchant: Merchant, today: date | None = None) -> list[Month]:
    """The last twelve Shanghai months (oldest first, this month last) of the merchant."""
    firsts = month_starts(today or today_shanghai())
    bounds = [shanghai_midnight(day) for day in firsts]
    months = [Month(day) for day in firsts[:-1]]
    _sales(session, merchant.id, bounds, months)
    _points(session, merchant, bounds, months)
    _referrals(session, merchant.id, bounds, months)
    return months


def merchant_file(session: Session, merchant: Merchant, today: date | None = None
                  ) -> MerchantFile:
    history = onboarding.review_history(session, merchant.id)
    staff_ids = {e.actor.partition(":")[2] for e in history if e.actor.startswith("staff:")}
    if merchant.reviewed_by:
        staff_ids.add(merchant.reviewed_by)
    return MerchantFile(
        merchant=merchant,
        offers=offer_services.merchant_offers(session, merchant.id),
        terminals=pos_terminals.list_terminals(session, merchant.id, live_first=True),
        accounts=staff_services.merchant_accounts(session, merchant.id),
        months=monthly(session, merchant, today),
        statements=statements_of(session, merchant.id),
        history=history,
        staff_names=staff_services.staff_names(session, staff_ids))
