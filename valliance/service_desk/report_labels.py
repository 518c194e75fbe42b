"""What the desk's report calls things, in the reader's language: kinds, shares, durations."""

from valliance.i18n import N_, _

KIND_NAMES = {
    "fault": N_("故障申告"), "install": N_("新装"), "move": N_("移机"),
    "value_added": N_("增值业务"), "billing": N_("账单咨询"), "other": N_("其他"),
}


def kind_name(kind: str) -> str:
    """A ticket kind's name: 故障申告, Fault."""
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def percent(share: float | None) -> str:
    """A share as 85.3% (— for none)."""
    return "—" if share is None else f"{share * 100:.1f}%"


def duration(seconds: int | None) -> str:
    """Counted seconds as hours and minutes: 3小时05分, 3 h 05 min (— for none)."""
    if seconds is None:
        return "—"
    minutes = (seconds + 30) // 60
    return _("%(hours)s小时%(minutes)02d分", hours=minutes // 60, minutes=minutes % 60)


def mean(value: float | None) -> str:
    """A mean rating to one decimal (— for none)."""
    return "—" if value is None else f"{value:.1f}"
