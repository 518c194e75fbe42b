"""`flask members …`, `flask cards …` and `flask demo seed` (contract §8)."""

import json

import pytest
from sqlalchemy import func, select

from valliance.members.codes import luhn_valid
from valliance.members.models import TIERS, AnnualSpend, Card, Member
from valliance.members.services import enroll_member
from valliance.members.tiers import tier_for_spend
from valliance.points.accounts import get_balance


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def run_json(app, *args) -> dict:
    result = run(app, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_clean_failure(result, *words):
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    for word in words:
        assert word in result.stderr


def test_members_create_prints_member_card_and_tier(app, session):
    answer = run_json(app, "members", "create", "--phone", "138-0013-8000", "--name", "张三")
    assert set(answer) == {"member_id", "card_number", "tier"}
    assert answer["tier"] == "standard"
    assert len(answer["card_number"]) == 16 and luhn_valid(answer["card_number"])
    member = session.get(Member, answer["member_id"])
    assert member.phone == "13800138000" and member.password_hash is None
    assert member.card.number == answer["card_number"]


def test_members_create_with_password_tier_and_opening_points(app, session):
    answer = run_json(app, "members", "create", "--phone", "13900139000", "--name", "李四",
                      "--password", "secret123", "--tier", "gold", "--points", "500")
    assert answer["tier"] == "gold"
    member = session.get(Member, answer["member_id"])
    assert member.password_hash and member.tier == "gold"
    assert get_balance(session, member.points_account_id).balance == 500


def test_members_create_without_json_prints_a_line_for_people(app):
    result = run(app, "members", "create", "--phone", "13800138000", "--name", "张三")
    assert result.exit_code == 0, result.output
    assert "张三" in result.stdout and not result.stdout.lstrip().startswith("{")


@pytest.mark.parametrize("args, words", [
    (["--phone", "12345", "--name", "张三"], ["phone"]),
    (["--phone", "13800138000", "--name", "   "], ["name"]),
    (["--phone", "13800138000", "--name", "张三", "--password", "short"], ["password"]),
])
def test_members_create_refuses_invalid_input_with_exit_1(app, session, args, words):
    assert_clean_failure(run(app, "members", "create", *args, "--json"), *words)
    assert session.scalar(select(func.count()).select_from(Member)) == 0


def test_members_create_refuses_a_phone_already_enrolled(app):
    run_json(app, "members", "create", "--phone", "13800138000", "--name", "张三")
    result = run(app, "members", "create", "--phone", "13800138000", "--name", "张三", "--json")
    assert_clean_failure(result, "phone", "already enrolled")


def test_members_freeze_and_unfreeze_by_phone(app, session):
    created = run_json(app, "members", "create", "--phone", "13800138000", "--name", "张三")
    frozen = run_json(app, "members", "freeze", "13800138000")
    assert frozen == {"member_id": created["member_id"], "status": "frozen"}
    assert session.get(Member, created["member_id"]).membership_status == "frozen"
    session.rollback()
    assert run_json(app, "members", "unfreeze", "+86 138 0013 8000") == {
        "member_id": created["member_id"], "status": "active"}
    session.expire_all()
    assert session.get(Member, created["member_id"]).membership_status == "active"


@pytest.mark.parametrize("command", ["freeze", "unfreeze"])
def test_members_freeze_unknown_or_invalid_phone_exits_1(app, command):
    assert_clean_failure(run(app, "members", command, "13800138000", "--json"), "13800138000")
    assert_clean_failure(run(app, "members", command, "12345", "--json"), "phone")


def test_cards_freeze_unfreeze_and_reissue(app, session):
    created = run_json(app, "members", "create", "--phone", "13800138000", "--name", "张三")
    number = created["card_number"]
    assert run_json(app, "cards", "freeze", number) == {"card_number": number,
                                                        "status": "frozen"}
    assert run_json(app, "cards", "unfreeze", number) == {"card_number": number,
                                                          "status": "active"}
    reissued = run_json(app, "cards", "reissue", number)
    assert reissued["status"] == "active" and reissued["card_number"] != number
    assert luhn_valid(reissued["card_number"])
    old = session.scalar(select(Card).where(Card.number == number))
    assert old.status == "replaced"
    assert session.get(Member, created["member_id"]).card.number == reissued["card_number"]


def test_cards_commands_refuse_unknown_and_replaced_cards(app):
    number = run_json(app, "members", "create", "--phone", "13800138000",
                      "--name", "张三")["card_number"]
    run_json(app, "cards", "reissue", number)
    for command in ("freeze", "unfreeze", "reissue"):
        assert_clean_failure(run(app, "cards", command, number, "--json"), "replaced")
        assert_clean_failure(run(app, "cards", command, "1234567812345678", "--json"),
                             "Card not found")


def test_a_lost_card_can_be_reissued_but_not_unfrozen(app):
    number = run_json(app, "members", "create", "--phone", "13800138000",
                      "--name", "张三")["card_number"]
    assert run_json(app, "cards", "report-lost", number)["status"] == "lost"
    assert_clean_failure(run(app, "cards", "unfreeze", number), "lost")
    assert run_json(app, "cards", "reissue", number)["status"] == "active"


# --- demo seed -------------------------------------------------------------------------------


def test_demo_seed_builds_a_believable_alliance_once(app, session):
    first = run_json(app, "demo", "seed", "--force", "--if-empty")
    assert first["created"] and 30 <= first["members"] <= 50 and first["transfers"] > 0
    assert {login["tier"] for login in first["logins"]} == set(TIERS)
    assert all(login["password"] for login in first["logins"])

    members = session.scalars(select(Member)).all()
    assert {m.tier for m in members} == set(TIERS)
    assert all(m.password_hash for m in members)
    assert sum(m.membership_status == "frozen" for m in members) == 1
    assert session.scalar(select(func.count()).select_from(Card).where(Card.status == "lost")) == 1
    for member in members:  # last year's spend earned the tier each member holds
        reviewed_year = member.tier_valid_until.year - 1
        spend = session.scalar(select(AnnualSpend).where(
            AnnualSpend.member_id == member.id, AnnualSpend.year == reviewed_year))
        assert tier_for_spend(spend.telecom_fen + spend.alliance_fen) == member.tier

    verify = run(app, "ledger", "verify")
    assert verify.exit_code == 0, verify.output

    session.rollback()
    second = run_json(app, "demo", "seed", "--force", "--if-empty")
    assert not second["created"] and second["members"] == 0
    assert second["logins"] == first["logins"]
    assert session.scalar(select(func.count()).select_from(Member)) == len(members)


def test_demo_seed_prints_the_logins_for_people(app):
    result = run(app, "demo", "seed", "--force")
    assert result.exit_code == 0, result.output
    assert "demo2026" in result.stdout and "钻石卡" in result.stdout


def test_demo_seed_if_empty_leaves_a_used_database_alone(app, session):
    enroll_member(session, phone="13800138000", name="张三")
    session.commit()
    answer = run_json(app, "demo", "seed", "--force", "--if-empty")
    assert answer["created"] is False and answer["logins"] == []
    assert session.scalar(select(func.count()).select_from(Member)) == 1


def test_demo_seed_twice_never_duplicates_members(app, session):
    first = run_json(app, "demo", "seed", "--force")
    second = run_json(app, "demo", "seed", "--force")
    assert second["members"] == 0 and second["logins"] == first["logins"]
    assert session.scalar(select(func.count()).select_from(Member)) == first["members"]


def test_cards_expire_marks_cards_past_their_date(app, session):
    import json
    from datetime import date

    from valliance.members import services

    member = services.enroll_member(session, phone="13600136000", name="过期")
    member.card.expires_on = date(2020, 1, 1)
    session.commit()
    result = app.test_cli_runner().invoke(args=["cards", "expire", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"expired": 1}
    session.expire_all()
    assert member.card.status == "expired"
