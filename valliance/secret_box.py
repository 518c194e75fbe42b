"""Secrets kept at rest (pay secrets, messages awaiting delivery) encrypted with Fernet.

The keys come from the environment: `DATA_ENCRYPTION_KEYS`, one or more Fernet keys separated
by commas; the first encrypts, every one decrypts, so a key is rotated by putting the new one
first. Without it (development, `make run`) one key is derived from SECRET_KEY, so the data is
still never stored in plain text; production sets its own keys.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

#: the extension's key under app.extensions
_EXTENSION = "valliance.secret_box"


class UnreadableSecret(Exception):
    """A stored secret that none of the configured keys can decrypt."""


def _keys_from(config) -> MultiFernet:
    configured = [key.strip() for key in config.get("DATA_ENCRYPTION_KEYS", "").split(",")]
    keys = [Fernet(key.encode()) for key in configured if key]
    if not keys:
        derived = hashlib.sha256(b"valliance data key\0" + config["SECRET_KEY"].encode()).digest()
        keys = [Fernet(base64.urlsafe_b64encode(derived))]
    return MultiFernet(keys)


def _box() -> MultiFernet:
    box = current_app.extensions.get(_EXTENSION)
    if box is None:
        box = current_app.extensions[_EXTENSION] = _keys_from(current_app.config)
    return box


def seal(plain: str) -> str:
    """Encrypt a short text for storage (ASCII out, about 100 characters for 40 in)."""
    return _box().encrypt(plain.encode()).decode("ascii")


def unseal(sealed: str) -> str:
    """Decrypt what seal() stored; UnreadableSecret when no configured key opens it."""
    try:
        return _box().decrypt(sealed.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as exc:
        raise UnreadableSecret("no configured key decrypts this value") from exc
