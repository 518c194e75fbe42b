"""Invitation codes: 8 characters from an alphabet without 0/O/1/I (nothing to misread)."""

import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 8


def new_code() -> str:
    """A random invitation code (32^8 ≈ 10^12 of them: a collision is retried)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(typed: str | None) -> str:
    """A typed code as stored: stripped, upper case, spaces and dashes left out."""
    return "".join(ch for ch in (typed or "").upper() if ch not in " -\t")


def looks_valid(code: str) -> bool:
    return len(code) == LENGTH and all(ch in ALPHABET for ch in code)
