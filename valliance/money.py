"""Integer fen and points arithmetic. Every rounding in Valliance happens here.

Percentages (12.5 % off) and tier multipliers (1.2×) are exact Decimals with at most two
places; they are scaled to integers before any arithmetic, so no float ever touches money.
"""

from decimal import Decimal

HUNDREDTHS = 100


def to_hundredths(value: Decimal | int | str) -> int:
    """Scale a percentage or multiplier with at most two decimals to an exact integer."""
    scaled = Decimal(value) * HUNDREDTHS
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than two decimal places")
    return int(scaled)


def divide_half_up(numerator: int, denominator: int) -> int:
    """Divide non-negative integers, rounding half up (0.5 fen → 1 fen)."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("divide_half_up takes a non-negative numerator and positive denominator")
    return (2 * numerator + denominator) // (2 * denominator)


def discount_fen(amount: int, percent_off: Decimal | int) -> int:
    """amount × percent_off / 100, rounded half up to a whole fen."""
    return divide_half_up(amount * to_hundredths(percent_off), 100 * HUNDREDTHS)


def points_earned(payable: int, points_per_yuan: int, multiplier: Decimal | int) -> int:
    """floor(payable fen × points per yuan × tier multiplier / 100)."""
    if payable < 0:
        raise ValueError("payable cannot be negative")
    return payable * points_per_yuan * to_hundredths(multiplier) // (100 * HUNDREDTHS)


def proportional_floor(total: int, part: int, whole: int) -> int:
    """floor(total × part / whole): the share of total that part of whole carries."""
    if whole <= 0 or not 0 <= part <= whole:
        raise ValueError("part must lie within 0 … whole, and whole must be positive")
    return total * part // whole


def bill_points_cap(amount: int, share_percent: int, point_value_fen: int) -> int:
    """The most points that may pay a bill of `amount` fen: their value is at most
    floor(amount × share_percent / 100) fen and always leaves at least 1 fen for the card."""
    if amount <= 0 or point_value_fen <= 0 or not 0 <= share_percent <= 100:
        raise ValueError("a positive amount and point value, and a share of 0 … 100 percent")
    most_fen = min(amount * share_percent // 100, amount - 1)
    return most_fen // point_value_fen


def effective_percent(
    percent_off: Decimal | int,
    points_per_yuan: int,
    multiplier: Decimal | int,
    point_value_fen: int,
) -> Decimal:
    """percent_off + points_per_yuan × multiplier × point value: what ¥100 gives back."""
    value = Decimal(percent_off) + points_per_yuan * Decimal(multiplier) * point_value_fen
    return value.quantize(Decimal("0.01"))


def format_yuan(fen: int) -> str:
    """Show fen as yuan: 123450 → ¥1,234.50, -100 → -¥1.00."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"


def yuan_text(fen: int) -> str:
    """Fen as a plain yuan amount, for CSV cells and form fields: -317 → "-3.17" (no symbol,
    no separators; yuan_to_fen reads it back)."""
    whole, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}{whole}.{cents:02d}"


def discount_label(percent_off: Decimal | int) -> str:
    """Say a discount the Chinese way: 10 → 9折, 12 → 8.8折, 12.5 → 8.75折, 0 → 无折扣."""
    percent = Decimal(percent_off)
    if percent == 0:
        return "无折扣"
    tenths = (Decimal(100) - percent) / 10
    text = format(tenths.normalize(), "f")
    return f"{text}折"


def yuan_to_fen(text: str) -> int:
    """Parse an amount typed in yuan ("128.5", "¥1,234.50") to exact fen, or raise ValueError."""
    cleaned = str(text or "").strip().replace(",", "").replace("，", "").lstrip("¥￥").strip()
    try:
        value = Decimal(cleaned)
    except ArithmeticError as exc:
        raise ValueError(f"{text!r} is not an amount") from exc
    if not value.is_finite() or value < 0:
        raise ValueError(f"{text!r} is not an amount")
    try:
        return to_hundredths(value)
    except ArithmeticError as exc:  # "1e999999": decimal.Overflow, an ArithmeticError
        raise ValueError(f"{text!r} is not an amount") from exc


def percent_json(percent: Decimal | int) -> int | float:
    """A percentage as the contract's JSON number (12, 12.5), from its exact two-decimal value.

    Only for rendering: the float is made last, from a value already rounded to 0.01."""
    value = Decimal(percent).quantize(Decimal("0.01"))
    return int(value) if value == value.to_integral_value() else float(value)
