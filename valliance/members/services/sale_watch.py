"""Whether a programme waits for a member's sales (a pending invitation waits for the first
qualifying purchase): the purchase lane's one-statement writer announces nothing, so such a
member's sales go through the app's path, which does (merchants.signals.purchase_recorded).
The flag is read with the sale's context in the same query: no extra read per sale."""

from sqlalchemy import update
from sqlalchemy.orm import Session

from valliance.members.models import Member


def watch_sales(session: Session, member_id: str, watched: bool) -> None:
    """Send this member's sales through the app's path (watched) or let the lane sell them."""
    session.execute(update(Member).where(Member.id == member_id)
                    .values(next_sale_in_app=watched)
                    .execution_options(synchronize_session="fetch"))
