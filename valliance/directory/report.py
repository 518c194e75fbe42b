"""What the 114 channel brings merchants: referrals and their conversions, by operator,
merchant, category and week (Monday-based weeks in Asia/Shanghai)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.directory.models import Operator, Referral
from valliance.directory.services import converted_clause
from valliance.merchants.models import Merchant
from valliance.merchants.services.reports import shanghai_midnight

SHANGHAI = ZoneInfo("Asia/Shanghai")
GROUPS = ("week", "operator", "merchant", "category")


@dataclass
class Line:
    label: str
    referrals: int = 0
    conversions: int = 0

    @property
    def rate_percent(self) -> int:
        """The conversion rate in whole percent, rounded half up (integers only)."""
        if not self.referrals:
            return 0
        return (self.conversions * 200 + self.referrals) // (self.referrals * 2)


@dataclass
class ReferralReport:
    first_day: date
    last_day: date
    total: Line
    groups: dict[str, list[Line]]


def referral_report(session: Session, first_day: date, last_day: date) -> ReferralReport:
    """Referrals made on these Shanghai days (inclusive) and how many converted."""
    converted = converted_clause(session).label("converted")
    rows = session.execute(
        select(Referral.created_at, Operator.id, Operator.name, Merchant.id, Merchant.name,
               Merchant.district, Merchant.category, converted)
        .join(Operator, Operator.id == Referral.operator_id)
        .join(Merchant, Merchant.id == Referral.merchant_id)
        .where(Referral.created_at >= shanghai_midnight(first_day),
               Referral.created_at < shanghai_midnight(last_day + timedelta(days=1)))).all()
    total = Line("合计 / Total")
    groups: dict[str, dict[str, Line]] = {name: {} for name in GROUPS}  # by id, then label
    for (created_at, operator_id, operator, merchant_id, merchant, district, category,
         was_converted) in rows:
        day = created_at.astimezone(SHANGHAI).date()
        week = (day - timedelta(days=day.weekday())).isoformat()
        # Grouped by id: two branches of one chain, or two seats of one name, stay apart.
        keys = {"week": (week, week), "operator": (operator_id, operator),
                "merchant": (merchant_id, f"{merchant}（{district}）"),
                "category": (category, category)}
        for line in [total] + [groups[name].setdefault(key, Line(label))
                               for name, (key, label) in keys.items()]:
            line.referrals += 1
            line.conversions += 1 if was_converted else 0
    ordered = defaultdict(list)
    for name, lines in groups.items():
        if name == "week":
            ordered[name] = sorted(lines.values(), key=lambda line: line.label)
        else:
            ordered[name] = sorted(lines.values(),
                                   key=lambda line: (-line.conversions, -line.referrals,
                                                     line.label))
    return ReferralReport(first_day, last_day, total, dict(ordered))
