"""A segment's filters: what they are, read and checked from a dict (a saved segment, a
form's fields, the CLI's options) with bilingual errors per field."""

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date

from valliance.errors import ValidationError
from valliance.i18n import bilingual
from valliance.marketing.models import RFM_CELLS
from valliance.members.models import TIERS
from valliance.merchants.models import CATEGORIES

LIST_FIELDS = ("tiers", "districts", "rfm_cells", "categories", "merchants")
INT_FIELDS = ("inactive_min", "inactive_max", "balance_min", "balance_max", "expiring_within",
              "birthday_month", "purchases_min")
DATE_FIELDS = ("joined_after", "joined_before")
#: yes-or-no filters: only True narrows
FLAG_FIELDS = ("opted_in", "birthday_today", "birthday_this_month")
#: the largest number of days or points a filter takes
LIMIT = 1_000_000_000


@dataclass(frozen=True)
class Filters:
    """Every field narrows the segment; an empty one does not filter. Lists match any."""

    tiers: tuple[str, ...] = ()
    #: the district of the member's most frequent merchant (see segments.most_frequent)
    districts: tuple[str, ...] = ()
    rfm_cells: tuple[str, ...] = ()
    #: days since the last purchase: at least (no purchase in that many days, or none ever)
    inactive_min: int | None = None
    #: … at most (a purchase within that many days)
    inactive_max: int | None = None
    #: at least this many purchases ever, not counting those refunded in full (win-back)
    purchases_min: int | None = None
    #: points balance within [balance_min, balance_max]
    balance_min: int | None = None
    balance_max: int | None = None
    #: some points expire within this many days
    expiring_within: int | None = None
    #: bought at least once in one of these merchant categories / at one of these merchants
    categories: tuple[str, ...] = ()
    merchants: tuple[str, ...] = ()
    #: joined on or after / on or before these days (Asia/Shanghai)
    joined_after: date | None = None
    joined_before: date | None = None
    #: only members who agreed to receive marketing messages
    opted_in: bool = False
    #: members whose birthday (as they gave it) is in this month, 1–12
    birthday_month: int | None = None
    #: members whose birthday is today in Asia/Shanghai (February 29 counts on February 28
    #: in other years)
    birthday_today: bool = False
    #: members whose birthday is in this month in Asia/Shanghai (the birthday programme)
    birthday_this_month: bool = False

    def to_dict(self) -> dict:
        """The JSON a Segment keeps (empty fields left out)."""
        out = {}
        for name, value in asdict(self).items():
            if value in ((), None) or value is False:
                continue
            out[name] = list(value) if name in LIST_FIELDS else (
                value.isoformat() if name in DATE_FIELDS else value)
        return out

    @property
    def empty(self) -> bool:
        return not self.to_dict()


def _as_list(value) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [str(item).strip() for item in items if str(item).strip()]


def _int(value, errors: dict, name: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors[name] = [bilingual("请填写整数")]
        return None
    if not 0 <= number <= LIMIT:
        errors[name] = [bilingual("请填写 0 到 %(limit)s 之间的整数", limit=LIMIT)]
        return None
    return number


def _date(value, errors: dict, name: str) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        errors[name] = [bilingual("请填写日期（YYYY-MM-DD）")]
        return None


def _flag(value, errors: dict, name: str) -> bool:
    if value in (None, "", False) or (isinstance(value, list) and not value):
        return False
    if isinstance(value, list):
        value = value[-1]
    if value is True or str(value).strip().lower() in ("1", "true", "on", "y", "yes"):
        return True
    if str(value).strip().lower() in ("0", "false", "off", "n", "no"):
        return False
    errors[name] = [bilingual("请填写是或否")]
    return False


def _choices(values: list[str], allowed, errors: dict, name: str) -> tuple[str, ...]:
    wrong = [value for value in values if value not in allowed]
    if wrong:
        errors[name] = [bilingual("无效的选项：%(values)s", values="、".join(wrong))]
    return tuple(dict.fromkeys(values))


def _range(low, high, errors: dict, name: str) -> None:
    if low is not None and high is not None and low > high:
        errors.setdefault(name, []).append(bilingual("最小值不能大于最大值"))


def parse_filters(data: Mapping) -> Filters:
    """Filters from a dict of field → value (lists as lists or one string); refuses unknown
    fields and wrong values (ValidationError)."""
    errors: dict = {}
    known = {f.name for f in fields(Filters)}
    for name in sorted(set(data) - known):
        errors[name] = [bilingual("未知的筛选条件")]
    values: dict = {name: _as_list(data.get(name)) for name in LIST_FIELDS}
    values["tiers"] = _choices(values["tiers"], TIERS, errors, "tiers")
    values["rfm_cells"] = _choices(values["rfm_cells"], RFM_CELLS, errors, "rfm_cells")
    values["categories"] = _choices(values["categories"], CATEGORIES, errors, "categories")
    values["districts"] = tuple(dict.fromkeys(values["districts"]))
    values["merchants"] = tuple(dict.fromkeys(values["merchants"]))
    for name in INT_FIELDS:
        values[name] = _int(data.get(name), errors, name)
    for name in DATE_FIELDS:
        values[name] = _date(data.get(name), errors, name)
    for name in FLAG_FIELDS:
        values[name] = _flag(data.get(name), errors, name)
    if values["birthday_month"] is not None and not 1 <= values["birthday_month"] <= 12:
        errors["birthday_month"] = [bilingual("月份须在 1 到 12 之间")]
    _range(values["inactive_min"], values["inactive_max"], errors, "inactive_max")
    _range(values["balance_min"], values["balance_max"], errors, "balance_max")
    _range(values["joined_after"], values["joined_before"], errors, "joined_before")
    if errors:
        raise ValidationError(details=errors)
    return Filters(**values)
