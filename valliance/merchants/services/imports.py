"""`flask merchants import`: merchants and their offers from a CSV file, one offer per row.

The whole file is validated before anything is written, and writes go through SQLAlchemy Core
in chunks (one statement, many parameter sets): 100,000 rows must load in under a minute on
PostgreSQL, which rules out one ORM object and two account look-ups per merchant.

Natural keys: a merchant is (name, district), an offer is (merchant, title). Re-running a file
skips identical rows and updates changed ones, never duplicates.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from valliance import points as accounts  # the ledger's public face
from valliance.csv_rows import ImportRejected, ImportResult, RowError, read_csv
from valliance.db import select_where_in, utcnow
from valliance.errors import ValidationError
from valliance.i18n import bilingual
from valliance.ids import new_id
from valliance.merchants import signals
from valliance.merchants.models import CATEGORIES, Merchant, Offer
from valliance.merchants.services.offers import MAX_POINTS_PER_YUAN, clean_title, parse_percent

__all__ = ["COLUMNS", "ImportRejected", "import_merchants",
           "read_csv", "row_problems", "validate_rows"]

COLUMNS = ("name", "category", "district", "address", "phone", "avg_spend", "title",
           "percent_off", "points_per_yuan")
CHUNK = 5000
MAX_AVG_SPEND = 10**9  #: ¥10,000,000 per customer is a typo, not a restaurant

merchants_table = Merchant.__table__
offers_table = Offer.__table__

Progress = Callable[[int], None]


def _no_progress(_: int) -> None:
    return None


@dataclass(frozen=True)
class MerchantFields:
    category: str
    address: str
    phone: str
    avg_spend: int


@dataclass(frozen=True)
class OfferFields:
    percent_off: Decimal
    points_per_yuan: int


@dataclass
class Wanted:
    """What the file asks for, keyed naturally, with the line that first said it."""

    merchants: dict[tuple[str, str], tuple[int, MerchantFields]] = field(default_factory=dict)
    #: (name, district, title) → (line, offer fields)
    offers: dict[tuple[str, str, str], tuple[int, OfferFields]] = field(default_factory=dict)
    repeats: int = 0


# --- validation ----------------------------------------------------------------------------


def _text(row: dict[str, str], column: str, longest: int, required: bool,
          label: str) -> tuple[str, str | None]:
    value = " ".join(row[column].split())
    if required and not value:
        return value, bilingual("%(label)s不能为空", label=label, column=column)
    if len(value) > longest:
        return value, bilingual(
            "%(label)s最多%(longest)s字",
            label=label,
            longest=longest,
            column=column,
        )
    return value, None


def _whole(raw: str, column: str, label: str, default: int, highest: int
           ) -> tuple[int, str | None]:
    if raw == "":
        return default, None
    if not raw.isascii() or not raw.isdigit() or int(raw) > highest:
        return default, (bilingual(
            "%(label)s %(raw)s 须为 0 到 %(highest)s 的整数",
            label=label,
            raw=repr(raw),
            highest=highest,
            column=column,
        ))
    return int(raw), None


def _parse_row(row: dict[str, str]) -> tuple[tuple, MerchantFields, str, OfferFields,
                                               list[str]]:
    problems: list[str] = []

    def keep(pair):
        value, problem = pair
        if problem:
            problems.append(problem)
        return value

    name = keep(_text(row, "name", 100, True, "商户名称"))
    district = keep(_text(row, "district", 50, True, "所在区域"))
    category = row["category"]
    if category not in CATEGORIES:
        problems.append(bilingual(
            "行业 %(category)s 须为以下之一：%(CATEGORIES)s",
            category=repr(category),
            CATEGORIES='、'.join(CATEGORIES),
        ))
    address = keep(_text(row, "address", 200, False, "地址"))
    phone = keep(_text(row, "phone", 30, False, "电话"))
    avg_spend = keep(_whole(row["avg_spend"], "avg_spend", "人均消费（分）", 0, MAX_AVG_SPEND))
    title = " ".join(row["title"].split())
    try:
        title = clean_title(title)
    except ValidationError as exc:
        problems.append(bilingual("优惠标题 title：%(problem)s", problem=exc.details["title"][0]))
    percent = Decimal(0)
    try:
        percent = parse_percent(row["percent_off"] or None)
    except ValidationError as exc:
        problems.append(bilingual("折扣 percent_off %(raw)s：%(problem)s",
                                  raw=repr(row["percent_off"]),
                                  problem=exc.details["percent_off"][0]))
    points = keep(_whole(row["points_per_yuan"], "points_per_yuan", "每元积分", 1,
                         MAX_POINTS_PER_YUAN))
    return ((name, district), MerchantFields(category, address, phone, avg_spend), title,
            OfferFields(percent, points), problems)


def row_problems(row: dict[str, str]) -> list[str]:
    """What is wrong with one row on its own, one message each (a page shows each in its
    visitor's language; validate_rows joins them for the shell)."""
    return _parse_row(row)[4]


def validate_rows(rows: list[tuple[int, dict[str, str]]]) -> tuple[Wanted, list[RowError]]:
    """Check every row, and that rows about the same merchant or offer agree."""
    wanted = Wanted()
    errors: list[RowError] = []
    for line, row in rows:
        key, merchant, title, offer, problems = _parse_row(row)
        if problems:
            errors.append(RowError(line, "; ".join(problems)))
            continue
        first = wanted.merchants.setdefault(key, (line, merchant))
        if first[1] != merchant:
            errors.append(RowError(line, bilingual(
                "商户 %(key)s（%(key_2)s）与第 %(first)s 行的资料不同",
                key=key[0],
                key_2=key[1],
                first=first[0],
            )))
            continue
        offer_key = (*key, title)
        if offer_key in wanted.offers:
            first_line, first_offer = wanted.offers[offer_key]
            if first_offer != offer:
                errors.append(RowError(line, bilingual(
                    "优惠“%(title)s”与第 %(first_line)s 行重复但条件不同",
                    title=title,
                    first_line=first_line,
                )))
            else:
                wanted.repeats += 1
            continue
        wanted.offers[offer_key] = (line, offer)
    return wanted, errors


# --- writing -------------------------------------------------------------------------------


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _existing_merchants(session: Session, keys: list[tuple[str, str]]
                        ) -> dict[tuple[str, str], tuple[str, MerchantFields]]:
    """(name, district) → (id, fields) for merchants already there (the oldest, if several)."""
    m = merchants_table.c
    query = select(m.id, m.name, m.district, m.category, m.address, m.phone, m.avg_spend)
    rows = select_where_in(session, query.order_by(m.created_at.desc(), m.id.desc()), m.name,
                           sorted({name for name, _ in keys}))
    wanted = set(keys)
    found = {}
    for merchant_id, name, district, category, address, phone, avg_spend in rows:
        if (name, district) in wanted:  # rows come newest first: the oldest wins
            found[(name, district)] = (merchant_id, MerchantFields(category, address, phone,
                                                                   avg_spend))
    return found


def _existing_offers(session: Session, merchant_ids: list[str]
                     ) -> dict[tuple[str, str], tuple[str, OfferFields]]:
    """(merchant id, title) → (offer id, fields) (the oldest offer, if several share a title)."""
    o = offers_table.c
    query = select(o.id, o.merchant_id, o.title, o.percent_off, o.points_per_yuan).order_by(
        o.created_at.desc(), o.id.desc())
    return {(merchant_id, title): (offer_id, OfferFields(Decimal(percent), points))
            for offer_id, merchant_id, title, percent, points
            in select_where_in(session, query, o.merchant_id, merchant_ids)}


def _create_merchants(session: Session, new: list[tuple[tuple[str, str], MerchantFields]]
                      ) -> dict[tuple[str, str], str]:
    now = utcnow()
    ids = [new_id("mer") for _ in new]
    opened = accounts.open_merchant_accounts_in_bulk(session, ids)
    session.execute(insert(merchants_table), [
        {"id": merchant_id, "name": name, "category": fields.category, "district": district,
         "address": fields.address, "phone": fields.phone, "avg_spend": fields.avg_spend,
         "licence_no": "", "status": "approved", "issued_account_id": opened[merchant_id][0],
         "redeemed_account_id": opened[merchant_id][1], "created_at": now, "approved_at": now}
        for merchant_id, ((name, district), fields) in zip(ids, new, strict=True)])
    return {key: merchant_id for merchant_id, (key, _) in zip(ids, new, strict=True)}


def import_merchants(session: Session, rows: list[tuple[int, dict[str, str]]],
                     progress: Progress = _no_progress) -> ImportResult:
    """Create (approved), update or skip the listed merchants and offers; flush, never commit.

    Raises ImportRejected, having written nothing, when any row is bad.
    """
    wanted, errors = validate_rows(rows)
    if errors:
        raise ImportRejected(errors)
    session.flush()  # Core statements below see what this session added before
    result = ImportResult(rows=len(rows), skipped=wanted.repeats)
    progress(wanted.repeats)

    existing = _existing_merchants(session, list(wanted.merchants))
    changed_merchants = {key for key, (_, fields) in wanted.merchants.items()
                         if key in existing and existing[key][1] != fields}
    m = merchants_table.c
    changes = [{"b_id": existing[key][0], **{f"b_{name}": value for name, value
                                             in vars(wanted.merchants[key][1]).items()}}
               for key in changed_merchants]
    for chunk in _chunks(changes):
        session.execute(update(merchants_table).where(m.id == bindparam("b_id")).values(
            category=bindparam("b_category"), address=bindparam("b_address"),
            phone=bindparam("b_phone"), avg_spend=bindparam("b_avg_spend")), chunk)

    merchant_ids = {key: merchant_id for key, (merchant_id, _) in existing.items()}
    new = [(key, fields) for key, (_, fields) in wanted.merchants.items() if key not in existing]
    for chunk in _chunks(new):
        merchant_ids.update(_create_merchants(session, chunk))

    offers = _existing_offers(session, [merchant_id for merchant_id, _ in existing.values()])
    now = utcnow()
    inserts, updates = [], []
    #: merchants whose listed fields or offers this import changed
    touched = {merchant_ids[key] for key in changed_merchants}
    for (name, district, title), (_, fields) in wanted.offers.items():
        merchant_id = merchant_ids[(name, district)]
        found = offers.get((merchant_id, title))
        if found is None or found[1] != fields:
            touched.add(merchant_id)
        if found is None:
            inserts.append({"id": new_id("off"), "merchant_id": merchant_id, "title": title,
                            "description": "", "percent_off": fields.percent_off,
                            "points_per_yuan": fields.points_per_yuan, "valid_from": None,
                            "valid_until": None, "active": True, "created_at": now})
        elif found[1] != fields:
            updates.append({"b_id": found[0], "b_percent": fields.percent_off,
                            "b_points": fields.points_per_yuan})
        elif (name, district) in changed_merchants:
            result.updated += 1  # the offer is unchanged, the merchant's details are not
        else:
            result.skipped += 1
    progress(result.updated + result.skipped - wanted.repeats)
    o = offers_table.c
    for chunk in _chunks(updates):
        session.execute(update(offers_table).where(o.id == bindparam("b_id")).values(
            percent_off=bindparam("b_percent"), points_per_yuan=bindparam("b_points")), chunk)
        result.updated += len(chunk)
        progress(len(chunk))
    for chunk in _chunks(inserts):
        session.execute(insert(offers_table), chunk)
        result.created += len(chunk)
        progress(len(chunk))
    signals.merchant_changed.send(session, merchant_ids=sorted(touched))
    session.expire_all()  # merchants or offers loaded earlier were changed behind the ORM
    return result
