"""Card numbers (random, Luhn-checked), static codes and 22-digit one-use pay codes."""

import hmac
import secrets
import struct
import time
import unicodedata

from stdnum import luhn

CARD_DIGITS = 16
PAY_CODE_DIGITS = 6
PAY_CODE_STEP = 30  #: a new code every 30 s
PAY_CODE_STEPS_ACCEPTED = 3  #: the current step and the two before: at most 90 s old
#: redemptions within 90 s whose codes are still recognized as used (pay_code_used)
PAY_CODE_USES_REMEMBERED = 10
#: what check_pay_code finds
VALID, USED, WRONG = "valid", "used", "wrong"
#: every V-card number starts with 9 (the alliance's issuer digit)
ISSUER_PREFIX = "9"


def luhn_check_digit(digits: str) -> str:
    """The digit that makes digits + it pass the Luhn check."""
    return luhn.calc_check_digit(digits)


def _ascii_digits(text: str) -> bool:
    # str.isdigit() also accepts "²" and "１"; a card number is ASCII digits only.
    return text.isascii() and text.isdigit()


def luhn_valid(number: str) -> bool:
    """Tell whether a digit string ends in its correct Luhn check digit."""
    return _ascii_digits(number) and len(number) > 1 and luhn.is_valid(number)


def random_card_number() -> str:
    """A random 16-digit card number with its Luhn check digit."""
    random_digits = CARD_DIGITS - len(ISSUER_PREFIX) - 1
    body = ISSUER_PREFIX + str(secrets.randbelow(10**random_digits)).zfill(random_digits)
    return body + luhn_check_digit(body)


def new_pay_secret() -> str:
    return secrets.token_hex(20)


def _hotp(secret_hex: str, message: bytes) -> str:
    # RFC 4226's HMAC-SHA1 and dynamic truncation to six digits.
    digest = hmac.digest(bytes.fromhex(secret_hex), message, "sha1")
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**PAY_CODE_DIGITS).zfill(PAY_CODE_DIGITS)


def _code_for(secret_hex: str, step: int, uses: int) -> str:
    # The time step and the card's use counter, both in the HMAC (docs/pay-codes.md): a
    # redemption moves the counter, so every code issued before it stops authorizing.
    return _hotp(secret_hex, struct.pack(">QQ", step, uses))


def pay_code(card_number: str, secret_hex: str, uses: int = 0,
             at: float | None = None) -> tuple[str, int]:
    """The 22-digit pay code for this moment and use count, and the seconds until the next."""
    now = time.time() if at is None else at
    step = int(now // PAY_CODE_STEP)
    expires_in = PAY_CODE_STEP - int(now % PAY_CODE_STEP)
    return card_number + _code_for(secret_hex, step, uses), expires_in


def check_pay_code(code: str, secret_hex: str, uses: int, at: float | None = None) -> str:
    """VALID (current: authorizes one redemption), USED (issued before one of the card's last
    redemptions, at most 90 s ago) or WRONG (forged, stale, malformed)."""
    if len(code) != PAY_CODE_DIGITS or not _ascii_digits(code):
        return WRONG
    now = time.time() if at is None else at
    step = int(now // PAY_CODE_STEP)
    steps = [step - back for back in range(PAY_CODE_STEPS_ACCEPTED)]
    # Every candidate is compared (no early exit on a match), in constant time each.
    used = valid = False
    for earlier in range(max(0, uses - PAY_CODE_USES_REMEMBERED), uses + 1):
        matched = False
        for candidate in steps:
            matched |= hmac.compare_digest(_code_for(secret_hex, candidate, earlier), code)
        if earlier == uses:
            valid = matched
        else:
            used |= matched
    # A used code stays refused even if a newer counter happened to give the same digits.
    return USED if used else VALID if valid else WRONG


def pay_code_valid(code: str, secret_hex: str, uses: int = 0, at: float | None = None) -> bool:
    """Tell whether a pay code's six digits authorize a redemption now."""
    return check_pay_code(code, secret_hex, uses, at) == VALID


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
