"""The demo shows the programme coupons: a 满就送 rule at the demo shop whose coupons were
earned and used today, and the demo campaign's coupon given to those it reached and used."""

import json

from sqlalchemy import select

from valliance.coupons.rule_reads import rules_page
from valliance.demo import DEMO_SHOP
from valliance.marketing.campaign_models import Campaign
from valliance.points.verify import verify_ledger


def test_the_demo_has_a_rule_and_a_campaign_coupon_with_figures(app, session):
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--force", "--json"])
    assert result.exit_code == 0, result.output
    [row] = rules_page(session).rows
    assert row.rule.merchant_id == DEMO_SHOP and row.rule.min_spend == 15000
    assert row.issued >= 3 and row.used == 1 and row.value_used == 1500
    sent = session.scalar(select(Campaign).where(Campaign.status == "finished"))
    assert sent.coupon_template_id is not None
    report = app.test_cli_runner().invoke(args=["campaigns", "report", sent.id, "--json"])
    assert json.loads(report.stdout)["redeemed"] >= 1
    assert verify_ledger(session).ok
    verify = app.test_cli_runner().invoke(args=["settlement", "verify"])
    assert verify.exit_code == 0, verify.output
