"""Password hashes for every kind of user, checked in the same time whether or not one exists."""

import functools
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

from valliance.members.services import check_password_strength

__all__ = ["check_password_strength", "hash_password", "password_matches"]


def hash_password(password: str) -> str:
    """Check the password is strong enough and return its salted hash."""
    check_password_strength(password)
    return generate_password_hash(password)


def password_matches(stored_hash: str | None, password: str | None) -> bool:
    """True when the password matches; hashes a dummy when there is no user, to hide that."""
    if not stored_hash:
        check_password_hash(_dummy_hash(), password or "")
        return False
    return check_password_hash(stored_hash, password or "")


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(8))
