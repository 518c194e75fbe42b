"""Card numbers (random, Luhn-checked), static codes and 22-digit time-based pay codes."""

import hashlib
import hmac
import secrets
import struct
import time
import unicodedata

CARD_DIGITS = 16
PAY_CODE_DIGITS = 6
PAY_CODE_STEP = 30  #: a new code every 30 s
PAY_CODE_STEPS_ACCEPTED = 3  #: the current step and the two before: at most 90 s old
#: every V-card number starts with 9 (the alliance's issuer digit)
ISSUER_PREFIX = "9"


def luhn_check_digit(digits: str) -> str:
    """The digit that makes digits + it pass the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def _ascii_digits(text: str) -> bool:
    # str.isdigit() also accepts "²" and "１"; a card number is ASCII digits only.
    return text.isascii() and text.isdigit()


def luhn_valid(number: str) -> bool:
    """Tell whether a digit string ends in its correct Luhn check digit."""
    return _ascii_digits(number) and len(number) > 1 and (
        luhn_check_digit(number[:-1]) == number[-1])


def random_card_number() -> str:
    """A random 16-digit card number with its Luhn check digit."""
    random_digits = CARD_DIGITS - len(ISSUER_PREFIX) - 1
    body = ISSUER_PREFIX + str(secrets.randbelow(10**random_digits)).zfill(random_digits)
    return body + luhn_check_digit(body)


def new_pay_secret() -> str:
    return secrets.token_hex(20)


def _totp(secret_hex: str, counter: int) -> str:
    # RFC 6238 / RFC 4226 with HMAC-SHA1, six digits.
    digest = hmac.new(bytes.fromhex(secret_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**PAY_CODE_DIGITS).zfill(PAY_CODE_DIGITS)


def pay_code(card_number: str, secret_hex: str, at: float | None = None) -> tuple[str, int]:
    """The 22-digit pay code for this moment and the seconds until the next one."""
    now = time.time() if at is None else at
    counter = int(now // PAY_CODE_STEP)
    expires_in = PAY_CODE_STEP - int(now % PAY_CODE_STEP)
    return card_number + _totp(secret_hex, counter), expires_in


def pay_code_valid(code: str, secret_hex: str, at: float | None = None) -> bool:
    """Tell whether the time part of a pay code is current (issued at most 90 s ago)."""
    if len(code) != PAY_CODE_DIGITS or not _ascii_digits(code):
        return False
    now = time.time() if at is None else at
    counter = int(now // PAY_CODE_STEP)
    return any(
        hmac.compare_digest(_totp(secret_hex, counter - back), code)
        for back in range(PAY_CODE_STEPS_ACCEPTED)
    )


def split_scanned_code(scanned: str) -> tuple[str, str | None] | None:
    """Split what a scanner typed into (card number, pay-code time part or None)."""
    # NFKC turns full-width digits typed under a Chinese input method into ASCII ones.
    code = "".join(unicodedata.normalize("NFKC", scanned).split())
    if not _ascii_digits(code):
        return None
    if len(code) == CARD_DIGITS:
        return code, None
    if len(code) == CARD_DIGITS + PAY_CODE_DIGITS:
        return code[:CARD_DIGITS], code[CARD_DIGITS:]
    return None
