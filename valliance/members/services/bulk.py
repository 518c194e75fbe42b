"""What the operator's CSV imports share (the VIP list, annual telecom spend).

Both imports validate the whole file before writing anything, and write in chunks through
SQLAlchemy Core: 100,000 members must load in well under two minutes on PostgreSQL, which
rules out enrolling them one ORM object (and one account lookup) at a time.
"""

from collections.abc import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.db import select_where_in
from valliance.errors import ValidationError
from valliance.i18n import bilingual
from valliance.members.models import Member
from valliance.members.services.enrollment import normalize_phone

#: rows per INSERT/UPDATE executemany
CHUNK = 5000

#: called with the number of rows just done (a progress bar's update)
Progress = Callable[[int], None]

members_table = Member.__table__


def no_progress(_: int) -> None:
    """Report progress to nobody."""
    return None


def chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    """Consecutive slices of items, size at most."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def parse_phone(raw: str) -> tuple[str | None, str | None]:
    """(normalized phone, None) or (None, what is wrong with it)."""
    try:
        return normalize_phone(raw), None
    except ValidationError as exc:
        return None, bilingual(
            "手机号 %(raw)s 无效",
            raw=repr(raw),
            details=exc.details['phone'][0],
        )


def members_by_phone(session: Session, phones: list[str]) -> dict[str, tuple[str, str]]:
    """phone → (member id, name) for the phones already enrolled."""
    query = select(members_table.c.phone, members_table.c.id, members_table.c.name)
    rows = select_where_in(session, query, members_table.c.phone, phones)
    return {phone: (member_id, name) for phone, member_id, name in rows}
