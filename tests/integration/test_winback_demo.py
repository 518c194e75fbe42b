"""The demo's win-back programme (issue #18): configured, run once after the history, some
of the lapsed regulars back since; its report has figures on both sides; the ledger's ids
still grow with its dates."""

import json
import math

from sqlalchemy import select

from valliance.demo.winback import CAME_BACK, CONTROL_PERCENT
from valliance.marketing.campaign_models import CampaignDelivery
from valliance.marketing.services.send_rules import in_control
from valliance.points import Transfer, verify_ledger
from valliance.winback.services import programme


def test_the_demo_runs_the_programme_once_and_some_came_back(app, session):
    seeded = app.test_cli_runner().invoke(args=["demo", "seed", "--force", "--json"])
    assert seeded.exit_code == 0, seeded.output
    saved = programme.programme(session)
    assert saved.enabled and saved.coupon_template_id
    rows = session.execute(select(CampaignDelivery.member_id, CampaignDelivery.status).where(
        CampaignDelivery.campaign_id == saved.campaign_id)).all()
    assert rows
    held = [m for m, status in rows if status == "control"]
    assert held == [m for m, status in rows if status in ("control", "sent", "deferred")
                    and in_control(saved.campaign_id, m, CONTROL_PERCENT)]
    report = app.test_cli_runner().invoke(args=["winback", "report", "--json"])
    figures = json.loads(report.stdout)
    # each group's first members (by id) came back, its share rounded up (reached) or down
    assert figures["reached"] + figures["control"] == len(rows) - len(
        [m for m, status in rows if status in ("opted_out", "capped")]) > 0
    # at least the ones demo/winback.py brings back (the other programmes' demo sales, later
    # the same day, may bring back more)
    assert figures["came_back"] >= math.ceil(figures["reached"] * CAME_BACK["reached"])
    assert figures["control_came_back"] >= math.floor(
        figures["control"] * CAME_BACK["control"])
    assert figures["spend_fen"] > 0 or not figures["reached"]
    assert figures["bonus_points"] == 200 * figures["reached"]
    assert figures["coupons_issued"] == figures["reached"]
    dates = session.scalars(select(Transfer.created_at).order_by(Transfer.id)).all()
    assert dates == sorted(dates)
    assert verify_ledger(session).ok
