"""The desk's forms (Flask-WTF: each carries a CSRF token). They only carry what was typed;
the services check it and name the field a message belongs to."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField

from valliance.i18n import _
from valliance.members.tiers import TIER_ORDER
from valliance.service_desk.clock import CLOCKS
from valliance.service_desk.labels import clock_name, kind_name
from valliance.service_desk.models import KINDS
from valliance.service_desk.services import level_grid, teams


class AssignForm(FlaskForm):
    team_id = SelectField(validate_choice=False)
    assignee_id = SelectField(validate_choice=False)
    note = TextAreaField()


class MoveForm(FlaskForm):
    """One move of the ticket (the form's prefix is the move): why, what was done, or nothing."""

    note = TextAreaField()


class NoteForm(FlaskForm):
    note = TextAreaField()
    visibility = RadioField(choices=["internal", "member"], default="internal",
                            validate_choice=False)


class FindForm(FlaskForm):
    """The caller's phone or card number (a GET search: no token)."""

    class Meta:
        csrf = False

    q = StringField()


class IntakeForm(FlaskForm):
    member_id = HiddenField()
    kind = SelectField(validate_choice=False)
    summary = TextAreaField()
    contact_phone = StringField()
    address = StringField()
    preferred_time = StringField()

    def fields_for_service(self) -> dict:
        return {"kind": self.kind.data or "", "summary": self.summary.data,
                "contact_phone": self.contact_phone.data, "address": self.address.data,
                "preferred_time": self.preferred_time.data}


class TeamForm(FlaskForm):
    name = StringField()
    lead_id = SelectField(validate_choice=False)


class LeadForm(FlaskForm):
    lead_id = SelectField(validate_choice=False)


class EngineerForm(FlaskForm):
    staff_id = SelectField(validate_choice=False)


class LevelsForm(FlaskForm):
    """Every kind × tier cell and each kind's clock (fields added below)."""

    def values(self) -> dict:
        return {name: field.data for name, field in self._fields.items()
                if name != "csrf_token"}


for _kind in KINDS:
    for _tier in level_grid.TIERS:
        setattr(LevelsForm, level_grid.level_field(_kind, _tier), StringField())
    setattr(LevelsForm, level_grid.clock_field(_kind), SelectField(validate_choice=False))


def kind_choices() -> list[tuple[str, str]]:
    return [(kind, kind_name(kind)) for kind in KINDS]


def clock_choices() -> list[tuple[str, str]]:
    return [(clock, clock_name(clock)) for clock in CLOCKS]


def people_choices(session, blank: str) -> list[tuple[str, str]]:
    """The engineers a select offers, after a blank choice."""
    return [("", blank)] + [(s.id, s.name) for s in teams.engineers(session)]


def team_select(session, blank: str) -> list[tuple[str, str]]:
    return [("", blank)] + teams.team_choices(session)


def tier_choices() -> list[str]:
    return list(TIER_ORDER)


def with_choices(form, session):
    """Fill a form's selects from the database (the page's own words)."""
    if hasattr(form, "team_id"):
        form.team_id.choices = team_select(session, _("不指定班组"))
    if hasattr(form, "assignee_id"):
        form.assignee_id.choices = people_choices(session, _("不指定工程师"))
    if hasattr(form, "lead_id"):
        form.lead_id.choices = people_choices(session, _("暂不指定"))
    if hasattr(form, "kind"):
        form.kind.choices = [("", _("请选择"))] + kind_choices()
    return form
