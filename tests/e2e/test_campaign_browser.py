"""In a real Chromium, the marketing user's whole path (issue #17): build a segment from RFM
and tier, preview it, create a capped campaign with a control group, test-send it to their own
phone, send it (the run goes through the job queue), and read its report."""

import os

import pytest
from sqlalchemy import select

from valliance import jobs
from valliance.extensions import db
from valliance.marketing.campaign_models import CampaignDelivery
from valliance.marketing.models import MemberScore
from valliance.marketing.services.send_rules import in_control
from valliance.members.models import Member
from valliance.members.services import enroll_member
from valliance.merchants.services import purchases
from valliance.merchants.services.onboarding import create_merchant
from valliance.messaging import OutboxMessage
from valliance.staff.models import StaffUser
from valliance.staff.services import create_staff_user

pytestmark = pytest.mark.browser
PASSWORD = "staff2026pw"
STAFF_PHONE = "13900009999"
SHOTS = os.environ.get("CAMPAIGN_SHOTS")  # a folder: save screenshots there too


def _setup(app) -> None:
    """Twelve gold members scored 重要价值客户 (opted in), two silver ones, one gold member
    who never agreed to marketing."""
    with app.app_context():
        for n in range(15):
            tier = "silver" if n in (12, 13) else "gold"
            member = enroll_member(db.session, phone=f"1390000{n:04d}", name=f"会员{n}号",
                                   tier=tier, opening_points=100 * n)
            member.marketing_opt_in = n != 14
            db.session.add(MemberScore(member_id=member.id, recency_days=3, frequency=9,
                                       monetary_fen=90_000, r=5, f=5, m=5,
                                       cell="important_value"))
        staff = create_staff_user(db.session, username="mkt", name="市场小林",
                                  password=PASSWORD, roles=("marketing",))
        db.session.get(StaffUser, staff.id).phone = STAFF_PHONE
        db.session.commit()
        db.session.remove()


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _outbox(app) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(select(OutboxMessage.recipient, OutboxMessage.body)
                                  .order_by(OutboxMessage.id)).all()
        db.session.remove()
        return [tuple(row) for row in rows]


def _held_out(app) -> int:
    """The control group as the rule draws it (a hash of campaign and member)."""
    with app.app_context():
        rows = db.session.execute(select(CampaignDelivery.campaign_id, CampaignDelivery.member_id)
                                  .where(CampaignDelivery.status.in_(
                                      ("sent", "deferred", "control")))).all()
        db.session.remove()
    return sum(in_control(campaign, member, 50) for campaign, member in rows)


def _everyone_reached_buys(app) -> None:
    with app.app_context():
        shop = create_merchant(db.session, name="金卡餐厅", category="餐饮", district="鹿城区",
                               avg_spend=8000, approved=True)
        reached = db.session.scalars(select(CampaignDelivery.member_id).where(
            CampaignDelivery.status.in_(("sent", "deferred")))).all()
        for member_id in reached:
            card = db.session.get(Member, member_id).card
            purchases.record_purchase(db.session, shop, None, card.number, 10_000, 0, None)
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844},
                                      {"width": 1280, "height": 800}], ids=["phone", "desktop"])
def test_segment_to_campaign_to_report(app, browser, live_server, viewport):
    _setup(app)
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server + "/staff/login")
    page.get_by_label("用户名").fill("mkt")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server + "/staff/")

    # the segment: gold members in 重要价值客户, previewed, saved
    page.goto(live_server + "/staff/marketing/segments/new")
    page.get_by_label("金卡").check()
    page.get_by_label("重要价值客户").check()
    page.get_by_role("button", name="预览").click()
    assert page.locator("[data-count]").inner_text() == "13"
    page.get_by_label("分群名称").fill("金卡重要价值客户")
    page.get_by_role("button", name="保存分群").click()
    page.wait_for_url(live_server + "/staff/marketing/segments")

    # the campaign: SMS, a bonus, a control group of half (never empty by luck with 12 members)
    page.goto(live_server + "/staff/marketing/campaigns")
    page.get_by_role("link", name="新建活动").first.click()
    page.get_by_label("活动名称").fill("金卡回馈")
    page.get_by_label("受众（客户分群）").select_option(label="金卡重要价值客户")
    page.get_by_label("消息内容").fill("尊敬的{name}，您的{tier}账户有{balance}积分，今日赠您50积分。")
    page.get_by_label("赠送积分（每位收到的会员）").fill("50")
    page.get_by_label("对照组比例（%）").fill("50")
    page.get_by_role("button", name="保存活动").click()
    page.wait_for_url("**/staff/marketing/campaigns/cmp_*")
    assert page.locator("[data-count]").get_attribute("data-count") == "13"
    _shot(page, f"campaign-draft-{viewport['width']}")

    # a test send to the staff member's own phone: nobody else is texted
    page.get_by_role("button", name="发送测试短信给我").click()
    page.wait_for_load_state()
    [(phone, body)] = _outbox(app)
    assert phone == STAFF_PHONE and body.startswith("【测试】尊敬的")
    assert body.endswith("回复TD退订")

    # send: the run is queued, and the queue runs it
    page.get_by_role("button", name="立即发送").click()
    page.wait_for_load_state()
    assert jobs.backend(app).drain() >= 1
    page.reload()
    counts = {key: int(page.locator(f"[data-count-of='{key}']").inner_text().replace(",", ""))
              for key in ("targeted", "sent", "deferred", "control", "capped", "opted_out")}
    assert counts["targeted"] == 13 and counts["opted_out"] == 1
    assert counts["control"] > 0 and counts["capped"] == 0
    # sent now, or held to 09:00 when the suite runs in Shanghai's quiet hours
    assert counts["sent"] + counts["deferred"] + counts["control"] == 12
    texted = [phone for phone, _ in _outbox(app)[1:]]
    assert len(texted) == counts["sent"] == len(set(texted))
    assert counts["control"] == _held_out(app)

    # the report: every reached member buys, no one held out does — an uplift of +100 points
    _everyone_reached_buys(app)
    page.reload()
    buyers = page.locator("#report-buyers tbody tr")
    assert buyers.nth(0).locator("td").nth(3).inner_text() == "100.0%"
    assert buyers.nth(1).locator("td").nth(3).inner_text() == "0.0%"
    uplift = page.locator("#report-uplift")
    assert uplift.inner_text().startswith("提升 +100.0 个百分点（95%置信区间")
    assert uplift.get_attribute("data-verdict") == "positive"
    _shot(page, f"campaign-sent-{viewport['width']}")
    assert errors == []
    context.close()
