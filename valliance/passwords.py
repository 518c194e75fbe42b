"""Password hashes for every kind of user, checked in the same time whether or not one exists.

Every password hash and check in the app goes through here. Hashing is slow on purpose
(werkzeug's scrypt: tens of milliseconds of CPU). Under gunicorn's gevent workers
(gunicorn.conf.py) one such call would stall every other request of its worker — a till's
sale behind a member's login — so there it runs in gevent's thread pool instead: hashlib's
scrypt releases the GIL, and the worker's other requests go on meanwhile.
"""

import functools
import re
import secrets
import sys

from werkzeug.security import check_password_hash, generate_password_hash

from valliance.errors import ValidationError
from valliance.i18n import bilingual

__all__ = ["check_password_strength", "hash_password", "new_hash", "password_matches"]


def check_password_strength(password: str) -> None:
    """At least 8 characters with a letter and a digit."""
    password = password or ""
    if len(password) < 8 or not re.search(r"\d", password) or not re.search(r"[A-Za-z]", password):
        raise ValidationError(details={"password": [
            bilingual("密码至少8位，且包含字母和数字")]})


def hash_password(password: str) -> str:
    """Check the password is strong enough and return its salted hash."""
    check_password_strength(password)
    return new_hash(password)


def new_hash(password: str) -> str:
    """The salted hash of a password already checked (or of a secret of the app's)."""
    return off_the_event_loop(generate_password_hash, password)


def password_matches(stored_hash: str | None, password: str | None) -> bool:
    """True when the password matches; hashes a dummy when there is no user, to hide that."""
    if not stored_hash:
        off_the_event_loop(check_password_hash, _dummy_hash(), password or "")
        return False
    return off_the_event_loop(check_password_hash, stored_hash, password or "")


@functools.cache
def _dummy_hash() -> str:
    # Made on first use, not at import: hashing is slow on purpose and every command imports us.
    return new_hash(secrets.token_hex(8))


def off_the_event_loop(function, *args):
    """function(*args), in gevent's thread pool when gevent has patched threading, else here."""
    monkey = sys.modules.get("gevent.monkey")  # never imported here: only when in use
    if monkey is not None and monkey.is_module_patched("threading"):
        import gevent

        return gevent.get_hub().threadpool.apply(function, args)
    return function(*args)
