"""A campaign's coupon (contract §11 `--coupon`): one for each member reached, once, within the
template's limits; none for the control group; the report's `redeemed` counts coupons used at
a till."""

import json

from sqlalchemy import func, select

from tests.api.coupon_helpers import coupon, template
from valliance.coupons.models import Coupon
from valliance.extensions import db
from valliance.ids import new_id
from valliance.marketing.campaign_models import Campaign, CampaignDelivery
from valliance.marketing.services import send_rules
from valliance.marketing.services.campaign_report import report
from valliance.marketing.services.campaign_send import run_campaign
from valliance.members.services import enroll_member
from valliance.merchants.services import purchases
from valliance.merchants.services.onboarding import create_merchant
from valliance.merchants.services.refunds import refund_purchase


def people(session, n, start=0):
    made = []
    for i in range(start, start + n):
        member = enroll_member(session, phone=f"137{i:08d}", name=f"会员{i}", tier="gold")
        member.marketing_opt_in = True
        made.append(member)
    session.commit()
    return made


def cli(app, *args):
    result = app.test_cli_runner().invoke(args=[*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def held(session, member_id=None) -> list[Coupon]:
    session.expire_all()
    query = select(Coupon).order_by(Coupon.id)
    if member_id:
        query = query.where(Coupon.member_id == member_id)
    return list(session.scalars(query))


def outcomes(session, campaign_id) -> dict[str, tuple]:
    session.expire_all()
    return {row.member_id: (row.status, row.coupon_outcome, row.coupon_id)
            for row in session.scalars(select(CampaignDelivery).where(
                CampaignDelivery.campaign_id == campaign_id))}


def campaign(session, template_id, *, control=0) -> Campaign:
    made = Campaign(id=new_id("cmp"), name=new_id("name"), message="{name}您好，送您一张券",
                    channel="sms", filters={}, coupon_template_id=template_id,
                    control_percent=control, schedule_kind="now", status="draft")
    session.add(made)
    session.commit()
    return made


def test_cli_create_and_send_issue_one_coupon_to_each_member_reached_once(app, session):
    members = people(session, 3)
    given = template(session, per_member=1)
    created = cli(app, "campaigns", "create", "--name", "送券", "--message", "送您一张券",
                  "--coupon", given.id)
    stored = session.get(Campaign, created["campaign_id"])
    assert stored.coupon_template_id == given.id
    sent = cli(app, "campaigns", "send", stored.id)
    assert sent["sent"] + sent["deferred"] == 3
    coupons = held(session)
    assert sorted(c.member_id for c in coupons) == sorted(m.id for m in members)
    assert {c.source for c in coupons} == {f"campaign:{stored.id}"}
    decided = outcomes(session, stored.id)
    assert {c.id for c in coupons} == {coupon_id for _, _, coupon_id in decided.values()}
    assert {outcome for _, outcome, _ in decided.values()} == {"issued"}
    cli(app, "campaigns", "send", stored.id)  # again: nobody is reached twice
    assert len(held(session)) == 3


def test_a_retried_run_issues_no_second_coupon(session):
    people(session, 2)
    made = campaign(session, template(session, per_member=5).id)
    first = run_campaign(session, made.id, started_by="cli")
    again = run_campaign(session, made.id, started_by="cli")
    assert again == first
    assert len(held(session)) == 2


def test_a_member_at_the_limit_is_sent_the_message_without_a_coupon(session):
    first, second = people(session, 2)
    given = template(session, per_member=1)
    already = coupon(session, given, first)
    made = campaign(session, given.id)
    result = run_campaign(session, made.id, started_by="cli")
    assert result.sent + result.deferred == 2
    decided = outcomes(session, made.id)
    assert decided[first.id][1:] == ("refused", None)
    assert decided[second.id][1] == "issued"
    assert [c.id for c in held(session, first.id)] == [already.id]


def test_a_template_all_given_out_gives_the_rest_none(session):
    people(session, 4)
    made = campaign(session, template(session, total_limit=2).id)
    result = run_campaign(session, made.id, started_by="cli")
    assert result.sent + result.deferred == 4
    assert sorted(outcome for _, outcome, _ in outcomes(session, made.id).values()) == [
        "issued", "issued", "refused", "refused"]
    assert len(held(session)) == 2


def test_the_control_group_gets_no_coupon(session):
    members = people(session, 30)
    made = campaign(session, template(session).id, control=30)
    control = {m.id for m in members if send_rules.in_control(made.id, m.id, 30)}
    assert 0 < len(control) < 30
    run_campaign(session, made.id, started_by="cli")
    assert {c.member_id for c in held(session)} == {m.id for m in members} - control
    decided = outcomes(session, made.id)
    assert {decided[m][1] for m in control} == {None}


def test_campaign_fields_refuse_a_merchants_or_a_retired_template(app, session):
    people(session, 1)
    shop = create_merchant(session, name="老王火锅", category="餐饮", district="鹿城区",
                           avg_spend=8000, approved=True)
    own = template(session, merchant=shop)
    retired = template(session)
    retired.status = "retired"
    session.commit()
    for template_id, words in ((own.id, "全联盟通用"), (retired.id, "已停用")):
        result = app.test_cli_runner().invoke(args=[
            "campaigns", "create", "--name", new_id("n"), "--message", "券",
            "--coupon", template_id, "--json"])
        assert result.exit_code == 1
        assert words in json.loads(result.stdout)["details"]["coupon_template_id"][0]


def test_the_report_counts_a_coupon_used_at_the_till(app, session):
    first, second = people(session, 2)
    shop = create_merchant(session, name="老王火锅", category="餐饮", district="鹿城区",
                           avg_spend=8000, approved=True)
    session.commit()
    made = campaign(session, template(session, value=2000, min_spend=10000).id)
    run_campaign(session, made.id, started_by="cli")
    [used] = held(session, first.id)
    [refunded] = held(session, second.id)
    purchases.record_purchase(session, shop, None, first.card.number, 12000, 0, None,
                              coupon=used.code)
    sale = purchases.record_purchase(session, shop, None, second.card.number, 12000, 0, None,
                                     coupon=refunded.code)
    refund_purchase(session, shop, sale.id, None)  # the coupon is given back: not redeemed
    session.commit()
    answer = cli(app, "campaigns", "report", made.id)
    assert set(answer) == {"targeted", "sent", "control", "redeemed", "buyers",
                           "control_buyers", "uplift_percent"}
    assert answer["redeemed"] == 1
    result = report(session, made.id)
    assert (result.coupons_issued, result.coupons_used) == (2, 1)
    assert session.scalar(select(func.count()).select_from(Coupon).where(
        Coupon.status == "used")) == 1
    db.session.remove()
