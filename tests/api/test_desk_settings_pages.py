"""The desk's configuration pages: teams (unique names, a lead, engineers one team each) and
service levels (the kind × tier grid, each kind's clock); every change audited."""

import re
from datetime import timedelta

import pytest

from tests.api.desk_helpers import (
    DESK,
    audit_actions,
    count,
    desk_client,
    member_of,
    open_ticket,
    staff_user,
    ticket,
)
from tests.api.test_merchant_apply import csrf_of
from tests.sms import record_sms
from valliance.extensions import db
from valliance.service_desk.models import ServiceLevel, ServiceTeam, ServiceTeamMember
from valliance.service_desk.services import level_grid, levels


@pytest.fixture(autouse=True)
def sms(app, monkeypatch):
    return record_sms(app, monkeypatch)


def _post(client, path: str, data: dict, page: str):
    token = csrf_of(client.get(DESK + page).get_data(as_text=True))
    return client.post(DESK + path, data={**data, "csrf_token": token})


def _team_id(app, name: str) -> str:
    with app.app_context():
        from sqlalchemy import select
        found = db.session.scalar(select(ServiceTeam.id).where(ServiceTeam.name == name))
        db.session.remove()
    return found


def test_the_teams_page_creates_a_team_sets_its_lead_and_moves_engineers_audited(app):
    client, desk_id = desk_client(app)
    engineer = staff_user(app, "eng", name="工程师老周")
    made = _post(client, "/teams", {"new-name": "装维一组", "new-lead_id": desk_id}, "/teams")
    assert made.status_code == 302
    first = _team_id(app, "装维一组")
    _post(client, "/teams", {"new-name": "政企支撑", "new-lead_id": ""}, "/teams")
    second = _team_id(app, "政企支撑")
    assert _post(client, f"/teams/{second}/lead", {f"lead-{second}-lead_id": engineer},
                 "/teams").status_code == 302
    _post(client, f"/teams/{first}/engineers", {f"add-{first}-staff_id": engineer}, "/teams")
    _post(client, f"/teams/{second}/engineers", {f"add-{second}-staff_id": engineer}, "/teams")
    with app.app_context():
        assert db.session.get(ServiceTeamMember, engineer).team_id == second  # one team each
        assert db.session.get(ServiceTeam, second).lead_id == engineer
        assert db.session.get(ServiceTeam, first).lead_id == desk_id
        db.session.remove()
    html = client.get(DESK + "/teams").get_data(as_text=True)
    assert re.search(r'data-team="政企支撑">.*?工程师老周.*?</section>', html, re.S)
    _post(client, f"/teams/{second}/engineers/{engineer}/remove", {}, "/teams")
    assert count(app, ServiceTeamMember) == 0
    assert audit_actions(app, "service_team.") == [
        "service_team.create", "service_team.create", "service_team.lead", "service_team.add",
        "service_team.add", "service_team.remove"]


def test_a_team_name_is_unique_and_required(app):
    client, _ = desk_client(app)
    _post(client, "/teams", {"new-name": "装维一组"}, "/teams")
    again = _post(client, "/teams", {"new-name": "装维一组"}, "/teams")
    assert again.status_code == 200
    assert re.search(r'id="new-name-error">已有同名班组', again.get_data(as_text=True))
    blank = _post(client, "/teams", {"new-name": " "}, "/teams")
    assert 'id="new-name-error"' in blank.get_data(as_text=True)
    assert count(app, ServiceTeam) == 1


def test_only_an_active_desk_user_may_lead_or_join_a_team(app):
    client, _ = desk_client(app)
    marketer = staff_user(app, "mkt", roles=("marketing",))
    _post(client, "/teams", {"new-name": "装维一组"}, "/teams")
    team = _team_id(app, "装维一组")
    refused = _post(client, f"/teams/{team}/engineers", {f"add-{team}-staff_id": marketer},
                    "/teams")
    assert "请选择一位客服工单岗位的在职员工" in refused.get_data(as_text=True)
    assert count(app, ServiceTeamMember) == 0


def test_the_levels_page_shows_the_defaults_and_the_business_hours(app):
    client, _ = desk_client(app)
    html = client.get(DESK + "/levels").get_data(as_text=True)
    assert "已开的工单保持开单时的时限" in html
    assert app.config["SERVICE_BUSINESS_HOURS"] in html and "周一" in html
    assert 'placeholder="5:00"' in html and 'placeholder="24:00"' in html


def _grid(**changes) -> dict:
    values = {level_grid.level_field(k, t): "" for k in level_grid.KINDS
              for t in level_grid.TIERS}
    values.update({level_grid.clock_field(k): "24x7" for k in level_grid.KINDS})
    values.update(changes)
    return values


def test_a_level_set_for_diamond_faults_gives_a_new_diamond_fault_a_two_hour_due(app):
    client, _ = desk_client(app)
    diamond = member_of(app, "13800138001", tier="diamond")
    gold = member_of(app, "13800138002", tier="gold")
    before = open_ticket(app, diamond["id"])
    saved = _post(client, "/levels", _grid(level_fault_diamond="2:00"), "/levels")
    assert saved.status_code == 302
    assert "已保存1项服务时限设置" in client.get(saved.headers["Location"]).get_data(
        as_text=True)
    after, other = open_ticket(app, diamond["id"]), open_ticket(app, gold["id"])
    due = {key: ticket(app, key) for key in (before, after, other)}
    assert due[after].due_at - due[after].created_at == timedelta(hours=2)
    assert due[other].due_at - due[other].created_at == timedelta(hours=5)
    assert due[before].target_minutes == 300  # an open ticket keeps its level
    assert audit_actions(app, "service_level.") == ["service_level.set"]


@pytest.mark.parametrize("typed, minutes", [
    ("2:30", 150), ("90", 90), ("2小时", 120), ("2小时30分", 150), ("1h", 60), ("45分钟", 45),
    ("２：３０", 150),
])
def test_levels_are_read_in_hours_and_minutes_or_minutes(typed, minutes):
    assert level_grid.parse_minutes(typed) == minutes


def test_every_tier_clocks_and_clearing_go_through_the_grid_audited(app):
    client, _ = desk_client(app)
    _post(client, "/levels", _grid(level_install_all="48:00", clock_install="business"),
          "/levels")
    with app.app_context():
        assert levels.target_minutes(db.session, "install", "silver") == 48 * 60
        assert levels.clock_of(db.session, "install") == "business"
        db.session.remove()
    html = client.get(DESK + "/levels").get_data(as_text=True)
    assert 'value="48:00"' in html
    _post(client, "/levels", _grid(clock_install="business"), "/levels")  # cleared
    assert count(app, ServiceLevel) == 0
    assert audit_actions(app, "service_") == ["service_level.set", "service_clock.set",
                                              "service_level.set"]


@pytest.mark.parametrize("typed, message", [("soon", "小时:分钟"), ("0", "1分钟到30天"),
                                            ("999:00", "1分钟到30天")])
def test_an_unreadable_level_is_shown_beside_its_cell_and_nothing_is_saved(app, typed,
                                                                         message):
    client, _ = desk_client(app)
    answer = _post(client, "/levels", _grid(level_fault_gold=typed, level_fault_diamond="2:00"),
                   "/levels")
    assert answer.status_code == 200
    assert re.search(rf'id="level_fault_gold-error">[^<]*{message}',
                     answer.get_data(as_text=True))
    assert count(app, ServiceLevel) == 0 and audit_actions(app, "service_") == []
