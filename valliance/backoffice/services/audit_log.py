"""What the audit log page reads: one page of the trail, newest first (keyset on seq), with the
filters resolved to what the table holds, and the people and things it names.

A filter that names nobody (a phone no member has, a name no staff user has) matches no row,
rather than being dropped: the page then says "no entries", never "everything".
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from valliance.audit import AuditEvent
from valliance.backoffice.models import PointAdjustment
from valliance.db import SHANGHAI
from valliance.members.models import Member
from valliance.merchants.models import Merchant, MerchantUser, Offer, Terminal
from valliance.staff.models import StaffUser

PER_PAGE = 50
MAX_TEXT = 100
#: at most this many people or merchants one free-text filter stands for
MAX_MATCHES = 200
_PHONE = re.compile(r"^1\d{10}$")
#: the kinds of actor a trail names, by their prefix
STAFF, MERCHANT_USER, MEMBER = "staff", "merchant_user", "member"


@dataclass
class AuditFilters:
    staff_id: str = ""
    actor: str = ""
    subject: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def query_args(self) -> dict:
        """The filters as the page's query string (empty ones left out)."""
        args = {"staff": self.staff_id, "actor": self.actor, "object": self.subject,
                "action": self.action,
                "from": self.date_from.isoformat() if self.date_from else "",
                "to": self.date_to.isoformat() if self.date_to else ""}
        return {key: value for key, value in args.items() if value}

    @property
    def any(self) -> bool:
        return bool(self.query_args())


def _date(text: str | None) -> date | None:
    """A day from YYYY-MM-DD, or None; days at the calendar's ends (whose Shanghai midnight
    or next day no datetime holds) are not read either."""
    try:
        day = date.fromisoformat((text or "").strip()[:10])
    except ValueError:
        return None
    return day if date.min < day < date.max else None


def parse_filters(args) -> AuditFilters:
    """The filters from a query string; what cannot be read is left out."""
    def text(name: str) -> str:
        return (args.get(name) or "").strip()[:MAX_TEXT]
    return AuditFilters(staff_id=text("staff"), actor=text("actor"), subject=text("object"),
                        action=text("action"), date_from=_date(args.get("from")),
                        date_to=_date(args.get("to")))


def _shanghai_start(day: date) -> datetime:
    return datetime.combine(day, time.min, SHANGHAI)


def _actors(session: Session, text: str) -> list[str]:
    """The actor strings free text stands for: one written out ("staff:stf_…",
    "member:13912345678"), or the staff users and merchant users whose name or username has
    it, and the text itself ("cli")."""
    kind, colon, rest = text.partition(":")
    if colon and kind == MEMBER and _PHONE.match(rest):
        member_id = session.scalar(select(Member.id).where(Member.phone == rest))
        return [f"{MEMBER}:{member_id}"] if member_id else []
    if colon:
        return [text]
    like = {"autoescape": True}
    staff = session.scalars(select(StaffUser.id).where(or_(
        StaffUser.name.icontains(text, **like), StaffUser.username.icontains(text, **like)))
        .limit(MAX_MATCHES))
    users = session.scalars(select(MerchantUser.id).where(or_(
        MerchantUser.name.icontains(text, **like), MerchantUser.phone == text))
        .limit(MAX_MATCHES))
    # …and the text itself, for actors that are not people ("cli", "stripe")
    return ([f"{STAFF}:{i}" for i in staff] + [f"{MERCHANT_USER}:{i}" for i in users]
            + [text.lower() if text.isascii() else text])


def _subject_condition(session: Session, text: str):
    """An id as written; a member's phone is its member; a merchant's name is its merchant
    (its own events and those of its offers, terminals and users)."""
    if _PHONE.match(text):
        member_id = session.scalar(select(Member.id).where(Member.phone == text))
        return AuditEvent.subject.in_([text] + ([member_id] if member_id else []))
    merchants = list(session.scalars(select(Merchant.id).where(
        Merchant.name.icontains(text, autoescape=True)).limit(MAX_MATCHES)))
    if not merchants:
        return AuditEvent.subject == text
    return or_(AuditEvent.subject == text, AuditEvent.subject.in_(merchants),
               AuditEvent.merchant_id.in_(merchants))


def _filtered(session: Session, filters: AuditFilters):
    query = select(AuditEvent)
    actors: set[str] | None = None
    if filters.staff_id:
        actors = {f"{STAFF}:{filters.staff_id}"}
    if filters.actor:
        found = set(_actors(session, filters.actor))
        actors = found if actors is None else actors & found
    if actors is not None:
        query = query.where(AuditEvent.actor.in_(sorted(actors)))
    if filters.subject:
        query = query.where(_subject_condition(session, filters.subject))
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.date_from:
        query = query.where(AuditEvent.created_at >= _shanghai_start(filters.date_from))
    if filters.date_to:
        query = query.where(AuditEvent.created_at
                            < _shanghai_start(filters.date_to + timedelta(days=1)))
    return query


@dataclass
class AuditPage:
    events: list[AuditEvent]
    #: seq to ask for older rows with (None on the last page)
    older: int | None
    #: seq to ask for newer rows with (None on the first page)
    newer: int | None
    names: "Names" = field(default_factory=lambda: Names())


def audit_page(session: Session, filters: AuditFilters, *, before: int | None = None,
               after: int | None = None, per_page: int = PER_PAGE) -> AuditPage:
    """One page, newest first: the rows below `before`, or the page just above `after`."""
    query = _filtered(session, filters)
    if after is not None:
        rows = list(session.scalars(query.where(AuditEvent.seq > after)
                                    .order_by(AuditEvent.seq).limit(per_page + 1)))
        more_newer = len(rows) > per_page
        events = rows[:per_page][::-1]
        more_older = bool(events) and _exists(session, query, below=events[-1].seq)
    else:
        if before is not None:
            query = query.where(AuditEvent.seq < before)
        rows = list(session.scalars(query.order_by(AuditEvent.seq.desc()).limit(per_page + 1)))
        more_older = len(rows) > per_page
        events = rows[:per_page]
        more_newer = before is not None and bool(events) and _exists(
            session, _filtered(session, filters), above=events[0].seq)
    return AuditPage(events, events[-1].seq if more_older and events else None,
                     events[0].seq if more_newer and events else None,
                     names_for(session, events))


def _exists(session: Session, query, *, below: int | None = None,
            above: int | None = None) -> bool:
    query = query.where(AuditEvent.seq < below) if below is not None else query.where(
        AuditEvent.seq > above)
    return session.scalar(query.with_only_columns(AuditEvent.seq).limit(1)) is not None


@dataclass
class Names:
    """Who and what a page of the trail names, read once for the page."""

    staff: dict[str, StaffUser] = field(default_factory=dict)
    merchant_users: dict[str, MerchantUser] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    merchants: dict[str, Merchant] = field(default_factory=dict)
    offers: dict[str, Offer] = field(default_factory=dict)
    terminals: dict[str, Terminal] = field(default_factory=dict)
    adjustments: dict[str, PointAdjustment] = field(default_factory=dict)


def names_for(session: Session, events: list[AuditEvent]) -> Names:
    ids: dict[str, set[str]] = {STAFF: set(), MERCHANT_USER: set(), MEMBER: set()}
    for event in events:
        kind, _, ident = event.actor.partition(":")
        if kind in ids:
            ids[kind].add(ident)
    subjects = {e.subject for e in events} | {e.merchant_id for e in events if e.merchant_id}
    staff_ids = ids[STAFF] | {s for s in subjects if s.startswith("stf_")}
    user_ids = ids[MERCHANT_USER] | {s for s in subjects if s.startswith("mus_")}
    # a merchant's events carry its id (imported and demo merchants are not all "mer_…")
    merchant_ids = {s for s in subjects if s.startswith("mer_")} | {
        e.merchant_id for e in events if e.merchant_id}

    scoped = {e.subject for e in events if e.merchant_id}  # a merchant's offer or terminal

    def by_id(model, wanted):
        if not wanted:
            return {}
        return {row.id: row for row in session.scalars(select(model).where(
            model.id.in_(sorted(wanted))))}

    adjustments = by_id(PointAdjustment, {s for s in subjects if s.startswith("adj_")})
    member_ids = (ids[MEMBER] | {s for s in subjects if s.startswith("mem_")}
                  | {a.member_id for a in adjustments.values()})
    return Names(staff=by_id(StaffUser, staff_ids), merchant_users=by_id(MerchantUser, user_ids),
                 members=by_id(Member, member_ids), merchants=by_id(Merchant, merchant_ids),
                 offers=by_id(Offer, {s for s in subjects if s.startswith("off_")} | scoped),
                 terminals=by_id(Terminal, {s for s in subjects if s.startswith("ter_")} | scoped),
                 adjustments=adjustments)


def staff_choices(session: Session) -> list[tuple[str, str]]:
    """(id, name) of every staff user, for the "staff" filter."""
    return list(session.execute(select(StaffUser.id, StaffUser.name)
                                .order_by(StaffUser.name, StaffUser.username)).all())


def staff_trail(session: Session, staff_id: str, *, limit: int = 20) -> AuditPage:
    """What was done to a staff account and what it did, newest first."""
    events = list(session.scalars(select(AuditEvent).where(or_(
        AuditEvent.subject == staff_id, AuditEvent.actor == f"{STAFF}:{staff_id}"))
        .order_by(AuditEvent.seq.desc()).limit(limit)))
    return AuditPage(events, None, None, names_for(session, events))
