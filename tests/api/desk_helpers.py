"""What the desk page tests share: staff users signed in, members, tickets opened at a moment."""

import itertools
from datetime import datetime, timedelta

from sqlalchemy import func, select

from tests.api.test_backoffice_roles import signed_in
from tests.api.test_portal import enroll
from valliance.audit import AuditEvent
from valliance.db import utcnow
from valliance.extensions import db
from valliance.members.models import Member
from valliance.service_desk.models import Ticket
from valliance.service_desk.services import tickets
from valliance.staff import services as staff_services

PASSWORD = "desk-pass-2026"
DESK = "/staff/desk"


def staff_user(app, username: str, roles=("service_desk",), name: str | None = None) -> str:
    with app.app_context():
        staff = staff_services.create_staff_user(db.session, username=username,
                                                 name=name or f"员工{username}",
                                                 password=PASSWORD, roles=roles)
        db.session.commit()
        return staff.id


def staff_client(app, username: str):
    return signed_in(app, "/staff/login", {"username": username, "password": PASSWORD})


def desk_client(app, username: str = "desk", name: str = "客服小林"):
    """A signed-in service_desk user: (client, staff id)."""
    staff_id = staff_user(app, username, name=name)
    return staff_client(app, username), staff_id


def member_of(app, phone: str, tier: str = "standard", name: str = "张三") -> dict:
    return enroll(app, phone=phone, name=name, tier=tier)


_REPORTS = itertools.count(1)


def open_ticket(app, member_id: str, *, kind: str = "fault", ago=timedelta(0),
                summary: str | None = None, now: datetime | None = None) -> str:
    """Open a ticket `ago` before now (or at `now`); its id. Each has its own words unless
    given (the same report twice within ten minutes is one ticket)."""
    if summary is None:
        summary = f"宽带断网（第{next(_REPORTS)}次报修）"
    with app.app_context():
        member = db.session.get(Member, member_id)
        ticket = tickets.open_ticket(db.session, member, kind=kind, summary=summary,
                                     contact_phone=member.phone, now=now or utcnow() - ago)
        db.session.commit()
        return ticket.id


def ticket(app, ticket_id: str) -> Ticket:
    with app.app_context():
        found = db.session.get(Ticket, ticket_id)
        db.session.expunge_all()
        db.session.remove()
    return found


def audit_actions(app, prefix: str) -> list[str]:
    with app.app_context():
        rows = list(db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like(f"{prefix}%")).order_by(AuditEvent.seq)))
        db.session.remove()
    return rows


def count(app, model, *where) -> int:
    with app.app_context():
        found = db.session.scalar(select(func.count()).select_from(model).where(*where))
        db.session.remove()
    return found
