"""Card numbers, static codes and pay codes (contract §3): pure rules."""

import struct

import pytest

from valliance.members import codes as cards

#: RFC 4226 appendix D: the ASCII secret "12345678901234567890"
RFC_SECRET = "3132333435363738393031323334353637383930"
SECRET = "a1" * 20
CARD = "9123456789012348"
STEP_START = 1_800_000_000 - 1_800_000_000 % cards.PAY_CODE_STEP


# --- Luhn --------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", [
    "79927398713", "4111111111111111", "5555555555554444", "1234567812345670", CARD, "00",
])
def test_luhn_accepts_numbers_with_their_check_digit(number):
    assert cards.luhn_valid(number)


@pytest.mark.parametrize("number", [
    "79927398710", "4111111111111112", "1234567812345678", "9123456789012345", "0", "",
    "4111 1111 1111 1111", "411111111111111a", "-4111111111111111",
])
def test_luhn_refuses_wrong_check_digits_and_non_digits(number):
    assert not cards.luhn_valid(number)


@pytest.mark.parametrize("body, digit", [
    ("7992739871", "3"), ("411111111111111", "1"), ("912345678901234", "8"), ("0", "0"),
])
def test_luhn_check_digit_table(body, digit):
    assert cards.luhn_check_digit(body) == digit


def test_luhn_catches_every_single_digit_typo():
    for position in range(16):
        for replacement in "0123456789":
            if replacement == CARD[position]:
                continue
            typo = CARD[:position] + replacement + CARD[position + 1:]
            assert not cards.luhn_valid(typo), typo


def test_luhn_catches_swapped_neighbours_except_09_and_90():
    for position in range(15):
        a, b = CARD[position], CARD[position + 1]
        if a == b or {a, b} == {"0", "9"}:
            continue
        swapped = CARD[:position] + b + a + CARD[position + 2:]
        assert not cards.luhn_valid(swapped), swapped


# --- random card numbers -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def draws():
    return [cards.random_card_number() for _ in range(1000)]


def test_random_card_numbers_are_16_digits_starting_with_9_and_pass_luhn(draws):
    for number in draws:
        assert len(number) == 16 and number.isascii() and number.isdigit()
        assert number.startswith(cards.ISSUER_PREFIX) and cards.luhn_valid(number)


def test_random_card_numbers_are_unique(draws):
    assert len(set(draws)) == len(draws)


def test_random_card_numbers_are_not_sequential(draws):
    bodies = [int(number[:-1]) for number in draws]
    steps = [later - earlier for earlier, later in zip(bodies, bodies[1:], strict=False)]
    # Sequential numbers would let anyone who holds one card guess its neighbours.
    assert len(set(steps)) > 990
    assert all(abs(step) > 1000 for step in steps)
    assert len({number[1:4] for number in draws}) > 500  # spread over the whole range


# --- scanned codes -----------------------------------------------------------------------------


@pytest.mark.parametrize("scanned, expected", [
    (CARD, (CARD, None)),
    (CARD + "123456", (CARD, "123456")),
    (CARD + "\r\n", (CARD, None)),  # what a USB scanner types
    (" 9123 4567 8901 2348 ", (CARD, None)),
    (CARD[:-1], None),
    (CARD + "1", None),
    (CARD + "12345", None),
    (CARD + "1234567", None),
    ("9123-4567-8901-2348", None),
    ("", None),
])
def test_scanned_code_splits_into_card_number_and_pay_part(scanned, expected):
    assert cards.split_scanned_code(scanned) == expected


@pytest.mark.parametrize("scanned", ["²" * 16, "²" * 22, "٣" * 16])
def test_scanned_code_with_non_ascii_digits_is_refused_not_crashing(scanned):
    parts = cards.split_scanned_code(scanned)
    assert parts is None or not cards.luhn_valid(parts[0])
    assert not cards.pay_code_valid("²" * 6, SECRET, at=STEP_START)
    assert not cards.luhn_valid("１" * 16)


def test_full_width_digits_typed_under_a_chinese_input_method_are_read_as_digits():
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in CARD)
    assert cards.split_scanned_code(full_width) == (CARD, None)


# --- pay codes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("counter, code", list(enumerate(
    ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583"])))
def test_pay_code_digits_are_rfc_4226_truncation_of_hmac_sha1(counter, code):
    assert cards._hotp(RFC_SECRET, struct.pack(">Q", counter)) == code


def test_pay_code_mixes_the_use_counter_into_the_hmac():
    first = cards.pay_code(CARD, SECRET, 0, at=STEP_START)[0]
    after_use = cards.pay_code(CARD, SECRET, 1, at=STEP_START)[0]
    assert first != after_use
    assert cards.check_pay_code(first[16:], SECRET, 0, at=STEP_START) == cards.VALID
    assert cards.check_pay_code(first[16:], SECRET, 1, at=STEP_START) == cards.USED
    assert cards.check_pay_code(after_use[16:], SECRET, 1, at=STEP_START) == cards.VALID
    assert cards.check_pay_code(after_use[16:], SECRET, 0, at=STEP_START) == cards.WRONG


def test_a_used_code_stays_used_for_its_90_seconds_even_after_ten_more_uses():
    first = cards.pay_code(CARD, SECRET, 5, at=STEP_START)[0][16:]
    for uses in range(6, 16):
        assert cards.check_pay_code(first, SECRET, uses, at=STEP_START + 89) == cards.USED
    assert cards.check_pay_code(first, SECRET, 6, at=STEP_START + 90) == cards.WRONG


def test_pay_code_is_22_digits_starting_with_the_card_number():
    code, expires_in = cards.pay_code(CARD, SECRET, at=STEP_START)
    assert len(code) == 22 and code.isdigit() and code.startswith(CARD)
    assert expires_in == 30


@pytest.mark.parametrize("offset, expires_in", [(0, 30), (1, 29), (29, 1), (29.9, 1)])
def test_pay_code_expires_in_counts_down_to_the_next_code(offset, expires_in):
    assert cards.pay_code(CARD, SECRET, at=STEP_START + offset)[1] == expires_in


def test_pay_code_changes_every_30_seconds():
    codes = {cards.pay_code(CARD, SECRET, at=STEP_START + 30 * i)[0] for i in range(10)}
    assert len(codes) == 10
    assert cards.pay_code(CARD, SECRET, at=STEP_START + 29)[0] == cards.pay_code(
        CARD, SECRET, at=STEP_START)[0]


@pytest.mark.parametrize("seconds", [0, 29, 30, 60, 89, 89.999])
def test_pay_code_is_accepted_up_to_90_seconds_after_its_step_began(seconds):
    code, _ = cards.pay_code(CARD, SECRET, at=STEP_START)
    assert cards.pay_code_valid(code[16:], SECRET, at=STEP_START + seconds)


@pytest.mark.parametrize("seconds", [90, 91, 119, 120, 3600, -1, -30])
def test_pay_code_is_refused_from_90_seconds_on_and_before_its_step(seconds):
    code, _ = cards.pay_code(CARD, SECRET, at=STEP_START)
    assert not cards.pay_code_valid(code[16:], SECRET, at=STEP_START + seconds)


def test_forged_pay_codes_are_refused():
    code = cards.pay_code(CARD, SECRET, at=STEP_START)[0][16:]
    recent = {cards.pay_code(CARD, SECRET, at=STEP_START - 30 * back)[0][16:]
              for back in range(cards.PAY_CODE_STEPS_ACCEPTED)}
    for position in range(6):
        forged = code[:position] + str((int(code[position]) + 1) % 10) + code[position + 1:]
        if forged not in recent:
            assert not cards.pay_code_valid(forged, SECRET, at=STEP_START)
    assert not cards.pay_code_valid(code, "b2" * 20, at=STEP_START)  # another card's secret
    for malformed in ["", "12345", "1234567", "12a456", code + "0"]:
        assert not cards.pay_code_valid(malformed, SECRET, at=STEP_START)


def test_pay_secrets_are_random_and_160_bits():
    secrets = {cards.new_pay_secret() for _ in range(100)}
    assert len(secrets) == 100
    assert all(len(bytes.fromhex(s)) == 20 for s in secrets)
