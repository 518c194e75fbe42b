"""Reading statements: a merchant's, and a closed period's."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.errors import NotFound
from valliance.merchants.models import Merchant
from valliance.settlement.models import Statement


def statements_of(session: Session, merchant_id: str) -> list[Statement]:
    """A merchant's statements, newest period first."""
    return list(session.scalars(select(Statement).where(Statement.merchant_id == merchant_id)
                                .order_by(Statement.period.desc())))


def statement_of(session: Session, merchant_id: str, statement_id: str) -> Statement:
    """One of the merchant's statements; another merchant's is not found (404)."""
    statement = session.get(Statement, statement_id)
    if statement is None or statement.merchant_id != merchant_id:
        raise NotFound()
    return statement


def period_statements(session: Session, period: str) -> list[Statement]:
    """Every statement of a period."""
    return list(session.scalars(select(Statement).where(Statement.period == period)
                                .order_by(Statement.merchant_id)))


def period_statements_named(session: Session, period: str) -> list[tuple[Statement, str]]:
    """Every statement of a period with its merchant's name, largest net first."""
    return [tuple(row) for row in session.execute(
        select(Statement, Merchant.name).join(Merchant, Merchant.id == Statement.merchant_id)
        .where(Statement.period == period).order_by(Statement.net_fen.desc(), Merchant.name))]


def statement_named(session: Session, statement_id: str) -> tuple[Statement, str]:
    """Any merchant's statement with its merchant's name, for staff (404 when unknown)."""
    row = session.execute(
        select(Statement, Merchant.name).join(Merchant, Merchant.id == Statement.merchant_id)
        .where(Statement.id == statement_id)).first()
    if row is None:
        raise NotFound()
    return tuple(row)


def merchant_names(session: Session, merchant_ids) -> dict[str, str]:
    """The names of these merchants, by id."""
    return dict(session.execute(select(Merchant.id, Merchant.name)
                                .where(Merchant.id.in_(list(merchant_ids)))).all())
