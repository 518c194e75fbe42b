"""Points moved by given transfers, for the packages that keep their transfers' ids (a
campaign's report: the reward points its deliveries credited)."""

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from valliance.points.models import Transfer


def points_of_transfers(session: Session, transfer_ids: Select) -> int:
    """The points these transfers moved (a SELECT of transfer ids, run inside one query)."""
    return int(session.scalar(select(func.coalesce(func.sum(Transfer.amount), 0))
                              .where(Transfer.id.in_(transfer_ids))) or 0)
