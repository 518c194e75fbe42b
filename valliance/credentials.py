"""Who is calling an API: a terminal key, a member token or an operator key.

Each API names the kind of credential it accepts; a valid credential of another kind is
403 forbidden, and anything else 401 unauthorized (contract §2). The packages that issue
credentials register how to resolve theirs at their `init_app` (core knows none of them).
"""

from collections.abc import Callable

from sqlalchemy.orm import Session

from valliance import logs
from valliance.api_support import bearer_token
from valliance.errors import Forbidden, Unauthorized
from valliance.extensions import db

#: credential kind ("terminal", "member", "operator") → (session, secret) → its subject or None
_RESOLVERS: dict[str, Callable[[Session, str], object | None]] = {}


def register(kind: str, resolver: Callable[[Session, str], object | None]) -> None:
    """Resolve bearer credentials of this kind with `resolver(session, secret)`."""
    _RESOLVERS[kind] = resolver


def require(kind: str):
    """The subject of the request's bearer credential when it is of this kind."""
    token = bearer_token()
    if not token:
        raise Unauthorized()
    subject = _RESOLVERS[kind](db.session, token)
    if subject is not None:
        # who this request is for, in its log lines: terminal_id (and merchant_id), member_id…
        logs.remember(**{f"{kind}_id": subject.id},
                      merchant_id=getattr(subject, "merchant_id", None))
        return subject
    if any(resolve(db.session, token) is not None
           for other, resolve in _RESOLVERS.items() if other != kind):
        raise Forbidden()
    raise Unauthorized()
