"""What others read of coupons: a member's list, and the alliance's lines for settlement."""

from datetime import date, datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from valliance.coupons.models import Coupon, CouponLine, CouponTemplate
from valliance.db import Base

lines = CouponLine.__table__


def shown_status(status: str, valid_until: date, today: date) -> str:
    """An active coupon past its last day is expired, whether or not a job marked it yet."""
    return "expired" if status == "active" and valid_until < today else status


def member_coupons(session: Session, member_id: str, today: date) -> list[dict]:
    """The member's coupons: active first (soonest to lapse first), then the rest, newest first."""
    merchants = Base.metadata.tables["merchants"]
    rows = session.execute(
        select(Coupon.code, Coupon.status, Coupon.valid_until, Coupon.issued_at,
               CouponTemplate.title, CouponTemplate.value, CouponTemplate.min_spend,
               merchants.c.id, merchants.c.name)
        .join(CouponTemplate, CouponTemplate.id == Coupon.template_id)
        .outerjoin(merchants, merchants.c.id == CouponTemplate.merchant_id)
        .where(Coupon.member_id == member_id)).all()
    coupons = [{"code": row.code, "title": row.title, "value": row.value,
                "min_spend": row.min_spend,
                "merchant": {"id": row.id, "name": row.name} if row.id else None,
                "valid_until": row.valid_until.isoformat(),
                "status": shown_status(row.status, row.valid_until, today),
                "_issued": row.issued_at} for row in rows]
    active = sorted((c for c in coupons if c["status"] == "active"),
                    key=lambda c: (c["valid_until"], c["code"]))
    rest = sorted((c for c in coupons if c["status"] != "active"),
                  key=lambda c: c["_issued"], reverse=True)
    for coupon in coupons:
        del coupon["_issued"]
    return active + rest


def freeze_line_writes(session: Session) -> None:
    """Wait for coupon lines in flight and hold new ones until this transaction ends (as
    points.freeze_ledger_writes for transfers): the highest id seen is a safe cutoff."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE coupon_lines IN SHARE MODE"))


def line_cutoff_before(session: Session, lower: int, before: datetime) -> int:
    """The highest line id above lower created before a moment (lower when there is none)."""
    found = session.execute(select(func.max(lines.c.id)).where(
        lines.c.id > lower, lines.c.created_at < before)).scalar()
    return lower if found is None else found


def lines_between(session: Session, lower: int, upper: int) -> dict[str, int]:
    """Fen the alliance owes each merchant for coupon lines (lower, upper], net of refunds."""
    rows = session.execute(
        select(lines.c.merchant_id, func.sum(lines.c.value_fen))
        .where(lines.c.id > lower, lines.c.id <= upper).group_by(lines.c.merchant_id)).all()
    return {merchant_id: int(total) for merchant_id, total in rows if total}


__all__ = ["freeze_line_writes", "line_cutoff_before", "lines_between",
           "member_coupons", "shown_status"]
