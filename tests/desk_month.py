"""A generated month of desk tickets for the report's tests, driven through the real ticket
services on a frozen clock, with a record of what the generator did (the expected figures are
computed from that record, not from the ticket rows)."""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from valliance.db import SHANGHAI
from valliance.members import services as members
from valliance.service_desk.services import levels, tickets
from valliance.service_desk.services import teams as desk_teams
from valliance.staff import services as staff_services

TIERS = ("standard", "silver", "gold", "diamond")
#: the month generated, the report's moment, and the configured levels (minutes)
MONTH_START = datetime(2026, 11, 1, tzinfo=SHANGHAI)
MONTH_END = datetime(2026, 12, 1, tzinfo=SHANGHAI)
REPORT_AT = datetime(2026, 12, 10, 12, 0, tzinfo=SHANGHAI)
INSTALL_MINUTES = 20 * 24 * 60  # long enough that late-November installs are still pending

def target_of(kind: str, tier: str) -> int:
    if kind == "fault":
        return 120 if tier == "diamond" else 300
    return INSTALL_MINUTES if kind == "install" else 1440

@dataclass
class Done:
    """What the generator did to one ticket."""

    ticket_id: str
    kind: str
    tier: str
    team: str | None
    engineer: str | None
    opened: datetime
    target_seconds: int
    outcome: str  # resolved, closed_unresolved, running, paused
    fix_seconds: int | None = None  # counted seconds at the final resolution
    used_when_paused: int | None = None
    used_when_closed: int | None = None
    reopened: bool = False
    rating: int | None = None

def desk_people(session, *, teams=2, engineers_per_team=2, members_per_tier=2):
    """Teams with a lead and engineers (staff with the service_desk role), members of each
    tier, and the levels of target_of: {"teams": [(team, [engineer ids])], "members": [...]}."""
    made = []
    for t in range(teams):
        people = [staff_services.create_staff_user(
            session, username=f"eng{t}{e}", name=f"工程师{t}{e}", password="pass-2026-desk",
            roles=("service_desk",)) for e in range(engineers_per_team)]
        team = desk_teams.create_team(session, name=f"装维{t + 1}组", lead_id=people[0].id,
                                      by="test")
        for person in people:
            desk_teams.add_engineer(session, team.id, person.id, by="test")
        made.append((team.id, [p.id for p in people]))
    roster = [members.enroll_member(session, phone=f"139{t:02d}{i:06d}", name=f"会员{t}{i}",
                                    tier=tier)
              for t, tier in enumerate(TIERS) for i in range(members_per_tier)]
    levels.set_level(session, "fault", "diamond", 120, by="test")
    levels.set_level(session, "install", "*", INSTALL_MINUTES, by="test")
    session.flush()
    return {"teams": made, "members": roster}

def generate_month(session, rng: random.Random, people: dict, count: int) -> list[Done]:
    """`count` tickets opened across the month, each played out through the services."""
    done = []
    span = int((MONTH_END - MONTH_START).total_seconds())
    for _ in range(count):
        opened = MONTH_START + timedelta(seconds=rng.randrange(span))
        member = rng.choice(people["members"])
        kind = rng.choices(("fault", "install", "billing", "other"), (6, 2, 1, 1))[0]
        team, engineers = rng.choice(people["teams"])
        engineer = rng.choice(engineers + [None])
        done.append(_play(session, rng, member, kind, opened, team, engineer))
    return done

def _play(session, rng, member, kind, opened, team, engineer) -> Done:
    # words of its own: the same report twice within ten minutes would be one ticket
    ticket = tickets.open_ticket(session, member, kind=kind,
                                 summary=f"宽带不通（{opened:%d日%H:%M:%S}）",
                                 contact_phone=member.phone, now=opened)
    target = target_of(kind, member.tier) * 60
    record = Done(ticket.id, kind, member.tier, None, None, opened, target,
                  rng.choices(("resolved", "closed_unresolved", "running", "paused"),
                              (14, 1, 2, 1))[0])
    t = opened + timedelta(seconds=rng.randrange(60, 1800))
    if record.outcome == "running" and rng.random() < 0.3:
        return record  # never even assigned
    tickets.assign_ticket(session, ticket.id, by=None, team_id=team, assignee_id=engineer,
                          now=t)
    record.team, record.engineer = team, engineer
    used = int((t - opened).total_seconds())
    if record.outcome == "closed_unresolved":
        # most are closed within the hour (duplicates); some only after their level ran out
        closed = t + timedelta(seconds=rng.choice((300, target + 600)))
        tickets.change_status(session, ticket.id, "closed", by=None, note="重复工单",
                              now=closed)
        record.used_when_closed = int((closed - opened).total_seconds())
        return record
    if record.outcome == "running":
        return record
    # a paused ticket may have used up its time before it paused (late while it waits)
    work = timedelta(seconds=int(target * rng.uniform(
        0.05, 1.3 if record.outcome == "paused" else 0.7)))
    t, used = t + work, used + int(work.total_seconds())
    tickets.change_status(session, ticket.id, "in_progress", by=None, now=t)
    if record.outcome == "paused" or rng.random() < 0.3:
        tickets.change_status(session, ticket.id, "waiting_member", by=None, note="等客户在家",
                              now=t)
        if record.outcome == "paused":
            record.used_when_paused = used
            return record
        t += timedelta(seconds=rng.randrange(600, 6 * 3600))  # the pause does not count
        tickets.change_status(session, ticket.id, "resume", by=None, now=t)
    work = timedelta(seconds=int(target * rng.uniform(0.05, 0.9)))
    t, used = t + work, used + int(work.total_seconds())
    tickets.change_status(session, ticket.id, "resolved", by=None, note="已修复", now=t)
    if rng.random() < 0.12:
        t += timedelta(seconds=rng.randrange(600, 7200))  # "not fixed": the clock counts on
        tickets.member_reopen(session, member.id, ticket.id, now=t)
        work = timedelta(seconds=rng.randrange(300, 3 * 3600))
        t, used = t + work, used + int(work.total_seconds())
        tickets.change_status(session, ticket.id, "resolved", by=None, note="再次修复", now=t)
        record.reopened = True
    record.fix_seconds = used
    if rng.random() < 0.6:
        record.rating = rng.choice((1, 2, 3, 4, 4, 5, 5, 5))
        tickets.rate_ticket(session, member.id, ticket.id, score=record.rating,
                            now=t + timedelta(minutes=30))
    if rng.random() < 0.4:
        tickets.change_status(session, ticket.id, "closed", by=None,
                              now=t + timedelta(days=1))
    return record
