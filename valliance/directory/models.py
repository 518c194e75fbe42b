"""114 operators, the callers they look up, the referrals they give, and the search documents
the operators' searches read."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from valliance.db import Base, BigId, UTCDateTime, utcnow
from valliance.directory.terms import GRAM
from valliance.members.models import TIERS


class Operator(Base):
    """A 114 operator (a person or a console seat) with an API key."""

    __tablename__ = "operators"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    #: sha256 of the API key; the key itself is shown once
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Referral(Base):
    """An operator sent a caller to a merchant's offer. Converted when that caller's card buys
    at that merchant within 7 days (worked out from purchases, never stored twice)."""

    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_member_id_merchant_id", "member_id", "merchant_id"),
        Index("ix_referrals_created_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    operator_id: Mapped[str] = mapped_column(ForeignKey("operators.id"), index=True)
    #: the caller's membership, when the caller has a V-card; the phone itself is not kept
    member_id: Mapped[str | None] = mapped_column(ForeignKey("members.id"))
    caller_has_vcard: Mapped[bool] = mapped_column(Boolean)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), index=True)
    offer_id: Mapped[str | None] = mapped_column(ForeignKey("offers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CallerLookup(Base):
    """The log of caller lookups: which operator asked, when, and whether a card was found."""

    __tablename__ = "caller_lookups"
    __table_args__ = (Index("ix_caller_lookups_operator_id_id", "operator_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    operator_id: Mapped[str] = mapped_column(ForeignKey("operators.id"))
    #: keyed hash of the phone (HMAC with the app's secret): repeat callers can be counted,
    #: the number cannot be read back
    phone_digest: Mapped[str] = mapped_column(String(64))
    found: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SearchDocument(Base):
    """An offer as the directory searches and ranks it: derived data, rebuilt whenever its
    merchant or offer changes (valliance.directory.documents), never edited by hand."""

    __tablename__ = "directory_entries"  # its name since migration 0006

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
    #: alone (terms.Keys)
    han: Mapped[str] = mapped_column(Text)
    spelled: Mapped[str] = mapped_column(Text)
    initials: Mapped[str] = mapped_column(Text)
    #: SQLite: the one- and two-character substrings of han's and initials' words,
    #: space-separated, fed to a full-text table with each gram a token. PostgreSQL: '' (its
    #: GIN index makes them from han and initials: migration 0011)
    grams: Mapped[str] = mapped_column(Text)


class LetterGram(Base):
    """Every five-letter sequence found in a document's full pinyin or Latin words.

    A query with a typo is expanded into the spellings one edit away that are made only of
    these, then searched exactly (and by index): a few spellings instead of a scan. Grows
    only; `flask directory reindex` trims it.
    """

    __tablename__ = "directory_letter_grams"

    gram: Mapped[str] = mapped_column(String(GRAM), primary_key=True)


documents = SearchDocument.__table__
letter_grams = LetterGram.__table__
assert set(TIERS) == {"standard", "silver", "gold", "diamond"}, "one off_<tier> column per tier"

#: what the engines' migrations make and the models cannot declare (0006, 0011, 0015): kept
#: out of the models-versus-migrations comparison
FTS_TABLE = "directory_fts"
FTS_GRAMS = "directory_fts_grams"
ENGINE_INDEXES = frozenset({
    "ix_directory_entries_spelled_trgm", "ix_directory_entries_grams",
    "ix_directory_entries_category_rank", "ix_directory_entries_district_rank",
    "ix_directory_entries_listed_dates", *(f"ix_directory_entries_order_{tier}" for tier in TIERS),
})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Whether Alembic should compare a schema object with the models (not the search
    engines' own tables and indexes)."""
    if type_ == "table" and name and name.startswith(FTS_TABLE):
        return False
    return not (type_ == "index" and name in ENGINE_INDEXES)
