"""`flask staff create`, `flask staff disable` and `flask staff enable`."""

import json

from sqlalchemy import select

from valliance.audit import AuditEvent
from valliance.staff.models import StaffUser
from valliance.staff.services import authenticate_staff

PASSWORD = "secret123"


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def run_json(app, *args, input=None) -> dict:
    result = run(app, *args, "--json", input=input)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_clean_failure(result, *words):
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    for word in words:
        assert word in result.stderr


def test_create_prints_the_staff_id_and_username_and_the_user_can_sign_in(app, session):
    answer = run_json(app, "staff", "create", "--username", "Zhou.Min", "--name", "周敏",
                      "--password", PASSWORD)
    assert set(answer) == {"staff_id", "username"}
    assert answer["username"] == "zhou.min" and answer["staff_id"].startswith("stf_")
    staff = authenticate_staff(session, "zhou.min", PASSWORD)
    assert staff.id == answer["staff_id"] and staff.name == "周敏"
    assert PASSWORD not in staff.password_hash
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "staff.create"))
    assert (event.actor, event.subject) == ("cli", staff.id)


def test_create_asks_for_the_password_when_missing_and_keeps_stdout_json(app, session):
    answer = run_json(app, "staff", "create", "--username", "admin", "--name", "管理员",
                      input=f"{PASSWORD}\n{PASSWORD}\n")
    assert answer["username"] == "admin"
    assert authenticate_staff(session, "admin", PASSWORD) is not None


def test_create_asks_again_when_the_confirmation_differs(app, session):
    result = run(app, "staff", "create", "--username", "admin", "--name", "管理员",
                 input=f"{PASSWORD}\nother-pass1\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input is never echoed
    assert "admin" in result.stdout
    assert authenticate_staff(session, "admin", PASSWORD) is not None


def test_create_refuses_a_taken_username_a_weak_password_and_a_bad_username(app, session):
    run_json(app, "staff", "create", "--username", "admin", "--name", "管理员",
             "--password", PASSWORD)
    assert_clean_failure(run(app, "staff", "create", "--username", "ADMIN", "--name", "另一个",
                             "--password", PASSWORD, "--json"), "用户名已存在")
    assert_clean_failure(run(app, "staff", "create", "--username", "weak", "--name", "弱",
                             "--password", "short", "--json"), "密码至少8位")
    assert_clean_failure(run(app, "staff", "create", "--username", "张三", "--name", "张三",
                             "--password", PASSWORD, "--json"), "用户名")
    assert len(session.scalars(select(StaffUser)).all()) == 1


def test_disable_stops_sign_in_and_enable_restores_it(app, session):
    created = run_json(app, "staff", "create", "--username", "admin", "--name", "管理员",
                       "--password", PASSWORD)
    answer = run_json(app, "staff", "disable", "admin")
    assert answer == {"staff_id": created["staff_id"], "username": "admin", "active": False}
    assert authenticate_staff(session, "admin", PASSWORD) is None
    session.rollback()
    result = run(app, "staff", "enable", "admin")
    assert result.exit_code == 0 and "admin" in result.stdout
    assert authenticate_staff(session, "admin", PASSWORD) is not None
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["staff.create", "staff.disable", "staff.enable"]


def test_disable_an_unknown_user_fails_cleanly(app):
    assert_clean_failure(run(app, "staff", "disable", "nobody", "--json"), "nobody")
