"""Importing the operator's VIP list (CSV: phone,name): `flask members import`."""

from datetime import timedelta

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from valliance.csv_rows import ImportRejected, ImportResult, RowError
from valliance.db import select_where_in, today_shanghai, utcnow
from valliance.i18n import bilingual
from valliance.ids import new_id
from valliance.members import codes
from valliance.members.models import Card
from valliance.members.services import pay_codes
from valliance.members.services.bulk import (
    Progress,
    chunks,
    members_by_phone,
    members_table,
    no_progress,
    parse_phone,
)
from valliance.members.services.cards import CARD_VALIDITY_YEARS
from valliance.pinyin import name_keys
from valliance.points import accounts

MAX_NAME = 50

cards_table = Card.__table__


def validate_member_rows(rows: list[tuple[int, dict[str, str]]]
                         ) -> tuple[dict[str, tuple[int, str]], int, list[RowError]]:
    """Check every row: (phone → (line, name), identical repeats, errors)."""
    wanted: dict[str, tuple[int, str]] = {}
    repeats = 0
    errors: list[RowError] = []
    for line, row in rows:
        phone, problem = parse_phone(row["phone"])
        name = " ".join(row["name"].split())
        if problem:
            errors.append(RowError(line, problem))
            continue
        if not 1 <= len(name) <= MAX_NAME:
            errors.append(RowError(line, bilingual("姓名须为1–%(MAX_NAME)s字", MAX_NAME=MAX_NAME)))
            continue
        if phone in wanted:
            first_line, first_name = wanted[phone]
            if first_name == name:
                repeats += 1
            else:
                errors.append(RowError(line, bilingual(
                    "手机号 %(phone)s 与第 %(first_line)s 行重复但姓名不同",
                    phone=phone,
                    first_line=first_line,
                )))
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
         "name_pinyin": name_keys(name)[0], "name_initials": name_keys(name)[1],
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
                   progress: Progress = no_progress) -> ImportResult:
    """Create (with a card, no password) or rename the listed members; flush, never commit.

    Raises ImportRejected, having written nothing, when any row is bad.
    """
    wanted, repeats, errors = validate_member_rows(rows)
    if errors:
        raise ImportRejected(errors)
    session.flush()  # Core statements below see (and skip) members enrolled in this session
    result = ImportResult(rows=len(rows), skipped=repeats)
    progress(repeats)
    existing = members_by_phone(session, list(wanted))
    renames = [{"b_id": existing[phone][0], "b_name": name, "b_pinyin": name_keys(name)[0],
                "b_initials": name_keys(name)[1]}
               for phone, (_, name) in wanted.items()
               if phone in existing and existing[phone][1] != name]
    result.updated = len(renames)
    result.skipped += len(existing) - len(renames)
    for chunk in chunks(renames):
        session.execute(update(members_table).where(members_table.c.id == bindparam("b_id"))
                        .values(name=bindparam("b_name"), name_pinyin=bindparam("b_pinyin"),
                                name_initials=bindparam("b_initials")), chunk)
    progress(len(existing))
    new = [(phone, name) for phone, (_, name) in wanted.items() if phone not in existing]
    taken: set[str] = set()
    for chunk in chunks(new):
        _create_members(session, chunk, taken)
        result.created += len(chunk)
        progress(len(chunk))
    session.expire_all()  # members or spend loaded earlier were changed behind the ORM
    return result
