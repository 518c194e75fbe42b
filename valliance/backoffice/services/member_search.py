"""Finding a member from one search box: phone or card digits, name, or pinyin.

What was typed decides what is searched:
- digits (spaces, dashes and a +86 allowed): any 4+ consecutive digits of the phone or of any
  of the member's cards, replaced ones included;
- Latin letters: the name's full pinyin anywhere (zhangsan, sanfeng) or its initials from the
  start (zs), case-insensitive, and Latin names;
- anything else (Chinese): part of the name as written.
A `Narrowing` (tier, joined since a day, bought since a day) narrows any of these; with nothing
typed it lists the members it names, and `everyone` lists them all — the lists behind the
dashboard's member figures (days are Shanghai days, as the dashboard counts them).
PostgreSQL answers digits and pinyin from trigram indexes (migration 0018); names are short,
so reading them all is cheap.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from valliance.members.models import TIERS, Card, Member
from valliance.merchants.models import Purchase
from valliance.merchants.services.reports import shanghai_midnight
from valliance.points import member_balances

MIN_DIGITS, MIN_LETTERS = 4, 2
PHONE_DIGITS, CARD_DIGITS = 11, 16
MAX_QUERY = 50
PAGE_SIZE = 20
#: the furthest page asked for that is read as asked (beyond: the last page); its offset
#: stays inside PostgreSQL's BIGINT, which refuses a larger OFFSET
MAX_PAGE = 10**9
DIGITS, PINYIN, NAME, EVERYONE = "digits", "pinyin", "name", "everyone"
_DIGITS = re.compile(r"^\+?[\d\s\-]+$")
_LETTERS = re.compile(r"^[a-z\s'’]+$")


@dataclass(frozen=True)
class Query:
    #: what is searched for (digits, lowercase letters, or the name as typed)
    term: str
    key: str
    too_short: bool


@dataclass(frozen=True)
class Narrowing:
    """What narrows a search, or makes a list with nothing typed."""

    tier: str | None = None
    #: members who joined on or after this Shanghai day
    joined_since: date | None = None
    #: members who bought at an alliance merchant on or after this Shanghai day
    bought_since: date | None = None
    #: list every member (nothing else given)
    everyone: bool = False

    @classmethod
    def from_args(cls, args) -> "Narrowing":
        """From a query string; what cannot be read is left out."""
        return cls(tier=args.get("tier") if args.get("tier") in TIERS else None,
                   joined_since=_day(args.get("joined_since")),
                   bought_since=_day(args.get("bought_since")),
                   everyone=args.get("everyone") == "1")

    @property
    def lists(self) -> bool:
        return bool(self.tier or self.joined_since or self.bought_since or self.everyone)

    def args(self) -> dict:
        """The query string that gives this narrowing back (for pages and links)."""
        return {key: value for key, value in (
            ("tier", self.tier), ("everyone", "1" if self.everyone else None),
            ("joined_since", self.joined_since and self.joined_since.isoformat()),
            ("bought_since", self.bought_since and self.bought_since.isoformat())) if value}


def _day(raw: str | None) -> date | None:
    try:
        day = date.fromisoformat((raw or "").strip()[:10])
    except ValueError:
        return None
    return day if date(2000, 1, 1) <= day <= date(2999, 12, 31) else None


@dataclass(frozen=True)
class Row:
    id: str
    name: str
    phone: str
    tier: str
    membership_status: str
    #: the current card (None: every card replaced or none)
    card: Card | None
    #: the card whose number matched, when it is not the current one
    matched_card: Card | None
    balance: int


@dataclass(frozen=True)
class ResultPage:
    query: Query
    rows: list[Row]
    total: int
    page: int
    pages: int


def parse_query(raw: str) -> Query:
    """Which key a query is, its search term, and whether it is too short to search (nothing
    typed: everyone, for a list narrowed by tier)."""
    text = " ".join(unicodedata.normalize("NFKC", raw or "").split())[:MAX_QUERY]
    if not text:
        return Query("", EVERYONE, False)
    if _DIGITS.match(text):
        digits = re.sub(r"\D", "", text)
        if text.startswith("+86") or (digits.startswith("86") and len(digits) == 13):
            digits = digits[2:]
        return Query(digits, DIGITS, len(digits) < MIN_DIGITS)
    lowered = text.lower()
    if _LETTERS.match(lowered):
        letters = re.sub(r"[^a-z]", "", lowered)
        return Query(letters, PINYIN, len(letters) < MIN_LETTERS)
    return Query(text, NAME, not text)


def _escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _matching_ids(query: Query):
    """A selectable of the ids of the members the query finds."""
    like = f"%{_escape(query.term)}%"
    if query.key == DIGITS and len(query.term) == PHONE_DIGITS:  # a whole phone, or part of
        return union(select(Member.id).where(Member.phone == query.term),  # a card's number
                     select(Card.member_id).where(Card.number.like(like)))
    if query.key == DIGITS and len(query.term) == CARD_DIGITS:
        return select(Card.member_id).where(Card.number == query.term)
    if query.key == DIGITS:
        return union(select(Member.id).where(Member.phone.like(like)),
                     select(Card.member_id).where(Card.number.like(like)))
    if query.key == PINYIN:
        return union(select(Member.id).where(Member.name_pinyin.like(like)),
                     select(Member.id).where(Member.name_initials.like(f"{query.term}%")))
    return select(Member.id).where(Member.name.like(like, escape="\\"))


def search_members(session: Session, raw: str, page: int = 1,
                   narrowing: Narrowing = Narrowing()) -> ResultPage:
    """One page of the members a query finds (narrowed, when asked), by name."""
    query = parse_query(raw)
    if query.too_short or (query.key == EVERYONE and not narrowing.lists):
        return ResultPage(query, [], 0, 1, 0)
    wanted = _narrowed(select(Member.id), narrowing)
    if query.key != EVERYONE:
        wanted = wanted.where(Member.id.in_(select(_matching_ids(query).subquery().c[0])))
    page = min(max(1, page), MAX_PAGE)
    # One pass: the page's members, each row with the number found (a window over them all).
    found = session.execute(
        select(Member, func.count().over()).where(Member.id.in_(wanted))
        .order_by(Member.name, Member.id)
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    if not found and page > 1:  # past the last page: show the last one
        total = session.scalar(select(func.count()).select_from(wanted.subquery())) or 0
        return search_members(session, raw, -(-total // PAGE_SIZE), narrowing) if total else \
            ResultPage(query, [], 0, 1, 1)
    total = found[0][1] if found else 0
    members = [member for member, _ in found]
    balances = member_balances(session, [m.points_account_id for m in members])
    rows = [Row(m.id, m.name, m.phone, m.tier, m.membership_status, m.card,
                _matched_card(m, query), balances.get(m.points_account_id, 0))
            for m in members]
    return ResultPage(query, rows, total, page, max(1, -(-total // PAGE_SIZE)))


def _narrowed(wanted, narrowing: Narrowing):
    if narrowing.tier is not None:
        wanted = wanted.where(Member.tier == narrowing.tier)
    if narrowing.joined_since is not None:
        wanted = wanted.where(Member.created_at >= shanghai_midnight(narrowing.joined_since))
    if narrowing.bought_since is not None:
        wanted = wanted.where(Member.id.in_(select(Purchase.member_id).where(
            Purchase.created_at >= shanghai_midnight(narrowing.bought_since))))
    return wanted


def _matched_card(member: Member, query: Query) -> Card | None:
    if query.key != DIGITS or query.term in member.phone:
        return None
    matched = next((c for c in member.cards if query.term in c.number), None)
    return None if matched is None or matched is member.card else matched
