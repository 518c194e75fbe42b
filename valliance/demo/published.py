"""The demo's published keys, live in a database: production refuses to start with them
(valliance/startup.py, `flask check`) — anyone who read the README could sell at the demo's
till or read the 114 directory."""

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from valliance.api_keys import key_digest
from valliance.demo.roster import DEMO_OPERATOR_KEY, DEMO_TILL_KEY
from valliance.directory.models import Operator
from valliance.merchants.models import Terminal

#: (table, published key, what it opens, the command that revokes it)
PUBLISHED = ((Terminal, DEMO_TILL_KEY, "till", "terminals"),
             (Operator, DEMO_OPERATOR_KEY, "114 operator", "operators"))


def live_published_keys(session: Session) -> list[str]:
    """One line for each published demo key that is not revoked, naming how to revoke it."""
    found = []
    for model, key, what, command in PUBLISHED:
        try:
            row = session.scalar(select(model.id).where(model.key_hash == key_digest(key),
                                                        model.revoked_at.is_(None)))
        except SQLAlchemyError:  # not migrated yet: no key can be there
            session.rollback()
            continue
        if row is not None:
            found.append(f"the demo's published {what} key is live "
                         f"(revoke it: flask {command} revoke {row})")
    session.rollback()
    return found
