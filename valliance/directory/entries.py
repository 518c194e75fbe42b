"""The directory's search documents: one row per offer, rebuilt whenever its merchant or offer
changes, so a search reads one table and never runs pypinyin.

Every write of a Merchant, Offer or OfferTierRate through the ORM refreshes its merchant's
entries in the same transaction (a session hook, below); Core bulk writes (the merchant
import) call refresh_search_keys themselves; `flask directory reindex` rebuilds everything.
"""

from collections.abc import Iterable
from datetime import date
from itertools import chain

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    delete,
    event,
    inspect,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from valliance import money
from valliance.db import Base, BigId, select_where_in
from valliance.directory import keys, search_sql
from valliance.members.models import TIERS
from valliance.merchants.models import Merchant, Offer, OfferTierRate

CHUNK = 5000


class DirectoryEntry(Base):
    """An offer as the directory searches and ranks it (derived data: never edited by hand)."""

    __tablename__ = "directory_entries"

    #: an integer key, so SQLite's full-text index can point at the row
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    offer_id: Mapped[str] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"),
                                          unique=True)
    merchant_id: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(20))
    district: Mapped[str] = mapped_column(String(50))
    address: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(30))
    avg_spend: Mapped[int] = mapped_column()
    #: the merchant is approved and the offer switched on (dates are checked per search)
    listed: Mapped[bool] = mapped_column(Boolean)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    #: percent_off for each tier (its override, else the base), in hundredths: 12.5 % → 1250.
    #: Integers so that SQLite ranks without floating point.
    off_standard: Mapped[int] = mapped_column(Integer)
    off_silver: Mapped[int] = mapped_column(Integer)
    off_gold: Mapped[int] = mapped_column(Integer)
    off_diamond: Mapped[int] = mapped_column(Integer)
    points_per_yuan: Mapped[int] = mapped_column(Integer)
    #: name, title, category and address as written; in full pinyin and initials; initials
    #: alone (keys.Keys)
    han: Mapped[str] = mapped_column(Text)
    spelled: Mapped[str] = mapped_column(Text)
    initials: Mapped[str] = mapped_column(Text)
    #: SQLite: the one- and two-character substrings of han's and initials' words,
    #: space-separated, fed to a full-text table with each gram a token. PostgreSQL: '' (its
    #: GIN index makes them from han and initials: migration 0011)
    grams: Mapped[str] = mapped_column(Text)


class DirectoryLetterGram(Base):
    """Every five-letter sequence found in a document's full pinyin or Latin words.

    A query with a typo is expanded into the spellings one edit away that are made only of
    these, then searched exactly (and by index): a few spellings instead of a scan. Grows
    only; `flask directory reindex` trims it.
    """

    __tablename__ = "directory_letter_grams"

    gram: Mapped[str] = mapped_column(String(keys.GRAM), primary_key=True)


entries = DirectoryEntry.__table__
letter_grams = DirectoryLetterGram.__table__
assert set(TIERS) == {"standard", "silver", "gold", "diamond"}, "one off_<tier> column per tier"

_m, _o, _r = Merchant.__table__, Offer.__table__, OfferTierRate.__table__


#: the columns refresh_search_keys writes, in order
COLUMNS = ("offer_id", "merchant_id", "name", "title", "category", "district", "address",
           "phone", "avg_spend", "listed", "valid_from", "valid_until",
           *(f"off_{tier}" for tier in TIERS), "points_per_yuan", "han", "spelled", "initials",
           "grams")


def _offers(conn, merchant_ids: list[str]) -> tuple[list, dict[str, dict[str, object]]]:
    """These merchants' offers with their merchant's fields, and each offer's tier rates."""
    offers = conn.execute(
        select(_o.c.id, _o.c.merchant_id, _o.c.title, _o.c.percent_off, _o.c.points_per_yuan,
               _o.c.valid_from, _o.c.valid_until, _o.c.active, _m.c.name, _m.c.category,
               _m.c.district, _m.c.address, _m.c.phone, _m.c.avg_spend, _m.c.status)
        .join(_m, _m.c.id == _o.c.merchant_id)
        .where(search_sql.among(conn, _o.c.merchant_id, merchant_ids))).all()
    overrides: dict[str, dict[str, object]] = {}
    offer_ids = [row.id for row in offers]
    size = search_sql.max_parameters(conn)
    for start in range(0, len(offer_ids), size):
        for offer_id, tier, percent in conn.execute(
                select(_r.c.offer_id, _r.c.tier, _r.c.percent_off)
                .where(search_sql.among(conn, _r.c.offer_id, offer_ids[start:start + size]))):
            overrides.setdefault(offer_id, {})[tier] = percent
    return offers, overrides


def _entry_rows(offers, overrides, letters: set[str], stores_grams: bool):
    """The entries of these offers (tuples in COLUMNS order), made one by one — PostgreSQL
    indexes each row of the COPY while the next is made; adds their pinyin's five-letter
    sequences to letters."""
    for offer in offers:
        base = money.to_hundredths(offer.percent_off)
        tier_percent = {tier: money.to_hundredths(percent)
                        for tier, percent in overrides.get(offer.id, {}).items()}
        found = keys.offer_keys(offer.name, offer.title, offer.category, offer.address)
        letters.update(found.letters)
        yield (offer.id, offer.merchant_id, offer.name, offer.title, offer.category,
               offer.district, offer.address, offer.phone, offer.avg_spend,
               offer.status == "approved" and bool(offer.active), offer.valid_from,
               offer.valid_until, *(tier_percent.get(tier, base) for tier in TIERS),
               offer.points_per_yuan, found.han, found.spelled, found.initials,
               found.grams if stores_grams else "")


def refresh_search_keys(session: Session, merchant_ids: Iterable[str] = (),
                        offer_ids: Iterable[str] = ()) -> int:
    """Rebuild the directory entries of these merchants' offers (and of these offers'
    merchants), from what this transaction sees; returns how many entries were written."""
    conn = session.connection()
    wanted = set(merchant_ids)
    offer_ids = sorted(set(offer_ids))
    if offer_ids:
        wanted.update(row[0] for row in select_where_in(
            session, select(_o.c.merchant_id), _o.c.id, offer_ids))
    written = 0
    known_letters: set[str] = set()
    size = min(CHUNK, search_sql.max_parameters(conn))
    ordered = sorted(wanted)
    for start in range(0, len(ordered), size):
        chunk = ordered[start:start + size]
        # Two transactions refreshing one merchant take turns (PostgreSQL): the second then
        # reads what the first committed instead of overwriting it with what it saw before.
        search_sql.lock_merchants(conn, chunk)
        offers, overrides = _offers(conn, chunk)
        conn.execute(delete(entries).where(search_sql.among(conn, entries.c.merchant_id, chunk)))
        letters: set[str] = set()
        if offers:
            # an offer that moved to another merchant leaves its old entry behind
            conn.execute(delete(entries).where(search_sql.among(
                conn, entries.c.offer_id, [offer.id for offer in offers])))
            # Written grouped by category and district within the chunk: after a bulk import
            # or a reindex, a broad term that follows a category (美发, jiudian) finds its
            # matches on fewer pages (single edits land wherever there is room).
            offers.sort(key=lambda offer: (offer.category, offer.district))
            search_sql.write_rows(conn, entries, COLUMNS, _entry_rows(
                offers, overrides, letters, search_sql.stores_grams(conn)))
        letters -= known_letters
        if letters:
            search_sql.insert_missing(conn, letter_grams, "gram", sorted(letters))
            known_letters |= letters
        written += len(offers)
    return written


def reindex_all(session: Session) -> int:
    """Rebuild every directory entry and the letter-gram dictionary; returns the entries."""
    conn = session.connection()
    conn.execute(delete(entries))
    conn.execute(delete(letter_grams))
    merchant_ids = list(conn.scalars(select(_m.c.id).order_by(_m.c.id)))
    return refresh_search_keys(session, merchant_ids)


# --- the hook ------------------------------------------------------------------------------

#: the columns an entry is made of; changing any other (a merchant's review note) changes none
_MERCHANT_FIELDS = ("name", "category", "district", "address", "phone", "avg_spend", "status")
#: (tier_rates: a rate removed from the collection is deleted as an orphan, which never shows
#: in session.deleted)
_OFFER_FIELDS = ("merchant_id", "title", "percent_off", "points_per_yuan", "valid_from",
                 "valid_until", "active", "tier_rates")


def _changed(obj, fields: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[field].history.has_changes() for field in fields)


@event.listens_for(Session, "after_flush")
def _refresh_after_flush(session: Session, flush_context) -> None:
    """Keep the entries of what this flush wrote in step, in the same transaction."""
    merchant_ids: set[str] = set()
    offer_ids: set[str] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Merchant):
            if obj in session.new or _changed(obj, _MERCHANT_FIELDS):
                merchant_ids.add(obj.id)
        elif isinstance(obj, Offer):
            if obj in session.new or obj in session.deleted or _changed(obj, _OFFER_FIELDS):
                history = inspect(obj).attrs.merchant_id.history
                merchant_ids.update(m for m in chain(history.sum(), [obj.merchant_id]) if m)
        elif isinstance(obj, OfferTierRate):
            offer_ids.add(obj.offer_id)
    if merchant_ids or offer_ids:
        refresh_search_keys(session, merchant_ids, offer_ids)
