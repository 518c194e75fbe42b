"""Who is calling an API: a terminal key, a member token or an operator key.

Each API names the kind of credential it accepts; a valid credential of another kind is
403 forbidden, and anything else 401 unauthorized (contract §2).
"""

from valliance.api_support import bearer_token
from valliance.errors import Forbidden, Unauthorized
from valliance.extensions import db


def _resolvers():
    from valliance.directory.services import operator_for_key
    from valliance.members.services import member_for_token
    from valliance.merchants.services.terminals import terminal_for_key

    return {"terminal": terminal_for_key, "member": member_for_token,
            "operator": operator_for_key}


def require(kind: str):
    """The subject of the request's bearer credential when it is of this kind."""
    token = bearer_token()
    if not token:
        raise Unauthorized()
    resolvers = _resolvers()
    subject = resolvers[kind](db.session, token)
    if subject is not None:
        return subject
    if any(resolve(db.session, token) is not None
           for other, resolve in resolvers.items() if other != kind):
        raise Forbidden()
    raise Unauthorized()
