"""`flask coupons create|issue|void|expire` (contract §11): --json shapes and clean failures."""

import json
from datetime import timedelta

from sqlalchemy import select

from tests.api.coupon_helpers import coupon, template
from tests.api.pos_helpers import member, shop
from tests.integration.test_member_cli import run, run_json
from valliance.audit import AuditEvent
from valliance.coupons.issuing import expire_coupons
from valliance.coupons.models import Coupon, CouponTemplate
from valliance.db import today_shanghai
from valliance.members.codes import luhn_valid


def assert_clean_failure(result, code: str, *words):
    """Refused with --json: exit 1 and one JSON object {"error", "message", "details"}."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    answer = json.loads(result.stdout)
    assert answer["error"] == code and answer["message"]
    said = json.dumps(answer, ensure_ascii=False)
    for word in words:
        assert word in said


def test_create_prints_the_template_id_and_keeps_what_it_was_told(app, session):
    store = shop(session)
    answer = run_json(app, "coupons", "create", "--title", "满100减20", "--value", "2000",
                      "--min-spend", "10000", "--merchant", store.merchant.id,
                      "--valid-days", "14", "--per-member", "2")
    assert set(answer) == {"template_id"}
    made = session.get(CouponTemplate, answer["template_id"])
    assert (made.title, made.value, made.min_spend, made.merchant_id, made.valid_days,
            made.per_member, made.status) == ("满100减20", 2000, 10000, store.merchant.id, 14,
                                              2, "active")
    everywhere = run_json(app, "coupons", "create", "--title", "通用券", "--value", "500",
                          "--min-spend", "0")
    assert session.get(CouponTemplate, everywhere["template_id"]).merchant_id is None


def test_create_refuses_bad_numbers_and_unknown_merchants_cleanly(app, session):
    result = run(app, "coupons", "create", "--title", "x", "--value", "0", "--min-spend", "-1",
                 "--merchant", "mer_nope", "--json")
    assert_clean_failure(result, "validation_error", "value", "min_spend", "merchant")
    assert session.scalar(select(CouponTemplate.id)) is None


def test_issue_prints_a_luhn_checked_12_digit_code_and_its_last_day(app, session):
    someone, _ = member(session, phone="13800138123")
    made = template(session, valid_days=10)
    answer = run_json(app, "coupons", "issue", made.id, "--phone", "138-0013-8123")
    assert set(answer) == {"code", "valid_until"}
    assert len(answer["code"]) == 12 and luhn_valid(answer["code"])
    assert answer["valid_until"] == (today_shanghai() + timedelta(days=10)).isoformat()
    issued = session.scalar(select(Coupon).where(Coupon.code == answer["code"]))
    assert (issued.member_id, issued.status, issued.source) == (someone.id, "active", "cli")
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "coupon.issue"))
    assert (event.actor, event.subject) == ("cli", issued.id)


def test_issue_keeps_the_per_member_limit_counting_only_active_coupons(app, session):
    someone, _ = member(session, phone="13800138124")
    made = template(session, per_member=1)
    first = run_json(app, "coupons", "issue", made.id, "--phone", "13800138124")
    refused = run(app, "coupons", "issue", made.id, "--phone", "13800138124", "--json")
    assert_clean_failure(refused, "coupon_not_issued")
    run_json(app, "coupons", "void", first["code"])
    assert run_json(app, "coupons", "issue", made.id, "--phone", "13800138124")["code"]


def test_issue_keeps_the_total_limit(app, session):
    member(session, phone="13800138125")
    member(session, phone="13800138126")
    made = template(session, total_limit=1)
    run_json(app, "coupons", "issue", made.id, "--phone", "13800138125")
    refused = run(app, "coupons", "issue", made.id, "--phone", "13800138126", "--json")
    assert_clean_failure(refused, "coupon_not_issued")


def test_issue_refuses_unknown_templates_and_phones_cleanly(app, session):
    member(session, phone="13800138127")
    made = template(session)
    assert_clean_failure(run(app, "coupons", "issue", "ctp_nope", "--phone", "13800138127",
                             "--json"), "not_found")
    assert_clean_failure(run(app, "coupons", "issue", made.id, "--phone", "13900000000",
                             "--json"), "not_found")


def test_expire_marks_only_coupons_past_their_last_day(app, session):
    someone, _ = member(session)
    made = template(session, valid_days=5, per_member=3)
    old = coupon(session, made, someone, days_ago=6)  # its last day was yesterday
    fresh = coupon(session, made, someone, days_ago=5)  # today is its last day
    assert run_json(app, "coupons", "expire") == {"expired": 1}
    session.expire_all()
    assert (session.get(Coupon, old.id).status, session.get(Coupon, fresh.id).status) == (
        "expired", "active")
    assert expire_coupons(session, today_shanghai()) == 0
