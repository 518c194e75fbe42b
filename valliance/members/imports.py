"""Bulk imports from the operator's files: the VIP list (phone,name) and annual telecom spend.

Both imports validate the whole file before writing anything, and write in chunks through
SQLAlchemy Core: 100,000 members must load in well under two minutes on PostgreSQL, which
rules out enrolling them one ORM object (and one account lookup) at a time.
"""

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from valliance import points as accounts  # the ledger's public face
from valliance.db import select_where_in, today_shanghai, utcnow
from valliance.errors import ValidationError
from valliance.ids import new_id
from valliance.members import cards as codes
from valliance.members import pay_codes
from valliance.members.models import AnnualSpend, Card, Member
from valliance.members.services import CARD_VALIDITY_YEARS, normalize_phone

CHUNK = 5000
#: values per IN (...) lookup: SQLite caps bound parameters (999 before 3.32)
MAX_NAME = 50
MAX_AMOUNT_FEN = 10**12  #: ¥10,000,000,000 — anything above is a typo in the billing export
MIN_YEAR = 2000

members_table = Member.__table__
cards_table = Card.__table__
spend_table = AnnualSpend.__table__

Progress = Callable[[int], None]


def _no_progress(_: int) -> None:
    return None


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def render(self) -> str:
        return f"第 {self.line} 行 / line {self.line}: {self.message}"


class ImportRejected(Exception):
    """The file has bad rows (or a bad header); nothing was written."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} bad rows")
        self.errors = errors


@dataclass
class ImportResult:
    """What an import did: rows read, created, updated, skipped."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0

    def as_dict(self) -> dict:
        return {"rows": self.rows, "created": self.created, "updated": self.updated,
                "skipped": self.skipped}


# --- reading -------------------------------------------------------------------------------


def read_csv(source: str | Path | io.TextIOBase, columns: tuple[str, ...]
             ) -> list[tuple[int, dict[str, str]]]:
    """Read a UTF-8 CSV (a BOM is tolerated) into (line number, row) pairs; blank rows skipped."""
    if isinstance(source, (str, Path)):
        try:
            text = Path(source).read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportRejected([RowError(1, f"文件不是 UTF-8 编码 / not UTF-8 ({exc.reason})")]
                                 ) from exc
    else:
        text = source.read().removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    wanted = ", ".join(columns)
    if header is None:
        raise ImportRejected([RowError(1, f"空文件 / empty file, expected header {wanted}")])
    header = [cell.strip().lower() for cell in header]
    missing = [c for c in columns if c not in header]
    if missing:
        raise ImportRejected([RowError(1, f"表头缺少 / header lacks: {', '.join(missing)}"
                                          f" (expected {wanted})")])
    index = {c: header.index(c) for c in columns}
    rows = []
    line = reader.line_num
    for cells in reader:
        first_line, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        rows.append((first_line, {c: (cells[i].strip() if i < len(cells) else "")
                                  for c, i in index.items()}))
    return rows


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _parse_phone(raw: str) -> tuple[str | None, str | None]:
    """(normalized phone, None) or (None, what is wrong with it)."""
    try:
        return normalize_phone(raw), None
    except ValidationError as exc:
        return None, f"手机号 {raw!r} 无效 / invalid phone: {exc.details['phone'][0]}"


def _members_by_phone(session: Session, phones: list[str]) -> dict[str, tuple[str, str]]:
    """phone → (member id, name) for the phones already enrolled."""
    query = select(members_table.c.phone, members_table.c.id, members_table.c.name)
    rows = select_where_in(session, query, members_table.c.phone, phones)
    return {phone: (member_id, name) for phone, member_id, name in rows}


# --- the VIP list --------------------------------------------------------------------------


def validate_member_rows(rows: list[tuple[int, dict[str, str]]]
                         ) -> tuple[dict[str, tuple[int, str]], int, list[RowError]]:
    """Check every row: (phone → (line, name), identical repeats, errors)."""
    wanted: dict[str, tuple[int, str]] = {}
    repeats = 0
    errors: list[RowError] = []
    for line, row in rows:
        phone, problem = _parse_phone(row["phone"])
        name = " ".join(row["name"].split())
        if problem:
            errors.append(RowError(line, problem))
            continue
        if not 1 <= len(name) <= MAX_NAME:
            errors.append(RowError(line, f"姓名须为1–{MAX_NAME}字 / name must be 1–{MAX_NAME}"
                                         " characters"))
            continue
        if phone in wanted:
            first_line, first_name = wanted[phone]
            if first_name == name:
                repeats += 1
            else:
                errors.append(RowError(line, f"手机号 {phone} 与第 {first_line} 行重复但姓名不同"
                                             f" / phone repeated from line {first_line}"
                                             " with another name"))
            continue
        wanted[phone] = (line, name)
    return wanted, repeats, errors


def _free_card_numbers(session: Session, count: int, taken: set[str]) -> list[str]:
    """count new random card numbers, unused in the database and in this import."""
    numbers: list[str] = []
    while len(numbers) < count:
        fresh = set()
        while len(fresh) < count - len(numbers):
            number = codes.random_card_number()
            if number not in taken:
                fresh.add(number)
        fresh.difference_update(number for (number,) in select_where_in(
            session, select(cards_table.c.number), cards_table.c.number, sorted(fresh)))
        taken.update(fresh)
        numbers.extend(fresh)
    return numbers


def _create_members(session: Session, new: list[tuple[str, str]], taken: set[str]) -> None:
    now, expires_on = utcnow(), today_shanghai() + timedelta(days=365 * CARD_VALIDITY_YEARS)
    member_ids = [new_id("mem") for _ in new]
    account_ids = accounts.open_member_accounts_in_bulk(session, member_ids)
    session.execute(insert(members_table), [
        {"id": member_id, "phone": phone, "name": name, "password_hash": None,
         "membership_status": "active", "tier": "standard", "tier_valid_until": None,
         "points_account_id": account_ids[member_id], "created_at": now, "claimed_at": None}
        for member_id, (phone, name) in zip(member_ids, new, strict=True)
    ])
    numbers = _free_card_numbers(session, len(new), taken)
    session.execute(insert(cards_table), [
        {"id": new_id("card"), "number": number, "member_id": member_id, "status": "active",
         "pay_secret": pay_codes.new_sealed_secret(), "issued_at": now, "expires_on": expires_on,
         "replaced_by_id": None}
        for member_id, number in zip(member_ids, numbers, strict=True)
    ])


def import_members(session: Session, rows: list[tuple[int, dict[str, str]]],
                   progress: Progress = _no_progress) -> ImportResult:
    """Create (with a card, no password) or rename the listed members; flush, never commit.

    Raises ImportRejected, having written nothing, when any row is bad.
    """
    wanted, repeats, errors = validate_member_rows(rows)
    if errors:
        raise ImportRejected(errors)
    session.flush()  # Core statements below see (and skip) members enrolled in this session
    result = ImportResult(rows=len(rows), skipped=repeats)
    progress(repeats)
    existing = _members_by_phone(session, list(wanted))
    renames = [{"b_id": existing[phone][0], "b_name": name}
               for phone, (_, name) in wanted.items()
               if phone in existing and existing[phone][1] != name]
    result.updated = len(renames)
    result.skipped += len(existing) - len(renames)
    for chunk in _chunks(renames, CHUNK):
        session.execute(update(members_table).where(members_table.c.id == bindparam("b_id"))
                        .values(name=bindparam("b_name")), chunk)
    progress(len(existing))
    new = [(phone, name) for phone, (_, name) in wanted.items() if phone not in existing]
    taken: set[str] = set()
    for chunk in _chunks(new, CHUNK):
        _create_members(session, chunk, taken)
        result.created += len(chunk)
        progress(len(chunk))
    session.expire_all()  # members or spend loaded earlier were changed behind the ORM
    return result
