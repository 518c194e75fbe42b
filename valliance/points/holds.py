"""Holding points for a payment, then capturing or releasing them (积分抵话费).

- hold: one conditional UPDATE of the member's row raises `debits_pending` only while the
  points are available (balance − pending ≥ points), so a hold and a till's redemption (or
  two holds) racing for the same points cannot both have them; then the hold's row.
- capture: the held points become a posted REDEEM transfer from the member to the alliance's
  bills account (the alliance's own cost: no merchant is involved), consuming lots
  soonest-expiring first as a redemption does.
- release: the points become available again; nothing is posted, no lot is touched.

Capture and release lock the hold's row and act only on a pending hold, so a duplicate
webhook or a release job racing the success event applies once. Every verb runs inside the
caller's transaction (services flush, the request or job commits).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from valliance.db import utcnow
from valliance.errors import InsufficientPoints
from valliance.i18n import bilingual
from valliance.points import lot_returns
from valliance.points.accounts import AVAILABLE, BALANCE, LedgerError, accounts, system_account
from valliance.points.adapters.generic import consume_lots, lock_member, record
from valliance.points.hold_models import CAPTURED, PENDING, RELEASED, Hold
from valliance.points.ledger import _check_points
from valliance.points.rules import ALLIANCE_BILLS, MEMBER, REDEEM

holds = Hold.__table__

_hold_stmt = (
    update(accounts)
    .where(accounts.c.id == bindparam("account"), accounts.c.kind == MEMBER,
           bindparam("points") <= AVAILABLE)
    .values(debits_pending=accounts.c.debits_pending + bindparam("points"))
    .returning(AVAILABLE)
)
_capture_stmt = (
    update(accounts)
    .where(accounts.c.id == bindparam("account"), accounts.c.kind == MEMBER,
           accounts.c.debits_pending >= bindparam("points"))
    .values(debits_pending=accounts.c.debits_pending - bindparam("points"),
            debits_posted=accounts.c.debits_posted + bindparam("points"))
    .returning(BALANCE)
)
_release_stmt = (
    update(accounts)
    .where(accounts.c.id == bindparam("account"), accounts.c.kind == MEMBER,
           accounts.c.debits_pending >= bindparam("points"))
    .values(debits_pending=accounts.c.debits_pending - bindparam("points"))
    .returning(AVAILABLE)
)


@dataclass(frozen=True)
class Settled:
    """What capturing or releasing a hold found and did."""

    hold_id: int
    status: str
    #: False: the hold was settled before (a duplicate event, a job that came second)
    changed: bool
    #: the capture's REDEEM transfer (captured holds only)
    transfer_id: int | None = None


def hold(session: Session, *, member_account: int, points: int, reference: str,
         expires_at: datetime, now: datetime | None = None) -> int:
    """Set a member's points aside for `reference` until expires_at; the hold's id.

    InsufficientPoints when fewer points are available (nothing is written)."""
    _check_points(points)
    if not reference or len(reference) > 80:
        raise LedgerError("a hold names what it is for (at most 80 characters)")
    conn = session.connection()
    now = now or utcnow()
    if conn.execute(_hold_stmt, {"account": member_account, "points": points}).first() is None:
        lock_member(conn, member_account)  # raises LedgerError for an unknown account
        raise InsufficientPoints(details={"points": [bilingual(
            "需要 %(points)s 积分", points=points)]})
    return conn.execute(holds.insert().values(
        account_id=member_account, amount=points, status=PENDING, reference=reference,
        expires_at=expires_at, created_at=now).returning(holds.c.id)).scalar_one()


def _lock(conn, hold_id: int):
    row = conn.execute(select(holds).where(holds.c.id == hold_id).with_for_update()).first()
    if row is None:
        raise LedgerError(f"no hold {hold_id}")
    return row


def capture(session: Session, hold_id: int, *, now: datetime | None = None) -> Settled:
    """Post a pending hold's points as spent on the bill (kind `redeem`, to the alliance)."""
    conn = session.connection()
    now = now or utcnow()
    found = _lock(conn, hold_id)
    if found.status != PENDING:
        return Settled(hold_id, found.status, False, found.transfer_id)
    member, points = found.account_id, found.amount
    balance = conn.execute(_capture_stmt, {"account": member, "points": points}).scalar()
    if balance is None:
        raise LedgerError(f"hold {hold_id}: the account's pending points do not cover it")
    transfer_id = record(conn, member, system_account(conn, ALLIANCE_BILLS), points, REDEEM,
                         "redeem", now, {member: balance}, reason=found.reference)
    # as a redemption: its refund puts the points back into these lots, with their expiry
    lot_returns.record_draws(conn, transfer_id, consume_lots(conn, member, points))
    conn.execute(update(holds).where(holds.c.id == hold_id).values(
        status=CAPTURED, transfer_id=transfer_id, settled_at=now))
    return Settled(hold_id, CAPTURED, True, transfer_id)


def release(session: Session, hold_id: int, *, reason: str,
            now: datetime | None = None) -> Settled:
    """Give a pending hold's points back to the member's available points (nothing posted)."""
    conn = session.connection()
    found = _lock(conn, hold_id)
    if found.status != PENDING:
        return Settled(hold_id, found.status, False, found.transfer_id)
    released = conn.execute(_release_stmt, {"account": found.account_id,
                                            "points": found.amount}).first()
    if released is None:
        raise LedgerError(f"hold {hold_id}: the account's pending points do not cover it")
    conn.execute(update(holds).where(holds.c.id == hold_id).values(
        status=RELEASED, reason=reason[:40], settled_at=now or utcnow()))
    return Settled(hold_id, RELEASED, True)


def rehold(session: Session, hold_id: int, *, now: datetime | None = None) -> Settled:
    """Hold a released hold's points again (the payment it was for went through after all).

    InsufficientPoints when the member no longer has them available (nothing is written)."""
    conn = session.connection()
    found = _lock(conn, hold_id)
    if found.status != RELEASED:
        return Settled(hold_id, found.status, False, found.transfer_id)
    if conn.execute(_hold_stmt, {"account": found.account_id,
                                 "points": found.amount}).first() is None:
        raise InsufficientPoints(details={"points": [bilingual(
            "需要 %(points)s 积分", points=found.amount)]})
    conn.execute(update(holds).where(holds.c.id == hold_id).values(
        status=PENDING, reason=None, settled_at=None))
    return Settled(hold_id, PENDING, True)


@dataclass(frozen=True)
class HoldState:
    id: int
    account_id: int
    points: int
    status: str
    transfer_id: int | None


def find_hold(session: Session, reference: str) -> HoldState | None:
    """The hold made for `reference` (None: none was made)."""
    row = session.execute(select(holds.c.id, holds.c.account_id, holds.c.amount,
                                 holds.c.status, holds.c.transfer_id)
                          .where(holds.c.reference == reference)).first()
    return HoldState(*row) if row else None


def expired_holds(session: Session, *, now: datetime, limit: int = 500) -> list[tuple[int, str]]:
    """Pending holds past their expiry, oldest first: [(hold id, reference)]."""
    return [tuple(row) for row in session.execute(
        select(holds.c.id, holds.c.reference)
        .where(holds.c.status == PENDING, holds.c.expires_at <= now)
        .order_by(holds.c.expires_at, holds.c.id).limit(limit)).all()]
