"""How settlement pages say a range: "第251–300笔" or, for an empty period, that it is empty
(never "251–250")."""

from datetime import timedelta

from valliance.web.i18n import tr


def number_range(first: int, last: int, *, unit: tuple[str, str] = ("", "")) -> str:
    """first–last inclusive; a single number alone; a sentence when the range is empty."""
    if last < first:
        return tr("无", "none")
    text = str(first) if first == last else f"{first:,}–{last:,}"
    return tr(f"{text}{unit[0]}", f"{text}{unit[1]}")


def ledger_range(lower_seq: int, cutoff_seq: int) -> str:
    """The period's ledger transfers (lower_seq < seq ≤ cutoff_seq), or "no ledger entries"."""
    if cutoff_seq <= lower_seq:
        return tr("本期无账本记录", "no ledger entries")
    count = cutoff_seq - lower_seq
    return tr(f"账本第 {number_range(lower_seq + 1, cutoff_seq)} 笔（共 {count:,} 笔）",
              f"ledger entries {number_range(lower_seq + 1, cutoff_seq)} ({count:,} in all)")


def period_days(starts_at, ends_at, tz) -> str:
    """The period's first and last days in Beijing time: "2026-11-01 – 2026-11-30（北京时间）"
    (its end is the next month's first instant, not a day of the period)."""
    first = starts_at.astimezone(tz).date()
    last = (ends_at.astimezone(tz) - timedelta(microseconds=1)).date()
    days = f"{first:%Y-%m-%d} – {last:%Y-%m-%d}"
    return tr(f"{days}（北京时间）", f"{days} (Beijing time)")


HELPERS = {"number_range": number_range, "ledger_range": ledger_range,
           "period_days": period_days}
