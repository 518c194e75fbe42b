"""Reminders before points expire: 30 and 7 days before, by SMS and in the portal inbox.

    send_reminders(session, now=…, after=0)  → ReminderBatch (the job commits each batch)

A reminder is a service message about the member's own points, not marketing: it goes to
members who did not opt in to marketing and counts against no cap. It still never wakes
anyone: the job runs at 10:00 Asia/Shanghai, and a run between 21:00 and 09:00 (a late
retry, a worker started at night) sends nothing — the next day's run catches up.

For each member in good standing (membership `active`; frozen and closed members get none)
with open lots expiring within 30 days, and each stage (7, then 30): the expiry moments within
the stage's window (last day at most 7 or 30 days away) that no reminder of that stage covered
yet. If there are any, one message names the soonest of their days and the points expiring
that day ("您有1,200积分将于12月31日到期"), and the points expiring within 30 days in all when
that is more. Each moment it covers gets its expiry_reminders row; a 7-day message also covers
its moments' 30-day stage (rows of 0 points: no second, staler message). The rows are written
first, ON CONFLICT DO NOTHING: of two runs at once only the one that wrote them sends.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.db import SHANGHAI, insert_many_ignoring_conflict, select_where_in, utcnow
from valliance.i18n import DEFAULT_LOCALE, N_, catalog
from valliance.marketing.expiry_models import STAGES, ExpiryReminder
from valliance.marketing.services.send_rules import in_quiet_hours
from valliance.members.models import Member
from valliance.members.services.inbox import post_many
from valliance.messaging import queue_many
from valliance.points import ExpiringLots, lots_expiring

#: members' accounts per batch (each batch is one transaction)
BATCH = 500
SOURCE = "expiry_reminder"
WINDOW_DAYS = max(STAGES)

reminders = ExpiryReminder.__table__


@dataclass
class ReminderBatch:
    members: int = 0
    #: messages (each an SMS and an inbox message) by stage
    sent: dict | None = None
    #: the highest account id this batch looked at (None: nothing left)
    last: int | None = None
    #: the run fell in the quiet hours and sent nothing
    quiet: bool = False


def window_end(today: date) -> datetime:
    """The end of the last day a 30-day reminder looks at (today + 30, Asia/Shanghai)."""
    return datetime.combine(today + timedelta(days=WINDOW_DAYS + 1), time(), SHANGHAI)


def chinese_day(day: date) -> str:
    """"12月31日": what members read (they are Chinese, whatever a page's language)."""
    return _zh(N_("%(month)s月%(day)s日")) % {"month": day.month, "day": day.day}


def message_text(soonest: date, points: int, total: int) -> str:
    """The reminder: the soonest day and its points; the 30 days' total when it is more."""
    text = _zh(N_("您有%(points)s积分将于%(date)s到期")) % {
        "points": f"{points:,}", "date": chinese_day(soonest)}
    if total > points:
        text += _zh(N_("，30天内共有%(total)s积分到期")) % {"total": f"{total:,}"}
    return text + _zh(N_("。请及时使用。"))


def _zh(msgid: str) -> str:
    return catalog(DEFAULT_LOCALE).gettext(msgid)


def send_reminders(session: Session, *, now: datetime | None = None, after: int = 0,
                   limit: int = BATCH) -> ReminderBatch:
    """Remind the next `limit` accounts above `after` that have points expiring within 30
    days (see the module's doc); the caller commits, then asks for the batch after `last`."""
    now = now or utcnow()
    if in_quiet_hours(now):
        return ReminderBatch(quiet=True, sent={})
    today = now.astimezone(SHANGHAI).date()
    expiring = lots_expiring(session, now=now, until=window_end(today), after=after,
                             limit=limit)
    batch = ReminderBatch(sent={stage: 0 for stage in STAGES},
                          last=max(expiring) if expiring else None)
    if not expiring:
        return batch
    members = select_where_in(
        session, select(Member.id, Member.points_account_id, Member.phone)
        .where(Member.membership_status == "active"), Member.points_account_id, list(expiring))
    done = _reminded(session, [member_id for member_id, _, _ in members], now)
    sms, inbox = [], []
    for member_id, account, phone in sorted(members, key=lambda m: m[1]):
        texts = _remind_member(session, member_id, account, expiring[account],
                               done.get(member_id, set()), today, now)
        for stage, text in texts:
            batch.sent[stage] += 1
            sms.append((phone, text))
            inbox.append((member_id, _zh(N_("积分即将到期")), text))
        batch.members += bool(texts)
    queue_many(session, sms, marketing=False)  # a service message (see the module's doc)
    post_many(session, inbox, source=SOURCE, now=now)
    return batch


def _reminded(session: Session, member_ids: list[str], now: datetime) -> dict[str, set]:
    """member id → {(expiry moment, stage)} already reminded, for moments still to come."""
    rows = select_where_in(session, select(reminders.c.member_id, reminders.c.expires_at,
                                           reminders.c.stage)
                           .where(reminders.c.expires_at > now),
                           reminders.c.member_id, member_ids)
    done: dict[str, set] = {}
    for member_id, expires_at, stage in rows:
        done.setdefault(member_id, set()).add((expires_at, stage))
    return done


def _remind_member(session: Session, member_id: str, account: int, lots: list[ExpiringLots],
                   done: set, today: date, now: datetime) -> list[tuple[int, str]]:
    """Write the member's due reminder rows and return the messages to send [(stage, text)]."""
    total = sum(lot.points for lot in lots)  # all within 30 days
    texts = []
    for stage in sorted(STAGES):
        due = [lot for lot in lots if (lot.last_day - today).days <= stage
               and (lot.expires_at, stage) not in done]
        rows = [_row(member_id, account, lot, stage, now, lot is due[0]) for lot in due]
        if stage != max(STAGES):  # a nearer reminder covers the later stages' too
            for later in (s for s in STAGES if s > stage):
                rows += [_row(member_id, account, lot, later, now, False, points=0)
                         for lot in due if (lot.expires_at, later) not in done]
        written = insert_many_ignoring_conflict(
            session.connection(), reminders, rows, ["member_id", "expires_at", "stage"],
            returning=[reminders.c.expires_at, reminders.c.stage])
        for expires_at, row_stage in written:
            done.add((expires_at, row_stage))
        if not any(row_stage == stage for _, row_stage in written):
            continue  # nothing due, or another run wrote them first (and sends)
        soonest = due[0].last_day
        points = sum(lot.points for lot in due if lot.last_day == soonest)
        texts.append((stage, message_text(soonest, points, total)))
    return texts


def _row(member_id: str, account: int, lot: ExpiringLots, stage: int, now: datetime,
         named: bool, points: int | None = None) -> dict:
    return {"member_id": member_id, "account_id": account, "expires_at": lot.expires_at,
            "stage": stage, "points": lot.points if points is None else points,
            "named": named, "sent_at": now}
