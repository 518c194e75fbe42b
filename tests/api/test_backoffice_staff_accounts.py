"""The staff accounts pages (admin): the list, creating an account (a password set or made
and shown once), roles, disabling and enabling, a new password — each with its reason in the
audit log under the admin's name — and the last active admin kept."""

import re

import pytest
from sqlalchemy import select

from tests.api.test_merchant_apply import csrf_of, post_form
from valliance.audit import AuditEvent, verify_chain
from valliance.extensions import db
from valliance.staff import services as staff_services
from valliance.staff.models import StaffUser

PASSWORD = "secret123"
URL = "/staff/accounts"


def make(app, username, name, roles, active=True) -> str:
    with app.app_context():
        staff = staff_services.create_staff_user(db.session, username=username, name=name,
                                                 password=PASSWORD, roles=roles)
        staff.active = active
        db.session.commit()
        staff_id = staff.id
        db.session.remove()
    return staff_id


def log_in(client, username):
    return post_form(client, "/staff/login", {"username": username, "password": PASSWORD})


def row(app, staff_id) -> StaffUser:
    with app.app_context():
        staff = db.session.get(StaffUser, staff_id)
        db.session.expunge(staff)
        db.session.remove()
    return staff


def events(app, action) -> list[AuditEvent]:
    with app.app_context():
        found = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.seq)).all()
        for event in found:
            db.session.expunge(event)
        db.session.remove()
    return found


@pytest.fixture
def admin(app, client):
    staff_id = make(app, "boss", "管理员老周", ("admin",))
    assert log_in(client, "boss").status_code == 302
    return staff_id


def account_post(client, staff_id, what, data):
    return post_form(client, f"{URL}/{staff_id}/{what}", data, page=f"{URL}/{staff_id}")


def test_the_list_shows_names_usernames_roles_state_and_last_sign_in(app, client, admin):
    make(app, "lin", "客服小林", ("member_care", "service_desk"), active=False)
    html = client.get(URL).get_data(as_text=True)
    assert "管理员老周" in html and "boss" in html
    assert "客服小林" in html and "会员服务、客服工单" in html
    assert "已停用" in html and "从未登录" in html
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", html)  # the admin signed in just now


def test_create_with_a_password_of_the_admins(app, client, admin):
    response = post_form(client, URL, {"username": "Cai.Wen", "name": "财务蔡文",
                                       "roles": ["finance", "marketing"], "password": "abc12345",
                                       "reason": "新入职"})
    assert response.status_code == 302
    created = staff_services.find_staff
    with app.app_context():
        staff = created(db.session, "cai.wen")
        assert staff.role_list == ("finance", "marketing")
        db.session.remove()
    event = events(app, "staff.create")[-1]
    assert (event.actor, event.reason) == (f"staff:{admin}", "新入职")
    other = app.test_client()
    assert post_form(other, "/staff/login", {"username": "cai.wen", "password": "abc12345"}
                     ).status_code == 302


def test_create_with_a_made_password_shown_once(app, client, admin):
    response = post_form(client, URL, {"username": "zhou", "name": "周敏",
                                       "roles": ["member_care"]})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = re.search(r'id="once-password">([^<]+)<', response.get_data(as_text=True)).group(1)
    assert len(password) == 12
    assert post_form(app.test_client(), "/staff/login",
                     {"username": "zhou", "password": password}).status_code == 302
    assert password not in client.get(URL).get_data(as_text=True)
    assert password not in events(app, "staff.create")[-1].detail


@pytest.mark.parametrize("fields, message", [
    ({"username": "x y", "name": "某人", "roles": ["finance"]}, "用户名为2–40位"),
    ({"username": "boss", "name": "某人", "roles": ["finance"]}, "用户名已存在"),
    ({"username": "someone", "name": "某人"}, "请至少选择一个角色"),
    ({"username": "someone", "name": "某人", "roles": ["finance"], "password": "short"},
     "密码至少8位"),
])
def test_create_refusals_stay_on_the_form(app, client, admin, fields, message):
    response = post_form(client, URL, fields)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_change_roles_needs_a_reason_and_is_audited(app, client, admin):
    lin = make(app, "lin", "客服小林", ("member_care",))
    refused = account_post(client, lin, "roles", {"roles": ["finance"], "reason": ""})
    assert refused.status_code == 200 and row(app, lin).role_list == ("member_care",)
    done = account_post(client, lin, "roles", {"roles": ["member_care", "finance"],
                                               "reason": "兼任财务"})
    assert done.status_code == 302
    assert row(app, lin).role_list == ("member_care", "finance")
    event = events(app, "staff.roles")[-1]
    assert (event.actor, event.subject, event.reason) == (f"staff:{admin}", lin, "兼任财务")
    assert event.details["before"] == ["member_care"]
    page = client.get(f"{URL}/{lin}").get_data(as_text=True)
    assert "兼任财务" in page and "修改员工角色" in page  # the account's own trail


def test_the_last_active_admin_keeps_the_role(app, client, admin):
    response = account_post(client, admin, "roles", {"roles": ["finance"], "reason": "试试"})
    assert response.status_code == 200
    assert "唯一在职的管理员" in response.get_data(as_text=True)
    assert row(app, admin).role_list == ("admin",)
    response = account_post(client, admin, "disable", {"reason": "离职"})
    assert "唯一在职的管理员" in response.get_data(as_text=True)
    assert row(app, admin).active
    make(app, "old", "前管理员", ("admin",), active=False)  # a disabled admin does not count
    assert "唯一在职的管理员" in account_post(
        client, admin, "disable", {"reason": "离职"}).get_data(as_text=True)


def test_with_another_admin_one_may_step_down(app, client, admin):
    make(app, "second", "第二位管理员", ("admin",))
    assert account_post(client, admin, "roles", {"roles": ["finance"],
                                                 "reason": "转岗"}).status_code == 302
    assert row(app, admin).role_list == ("finance",)
    assert client.get(URL).status_code == 403  # no longer an admin


def test_disable_ends_sessions_and_enable_restores(app, client, admin):
    lin = make(app, "lin", "客服小林", ("member_care",))
    theirs = app.test_client()
    assert log_in(theirs, "lin").status_code == 302
    assert theirs.get("/staff/").status_code == 200
    assert account_post(client, lin, "disable", {"reason": ""}).status_code == 200
    assert row(app, lin).active
    assert account_post(client, lin, "disable", {"reason": "离职"}).status_code == 302
    assert not row(app, lin).active
    assert theirs.get("/staff/").status_code == 302  # signed out at once
    assert log_in(theirs, "lin").status_code == 200
    assert account_post(client, lin, "enable", {"reason": "返聘"}).status_code == 302
    assert row(app, lin).active
    assert [e.reason for e in events(app, "staff.disable")] == ["离职"]
    assert [e.reason for e in events(app, "staff.enable")] == ["返聘"]


def test_reset_password_made_or_set(app, client, admin):
    lin = make(app, "lin", "客服小林", ("member_care",))
    theirs = app.test_client()
    assert log_in(theirs, "lin").status_code == 302
    made = account_post(client, lin, "password", {"reason": "忘记密码"})
    password = re.search(r'id="once-password">([^<]+)<', made.get_data(as_text=True)).group(1)
    assert theirs.get("/staff/").status_code == 302  # the old session ended
    assert log_in(app.test_client(), "lin").status_code == 200  # the old password is gone
    assert post_form(app.test_client(), "/staff/login",
                     {"username": "lin", "password": password}).status_code == 302
    assert account_post(client, lin, "password", {"password": "newpass99",
                                                  "reason": "本人要求"}).status_code == 302
    assert post_form(app.test_client(), "/staff/login",
                     {"username": "lin", "password": "newpass99"}).status_code == 302
    resets = events(app, "staff.password")
    assert [(e.reason, e.details["generated"]) for e in resets] == [("忘记密码", True),
                                                                   ("本人要求", False)]
    assert password not in resets[0].detail and "newpass99" not in resets[1].detail
    assert account_post(client, lin, "password", {"reason": ""}).status_code == 200


def test_unknown_account_is_404_and_the_chain_holds(app, client, admin):
    assert client.get(f"{URL}/stf_nobody").status_code == 404
    with app.app_context():
        assert verify_chain(db.session).ok
        db.session.remove()


def test_english_pages(app, client, admin):
    html = client.get(URL, query_string={"lang": "en"}).get_data(as_text=True)
    assert "Staff accounts" in html and "Administrator" in html
    html = client.get(f"{URL}/{admin}").get_data(as_text=True)
    assert "Reset password" in html
    assert csrf_of(html)
