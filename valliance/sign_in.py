"""One Flask-Login manager for every kind of user: members, merchant staff, alliance staff.

Session ids are "<kind>:<id>:<credential version>"; each package registers a loader for its
kind, and the version (a digest of the password hash and the user's session generation) signs
out every session of a user whose password changes or who signs out: signing out moves the
generation on, so a saved copy of the cookie no longer signs anyone in (contract §10). Each
area names its own sign-in page.
"""

import functools
import hashlib
import hmac
from collections.abc import Callable

from flask_login import UserMixin

from valliance import logs, metrics
from valliance.extensions import db, login

_LOADERS: dict[str, Callable] = {}


class SignedInUser(UserMixin):
    """A signed-in user of some kind; `record` is the database row behind it."""

    kind = ""

    def __init__(self, record):
        self.record = record

    def get_id(self) -> str:
        return f"{self.kind}:{self.record.id}:{credential_version(self.record)}"

    @property
    def is_active(self) -> bool:
        return getattr(self.record, "active", True)


def credential_version(record) -> str:
    """Changes whenever the password or the session generation does. The generation is always
    part of it, 0 too: a cookie made before generations existed (when signing out left it
    working on the server) no longer signs anyone in — everyone signs in once after the deploy."""
    text = f"{record.password_hash or ''}#{record.session_generation or 0}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def end_sessions(session, record) -> None:
    """End every session of this user, on every device: their cookies stop signing in."""
    record.session_generation = type(record).session_generation + 1  # atomic, in SQL
    session.flush()


def sign_out() -> None:
    """Sign the current user out, on the server too (the request's one commit)."""
    from flask_login import current_user, logout_user

    if current_user.is_authenticated:
        end_sessions(db.session, current_user.record)
        db.session.commit()
    logout_user()


def register(kind: str, model, user_class: type[SignedInUser], login_view: str,
             blueprint: str | None = None) -> None:
    """Load users of this kind from `model`; send anonymous visitors of `blueprint` to login."""
    def load(record_id: str, version: str):
        record = db.session.get(model, record_id)
        if record is None or not hmac.compare_digest(
                version, credential_version(record)):
            return None
        user = user_class(record)
        if not user.is_active:
            return None
        logs.remember(**{f"{kind}_id": record.id},  # member_id, merchant_user_id, staff_id
                      merchant_id=getattr(record, "merchant_id", None))
        return user

    _LOADERS[kind] = load
    if blueprint:
        login.blueprint_login_views[blueprint] = login_view
    login.user_loader(_load_user)


def _load_user(user_id: str):
    kind, _, rest = user_id.partition(":")
    record_id, _, version = rest.partition(":")
    loader = _LOADERS.get(kind)
    return loader(record_id, version) if loader else None


#: failed sign-ins for one account from one address: that address slows down, while the
#: account's owner, signing in from anywhere else, is never locked out by a stranger
PER_ACCOUNT_AND_ADDRESS = "10 per minute;30 per hour"
#: failed sign-ins from one address, whatever the account (one address guessing many)
PER_ADDRESS = "30 per minute;100 per hour"


def login_failed(response) -> bool:
    """Whether this sign-in failed: the page set g.login_failed, or the API answered 401."""
    from flask import g

    return bool(g.get("login_failed")) or response.status_code == 401


def _counting_failures(kind: str, view: Callable) -> Callable:
    """The view, its failed sign-ins counted in valliance_failed_logins_total{kind}."""
    from flask import after_this_request, request

    def count_if_failed(response):
        if login_failed(response):
            metrics.count_failed_login(kind)
        return response

    @functools.wraps(view)
    def counted(*args, **kwargs):
        if request.method == "POST":  # (after an error handler's answer too: a 401)
            after_this_request(count_if_failed)
        return view(*args, **kwargs)

    return counted


def login_rate_limits(identity: Callable[[], str], scope: str | None = None, *, kind: str):
    """Decorate a sign-in view (pages and API): failed posts are counted per (account, address)
    and per address, never per account alone, so that nobody can lock a user out; a limited
    address is told when to try again (429 with Retry-After). `identity()` names the account
    (the phone or username); a page view sets `g.login_failed`, the API answers 401. Views
    given the same `scope` share one count (every view that checks the same passwords).
    `kind` (metrics.KINDS: member, staff, merchant) labels the failures in the metrics."""
    from flask_limiter.util import get_remote_address

    from valliance.extensions import limiter

    def account_and_address() -> str:
        return f"{identity()}@{get_remote_address()}"

    def limit(value: str, name: str, **options):
        if scope is None:
            return limiter.limit(value, methods=["POST"], deduct_when=login_failed, **options)
        return limiter.shared_limit(value, f"{scope}:{name}", methods=["POST"],
                                    deduct_when=login_failed, **options)

    per_address = limit(PER_ADDRESS, "address")
    per_account = limit(PER_ACCOUNT_AND_ADDRESS, "account", key_func=account_and_address)
    return lambda view: per_address(per_account(_counting_failures(kind, view)))
