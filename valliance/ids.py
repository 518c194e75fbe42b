"""Opaque, unguessable ids for public objects."""

import secrets


def new_id(prefix: str) -> str:
    """Return an id like mem_3f9c1a…: a type prefix and 80 random bits."""
    return f"{prefix}_{secrets.token_hex(10)}"
