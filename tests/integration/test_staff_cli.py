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
    """Refused with --json: exit 1 and one JSON object {"error", "message", …} (contract §13)."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    answer = json.loads(result.stdout)
    assert answer["error"] in {"validation_error", "not_found"} and answer["message"]
    said = json.dumps(answer, ensure_ascii=False)
    for word in words:
        assert word in said


def test_create_prints_the_staff_id_and_username_and_the_user_can_sign_in(app, session):
    answer = run_json(app, "staff", "create", "--username", "Zhou.Min", "--name", "周敏",
                      "--role", "member_care", "--password", PASSWORD)
    assert set(answer) == {"staff_id", "role", "username"}
    assert answer["role"] == "member_care"
    assert answer["username"] == "zhou.min" and answer["staff_id"].startswith("stf_")
    staff = authenticate_staff(session, "zhou.min", PASSWORD)
    assert staff.id == answer["staff_id"] and staff.name == "周敏"
    assert PASSWORD not in staff.password_hash
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "staff.create"))
    assert (event.actor, event.subject) == ("cli", staff.id)


def test_create_asks_for_the_password_when_missing_and_keeps_stdout_json(app, session):
    answer = run_json(app, "staff", "create", "--username", "admin", "--name", "管理员",
             "--role", "admin",
                      input=f"{PASSWORD}\n{PASSWORD}\n")
    assert answer["username"] == "admin"
    assert authenticate_staff(session, "admin", PASSWORD) is not None


def test_create_asks_again_when_the_confirmation_differs(app, session):
    result = run(app, "staff", "create", "--username", "admin", "--name", "管理员",
             "--role", "admin",
                 input=f"{PASSWORD}\nother-pass1\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input is never echoed
    assert "admin" in result.stdout
    assert authenticate_staff(session, "admin", PASSWORD) is not None


def test_create_refuses_a_taken_username_a_weak_password_and_a_bad_username(app, session):
    run_json(app, "staff", "create", "--username", "admin", "--name", "管理员",
             "--role", "admin",
             "--password", PASSWORD)
    assert_clean_failure(run(app, "staff", "create", "--username", "ADMIN", "--name", "另一个",
                             "--role", "admin", "--password", PASSWORD, "--json"), "用户名已存在")
    assert_clean_failure(run(app, "staff", "create", "--username", "weak", "--name", "弱",
                             "--role", "admin", "--password", "short", "--json"), "密码至少8位")
    assert_clean_failure(run(app, "staff", "create", "--username", "张三", "--name", "张三",
                             "--role", "admin", "--password", PASSWORD, "--json"), "用户名")
    assert len(session.scalars(select(StaffUser)).all()) == 1


def test_disable_stops_sign_in_and_enable_restores_it(app, session):
    created = run_json(app, "staff", "create", "--username", "admin", "--name", "管理员",
             "--role", "admin",
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


# --- the demo's staff and merchant logins (flask demo seed) --------------------------------


def test_demo_seed_adds_a_staff_login_the_demo_shops_people_and_two_applications(app, session):
    from valliance.demo import DEMO_PASSWORD
    from valliance.demo.desk import DESK_UNPRINTED
    from valliance.merchants.models import Merchant, MerchantUser
    from valliance.merchants.services.merchant_users import authenticate_merchant_user

    first = run_json(app, "demo", "seed", "--force")
    staff_logins = {login["username"]: login for login in first["staff_logins"]}
    assert staff_logins["admin"] == {"username": "admin", "password": DEMO_PASSWORD,
                                     "name": "联盟管理员", "roles": ["admin"]}
    assert {login["roles"][0] for login in first["staff_logins"]} == {
        "admin", "member_care", "merchant_ops", "finance", "marketing", "service_desk"}
    for login in first["staff_logins"]:
        staff = authenticate_staff(session, login["username"], DEMO_PASSWORD)
        assert staff is not None and list(staff.role_list) == login["roles"]
    logins = {login["phone"]: login for login in first["merchant_logins"]}
    assert {(p, login["role"], login["name"], login["merchant_id"], login["status"])
            for p, login in logins.items() if login["status"] == "approved"} == {
        ("13700000001", "owner", "王老板", "demo-laowang-hotpot", "approved"),
        ("13700000002", "cashier", "李收银", "demo-laowang-hotpot", "approved")}
    pending = [login for login in first["merchant_logins"] if login["status"] == "pending"]
    assert len(pending) == 2 and all(login["role"] == "owner" for login in pending)
    for login in first["merchant_logins"]:
        user = authenticate_merchant_user(session, login["phone"], login["password"])
        assert (user is not None) == (login["status"] == "approved")
    session.rollback()
    assert session.scalar(select(Merchant.licence_no).where(
        Merchant.id == pending[0]["merchant_id"])) != ""

    second = run_json(app, "demo", "seed", "--force")
    assert second["staff_logins"] == first["staff_logins"]
    assert second["merchant_logins"] == first["merchant_logins"]
    assert len(first["staff_logins"]) == 8
    # the desk's other engineers, leads and account managers sign in too, but are not printed
    assert len(session.scalars(select(StaffUser)).all()) == 8 + len(DESK_UNPRINTED)
    assert len(session.scalars(select(MerchantUser)).all()) == 4
    assert len(session.scalars(select(Merchant).where(Merchant.status == "pending")).all()) == 2


def test_demo_seed_prints_the_staff_and_merchant_logins(app):
    result = run(app, "demo", "seed", "--force")
    assert result.exit_code == 0, result.output
    for text in ("admin / demo2026", "13700000001 / demo2026", "13700000002 / demo2026",
                 "/staff/login", "/merchant/login", "待审核"):
        assert text in result.stdout, text


def test_demo_seed_if_empty_on_a_used_database_adds_no_staff_or_merchant_users(app, session):
    from valliance.members.services import enroll_member

    enroll_member(session, phone="13800138000", name="张三")
    session.commit()
    answer = run_json(app, "demo", "seed", "--force", "--if-empty")
    assert answer["staff_logins"] == [] and answer["merchant_logins"] == []
    assert session.scalars(select(StaffUser)).all() == []


def test_demo_seed_prints_a_till_key_and_a_console_key_that_work(app):
    from valliance.demo import DEMO_OPERATOR_KEY, DEMO_TILL_KEY

    keys = run_json(app, "demo", "seed", "--force")["device_keys"]
    assert keys == {"till": DEMO_TILL_KEY, "console": DEMO_OPERATOR_KEY}
    again = run_json(app, "demo", "seed", "--force")["device_keys"]
    assert again == keys  # seeded once, printed again
    client = app.test_client()
    quote = client.post("/api/v1/pos/quote", json={"card": "0000000000000000", "amount": 100},
                        headers={"Authorization": f"Bearer {DEMO_TILL_KEY}"})
    assert quote.status_code == 404  # the key is accepted; the card is not ours
    search = client.get("/api/v1/directory/offers", query_string={"q": "huoguo"},
                        headers={"Authorization": f"Bearer {DEMO_OPERATOR_KEY}"})
    assert search.status_code == 200 and search.get_json()["total"] >= 1
