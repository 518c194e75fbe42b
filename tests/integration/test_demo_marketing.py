"""The demo's marketing: a segment, a campaign sent three weeks ago to every consenting member
with a control group (its report has buyers on both sides), the birthday programme's
daily greeting and the holidays' scheduled (demo/care.py), a draft; once."""

import json

from sqlalchemy import func, select

from valliance.marketing.campaign_models import Campaign, CampaignDelivery
from valliance.marketing.models import MemberScore, Segment
from valliance.marketing.services.send_rules import in_control
from valliance.members.models import Member


def test_the_demo_seeds_campaigns_through_the_services(app, session):
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--force", "--json"])
    assert result.exit_code == 0, result.output
    assert session.scalar(select(func.count()).select_from(MemberScore)) > 0
    assert session.scalar(select(Segment.name)) == "重要客户（已同意营销）"
    campaigns = {c.status: c for c in session.scalars(select(Campaign))}
    assert set(campaigns) == {"finished", "scheduled", "draft"}
    # scheduled: the birthday programme's daily greeting and the holidays' (demo/care.py),
    # the win-back programme's daily round (demo/winback.py)
    assert {(c.name, c.schedule_kind) for c in session.scalars(select(Campaign).where(
        Campaign.status == "scheduled"))} == {
        ("生日关怀计划", "daily"), ("春节问候", "at"), ("中秋问候", "at"), ("会员挽回", "daily")}
    sent = campaigns["finished"]
    statuses = dict(session.execute(select(CampaignDelivery.status, func.count())
                                    .where(CampaignDelivery.campaign_id == sent.id)
                                    .group_by(CampaignDelivery.status)).all())
    assert statuses.get("sent", 0) > 0
    reached = session.scalars(select(CampaignDelivery.member_id).where(
        CampaignDelivery.campaign_id == sent.id,
        CampaignDelivery.status.in_(("sent", "control")))).all()
    # ~24 consenting members, 30 % held out: the group is drawn by the rule, never by luck here
    assert statuses.get("control", 0) == sum(in_control(sent.id, m, 30) for m in reached)
    assert len(reached) >= 15 and sent.control_percent == 30
    opted_out = session.scalar(select(func.count()).select_from(CampaignDelivery).join(
        Member, Member.id == CampaignDelivery.member_id).where(
        Member.marketing_opt_in.is_(False), CampaignDelivery.status == "sent"))
    assert opted_out == 0
    report = app.test_cli_runner().invoke(args=["campaigns", "report", sent.id, "--json"])
    figures = json.loads(report.stdout)
    assert figures["targeted"] == sum(statuses.values())
    assert figures["buyers"] > 0
    again = app.test_cli_runner().invoke(args=["demo", "seed", "--force", "--json"])
    assert again.exit_code == 0
    # once: its three, the birthday programme's, the two holidays' (demo/care.py) and the
    # win-back programme's (demo/winback.py)
    assert session.scalar(select(func.count()).select_from(Campaign)) == 6
