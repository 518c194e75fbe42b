"""`flask campaigns create` (contract §11): a draft to be sent now by `flask campaigns send`,
its answer {"campaign_id"}, and refusals as {"error", "message", "details"}."""

import json

import pytest
from sqlalchemy import select

from valliance.audit import AuditEvent
from valliance.extensions import db
from valliance.marketing.campaign_models import Campaign
from valliance.members.services import enroll_member


@pytest.fixture
def members(app):
    with app.app_context():
        enroll_member(db.session, phone="13800000001", name="韩梅梅", tier="gold")
        enroll_member(db.session, phone="13800000002", name="李雷", tier="silver")
        db.session.commit()
        db.session.remove()


def run(app, *args):
    return app.test_cli_runner().invoke(args=["campaigns", "create", *args])


def stored(app) -> list[Campaign]:
    with app.app_context():
        rows = list(db.session.scalars(select(Campaign).order_by(Campaign.created_at)))
        db.session.expunge_all()
        db.session.remove()
    return rows


def test_create_answers_the_campaign_id_of_a_draft_sent_now(app, members):
    result = run(app, "--name", "金卡回馈", "--message", "{name}您好，送您{balance}积分",
                 "--tier", "gold", "--tier", "diamond", "--inactive-days", "30",
                 "--rfm", "important_value", "--bonus-points", "200",
                 "--control-percent", "10", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert list(answer) == ["campaign_id"]
    [campaign] = stored(app)
    assert campaign.id == answer["campaign_id"]
    assert (campaign.status, campaign.schedule_kind, campaign.channel) == ("draft", "now", "sms")
    assert campaign.filters == {"tiers": ["gold", "diamond"], "inactive_min": 30,
                                "rfm_cells": ["important_value"]}
    assert (campaign.bonus_points, campaign.control_percent, campaign.segment_id) == (
        200, 10, None)
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "campaign.create"))
        assert (event.actor, event.subject) == ("cli", campaign.id)


def test_create_without_filters_names_every_member_by_inbox(app, members):
    result = run(app, "--name", "全员通知", "--message", "新春快乐", "--channel", "inbox")
    assert result.exit_code == 0, result.output
    [campaign] = stored(app)
    assert (campaign.filters, campaign.channel) == ({}, "inbox")
    assert campaign.id in result.stdout


def test_refusals_answer_in_json_with_every_field(app, members):
    result = run(app, "--name", "x", "--message", "{nmae}您好", "--bonus-points", "-5",
                 "--control-percent", "80", "--tier", "platinum", "--channel", "fax",
                 "--json")
    assert result.exit_code == 1
    answer = json.loads(result.stdout)
    assert set(answer) == {"error", "message", "details"}
    assert answer["error"] == "validation_error"
    assert set(answer["details"]) == {"message", "bonus_points", "control_percent", "tiers",
                                      "channel"}
    assert "{name}" in answer["details"]["message"][0]  # the allowed placeholders
    assert " / " in answer["details"]["channel"][0]  # Chinese and English
    assert stored(app) == []


def test_an_unknown_coupon_template_is_refused(app, members):
    answer = json.loads(run(app, "--name", "送券", "--message", "送您一张券",
                            "--coupon", "tpl_1", "--json").stdout)
    assert "没有这个优惠券模板" in answer["details"]["coupon_template_id"][0]


def test_the_name_is_unique_and_usage_errors_answer_in_json(app, members):
    assert run(app, "--name", "周末", "--message", "周末见", "--json").exit_code == 0
    again = json.loads(run(app, "--name", "周末", "--message", "周末见", "--json").stdout)
    assert "已有同名活动" in again["details"]["name"][0]
    usage = run(app, "--name", "x", "--json")
    assert usage.exit_code == 2 and json.loads(usage.stdout)["error"] == "usage_error"
    plain = run(app, "--name", "周末", "--message", "周末见")
    assert plain.exit_code == 1 and "Traceback" not in plain.output
    assert "已有同名活动" in plain.stderr


def test_the_birthday_month_goes_to_the_segment_filters(app, members):
    result = run(app, "--name", "生日月", "--message", "生日快乐", "--birthday-month", "5",
                 "--json")
    answer = json.loads(result.stdout)
    if result.exit_code == 0:  # birthdays recorded: the filter is kept
        [campaign] = stored(app)
        assert campaign.filters.get("birthday_month") in (5, "5")
    else:  # not yet: refused by the segment filters, on that field
        assert list(answer["details"]) == ["birthday_month"]
