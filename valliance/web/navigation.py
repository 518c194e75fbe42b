"""Where a page may send the visitor next."""

from urllib.parse import urlsplit

from flask import url_for

#: the flash category of our own messages (Flask-Login flashes its own under "message")
FLASH = "portal"


def safe_next(target: str | None, fallback: str | None = None) -> str:
    """A local path to go back to after signing in; anything else goes to `fallback` (the member
    card page unless given)."""
    if (not target or "\\" in target or any(ch.isspace() or ord(ch) < 32 for ch in target)
            or not target.startswith("/") or target.startswith("//")):
        return fallback or url_for("members.card")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback or url_for("members.card")
    return target
