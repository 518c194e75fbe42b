"""API keys for machines (POS terminals, 114 operators): random, shown once, stored hashed.

A key has 256 random bits, so a fast unsalted sha256 is enough to look it up and to make a
stolen database useless for calling the API (passwords, which people choose, are salted and
slow — see passwords.py)."""

import hashlib
import secrets


def key_digest(key: str) -> str:
    """What the database keeps of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def issue_key(prefix: str) -> tuple[str, str]:
    """A new key like vt_… and its digest."""
    key = f"{prefix}_{secrets.token_urlsafe(32)}"
    return key, key_digest(key)
