"""How the desk's report writes its figures: shares, durations, means (a kind's name is
labels.kind_name, as on every desk and portal page)."""

from valliance.i18n import _
from valliance.service_desk.labels import kind_name  # noqa: F401 (the report's templates)


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
