"""How settlement pages say a range: "第251–300笔" or, for an empty period, that it is empty
(never "251–250")."""

from datetime import timedelta

from valliance.i18n import _


def number_range(first: int, last: int) -> str:
    """first–last inclusive; a single number alone; a word when the range is empty."""
    if last < first:
        return _("无")
    return str(first) if first == last else f"{first:,}–{last:,}"


def ledger_range(lower_seq: int, cutoff_seq: int) -> str:
    """The period's ledger transfers (lower_seq < seq ≤ cutoff_seq), or "no ledger entries"."""
    if cutoff_seq <= lower_seq:
        return _("本期无账本记录")
    count = cutoff_seq - lower_seq
    return _(
        "账本第 %(cutoff_seq)s 笔（共 %(count)s 笔）",
        cutoff_seq=number_range(lower_seq + 1, cutoff_seq),
        count=format(count, ','),
    )


def period_days(starts_at, ends_at, tz) -> str:
    """The period's first and last days in Beijing time: "2026-11-01 – 2026-11-30（北京时间）"
    (its end is the next month's first instant, not a day of the period)."""
    first = starts_at.astimezone(tz).date()
    last = (ends_at.astimezone(tz) - timedelta(microseconds=1)).date()
    days = f"{first:%Y-%m-%d} – {last:%Y-%m-%d}"
    return _("%(days)s（北京时间）", days=days)


HELPERS = {"number_range": number_range, "ledger_range": ledger_range,
           "period_days": period_days}
