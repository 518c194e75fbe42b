"""`flask points adjust | approve | reject | pending`: adjustments with a second person (§13)."""

import json

import pytest
from sqlalchemy import select

from valliance.audit import AuditEvent
from valliance.backoffice.models import PointAdjustment
from valliance.points.accounts import get_balance
from valliance.points.models import Transfer

PHONE = "13800138000"


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def run_json(app, *args) -> dict:
    result = run(app, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refused(app, *args, error=None) -> dict:
    """Refused with --json: exit non-zero and one JSON object {"error", "message", …}."""
    result = run(app, *args, "--json")
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    answer = json.loads(result.stdout)
    assert answer["error"] and answer["message"]
    if error:
        assert answer["error"] == error, answer
    return answer


def staff(app, username, *roles):
    args = ["staff", "create", "--username", username, "--name", username, "--password",
            "secret123"]
    for role in roles:
        args += ["--role", role]
    return run_json(app, *args)["staff_id"]


@pytest.fixture
def people(app):
    """A member with 10,000 points, and staff: care (member_care), fin and fin2 (finance),
    boss (admin), mkt (marketing)."""
    member = run_json(app, "members", "create", "--phone", PHONE, "--name", "张三",
                      "--points", "10000")["member_id"]
    ids = {name: staff(app, name, role) for name, role in (
        ("care", "member_care"), ("fin", "finance"), ("fin2", "finance"), ("boss", "admin"),
        ("mkt", "marketing"))}
    return {"member": member, **ids}


def adjust(points, by="care", reason="goodwill", note="客户投诉补偿"):
    return ("points", "adjust", "--phone", PHONE, "--points", str(points), "--reason", reason,
            "--note", note, "--by", by)


def balance(session, member_id) -> int:
    from valliance.members.models import Member
    session.rollback()
    return get_balance(session, session.get(Member, member_id).points_account_id).balance


@pytest.mark.parametrize("points, status", [
    (5000, "applied"), (-5000, "applied"), (5001, "pending_approval"),
    (-5001, "pending_approval"), (1, "applied"), (-1, "applied")])
def test_the_threshold_holds_either_sign(app, session, people, points, status):
    answer = run_json(app, *adjust(points))
    assert set(answer) == {"adjustment_id", "status", "points"}
    assert answer["status"] == status and answer["points"] == points
    expected = 10000 + points if status == "applied" else 10000
    assert balance(session, people["member"]) == expected


def test_an_applied_adjustment_is_a_ledger_transfer_of_kind_adjust(app, session, people):
    answer = run_json(app, *adjust(-300, reason="fraud_reversal", note="重复积分冲回"))
    row = session.get(PointAdjustment, answer["adjustment_id"])
    transfer = session.get(Transfer, row.transfer_id)
    assert transfer.kind == "adjust" and transfer.amount == 300
    assert transfer.reason == "fraud_reversal" and transfer.actor == f"staff:{people['care']}"
    assert row.decided_by == people["care"]
    assert run(app, "ledger", "verify").exit_code == 0


def test_a_second_person_approves_and_the_ledger_names_both(app, session, people):
    pending = run_json(app, *adjust(8000, reason="service_compensation"))
    assert balance(session, people["member"]) == 10000
    answer = run_json(app, "points", "approve", pending["adjustment_id"], "--by", "fin")
    assert answer == {"adjustment_id": pending["adjustment_id"], "status": "applied"}
    assert balance(session, people["member"]) == 18000
    row = session.get(PointAdjustment, pending["adjustment_id"])
    assert row.decided_by == people["fin"] and row.version == 1
    transfer = session.get(Transfer, row.transfer_id)
    assert transfer.kind == "adjust"
    assert transfer.actor == f"staff:{people['care']},staff:{people['fin']}"
    actions = session.scalars(select(AuditEvent.action).where(
        AuditEvent.subject == row.id).order_by(AuditEvent.seq)).all()
    assert actions == ["adjustment.request", "adjustment.approve", "adjustment.apply"]
    assert run(app, "ledger", "verify").exit_code == 0
    assert run(app, "audit", "verify").exit_code == 0
    # decided once: a second approval or a rejection is refused
    refused(app, "points", "approve", row.id, "--by", "boss", error="adjustment_decided")
    refused(app, "points", "reject", row.id, "--by", "boss", "--reason", "晚了",
            error="adjustment_decided")
    assert balance(session, people["member"]) == 18000


def test_the_maker_never_approves_their_own(app, session, people):
    pending = run_json(app, *adjust(6000, by="fin"))
    answer = refused(app, "points", "approve", pending["adjustment_id"], "--by", "fin",
                     error="own_adjustment")
    assert "另一位" in answer["message"] or "another" in answer["message"].lower()
    pending_admin = run_json(app, *adjust(6000, by="boss"))
    refused(app, "points", "approve", pending_admin["adjustment_id"], "--by", "boss",
            error="own_adjustment")
    assert run_json(app, "points", "approve", pending["adjustment_id"], "--by", "boss")[
        "status"] == "applied"
    assert run_json(app, "points", "approve", pending_admin["adjustment_id"], "--by", "fin2")[
        "status"] == "applied"
    assert balance(session, people["member"]) == 22000


@pytest.mark.parametrize("who", ["care", "mkt"])
def test_an_approver_holds_finance_or_admin(app, session, people, who):
    pending = run_json(app, *adjust(6000, by="fin"))
    refused(app, "points", "approve", pending["adjustment_id"], "--by", who,
            error="role_required")
    refused(app, "points", "reject", pending["adjustment_id"], "--by", who, "--reason", "不行",
            error="role_required")
    assert session.get(PointAdjustment, pending["adjustment_id"]).status == "pending_approval"


def test_a_maker_holds_member_care_finance_or_admin(app, session, people):
    refused(app, *adjust(100, by="mkt"), error="role_required")
    refused(app, *adjust(100, by="nobody"), error="not_found")
    assert session.scalars(select(PointAdjustment)).all() == []


def test_reject_moves_no_points_and_says_why(app, session, people):
    pending = run_json(app, *adjust(-7000))
    refused(app, "points", "reject", pending["adjustment_id"], "--by", "fin", "--reason", " ",
            error="validation_error")
    answer = run_json(app, "points", "reject", pending["adjustment_id"], "--by", "fin",
                      "--reason", "证据不足")
    assert answer == {"adjustment_id": pending["adjustment_id"], "status": "rejected"}
    row = session.get(PointAdjustment, pending["adjustment_id"])
    assert row.decision_note == "证据不足" and row.transfer_id is None
    assert balance(session, people["member"]) == 10000
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "adjustment.reject"))
    assert event.reason == "证据不足" and event.details["points"] == -7000
    refused(app, "points", "approve", row.id, "--by", "boss", error="adjustment_decided")


def test_a_negative_adjustment_never_makes_a_balance_negative(app, session, people):
    refused(app, *adjust(-10001), error="insufficient_points")  # pending, refused when asked
    refused(app, *adjust(-3000 - 7001), error="insufficient_points")
    pending = run_json(app, *adjust(-8000))
    run_json(app, *adjust(-4000))  # applied at once: 6,000 left, the pending one cannot apply
    answer = refused(app, "points", "approve", pending["adjustment_id"], "--by", "fin",
                     error="insufficient_points")
    assert "6,000" in answer["message"]
    assert session.get(PointAdjustment, pending["adjustment_id"]).status == "pending_approval"
    assert balance(session, people["member"]) == 6000
    refused(app, *adjust(-6001), error="insufficient_points")  # immediate, refused at once
    assert balance(session, people["member"]) == 6000
    assert run_json(app, "points", "reject", pending["adjustment_id"], "--by", "fin",
                    "--reason", "余额已不足")["status"] == "rejected"
    assert run(app, "ledger", "verify").exit_code == 0


@pytest.mark.parametrize("args, field", [
    (("--points", "0"), "points"), (("--points", "99999999999"), "points"),
    (("--reason", "bribe"), "reason"), (("--note", "  "), "note"), (("--note", "长" * 501), "note"),
    # not integers: refused as JSON too, not click's usage text on stderr
    (("--points", "abc"), "points"), (("--points", "1.5"), "points"),
    (("--points", "1e3"), "points"), (("--points", "9" * 40), "points"),
    (("--points", "+-5"), "points"),
])
def test_invalid_requests_are_refused(app, session, people, args, field):
    base = dict(zip(adjust(100)[2::2], adjust(100)[3::2]))
    base.update(dict(zip(args[::2], args[1::2])))
    answer = refused(app, "points", "adjust", *[x for kv in base.items() for x in kv],
                     error="validation_error")
    assert field in answer["details"]
    assert session.scalars(select(PointAdjustment)).all() == []


def test_unknown_phone_and_adjustment(app, people):
    refused(app, "points", "adjust", "--phone", "13900000000", "--points", "1", "--reason",
            "goodwill", "--note", "x", "--by", "care", error="not_found")
    refused(app, "points", "approve", "adj_nope", "--by", "fin", error="not_found")


def test_pending_lists_the_queue(app, people):
    first = run_json(app, *adjust(9000))["adjustment_id"]
    run_json(app, *adjust(10))
    listed = run_json(app, "points", "pending")
    assert listed["total"] == 1 and listed["pending"][0]["adjustment_id"] == first
    result = run(app, "points", "pending")
    assert result.exit_code == 0 and first in result.stdout


def test_the_threshold_comes_from_the_config(app, session, people):
    app.config["ADJUSTMENT_APPROVAL_POINTS"] = 100
    try:
        assert run_json(app, *adjust(101))["status"] == "pending_approval"
        assert run_json(app, *adjust(100))["status"] == "applied"
    finally:
        app.config["ADJUSTMENT_APPROVAL_POINTS"] = 5000


def test_a_human_line_without_json(app, people):
    result = run(app, *adjust(-300))
    assert result.exit_code == 0 and "applied" in result.stdout and "-300" in result.stdout


def test_a_frozen_membership_can_still_be_adjusted(app, session, people):
    """A fraud reversal or a correction is needed exactly on frozen accounts; the points
    stay frozen with the membership."""
    run_json(app, "members", "freeze", PHONE)
    assert run_json(app, *adjust(-500, reason="fraud_reversal"))["status"] == "applied"
    assert balance(session, people["member"]) == 9500


def test_every_step_is_audited_with_its_reason(app, session, people):
    adjustment_id = run_json(app, *adjust(6000, note="补偿三周延误"))["adjustment_id"]
    run_json(app, "points", "approve", adjustment_id, "--by", "boss")
    events = session.scalars(select(AuditEvent).where(
        AuditEvent.subject == adjustment_id).order_by(AuditEvent.seq)).all()
    assert [(e.action, e.actor) for e in events] == [
        ("adjustment.request", f"staff:{people['care']}"),
        ("adjustment.approve", f"staff:{people['boss']}"),
        ("adjustment.apply", f"staff:{people['boss']}")]
    for event in events:
        assert event.reason == "补偿三周延误"
        assert event.details["member_id"] == people["member"]
        assert event.details["points"] == 6000


@pytest.mark.parametrize("args", [
    ("points", "adjust", "--phone", PHONE, "--points", "100", "--reason", "goodwill",
     "--by", "care"),  # no --note
    ("points", "approve", "--by", "fin"),  # no id
    ("points", "reject", "adj_x", "--by", "fin"),  # no --reason
    ("points", "adjust", "--colour", "red"),  # an option it does not take
    ("staff", "create", "--username", "x", "--name", "x", "--password", "secret123"),  # no role
    ("audit", "verify", "--all"),
])
def test_usage_errors_with_json_answer_in_json(app, people, args):
    result = run(app, *args, "--json")
    assert result.exit_code == 2
    answer = json.loads(result.stdout)
    assert answer["error"] == "usage_error" and answer["message"]
    without = run(app, *args)  # for people: click's usage text, as before
    assert without.exit_code == 2 and "Usage:" in without.output
