"""A member's birthday: month and day, no year, given in the portal or the app (optional),
for birthday care and segments. Every change is audited (member.birthday) with who made it;
giving the birthday a member already has changes nothing and records nothing."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.audit import record_event
from valliance.errors import ValidationError
from valliance.i18n import bilingual
from valliance.members.gift_models import BirthdayGift
from valliance.members.models import Member

#: the most days of each month in any year: February 29 is a birthday too
MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def valid_birthday(month, day) -> bool:
    """Tell whether (month, day) is a day of the year (2/29 included), neither of them a bool."""
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (month, day)):
        return False
    return 1 <= month <= 12 and 1 <= day <= MONTH_DAYS[month - 1]


def birthday_errors(month, day) -> dict:
    """What is wrong with (month, day), field → messages ({} when it is a birthday or none)."""
    if month is None and day is None:
        return {}
    if month is None:
        return {"month": [bilingual("请选择月份")]}
    if day is None:
        return {"day": [bilingual("请选择日期")]}
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        return {"month": [bilingual("月份须在 1 到 12 之间")]}
    if not valid_birthday(month, day):
        return {"day": [bilingual("%(month)s月没有%(day)s日", month=month, day=day)]}
    return {}


def set_birthday(session: Session, member: Member, month: int | None, day: int | None, *,
                 actor: str, via: str = "") -> bool:
    """Record the member's birthday (None, None clears it); True when it changed (audited).

    Refuses a month outside 1–12, a day the month never has, or only one of the two
    (ValidationError, field → messages)."""
    errors = birthday_errors(month, day)
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], details=errors)
    if (member.birth_month, member.birth_day) == (month, day):
        return False
    member.birth_month, member.birth_day = month, day
    session.flush()
    record_event(session, actor=actor, subject=member.id, action="member.birthday", via=via,
                 reason="cleared" if month is None else "set", month=month, day=day)
    return True


def double_points_until(session: Session, member: Member, today: date) -> date | None:
    """The last day of the member's double-points birthday month when today is in it (and
    they still agree to marketing, as the till checks), else None — for the portal."""
    if not member.marketing_opt_in:
        return None
    return session.scalar(select(BirthdayGift.double_until).where(
        BirthdayGift.member_id == member.id, BirthdayGift.kind == "double",
        BirthdayGift.double_from <= today, BirthdayGift.double_until >= today))
