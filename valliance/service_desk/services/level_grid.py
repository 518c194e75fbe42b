"""The service-level page's grid: every kind × tier (and "every tier") as typed — hours and
minutes ("2:30", "2小时30分", "2h") or minutes ("90"), blank for the default — and each kind's
clock. Saving sets what changed through levels.set_level / set_clock (each audited)."""

import re
import unicodedata
from datetime import datetime

from sqlalchemy.orm import Session

from valliance.errors import ValidationError
from valliance.i18n import bilingual
from valliance.members.tiers import TIER_ORDER
from valliance.service_desk.clock import CLOCKS
from valliance.service_desk.models import KINDS
from valliance.service_desk.services import levels

TIERS = (*TIER_ORDER, levels.EVERY_TIER)
_CLOCK_FORM = re.compile(r"(\d{1,3}):([0-5]\d)")
_WORDS = re.compile(r"(?:(\d{1,3})\s*(?:h|小时|时))?\s*(?:(\d{1,5})\s*(?:m|min|分钟|分)?)?")
OUT_OF_RANGE = bilingual("请填写1分钟到30天之间的时长")
UNREADABLE = bilingual("请按“小时:分钟”（如 2:30）或分钟数（如 90）填写")


def level_field(kind: str, tier: str) -> str:
    """The form field of a cell: level_fault_diamond, level_fault_all (every tier)."""
    return f"level_{kind}_{'all' if tier == levels.EVERY_TIER else tier}"


def clock_field(kind: str) -> str:
    return f"clock_{kind}"


def minutes_text(minutes: int | None) -> str:
    """A cell's value as the page shows it: 5:00, 2:30 ("" when not set)."""
    return "" if minutes is None else f"{minutes // 60}:{minutes % 60:02d}"


def parse_minutes(text) -> int | None:
    """Minutes from what was typed (None: blank, the default); ValueError when unreadable."""
    text = unicodedata.normalize("NFKC", text or "").strip().lower()
    if not text:
        return None
    clock = _CLOCK_FORM.fullmatch(text)
    if clock:
        return int(clock[1]) * 60 + int(clock[2])
    words = _WORDS.fullmatch(text)
    if not words or not (words[1] or words[2]):
        raise ValueError(text)
    return int(words[1] or 0) * 60 + int(words[2] or 0)


def grid(session: Session) -> dict:
    """{"values": {field: text}, "defaults": {kind: minutes}, "clocks": {kind: clock}}."""
    table = levels.level_table(session)
    return {"values": {level_field(kind, tier): minutes_text(table["levels"].get((kind, tier)))
                       for kind in KINDS for tier in TIERS},
            "defaults": {kind: levels.default_minutes(kind) for kind in KINDS},
            "clocks": {kind: levels.clock_of(session, kind) for kind in KINDS}}


def _read(values: dict) -> tuple[dict, dict]:
    cells, errors = {}, {}
    for kind in KINDS:
        for tier in TIERS:
            name = level_field(kind, tier)
            try:
                minutes = parse_minutes(values.get(name))
            except ValueError:
                errors[name] = [UNREADABLE]
                continue
            if minutes is not None and not 1 <= minutes <= levels.MAX_MINUTES:
                errors[name] = [OUT_OF_RANGE]
            cells[(kind, tier)] = minutes
        if values.get(clock_field(kind), "") not in CLOCKS:
            errors[clock_field(kind)] = [bilingual("请选择计时方式")]
    return cells, errors


def save_grid(session: Session, values: dict, *, by: str, now: datetime | None = None) -> int:
    """Set every cell and clock that changed (nothing when one is unreadable); how many."""
    cells, errors = _read(values)
    if errors:
        raise ValidationError(details=errors)
    table = levels.level_table(session)
    changed = 0
    for (kind, tier), minutes in cells.items():
        if table["levels"].get((kind, tier)) != minutes:
            levels.set_level(session, kind, tier, minutes, by=by, now=now)
            changed += 1
    for kind in KINDS:
        clock = values[clock_field(kind)]
        if levels.clock_of(session, kind) != clock:
            levels.set_clock(session, kind, clock, by=by, now=now)
            changed += 1
    return changed
