"""The directory's search documents: one row per offer, rebuilt whenever its merchant or offer
changes, so that a search reads one table and never runs pypinyin.

The merchants package announces its writes (valliance.merchants.signals) after it flushes
them; the directory refreshes those merchants' documents in the same transaction
(`subscribe`, called by the directory's init_app). `flask directory reindex` rebuilds
everything, after a change made behind the app.
"""

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from valliance import money
from valliance.directory import terms
from valliance.directory.models import documents, letter_grams
from valliance.directory.search import engine_of
from valliance.members.models import TIERS
from valliance.merchants import signals
from valliance.merchants.models import Merchant, Offer, OfferTierRate

CHUNK = 5000

merchants_table, offers_table, rates_table = (Merchant.__table__, Offer.__table__,
                                              OfferTierRate.__table__)

#: the columns refresh_documents writes, in order
COLUMNS = ("offer_id", "merchant_id", "name", "title", "category", "district", "address",
           "phone", "avg_spend", "listed", "valid_from", "valid_until",
           *(f"off_{tier}" for tier in TIERS), "points_per_yuan", "han", "spelled", "initials",
           "grams")


def _offers(conn, engine, merchant_ids: list[str]) -> tuple[list, dict[str, dict[str, object]]]:
    """These merchants' offers with their merchant's fields, and each offer's tier rates."""
    merchant, offer, rate = merchants_table.c, offers_table.c, rates_table.c
    offers = conn.execute(
        select(offer.id, offer.merchant_id, offer.title, offer.percent_off,
               offer.points_per_yuan, offer.valid_from, offer.valid_until, offer.active,
               merchant.name, merchant.category, merchant.district, merchant.address,
               merchant.phone, merchant.avg_spend, merchant.status)
        .join(merchants_table, merchant.id == offer.merchant_id)
        .where(engine.among(offer.merchant_id, merchant_ids))).all()
    overrides: dict[str, dict[str, object]] = {}
    offer_ids = [row.id for row in offers]
    size = engine.max_parameters(conn)
    for start in range(0, len(offer_ids), size):
        for offer_id, tier, percent in conn.execute(
                select(rate.offer_id, rate.tier, rate.percent_off)
                .where(engine.among(rate.offer_id, offer_ids[start:start + size]))):
            overrides.setdefault(offer_id, {})[tier] = percent
    return offers, overrides


def _document_rows(offers, overrides, letters: set[str], stores_grams: bool):
    """The documents of these offers (tuples in COLUMNS order), made one by one — PostgreSQL
    indexes each row of the COPY while the next is made; adds their pinyin's five-letter
    sequences to letters."""
    for offer in offers:
        base = money.to_hundredths(offer.percent_off)
        tier_percent = {tier: money.to_hundredths(percent)
                        for tier, percent in overrides.get(offer.id, {}).items()}
        found = terms.offer_keys(offer.name, offer.title, offer.category, offer.address)
        letters.update(found.letters)
        yield (offer.id, offer.merchant_id, offer.name, offer.title, offer.category,
               offer.district, offer.address, offer.phone, offer.avg_spend,
               offer.status == "approved" and bool(offer.active), offer.valid_from,
               offer.valid_until, *(tier_percent.get(tier, base) for tier in TIERS),
               offer.points_per_yuan, found.han, found.spelled, found.initials,
               found.grams if stores_grams else "")


def refresh_documents(session: Session, merchant_ids: Iterable[str] = ()) -> int:
    """Rebuild the search documents of these merchants' offers from what this transaction
    sees; returns how many documents were written."""
    conn = session.connection()
    engine = engine_of(conn)
    written = 0
    known_letters: set[str] = set()
    size = min(CHUNK, engine.max_parameters(conn))
    ordered = sorted(set(merchant_ids))
    for start in range(0, len(ordered), size):
        chunk = ordered[start:start + size]
        # Two transactions refreshing one merchant take turns (PostgreSQL): the second then
        # reads what the first committed instead of overwriting it with what it saw before.
        engine.lock_merchants(conn, chunk)
        offers, overrides = _offers(conn, engine, chunk)
        conn.execute(delete(documents).where(engine.among(documents.c.merchant_id, chunk)))
        letters: set[str] = set()
        if offers:
            # an offer that moved to another merchant leaves its old document behind
            conn.execute(delete(documents).where(engine.among(
                documents.c.offer_id, [offer.id for offer in offers])))
            # Written grouped by category and district within the chunk: after a bulk import
            # or a reindex, a category's documents lie on fewer pages.
            offers.sort(key=lambda offer: (offer.category, offer.district))
            engine.write_rows(conn, documents, COLUMNS, _document_rows(
                offers, overrides, letters, engine.STORES_GRAMS))
        letters -= known_letters
        if letters:
            engine.insert_missing(conn, letter_grams, "gram", sorted(letters))
            known_letters |= letters
        written += len(offers)
    return written


def reindex_all(session: Session) -> int:
    """Rebuild every search document and the letter-gram dictionary; returns the documents."""
    conn = session.connection()
    conn.execute(delete(documents))
    conn.execute(delete(letter_grams))
    merchant_ids = list(conn.scalars(select(merchants_table.c.id).order_by(
        merchants_table.c.id)))
    return refresh_documents(session, merchant_ids)


def _merchants_written(session: Session, merchant_ids: Iterable[str] = (), **_) -> None:
    refresh_documents(session, merchant_ids)


def subscribe() -> None:
    """Refresh the documents of the merchants and offers that the merchants package writes,
    in the writer's transaction."""
    signals.merchant_changed.connect(_merchants_written)
    signals.offers_changed.connect(_merchants_written)
