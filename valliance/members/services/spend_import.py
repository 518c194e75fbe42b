"""Importing annual telecom spend from billing: `flask members import-spend`."""

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from valliance.csv_rows import ImportRejected, RowError
from valliance.db import today_shanghai
from valliance.i18n import bilingual
from valliance.members.models import AnnualSpend
from valliance.members.services.bulk import (
    Progress,
    chunks,
    members_by_phone,
    no_progress,
    parse_phone,
)

MAX_AMOUNT_FEN = 10**12  #: ¥10,000,000,000 — anything above is a typo in the billing export
MIN_YEAR = 2000

spend_table = AnnualSpend.__table__


@dataclass
class SpendImportResult:
    rows: int = 0
    members: int = 0
    skipped: int = 0
    #: rows whose phone is not a member's: reported, not written
    unknown: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"rows": self.rows, "members": self.members, "skipped": self.skipped}


def _year_error(raw: str, this_year: int) -> str | None:
    if not (raw.isascii() and raw.isdigit()) or not MIN_YEAR <= int(raw) <= this_year:
        return bilingual(
            "年份 %(raw)s 无效",
            raw=repr(raw),
            MIN_YEAR=MIN_YEAR,
            this_year=this_year,
        )
    return None


def _amount_error(raw: str) -> str | None:
    if not (raw.isascii() and raw.isdigit()) or int(raw) >= MAX_AMOUNT_FEN:
        return (bilingual("金额 %(raw)s 无效，须为非负整数（分）", raw=repr(raw)))
    return None


def import_spend(session: Session, rows: list[tuple[int, dict[str, str]]],
                 progress: Progress = no_progress) -> SpendImportResult:
    """Set each listed member's telecom spend for the year (upsert); flush, never commit.

    Unknown phones are skipped and listed in the result; any invalid row raises ImportRejected
    before anything is written.
    """
    this_year = today_shanghai().year
    errors: list[RowError] = []
    wanted: dict[tuple[str, int], tuple[int, int]] = {}
    phones: list[tuple[int, str]] = []
    for line, row in rows:
        phone, phone_problem = parse_phone(row["phone"])
        problems = [p for p in (phone_problem, _year_error(row["year"], this_year),
                                _amount_error(row["amount_fen"])) if p]
        if problems:
            errors.append(RowError(line, "; ".join(problems)))
            continue
        phones.append((line, phone))
        key, amount = (phone, int(row["year"])), int(row["amount_fen"])
        if key in wanted and wanted[key][1] != amount:
            errors.append(RowError(line, bilingual(
                "%(key)s %(key_2)s 与第 %(wanted)s 行金额不同",
                key=key[0],
                key_2=key[1],
                wanted=wanted[key][0],
            )))
            continue
        wanted.setdefault(key, (line, amount))
    if errors:
        raise ImportRejected(errors)
    session.flush()

    result = SpendImportResult(rows=len(rows))
    known = members_by_phone(session, sorted({phone for phone, _ in wanted}))
    values = []
    for line, phone in phones:
        if phone not in known:
            result.unknown.append(RowError(line, bilingual(
                "手机号 %(phone)s 不是会员，已跳过",
                phone=phone,
            )))
    result.skipped = len(result.unknown)
    for (phone, year), (_, amount) in wanted.items():
        if phone in known:
            values.append({"member_id": known[phone][0], "year": year, "telecom_fen": amount})
    result.members = len({v["member_id"] for v in values})
    progress(len(rows) - len(values))
    for chunk in chunks(values):
        _upsert_spend(session, chunk)
        progress(len(chunk))
    session.expire_all()  # members or spend loaded earlier were changed behind the ORM
    return result


def _upsert_spend(session: Session, values: list[dict]) -> None:
    if session.connection().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    # One statement executed for many parameter sets: compiled once, cached, and sent in a
    # pipeline (a multi-VALUES literal would be recompiled for every chunk).
    statement = dialect_insert(spend_table)
    statement = statement.on_conflict_do_update(
        index_elements=["member_id", "year"],
        set_={"telecom_fen": statement.excluded.telecom_fen},
    )
    session.execute(statement, [{**v, "alliance_fen": 0} for v in values])
