"""Account managers (issue #19): only gold and diamond members have one, only an active staff
user can be one, every change is audited; the back-office member page shows the manager and
the member's tickets; `flask desk manager` (contract §13 style)."""

import json

import pytest
from sqlalchemy import select

from tests.api.test_backoffice_members import PASSWORD, enrol, make_staff
from tests.api.test_merchant_apply import csrf_of
from tests.api.test_staff_pages import staff_log_in
from valliance.audit import AuditEvent, verify_chain
from valliance.errors import ValidationError
from valliance.extensions import db
from valliance.members.models import Member
from valliance.service_desk.models import AccountManager
from valliance.service_desk.services import managers, tickets
from valliance.staff import services as staff_services


def _manager(app, member_id: str) -> str | None:
    with app.app_context():
        row = db.session.get(AccountManager, member_id)
        return row.staff_id if row else None


def _audit(app, member_id: str) -> list[tuple[str, str]]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            select(AuditEvent.action, AuditEvent.actor).where(AuditEvent.subject == member_id)
            .where(AuditEvent.action.like("account_manager.%")).order_by(AuditEvent.id))]


@pytest.fixture
def wang(app):
    return make_staff(app, "wang", ("service_desk",))


@pytest.mark.parametrize("tier", ["gold", "diamond"])
def test_a_vip_member_gets_an_account_manager_and_it_is_audited(app, wang, tier):
    member = enrol(app, "13800138000", "张三", tier=tier)
    with app.app_context():
        managers.assign_manager(db.session, member["id"], wang, by="staff:someone")
        db.session.commit()
        assert verify_chain(db.session).ok
    assert _manager(app, member["id"]) == wang
    assert _audit(app, member["id"]) == [("account_manager.assign", "staff:someone")]


@pytest.mark.parametrize("tier", ["standard", "silver"])
def test_standard_and_silver_members_are_refused_a_manager(app, wang, tier):
    member = enrol(app, "13800138000", "张三", tier=tier)
    with app.app_context(), pytest.raises(ValidationError) as refused:
        managers.assign_manager(db.session, member["id"], wang, by="cli")
    assert "staff_id" in refused.value.details
    assert _manager(app, member["id"]) is None and _audit(app, member["id"]) == []


def test_an_inactive_or_unknown_staff_user_cannot_be_a_manager(app, wang):
    member = enrol(app, "13800138000", "张三", tier="gold")
    with app.app_context():
        staff_services.set_staff_active(db.session, "wang", False, actor="cli", reason="离职")
        db.session.commit()
        for staff_id in (wang, "stf_nobody", ""):
            with pytest.raises(ValidationError):
                managers.assign_manager(db.session, member["id"], staff_id, by="cli")
    assert _manager(app, member["id"]) is None


def test_changing_and_clearing_the_manager_are_audited(app, wang):
    member = enrol(app, "13800138000", "张三", tier="diamond")
    li = make_staff(app, "li", ("member_care",))
    with app.app_context():
        managers.assign_manager(db.session, member["id"], wang, by="cli")
        managers.assign_manager(db.session, member["id"], li, by="cli")
        assert managers.clear_manager(db.session, member["id"], by="cli") is True
        assert managers.clear_manager(db.session, member["id"], by="cli") is False
        db.session.commit()
    assert _manager(app, member["id"]) is None
    assert [a for a, _ in _audit(app, member["id"])] == [
        "account_manager.assign", "account_manager.assign", "account_manager.clear"]


# --- the back-office member page ---------------------------------------------------------


def _post_manager(client, member_id: str, **data):
    page = client.get(f"/staff/members/{member_id}").get_data(as_text=True)
    return client.post(f"/staff/members/{member_id}/manager",
                       data={"csrf_token": csrf_of(page), **data})


@pytest.mark.parametrize("role", ["member_care", "service_desk"])
def test_member_care_and_the_desk_set_and_clear_the_manager_on_the_member_page(app, client,
                                                                              wang, role):
    make_staff(app, "clerk", (role,))
    staff_log_in(client, "clerk", PASSWORD)
    member = enrol(app, "13800138000", "张三", tier="gold")
    answer = _post_manager(client, member["id"], staff_id=wang)
    assert answer.status_code == 302 and _manager(app, member["id"]) == wang
    html = client.get(f"/staff/members/{member['id']}").get_data(as_text=True)
    assert 'id="account-manager"><strong>wang</strong>' in html and "设置专属客户经理" in html
    assert _post_manager(client, member["id"], clear="1").status_code == 302
    assert _manager(app, member["id"]) is None
    assert [a for a, _ in _audit(app, member["id"])] == [
        "account_manager.assign", "account_manager.clear"]


def test_the_member_page_refuses_a_manager_for_a_silver_member_by_the_field(app, client, wang):
    make_staff(app, "clerk", ("member_care",))
    staff_log_in(client, "clerk", PASSWORD)
    member = enrol(app, "13800138000", "张三", tier="silver")
    html = client.get(f"/staff/members/{member['id']}").get_data(as_text=True)
    assert "只有金卡和钻石卡会员配有专属客户经理" in html and 'name="staff_id"' not in html
    answer = _post_manager(client, member["id"], staff_id=wang)
    assert answer.status_code == 200 and _manager(app, member["id"]) is None
    assert "只有金卡和钻石卡会员配有专属客户经理" in answer.get_data(as_text=True)


def test_a_manager_change_without_the_csrf_token_or_the_role_is_refused(app, client, wang):
    member = enrol(app, "13800138000", "张三", tier="gold")
    make_staff(app, "money", ("finance",))
    staff_log_in(client, "money", PASSWORD)
    assert client.post(f"/staff/members/{member['id']}/manager",
                       data={"staff_id": wang}).status_code == 400
    token = csrf_of(client.get("/staff/").get_data(as_text=True))
    assert client.post(f"/staff/members/{member['id']}/manager",
                       data={"staff_id": wang, "csrf_token": token}).status_code == 403
    assert _manager(app, member["id"]) is None


def test_the_desk_sees_the_member_page_without_member_cares_actions(app, client):
    make_staff(app, "desk", ("service_desk",))
    staff_log_in(client, "desk", PASSWORD)
    member = enrol(app, "13800138000", "张三", tier="gold")
    html = client.get(f"/staff/members/{member['id']}").get_data(as_text=True)
    assert 'id="desk"' in html and 'id="member-actions"' not in html


def test_the_member_page_lists_the_members_recent_tickets(app, client):
    make_staff(app, "clerk", ("member_care",))
    staff_log_in(client, "clerk", PASSWORD)
    member = enrol(app, "13800138000", "张三", tier="gold")
    html = client.get(f"/staff/members/{member['id']}").get_data(as_text=True)
    assert "没有工单。" in html
    with app.app_context():
        opened = tickets.open_ticket(db.session, db.session.get(Member, member["id"]),
                                     kind="move", summary="搬家移机",
                                     contact_phone="13800138000")
        db.session.commit()
        ticket_id, number = opened.id, opened.number
    html = client.get(f"/staff/members/{member['id']}").get_data(as_text=True)
    assert number in html and "移机" in html and "待受理" in html  # the desk's word for open
    assert f'/staff/desk/tickets/{ticket_id}"' not in html  # member care: no desk page
    make_staff(app, "desk", ("service_desk",))
    desk = app.test_client()
    staff_log_in(desk, "desk", PASSWORD)
    html = desk.get(f"/staff/members/{member['id']}").get_data(as_text=True)
    assert f'href="/staff/desk/tickets/{ticket_id}"' in html


# --- flask desk manager ------------------------------------------------------------------


def test_the_cli_makes_a_staff_user_a_vip_members_manager(app, wang):
    member = enrol(app, "13800138000", "张三", tier="diamond")
    result = app.test_cli_runner().invoke(args=[
        "desk", "manager", "--phone", "13800138000", "--username", "wang", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"member_id": member["id"], "staff_id": wang}
    assert _audit(app, member["id"]) == [("account_manager.assign", "cli")]


@pytest.mark.parametrize("phone, username, tier, error", [
    ("13800138000", "wang", "standard", "validation_error"),
    ("13900139000", "wang", "gold", "not_found"),
    ("13800138000", "nobody", "gold", "not_found"),
])
def test_the_cli_refuses_in_json_and_exits_non_zero(app, wang, phone, username, tier, error):
    member = enrol(app, "13800138000", "张三", tier=tier)
    result = app.test_cli_runner().invoke(args=[
        "desk", "manager", "--phone", phone, "--username", username, "--json"])
    assert result.exit_code != 0
    answer = json.loads(result.stdout)
    assert answer["error"] == error and answer["message"]
    assert _manager(app, member["id"]) is None
