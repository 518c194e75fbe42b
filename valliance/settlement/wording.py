"""How settlement pages say a range: "第251–300笔" or, for an empty period, that it is empty
(never "251–250")."""

from valliance.members.portal import tr


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


HELPERS = {"number_range": number_range, "ledger_range": ledger_range}
