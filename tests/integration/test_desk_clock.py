"""A ticket's clock on a frozen clock (Asia/Shanghai; 2026-12-07 is a Monday): pauses stand
it still, business hours count only themselves, a reopen runs on from where the resolution
stopped it, and an overdue ticket is escalated in the minute it falls due — once."""


import pytest
from sqlalchemy import func, select

from tests.integration import desk_world
from tests.integration.desk_world import at
from valliance.errors import ValidationError
from valliance.extensions import db
from valliance.messaging import OutboxMessage
from valliance.service_desk.models import Ticket, TicketEvent
from valliance.service_desk.services import escalation, levels, teams, tickets
from valliance.staff import services as staff_services

member, engineer = desk_world.member, desk_world.engineer  # the shared fixtures


def fault(session, member, when: str, kind: str = "fault", summary: str = "宽带断网") -> Ticket:
    ticket = tickets.open_ticket(session, member, kind=kind, summary=summary,
                                 contact_phone="13800138000", now=at(when))
    session.commit()
    return ticket


def move(session, ticket, status, when, by=None, note=None):
    tickets.change_status(session, ticket.id, status, by=by, note=note, now=at(when))
    session.commit()


def test_waiting_for_the_member_stands_the_clock_still(session, member, engineer):
    ticket = fault(session, member, "2026-12-07T10:00")
    assert ticket.due_at == at("2026-12-07T15:00")
    move(session, ticket, "in_progress", "2026-12-07T10:30", engineer)
    move(session, ticket, "waiting_member", "2026-12-07T11:00", engineer, "请确认上门时间")
    assert ticket.running_since is None and ticket.used_seconds == 3600
    assert ticket.waiting_reason == "请确认上门时间"
    move(session, ticket, "resume", "2026-12-07T13:00", engineer)
    assert ticket.status == "in_progress" and ticket.due_at == at("2026-12-07T17:00")
    move(session, ticket, "resolved", "2026-12-07T16:00", engineer, "更换光猫")
    assert ticket.fix_seconds == 4 * 3600 and ticket.within_target is True


def test_a_pause_returns_the_ticket_to_the_status_it_had(session, member, engineer):
    ticket = fault(session, member, "2026-12-07T10:00")
    move(session, ticket, "waiting_member", "2026-12-07T10:10", engineer, "请提供光猫型号")
    move(session, ticket, "resume", "2026-12-07T10:20", engineer)
    assert ticket.status == "open" and ticket.resume_status is None


def test_a_kind_on_business_hours_counts_only_them(session, member):
    levels.set_clock(session, "install", "business", by="admin")
    session.commit()
    ticket = fault(session, member, "2026-12-11T16:00", kind="install")  # a Friday
    assert ticket.clock == "business" and ticket.target_minutes == 24 * 60
    assert ticket.due_at == at("2026-12-16T13:00")  # 2 h Fri, 9 Mon, 9 Tue, 4 Wed
    ticket = fault(session, member, "2026-12-11T16:00")  # faults stay 24×7
    assert ticket.due_at == at("2026-12-11T21:00")


def test_not_fixed_runs_the_clock_on_from_the_resolution(session, member, engineer):
    ticket = fault(session, member, "2026-12-07T10:00")
    move(session, ticket, "resolved", "2026-12-07T12:00", engineer, "重启光猫")
    tickets.member_reopen(session, member.id, ticket.id, note="又断了",
                          now=at("2026-12-07T20:00"))
    session.commit()
    assert ticket.status == "in_progress" and ticket.reopen_count == 1
    assert ticket.due_at == at("2026-12-07T23:00")  # 3 hours were left
    move(session, ticket, "resolved", "2026-12-07T22:30", engineer, "更换光猫")
    assert ticket.fix_seconds == int(4.5 * 3600) and ticket.within_target is True  # 2 h + 2.5 h


def test_a_late_resolution_is_recorded_late_and_its_reopen_is_overdue_at_once(
        session, member, engineer):
    ticket = fault(session, member, "2026-12-07T10:00")
    move(session, ticket, "resolved", "2026-12-07T16:00", engineer, "更换光猫")
    assert ticket.within_target is False and ticket.fix_seconds == 6 * 3600
    tickets.member_reopen(session, member.id, ticket.id, now=at("2026-12-07T18:00"))
    session.commit()
    assert ticket.due_at == at("2026-12-07T15:00")  # the moment it fell due, kept
    assert escalation.escalate_overdue(session, now=at("2026-12-07T18:01")) == 1


def test_an_overdue_ticket_is_escalated_in_the_minute_it_falls_due_and_once(
        session, member, engineer):
    staff_services.create_staff_user(session, username="lead", name="李组长",
                                     password="staff-pass-2026", roles=("service_desk",))
    lead = session.scalar(select(staff_services.StaffUser).where(
        staff_services.StaffUser.username == "lead"))
    lead.phone = "13700137000"
    team = teams.create_team(session, name="装维一组", lead_id=lead.id, by="test")
    session.commit()
    ticket = fault(session, member, "2026-12-07T10:00")
    tickets.assign_ticket(session, ticket.id, by=engineer, team_id=team.id, assignee_id=engineer,
                          now=at("2026-12-07T10:05"))
    session.commit()
    assert escalation.escalate_overdue(session, now=at("2026-12-07T14:59:59")) == 0
    assert escalation.escalate_overdue(session, now=at("2026-12-07T15:00")) == 1
    session.commit()
    assert escalation.escalate_overdue(session, now=at("2026-12-07T15:01")) == 0
    assert ticket.escalated_at == at("2026-12-07T15:00")
    events = session.scalars(select(TicketEvent).where(TicketEvent.action == "escalated")).all()
    assert len(events) == 1 and events[0].visibility == "internal"
    assert "李组长" in events[0].note
    to_lead = session.scalars(select(OutboxMessage.body).where(
        OutboxMessage.recipient == "13700137000")).all()
    assert len(to_lead) == 1 and ticket.number in to_lead[0]


def test_a_paused_or_resolved_ticket_is_not_escalated(session, member, engineer):
    paused = fault(session, member, "2026-12-07T10:00")
    move(session, paused, "waiting_member", "2026-12-07T11:00", engineer, "等待用户在家")
    done = fault(session, member, "2026-12-07T10:00", summary="电视没有信号")
    move(session, done, "resolved", "2026-12-07T11:00", engineer, "已修复")
    assert escalation.escalate_overdue(session, now=at("2026-12-08T10:00")) == 0


def test_closing_an_unresolved_ticket_needs_a_reason_and_counts_no_fix(session, member,
                                                                      engineer):
    ticket = fault(session, member, "2026-12-07T10:00")
    with pytest.raises(ValidationError):
        move(session, ticket, "closed", "2026-12-07T10:30", engineer)
    session.rollback()
    move(session, ticket, "closed", "2026-12-07T10:30", engineer, "重复报修")
    assert ticket.closed_at is not None and ticket.resolved_at is None
    assert ticket.fix_seconds is None


def test_moves_outside_the_status_machine_are_refused(session, member, engineer):
    ticket = fault(session, member, "2026-12-07T10:00")
    for status in ("resume", "open", "bogus"):
        with pytest.raises(ValidationError):
            move(session, ticket, status, "2026-12-07T10:30", engineer)
        session.rollback()
    move(session, ticket, "resolved", "2026-12-07T11:00", engineer, "已修复")
    move(session, ticket, "closed", "2026-12-07T12:00", engineer)
    with pytest.raises(ValidationError):
        move(session, ticket, "in_progress", "2026-12-07T13:00", engineer)


def test_resolved_tickets_close_themselves_after_a_week(session, member, engineer):
    ticket = fault(session, member, "2026-12-01T10:00")
    move(session, ticket, "resolved", "2026-12-01T11:00", engineer, "已修复")
    assert tickets.close_resolved(session, now=at("2026-12-08T10:59")) == 0
    assert tickets.close_resolved(session, now=at("2026-12-08T11:01")) == 1
    session.commit()
    assert ticket.status == "closed"


@pytest.mark.postgres_only
def test_two_escalation_jobs_at_once_escalate_a_ticket_once(app, session, member, run_threads):
    made = [fault(session, member, "2026-12-07T10:00", summary=f"断网{i}").id for i in range(20)]

    def job(i):
        count = escalation.escalate_overdue(db.session, now=at("2026-12-07T15:00"))
        db.session.commit()
        return count

    assert sum(run_threads(4, job)) == 20
    assert session.scalar(select(func.count()).select_from(TicketEvent).where(
        TicketEvent.action == "escalated", TicketEvent.ticket_id.in_(made))) == 20


def test_a_ticket_reopened_past_its_level_goes_to_the_lead_again(session, member, engineer):
    ticket = fault(session, member, "2026-12-07T10:00")
    assert escalation.escalate_overdue(session, now=at("2026-12-07T15:00")) == 1
    move(session, ticket, "resolved", "2026-12-07T16:00", engineer, "更换光猫")
    tickets.member_reopen(session, member.id, ticket.id, now=at("2026-12-07T18:00"))
    session.commit()
    assert escalation.escalate_overdue(session, now=at("2026-12-07T18:01")) == 1


def test_paused_tickets_queue_by_the_time_their_level_leaves_them(session, member, engineer):
    from valliance.service_desk.services.queue import QueueFilters, queue_page

    early = fault(session, member, "2026-12-07T10:00", summary="电视没信号")  # 1 h left
    move(session, early, "waiting_member", "2026-12-07T14:00", engineer, "等用户在家")
    late = fault(session, member, "2026-12-07T11:00", summary="固话无声")  # 30 min left
    move(session, late, "waiting_member", "2026-12-07T15:30", engineer, "等用户在家")
    page = queue_page(session, QueueFilters(status="waiting_member"),
                      now=at("2026-12-07T16:00"))
    assert [row.ticket.id for row in page.rows] == [late.id, early.id]
