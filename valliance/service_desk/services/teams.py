"""The desk's teams: creating one, its lead, and its engineers (one team each); audited.

An engineer is an active staff user holding the service_desk role (or admin): the only people
a ticket may be assigned to, a team's lead included.
"""

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from valliance import audit
from valliance.errors import NotFound, ValidationError
from valliance.i18n import bilingual
from valliance.ids import new_id
from valliance.service_desk.models import ServiceTeam, ServiceTeamMember
from valliance.staff.models import StaffUser
from valliance.staff.roles import SERVICE_DESK, has_role

NAME_MAX = 50


@dataclass
class TeamRow:
    team: ServiceTeam
    lead_name: str | None
    engineers: list[StaffUser] = field(default_factory=list)


def _invalid(name: str, message: str) -> ValidationError:
    return ValidationError(details={name: [message]})


def engineers(session: Session) -> list[StaffUser]:
    """The staff users a ticket may go to, by name."""
    rows = session.scalars(select(StaffUser).where(StaffUser.active.is_(True))
                           .order_by(StaffUser.name, StaffUser.id))
    return [staff for staff in rows if has_role(staff, SERVICE_DESK)]


def _engineer(session: Session, staff_id: str | None, field_name: str) -> StaffUser:
    staff = session.get(StaffUser, staff_id) if staff_id else None
    if staff is None or not staff.active or not has_role(staff, SERVICE_DESK):
        raise _invalid(field_name, bilingual("请选择一位客服工单岗位的在职员工"))
    return staff


def get_team(session: Session, team_id: str | None) -> ServiceTeam:
    team = session.get(ServiceTeam, team_id) if team_id else None
    if team is None:
        raise NotFound(bilingual("没有这个班组"))
    return team


def check_assignment(session: Session, team_id: str | None, assignee_id: str | None) -> None:
    """Refuse a team that does not exist or an assignee who is not an engineer."""
    if team_id and session.get(ServiceTeam, team_id) is None:
        raise _invalid("team_id", bilingual("没有这个班组"))
    if assignee_id:
        _engineer(session, assignee_id, "assignee_id")


def team_of(session: Session, staff_id: str) -> str | None:
    """The team the engineer belongs to, if any."""
    return session.scalar(select(ServiceTeamMember.team_id)
                          .where(ServiceTeamMember.staff_id == staff_id))


def create_team(session: Session, *, name, lead_id: str | None, by: str) -> ServiceTeam:
    """A new team (its name unique), with a lead when given; audited."""
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > NAME_MAX:
        raise _invalid("name", bilingual("请填写班组名称（最多%(n)s字）", n=NAME_MAX))
    taken = session.scalar(select(ServiceTeam.id).where(func.lower(ServiceTeam.name)
                                                        == name.lower()))
    if taken is not None:
        raise _invalid("name", bilingual("已有同名班组"))
    lead = _engineer(session, lead_id, "lead_id") if lead_id else None
    team = ServiceTeam(id=new_id("team"), name=name, lead_id=lead and lead.id)
    session.add(team)
    session.flush()
    audit.record_event(session, actor=by, action="service_team.create", subject=team.id,
                       name=name, lead=lead and lead.id)
    return team


def set_lead(session: Session, team_id: str, lead_id: str | None, *, by: str) -> ServiceTeam:
    """Set (or with None clear) a team's lead, to whom its overdue tickets go; audited."""
    team = get_team(session, team_id)
    lead = _engineer(session, lead_id, "lead_id") if lead_id else None
    team.lead_id = lead and lead.id
    session.flush()
    audit.record_event(session, actor=by, action="service_team.lead", subject=team.id,
                       lead=team.lead_id)
    return team


def add_engineer(session: Session, team_id: str, staff_id: str | None, *, by: str) -> str | None:
    """Put an engineer in the team (moving them from their team, if any); audited. The team
    they left, if any."""
    team = get_team(session, team_id)
    staff = _engineer(session, staff_id, "staff_id")
    row = session.get(ServiceTeamMember, staff.id)
    left = row.team_id if row is not None else None
    if left == team.id:
        raise _invalid("staff_id", bilingual("已在这个班组"))
    if row is None:
        session.add(ServiceTeamMember(staff_id=staff.id, team_id=team.id))
    else:
        row.team_id = team.id
    session.flush()
    audit.record_event(session, actor=by, action="service_team.add", subject=team.id,
                       staff=staff.id, moved_from=left)
    return left


def remove_engineer(session: Session, team_id: str, staff_id: str, *, by: str) -> None:
    """Take an engineer out of the team; audited (their tickets stay assigned to them)."""
    team = get_team(session, team_id)
    row = session.get(ServiceTeamMember, staff_id)
    if row is None or row.team_id != team.id:
        raise NotFound(bilingual("这位员工不在这个班组"))
    session.delete(row)
    session.flush()
    audit.record_event(session, actor=by, action="service_team.remove", subject=team.id,
                       staff=staff_id)


def teams_page(session: Session) -> list[TeamRow]:
    """Every team by name, with its lead's name and its engineers."""
    staff = {s.id: s for s in session.scalars(select(StaffUser))}
    rows = {team.id: TeamRow(team, staff[team.lead_id].name if team.lead_id in staff else None)
            for team in session.scalars(select(ServiceTeam).order_by(ServiceTeam.name))}
    for member in session.scalars(select(ServiceTeamMember)):
        if member.team_id in rows and member.staff_id in staff:
            rows[member.team_id].engineers.append(staff[member.staff_id])
    for row in rows.values():
        row.engineers.sort(key=lambda s: (s.name, s.id))
    return list(rows.values())


def team_choices(session: Session) -> list[tuple[str, str]]:
    """(id, name) of every team, by name (filters and the assign form)."""
    return [tuple(row) for row in session.execute(
        select(ServiceTeam.id, ServiceTeam.name).order_by(ServiceTeam.name))]
