"""Finding a member from one search box: phone or card digits, name, or pinyin.

What was typed decides what is searched:
- digits (spaces, dashes and a +86 allowed): any 4+ consecutive digits of the phone or of any
  of the member's cards, replaced ones included;
- Latin letters: the name's full pinyin anywhere (zhangsan, sanfeng) or its initials from the
  start (zs), case-insensitive, and Latin names;
- anything else (Chinese): part of the name as written.
A tier narrows any of these; a tier alone lists its members (the dashboard's tier figures link
to that list).
PostgreSQL answers digits and pinyin from trigram indexes (migration 0018); names are short,
so reading them all is cheap.
"""

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from valliance.members.models import Card, Member
from valliance.points import member_balances

MIN_DIGITS, MIN_LETTERS = 4, 2
PHONE_DIGITS, CARD_DIGITS = 11, 16
MAX_QUERY = 50
PAGE_SIZE = 20
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
                   tier: str | None = None) -> ResultPage:
    """One page of the members a query finds (in a tier, when given), by name."""
    query = parse_query(raw)
    if query.too_short or (query.key == EVERYONE and tier is None):
        return ResultPage(query, [], 0, 1, 0)
    wanted = select(Member.id)
    if query.key != EVERYONE:
        wanted = wanted.where(Member.id.in_(select(_matching_ids(query).subquery().c[0])))
    if tier is not None:
        wanted = wanted.where(Member.tier == tier)
    page = max(1, page)
    # One pass: the page's members, each row with the number found (a window over them all).
    found = session.execute(
        select(Member, func.count().over()).where(Member.id.in_(wanted))
        .order_by(Member.name, Member.id)
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    if not found and page > 1:  # past the last page: show the last one
        total = session.scalar(select(func.count()).select_from(wanted.subquery())) or 0
        return search_members(session, raw, -(-total // PAGE_SIZE), tier) if total else \
            ResultPage(query, [], 0, 1, 1)
    total = found[0][1] if found else 0
    members = [member for member, _ in found]
    balances = member_balances(session, [m.points_account_id for m in members])
    rows = [Row(m.id, m.name, m.phone, m.tier, m.membership_status, m.card,
                _matched_card(m, query), balances.get(m.points_account_id, 0))
            for m in members]
    return ResultPage(query, rows, total, page, max(1, -(-total // PAGE_SIZE)))


def _matched_card(member: Member, query: Query) -> Card | None:
    if query.key != DIGITS or query.term in member.phone:
        return None
    matched = next((c for c in member.cards if query.term in c.number), None)
    return None if matched is None or matched is member.card else matched
