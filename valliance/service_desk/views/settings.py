"""The desk's configuration: teams (a lead, engineers one team each) and service levels (kind ×
tier → time, the clock each kind runs on). Every change is audited by its service."""

from flask import current_app, flash, redirect, render_template, url_for

from valliance.extensions import db
from valliance.i18n import bilingual
from valliance.members.tiers import TIER_ORDER
from valliance.service_desk.models import KINDS
from valliance.service_desk.services import level_grid, levels, teams
from valliance.service_desk.views import bp
from valliance.service_desk.views.forms import (
    EngineerForm,
    LeadForm,
    LevelsForm,
    TeamForm,
    clock_choices,
    with_choices,
)
from valliance.staff.auth import current_staff
from valliance.staff.roles import SERVICE_DESK, role_required
from valliance.web.forms import ConfirmForm
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional


def _joinable(rows, team_id: str, engineers) -> list[tuple[str, str]]:
    """Who a team's "add" offers: engineers not in it, with the team they would leave."""
    team_of = {e.id: row.team for row in rows for e in row.engineers}
    return [(e.id, e.name if e.id not in team_of else f"{e.name}（{team_of[e.id].name}）")
            for e in engineers if e.id not in team_of or team_of[e.id].id != team_id]


def _teams_page(bound: dict | None = None):
    rows, engineers = teams.teams_page(db.session), teams.engineers(db.session)
    forms = {"new": with_choices(TeamForm(formdata=None, prefix="new"), db.session)}
    for row in rows:
        forms[f"lead-{row.team.id}"] = with_choices(LeadForm(
            formdata=None, prefix=f"lead-{row.team.id}", data={"lead_id": row.team.lead_id or ""}),
            db.session)
        add = EngineerForm(formdata=None, prefix=f"add-{row.team.id}")
        add.staff_id.choices = _joinable(rows, row.team.id, engineers)
        forms[f"add-{row.team.id}"] = add
    for name, form in (bound or {}).items():  # a bound form keeps the page's choices
        if name.startswith("add-"):
            form.staff_id.choices = forms[name].staff_id.choices if name in forms else []
        forms[name] = form
    return render_template("service_desk/teams.html", rows=rows, forms=forms,
                           confirm=ConfirmForm(formdata=None), engineers=engineers)


def _to_teams(message):
    flash(message, FLASH)
    return redirect(url_for("desk.teams"))


@bp.get("/teams", endpoint="teams")
@role_required(SERVICE_DESK)
def teams_page():
    """Every team with its lead and engineers, and the forms that change them."""
    return _teams_page()


@bp.post("/teams")
@role_required(SERVICE_DESK)
@transactional
def create_team():
    """A new team, with its lead when chosen."""
    form = with_choices(TeamForm(prefix="new"), db.session)
    page = on_error(form, lambda: _teams_page({"new": form}))
    if not form.validate_on_submit():
        return page()
    team = teams.create_team(db.session, name=form.name.data, lead_id=form.lead_id.data or None,
                             by=f"staff:{current_staff().id}")
    return _to_teams(bilingual("已新建班组：%(name)s", name=team.name))


@bp.post("/teams/<team_id>/lead")
@role_required(SERVICE_DESK)
@transactional
def set_team_lead(team_id: str):
    """Set or clear the team's lead (overdue tickets go to them)."""
    form = with_choices(LeadForm(prefix=f"lead-{team_id}"), db.session)
    page = on_error(form, lambda: _teams_page({f"lead-{team_id}": form}))
    if not form.validate_on_submit():
        return page()
    teams.set_lead(db.session, team_id, form.lead_id.data or None,
                   by=f"staff:{current_staff().id}")
    return _to_teams(bilingual("已更新班组长"))


@bp.post("/teams/<team_id>/engineers")
@role_required(SERVICE_DESK)
@transactional
def add_team_engineer(team_id: str):
    """Put an engineer in the team (out of their old team, if any)."""
    form = EngineerForm(prefix=f"add-{team_id}")
    page = on_error(form, lambda: _teams_page({f"add-{team_id}": form}))
    if not form.validate_on_submit():
        return page()
    teams.add_engineer(db.session, team_id, form.staff_id.data or None,
                       by=f"staff:{current_staff().id}")
    return _to_teams(bilingual("已加入班组"))


@bp.post("/teams/<team_id>/engineers/<staff_id>/remove")
@role_required(SERVICE_DESK)
@transactional
def remove_team_engineer(team_id: str, staff_id: str):
    """Take an engineer out of the team."""
    if not ConfirmForm().validate_on_submit():
        return _to_teams(bilingual("页面已过期，请重试"))
    teams.remove_engineer(db.session, team_id, staff_id, by=f"staff:{current_staff().id}")
    return _to_teams(bilingual("已移出班组"))


def _levels_page(form: LevelsForm | None = None):
    table = level_grid.grid(db.session)
    if form is None:
        form = LevelsForm(formdata=None, data={
            **table["values"], **{level_grid.clock_field(k): c
                                  for k, c in table["clocks"].items()}})
    for kind in KINDS:
        form[level_grid.clock_field(kind)].choices = clock_choices()
    config = current_app.config
    return render_template(
        "service_desk/levels.html", form=form, table=table, KINDS=KINDS,
        TIERS=(*TIER_ORDER, levels.EVERY_TIER), field=level_grid.level_field,
        clock_field=level_grid.clock_field, minutes_text=level_grid.minutes_text,
        hours=config["SERVICE_BUSINESS_HOURS"], days=levels.business_hours().weekdays)


@bp.get("/levels", endpoint="levels")
@role_required(SERVICE_DESK)
def levels_page():
    """The kind × tier grid and each kind's clock."""
    return _levels_page()


@bp.post("/levels")
@role_required(SERVICE_DESK)
@transactional
def save_levels():
    """Save what changed in the grid (tickets already open keep their level)."""
    form = LevelsForm()
    page = on_error(form, lambda: _levels_page(form))
    if not form.validate_on_submit():
        return page()
    changed = level_grid.save_grid(db.session, form.values(), by=f"staff:{current_staff().id}")
    flash(bilingual("已保存%(n)s项服务时限设置", n=changed) if changed
          else bilingual("没有改动"), FLASH)
    return redirect(url_for("desk.levels"))
