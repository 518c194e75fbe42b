"""The demo's service desk (issue #19): three teams with their leads and engineers, diamond
faults promised in 2 hours, an account manager for each gold and diamond member, two months
of tickets worked through the desk's services on a frozen clock (about 85 % of faults fixed
within their level, some late, a few reopened, ratings), and the queue of right now: tickets
in each colour of the clock (green, amber, red, paused), the red one escalated.

Every ticket change goes through valliance.service_desk.services.tickets, as at the desk.
"""

import random
from datetime import datetime, time, timedelta

from sqlalchemy import select

from valliance.db import SHANGHAI
from valliance.demo.roster import DEMO_PASSWORD, DemoMember, login_members
from valliance.members.models import Member
from valliance.service_desk.models import ServiceTeam
from valliance.service_desk.services import escalation, levels, teams, tickets
from valliance.service_desk.services import managers as managers_service
from valliance.staff.models import StaffUser
from valliance.staff.services import create_staff_user

#: (key, name, lead username, [(username, name)…]); the first lead signs in (roster)
TEAMS = (
    ("demo-team-zw1", "装维一组", "zwlead",
     (("zw1a", "装维工程师小黄"), ("zw1b", "装维工程师老周"))),
    ("demo-team-zw2", "装维二组", "zw2lead",
     (("zw2a", "装维工程师小吴"), ("zw2b", "装维工程师小潘"))),
    ("demo-team-zq", "政企支撑组", "zqlead", (("zqa", "政企工程师小金"),)),
)
#: the leads who are not a printed demo login, and the account managers
UNPRINTED = (("zw2lead", "装维二组组长刘工"), ("zqlead", "政企支撑组组长叶工"),
             ("am1", "客户经理王敏"), ("am2", "客户经理赵磊"))
#: the desk's staff the seed creates besides the printed logins
DESK_UNPRINTED = UNPRINTED + tuple(e for *_, engineers in TEAMS for e in engineers)
HISTORY_DAYS, HISTORY_TICKETS = 60, 100
LATE_EVERY = 7
SUMMARIES = {
    "fault": ("宽带断网，光猫红灯闪烁", "固话无拨号音", "IPTV画面卡顿", "手机信号差，家中无法通话"),
    "install": ("新装千兆宽带", "加装IPTV机顶盒"), "move": ("宽带移机到新家",),
    "value_added": ("开通来电显示", "办理副卡"), "billing": ("本月话费有疑问", "发票重开"),
    "other": ("咨询积分兑换话费",),
}
KINDS = ("fault",) * 6 + ("install", "move", "value_added", "billing", "other")


def _staff(session, username: str) -> StaffUser:
    return session.scalar(select(StaffUser).where(StaffUser.username == username))


def _people(session) -> dict[str, list[str]]:
    """The teams (through the desk's teams service) and their people: {team id: [engineer
    ids, the lead's first]}."""
    for username, name in DESK_UNPRINTED:
        if _staff(session, username) is None:
            create_staff_user(session, username=username, name=name, password=DEMO_PASSWORD,
                              actor="demo", roles=("service_desk",))
    crews = {}
    for _key, name, lead, engineers in TEAMS:
        lead_id = _staff(session, lead).id
        team = teams.create_team(session, name=name, lead_id=lead_id, by="demo")
        crews[team.id] = [lead_id] + [_staff(session, u).id for u, _ in engineers]
        for staff_id in crews[team.id]:
            teams.add_engineer(session, team.id, staff_id, by="demo")
    return crews


def seed_desk(session, roster: list[DemoMember], now: datetime, seed: int) -> int:
    """Once (when the demo has no team yet); the tickets it opened."""
    if session.scalar(select(ServiceTeam.id).limit(1)) is not None:
        return 0
    rng = random.Random(seed)
    crews = _people(session)
    admin = _staff(session, "admin")
    levels.set_level(session, "fault", "diamond", 120, by=f"staff:{admin.id}" if admin else "demo",
                     now=now - timedelta(days=HISTORY_DAYS + 1))
    members = session.scalars(select(Member).order_by(Member.id)).all()
    managers = [_staff(session, "am1").id, _staff(session, "am2").id]
    for index, member in enumerate(m for m in members if m.tier in ("gold", "diamond")):
        managers_service.assign_manager(session, member.id, managers[index % 2], by="demo",
                                        now=now - timedelta(days=90))
    logins = {m.phone for m in login_members(roster).values()}
    quiet = [m for m in members if m.phone not in logins and m.membership_status == "active"]
    desk = _staff(session, "desk")
    moments = sorted(datetime.combine(
        (now - timedelta(days=rng.randrange(2, HISTORY_DAYS))).astimezone(SHANGHAI).date(),
        time(rng.randrange(8, 21), rng.randrange(60)), SHANGHAI) for _ in range(HISTORY_TICKETS))
    for index, at in enumerate(moments):  # one in LATE_EVERY late, so each month near 86 %
        _history(session, rng, rng.choice(quiet), at, crews, desk, now,
                 late=index % LATE_EVERY == LATE_EVERY - 1)
    opened = len(moments)
    by_phone = {m.phone: m for m in members}
    vips = [by_phone[m.phone] for m in login_members(roster).values()
            if m.tier in ("gold", "diamond") and m.phone in by_phone]
    plain = [m for m in quiet if m.tier in ("standard", "silver")]  # their faults: 5 hours
    opened += _queue_now(session, rng, plain, vips, crews, desk, now)
    escalation.escalate_overdue(session, now=now)
    return opened


def _history(session, rng, member: Member, at: datetime, crews: dict, desk, now, *,
             late: bool) -> None:
    """One ticket of the past two months, from its opening to its resolution (or a close)."""
    kind = rng.choice(KINDS)
    team = rng.choice(list(crews)[:2]) if kind in ("fault", "install", "move") else list(crews)[2]
    by = crews[team][0]
    ticket = tickets.open_ticket(session, member, kind=kind, summary=rng.choice(SUMMARIES[kind]),
                                 contact_phone=member.phone, now=at,
                                 channel="desk" if rng.random() < 0.3 else "portal",
                                 opened_by=desk.id if desk and rng.random() < 0.3 else None)
    target, t = ticket.target_minutes * 60, at + timedelta(minutes=rng.randrange(5, 25))
    if rng.random() < 0.04:  # a duplicate of another report
        tickets.change_status(session, ticket.id, "closed", by=by, note="重复申告，已合并", now=t)
        return
    tickets.assign_ticket(session, ticket.id, by=by, team_id=team,
                          assignee_id=rng.choice(crews[team][1:]), now=t)
    share = rng.uniform(1.1, 1.8) if late else rng.uniform(0.35, 0.9)
    work = timedelta(seconds=int(target * share) - int((t - at).total_seconds()))
    t += work / 3
    tickets.change_status(session, ticket.id, "in_progress", by=by, now=t)
    if rng.random() < 0.15:
        tickets.change_status(session, ticket.id, "waiting_member", by=by,
                              note="客户不在家，约定上门时间", now=t)
        t += timedelta(hours=rng.randrange(1, 4))
        tickets.change_status(session, ticket.id, "resume", by=by, now=t)
    t += work * 2 / 3
    tickets.change_status(session, ticket.id, "resolved", by=by, note="已上门处理，恢复正常", now=t)
    if rng.random() < 0.06:
        t += timedelta(hours=2)
        tickets.member_reopen(session, member.id, ticket.id, note="还是不行", now=t)
        t += timedelta(minutes=rng.randrange(30, 120))
        tickets.change_status(session, ticket.id, "resolved", by=by, note="更换光猫后恢复",
                              now=t)
    if rng.random() < 0.6:
        score = rng.choice((4, 5, 5, 5)) if share < 1 else rng.choice((2, 3, 4))
        tickets.rate_ticket(session, member.id, ticket.id, score=score,
                            now=t + timedelta(hours=1))
    if t + tickets.AUTO_CLOSE_AFTER < now:
        tickets.change_status(session, ticket.id, "closed", by=None,
                              now=t + tickets.AUTO_CLOSE_AFTER)


def _queue_now(session, rng, plain, vips, crews, desk, now) -> int:
    """The queue as it stands: (kind, hours ago, team or None, paused) — green, amber, red
    (escalated by the job), paused; the printed gold and diamond logins have one each."""
    zw1, zw2, zq = list(crews)
    shapes = (("fault", 0.5, zw1, False), ("fault", 1, None, False), ("fault", 3.9, zw1, False),
              ("fault", 6.5, zw2, False), ("install", 20, zw2, False), ("move", 3, zw1, True),
              ("billing", 2, zq, False), ("fault", 1.2, zw2, False))
    people = vips + plain[:len(shapes)]
    for (kind, hours, team, paused), member in zip(shapes, people, strict=False):
        at = now - timedelta(hours=hours)
        ticket = tickets.open_ticket(session, member, kind=kind,
                                     summary=rng.choice(SUMMARIES[kind]),
                                     contact_phone=member.phone, now=at)
        if team is None:
            continue
        by = crews[team][0]
        tickets.assign_ticket(session, ticket.id, by=by, team_id=team,
                              assignee_id=crews[team][1], now=at + timedelta(minutes=10))
        if paused:
            tickets.change_status(session, ticket.id, "waiting_member", by=by,
                                  note="等待客户确认新地址的上门时间", now=at + timedelta(hours=1))
    return min(len(shapes), len(people))
