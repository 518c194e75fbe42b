"""Members, their V-cards, tier history, annual spend, API tokens and one-time codes."""

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from valliance.db import Base, BigId, UTCDateTime, utcnow

TIERS = ("standard", "silver", "gold", "diamond")
MEMBERSHIP_STATUSES = ("active", "frozen", "expired")
CARD_STATUSES = ("active", "frozen", "lost", "replaced", "expired")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint(_in("tier", TIERS), name="tier"),
        CheckConstraint(_in("membership_status", MEMBERSHIP_STATUSES), name="membership_status"),
        # staff search (backoffice member_search) by any digits of the phone and any part of
        # the pinyin: trigram indexes on PostgreSQL (plain ones on SQLite, which scans)
        Index("ix_members_phone_trgm", "phone", postgresql_using="gin",
              postgresql_ops={"phone": "gin_trgm_ops"}),
        Index("ix_members_name_pinyin_trgm", "name_pinyin", postgresql_using="gin",
              postgresql_ops={"name_pinyin": "gin_trgm_ops"}),
        Index("ix_members_name_initials", "name_initials",
              postgresql_ops={"name_initials": "text_pattern_ops"}),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: normalized mainland mobile number, 11 digits
    phone: Mapped[str] = mapped_column(String(11), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    #: the name in full pinyin and its initials (valliance.pinyin.name_keys), for staff search;
    #: set wherever the name is written (with_name_keys)
    name_pinyin: Mapped[str] = mapped_column(String(300), default="", server_default="")
    name_initials: Mapped[str] = mapped_column(String(60), default="", server_default="")
    #: None until the member sets a password (imported members claim their account first)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    membership_status: Mapped[str] = mapped_column(String(16), default="active")
    tier: Mapped[str] = mapped_column(String(16), default="standard")
    #: the last day the current tier holds (None: until the next review)
    tier_valid_until: Mapped[date | None] = mapped_column(Date)
    points_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: moves on when the user signs out: every session cookie made before stops working
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: accepts marketing messages (campaigns); off until the member says yes (consent), and
    #: off again by one click in the portal, the app, or replying TD to a message
    marketing_opt_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: a programme waits for this member's sales (a pending invitation: members.services.
    #: sale_watch): the purchase lane hands them to the app, which announces each one
    next_sale_in_app: Mapped[bool] = mapped_column(Boolean, default=False,
                                                   server_default=false())
    #: when marketing_opt_in last changed (None: never)
    marketing_opt_in_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the birthday the member gave (month and day, no year), for birthday care and segments
    birth_month: Mapped[int | None] = mapped_column(Integer)
    birth_day: Mapped[int | None] = mapped_column(Integer)

    cards: Mapped[list["Card"]] = relationship(
        back_populates="member", order_by="Card.issued_at.desc()", lazy="selectin"
    )

    @property
    def card(self) -> "Card | None":
        """The member's current card (the newest that has not been replaced)."""
        return next((c for c in self.cards if c.status != "replaced"), None)

    @property
    def points_frozen(self) -> bool:
        return self.membership_status != "active"

    @property
    def phone_masked(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]}"


class Card(Base):
    __tablename__ = "cards"
    __table_args__ = (
        CheckConstraint(_in("status", CARD_STATUSES), name="status"),
        Index("ix_cards_member_id", "member_id"),
        # staff search by any 4+ digits of a card's number (see Member's indexes)
        Index("ix_cards_number_trgm", "number", postgresql_using="gin",
              postgresql_ops={"number": "gin_trgm_ops"}),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: 16 digits, the last a Luhn check digit; random, never sequential
    number: Mapped[str] = mapped_column(String(16), unique=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    status: Mapped[str] = mapped_column(String(16), default="active")
    #: the secret of the card's pay codes (contract §3), encrypted (secret_box.seal)
    pay_secret: Mapped[str] = mapped_column(String(200))
    #: redemptions authorized by a pay code so far; part of every code (docs/pay-codes.md)
    pay_code_uses: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_on: Mapped[date] = mapped_column(Date)
    replaced_by_id: Mapped[str | None] = mapped_column(ForeignKey("cards.id"))

    member: Mapped[Member] = relationship(back_populates="cards")

    @property
    def last4(self) -> str:
        return self.number[-4:]


class AnnualSpend(Base):
    __tablename__ = "annual_spend"
    __table_args__ = (UniqueConstraint("member_id", "year"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    year: Mapped[int] = mapped_column(Integer)
    #: imported from the operator's billing
    telecom_fen: Mapped[int] = mapped_column(default=0)
    #: purchases at alliance merchants, net of refunds
    alliance_fen: Mapped[int] = mapped_column(default=0)


class TierChange(Base):
    __tablename__ = "tier_changes"
    __table_args__ = (Index("ix_tier_changes_member_id", "member_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    from_tier: Mapped[str] = mapped_column(String(16))
    to_tier: Mapped[str] = mapped_column(String(16))
    #: e.g. "review 2026: spend ¥6,120.00", "enrolled", "staff"
    reason: Mapped[str] = mapped_column(String(200))
    #: the year whose spend was reviewed, for yearly reviews (one per member and year)
    review_year: Mapped[int | None] = mapped_column(Integer)
    spend_fen: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MemberToken(Base):
    __tablename__ = "member_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: sha256 of the bearer token; the token itself is shown once
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OneTimeCode(Base):
    __tablename__ = "one_time_codes"
    __table_args__ = (
        Index("ix_one_time_codes_phone", "phone", "purpose",
              sqlite_where=text("consumed_at IS NULL"),
              postgresql_where=text("consumed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    phone: Mapped[str] = mapped_column(String(11))
    #: "signup", "claim" or "reissue"
    purpose: Mapped[str] = mapped_column(String(16))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PendingSignup(Base):
    """A sign-up waiting for its SMS code: kept here, never in the browser's cookie."""

    __tablename__ = "pending_signups"

    #: sha256 of the random id the browser holds (its session cookie has only that id)
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    phone: Mapped[str] = mapped_column(String(11))
    name: Mapped[str] = mapped_column(String(50))
    #: the chosen password's hash, sealed (valliance.secret_box)
    password_hash: Mapped[str] = mapped_column(String(500))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the invitation code the sign-up named (members.signals), or None
    invitation_code: Mapped[str | None] = mapped_column(String(8))


class InboxMessage(Base):
    """A message in the member's portal inbox (campaigns, programmes, the service desk)."""

    __tablename__ = "inbox_messages"
    __table_args__ = (Index("ix_inbox_messages_member_id_id", "member_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(String(1000))
    #: who wrote it: "campaign:<id>", "service", …
    source: Mapped[str] = mapped_column(String(60), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
