"""Service levels as configuration: kind × tier → minutes, and the clock each kind runs on.

Without a row the contract's defaults hold (§12): a fault is due 5 hours after it is opened,
every other kind 24 hours, for every tier, around the clock. A row for tier "*" sets a kind
for every tier without its own row (docs/service-desk.md).
"""

from datetime import datetime

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from valliance import audit
from valliance.db import utcnow
from valliance.members.tiers import TIER_ORDER
from valliance.service_desk.clock import AROUND_THE_CLOCK, CLOCKS, Hours
from valliance.service_desk.models import KINDS, ServiceClock, ServiceLevel

EVERY_TIER = "*"
DEFAULT_MINUTES = {"fault": 5 * 60}
OTHER_KINDS_MINUTES = 24 * 60
MAX_MINUTES = 30 * 24 * 60


def default_minutes(kind: str) -> int:
    return DEFAULT_MINUTES.get(kind, OTHER_KINDS_MINUTES)


def target_minutes(session: Session, kind: str, tier: str) -> int:
    """The minutes a ticket of this kind may take for a member of this tier."""
    rows = dict(session.execute(
        select(ServiceLevel.tier, ServiceLevel.minutes)
        .where(ServiceLevel.kind == kind, ServiceLevel.tier.in_((tier, EVERY_TIER)))).all())
    return rows.get(tier) or rows.get(EVERY_TIER) or default_minutes(kind)


def clock_of(session: Session, kind: str) -> str:
    """The clock this kind runs on: 24x7 unless configured as business hours."""
    row = session.get(ServiceClock, kind)
    return row.clock if row is not None else AROUND_THE_CLOCK


def business_hours() -> Hours:
    """The configured business hours (SERVICE_BUSINESS_HOURS, SERVICE_BUSINESS_DAYS)."""
    config = current_app.config
    return Hours.parse(config.get("SERVICE_BUSINESS_HOURS") or "09:00-18:00",
                       config.get("SERVICE_BUSINESS_DAYS") or "1-5")


def hours_for(clock: str) -> Hours | None:
    """The Hours a clock counts (None: every second)."""
    return business_hours() if clock != AROUND_THE_CLOCK else None


def level_table(session: Session) -> dict:
    """{"levels": {(kind, tier): minutes}, "clocks": {kind: clock}} as configured."""
    levels = {(row.kind, row.tier): row.minutes
              for row in session.scalars(select(ServiceLevel))}
    clocks = {row.kind: row.clock for row in session.scalars(select(ServiceClock))}
    return {"levels": levels, "clocks": clocks}


def set_level(session: Session, kind: str, tier: str, minutes: int | None, *, by: str,
              now: datetime | None = None) -> None:
    """Set (or with None clear) a kind × tier service level; audited. Tickets already open
    keep the level they were opened with."""
    if kind not in KINDS or tier not in (*TIER_ORDER, EVERY_TIER):
        raise ValueError(f"unknown kind or tier: {kind} {tier}")
    if minutes is not None and not 1 <= minutes <= MAX_MINUTES:
        raise ValueError("minutes out of range")
    session.execute(delete(ServiceLevel).where(ServiceLevel.kind == kind,
                                               ServiceLevel.tier == tier))
    if minutes is not None:
        session.add(ServiceLevel(kind=kind, tier=tier, minutes=minutes, updated_by=by,
                                 updated_at=now or utcnow()))
    session.flush()
    audit.record_event(session, actor=by, action="service_level.set",
                       subject=f"{kind}:{tier}", minutes=minutes)


def set_clock(session: Session, kind: str, clock: str, *, by: str,
              now: datetime | None = None) -> None:
    """Set the clock a kind runs on (24x7 or business); audited."""
    if kind not in KINDS or clock not in CLOCKS:
        raise ValueError(f"unknown kind or clock: {kind} {clock}")
    row = session.get(ServiceClock, kind)
    if row is None:
        session.add(ServiceClock(kind=kind, clock=clock, updated_by=by,
                                 updated_at=now or utcnow()))
    else:
        row.clock, row.updated_by, row.updated_at = clock, by, now or utcnow()
    session.flush()
    audit.record_event(session, actor=by, action="service_clock.set", subject=kind,
                       clock=clock)
