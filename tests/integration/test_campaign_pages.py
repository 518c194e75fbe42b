"""The campaign pages (marketing): list, form, a campaign's page and its actions (each audited),
the staff phone (own, and set by an admin), CSRF on every form, and who may open them."""

import re

import pytest
from sqlalchemy import select

from tests.api.test_backoffice_roles import signed_in
from tests.api.test_merchant_apply import csrf_of
from tests.api.world import MEMBER_PHONE, PASSWORD, STAFF_USERNAME, build
from tests.integration.campaign_engine import engine  # noqa: F401 (a fixture)
from valliance.audit import AuditEvent
from valliance.extensions import db
from valliance.marketing.campaign_models import Campaign, CampaignDelivery, CampaignRun
from valliance.marketing.services import campaigns
from valliance.marketing.services.saved_segments import create_segment
from valliance.marketing.services.segment_filters import parse_filters
from valliance.members.models import Member
from valliance.messaging import OutboxMessage
from valliance.staff import services as staff_services
from valliance.staff.models import StaffUser

LIST = "/staff/marketing/campaigns"
NEW = "/staff/marketing/campaigns/new"


@pytest.fixture
def queued(engine):  # noqa: F811 (the engine's face, and the runs it was asked to queue)
    return engine


@pytest.fixture
def world(app, queued):
    made = build(app)  # a gold member 王小明 (500 points), an offer, an admin
    with app.app_context():
        for role in ("marketing", "member_care"):
            staff_services.create_staff_user(db.session, username=f"only-{role}",
                                             name=f"只有{role}", password=PASSWORD,
                                             roles=(role,))
        made.segment_id = create_segment(db.session, "金卡会员", parse_filters(
            {"tiers": ["gold"]}), staff_id=None).id
        db.session.commit()
        db.session.remove()
    return made


def client_for(app, username: str):
    return signed_in(app, "/staff/login", {"username": username, "password": PASSWORD})


@pytest.fixture
def marketer(app, world):
    return client_for(app, "only-marketing")


def stored(app, model, *where, order_by=None):
    with app.app_context():
        query = select(model).where(*where)
        rows = list(db.session.scalars(query if order_by is None else query.order_by(order_by)))
        db.session.expunge_all()
        db.session.remove()
    return rows


def form(world, **changes) -> dict:
    return {"name": "金卡回馈", "channel": "sms", "segment_id": world.segment_id,
            "message": "{name}您好，您有{balance}积分，{offer}等您来", "offer_id": world.offer_id,
            "bonus_points": "50", "control_percent": "10", "schedule_kind": "now",
            "send_at": "", "daily_at": "", **changes}


def post(client, url: str, data: dict, page: str | None = None):
    token = csrf_of(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def created(app, marketer, world, **changes) -> Campaign:
    response = post(marketer, NEW, form(world, **changes))
    assert response.status_code == 302, response.get_data(as_text=True)
    [campaign] = stored(app, Campaign, Campaign.name == form(world, **changes)["name"])
    assert response.headers["Location"].endswith(f"{LIST}/{campaign.id}")
    return campaign


def test_the_list_is_empty_at_first_and_the_form_lists_the_choices(marketer, world):
    page = marketer.get(LIST).get_data(as_text=True)
    assert "还没有营销活动" in page and f'href="{NEW}"' in page
    blank = marketer.get(NEW).get_data(as_text=True)
    assert "金卡会员" in blank and 'href="/staff/marketing/segments/new"' in blank
    assert "{expiring_points}" in blank and "30天内到期的积分" in blank  # the placeholders
    assert 'data-max="300"' in blank and "data-count-for" in blank
    assert f'value="{world.offer_id}"' in blank  # an active offer, with its merchant
    assert "立即发送" in blank and "每天定时发送" in blank and "会员站内信" in blank


def test_a_campaign_is_saved_listed_and_shown_with_its_audience(app, marketer, world):
    campaign = created(app, marketer, world)
    assert (campaign.status, campaign.filters, campaign.created_by is not None) == (
        "draft", {"tiers": ["gold"]}, True)
    listing = marketer.get(LIST).get_data(as_text=True)
    assert "金卡回馈" in listing and "草稿" in listing and "短信" in listing
    assert re.search(r'class="num cmp-audience">1<', listing)
    assert re.search(r'class="num cmp-sent">0 / 0<', listing)
    page = marketer.get(f"{LIST}/{campaign.id}").get_data(as_text=True)
    assert 'data-count="1"' in page and "138****8000" in page and MEMBER_PHONE not in page
    assert "王小明您好，您有" in page  # the message as the first sample member gets it
    assert "客户分群：金卡会员" in page and "立即发送" in page and "测试发送" in page
    assert 'data-count-of="targeted">0<' in page and "还没有发送过" in page


def test_wrong_fields_are_shown_on_the_form(app, marketer, world):
    response = post(marketer, NEW, form(world, name="", message="{nmae}", offer_id="",
                                        control_percent="70", coupon_template_id="x"), NEW)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请填写活动名称" in page and "未知的占位符：{nmae}" in page and "0 到 50" in page
    assert stored(app, Campaign) == []


def test_the_form_needs_its_csrf_token(app, marketer, world):
    response = marketer.post(NEW, data=form(world))
    assert response.status_code in (200, 400) and stored(app, Campaign) == []
    campaign = created(app, marketer, world)
    for url in (f"{LIST}/{campaign.id}/schedule", f"{LIST}/{campaign.id}/test",
                f"{LIST}/{campaign.id}/my-phone", f"{LIST}/{campaign.id}/edit"):
        marketer.post(url, data={"reason": "x", "phone": "13900009999", **form(world)})
    [still] = stored(app, Campaign)
    assert (still.status, still.name) == ("draft", "金卡回馈")
    assert stored(app, OutboxMessage) == []
    assert stored(app, StaffUser, StaffUser.phone.is_not(None)) == []


def test_edit_then_schedule_now_queues_the_run_then_pause_resume_stop(app, marketer, world,
                                                                       queued):
    campaign = created(app, marketer, world)
    url = f"{LIST}/{campaign.id}"
    edit = marketer.get(url + "/edit").get_data(as_text=True)
    assert 'value="金卡回馈"' in edit and f'<option selected value="{world.segment_id}"' in edit
    assert post(marketer, url + "/edit", form(world, bonus_points="80"),
                url + "/edit").status_code == 302
    assert stored(app, Campaign)[0].bonus_points == 80
    assert post(marketer, url + "/schedule", {"reason": "周末"}, url).status_code == 302
    assert queued == [campaign.id]
    [now] = stored(app, Campaign)
    assert now.status == "scheduled" and now.next_run_at is not None
    assert marketer.get(url + "/edit").status_code == 200  # the form; saving it is refused
    refused = post(marketer, url + "/edit", form(world), url + "/edit")
    assert refused.status_code == 200 and "只有草稿或已暂停的活动可以修改" in refused.get_data(
        as_text=True)
    assert post(marketer, url + "/pause", {"reason": ""}, url).status_code == 302
    assert post(marketer, url + "/resume", {"reason": ""}, url).status_code == 302
    no_reason = post(marketer, url + "/stop", {"reason": ""}, url)
    assert no_reason.status_code == 200 and "请填写停止活动的原因" in no_reason.get_data(
        as_text=True)
    page = marketer.get(url).get_data(as_text=True)
    assert 'data-confirm="停止后活动不能再发送' in page
    assert post(marketer, url + "/stop", {"reason": "预算用完"}, url).status_code == 302
    # resuming a "now" campaign queues its run again (the engine goes on where it stopped)
    assert stored(app, Campaign)[0].status == "stopped" and queued == [campaign.id] * 2
    again = post(marketer, url + "/resume", {"reason": ""}, url)
    assert again.status_code == 200 and "不能恢复" in again.get_data(as_text=True)
    assert "活动已结束" in again.get_data(as_text=True)
    actions = [e.action for e in stored(app, AuditEvent, AuditEvent.subject == campaign.id,
                                        order_by=AuditEvent.seq)]
    assert actions == ["campaign.create", "campaign.update", "campaign.schedule",
                       "campaign.pause", "campaign.resume", "campaign.stop"]
    admin = client_for(app, STAFF_USERNAME)
    log = admin.get("/staff/audit").get_data(as_text=True)
    assert "停止营销活动" in log and "新建营销活动" in log and f'href="{url}"' in log


def test_the_runs_and_counts_show_on_the_page(app, marketer, world):
    campaign = created(app, marketer, world)
    with app.app_context():
        member_id = db.session.scalar(select(Member.id))
        db.session.add(CampaignRun(campaign_id=campaign.id, round="once", started_by="cli"))
        db.session.add(CampaignDelivery(campaign_id=campaign.id, round="once",
                                        member_id=member_id, status="control"))
        db.session.commit()
        db.session.remove()
    page = marketer.get(f"{LIST}/{campaign.id}").get_data(as_text=True)
    assert 'data-count-of="control">1<' in page and "单次" in page and "命令行" in page


def test_a_test_send_asks_for_a_phone_then_texts_it(app, marketer, world):
    campaign = created(app, marketer, world)
    url = f"{LIST}/{campaign.id}"
    page = marketer.get(url).get_data(as_text=True)
    assert "我的手机号（接收测试短信）" in page and "发送测试短信给我" not in page
    refused = post(marketer, url + "/test", {}, url)
    assert refused.status_code == 200 and "请先填写您的手机号" in refused.get_data(as_text=True)
    wrong = post(marketer, url + "/my-phone", {"phone": "139"}, url)
    assert "请输入11位手机号码" in wrong.get_data(as_text=True)
    assert post(marketer, url + "/my-phone", {"phone": "13900009999"}, url).status_code == 302
    assert "139****9999" in marketer.get(url).get_data(as_text=True)
    sent = post(marketer, url + "/test", {}, url)
    assert sent.status_code == 302
    [sms] = stored(app, OutboxMessage)
    assert sms.recipient == "13900009999"
    assert sms.body.startswith("【测试】王小明您好，您有") and "积分" in sms.body
    assert stored(app, CampaignDelivery) == [] and stored(app, Campaign)[0].status == "draft"
    actions = [e.action for e in stored(app, AuditEvent, AuditEvent.action.in_(
        ("staff.phone", "campaign.test_send")), order_by=AuditEvent.seq)]
    assert actions == ["staff.phone", "campaign.test_send"]


def test_an_admin_sets_a_staff_members_phone_with_a_reason(app, world):
    admin = client_for(app, STAFF_USERNAME)
    [marketer] = stored(app, StaffUser, StaffUser.username == "only-marketing")
    url = f"/staff/accounts/{marketer.id}"
    missing = post(admin, url + "/phone", {"phone": "13900009999", "reason": ""}, url)
    assert missing.status_code == 200 and stored(app, StaffUser, StaffUser.phone.is_not(
        None)) == []
    bad = post(admin, url + "/phone", {"phone": "1234", "reason": "测试用"}, url)
    assert "请输入11位手机号码" in bad.get_data(as_text=True)
    assert post(admin, url + "/phone", {"phone": "13900009999", "reason": "测试用"},
                url).status_code == 302
    assert stored(app, StaffUser, StaffUser.id == marketer.id)[0].phone == "13900009999"
    assert "139****9999" in admin.get(url).get_data(as_text=True)
    log = admin.get("/staff/audit").get_data(as_text=True)
    assert "修改员工手机号" in log


def test_the_pages_speak_english(app, marketer, world):
    campaign = created(app, marketer, world)
    page = marketer.get(f"{LIST}/{campaign.id}?lang=en").get_data(as_text=True)
    assert "Draft" in page and "Test send" in page and "草稿" not in page
    assert "Campaigns" in marketer.get(LIST + "?lang=en").get_data(as_text=True)


@pytest.mark.parametrize(("username", "status"), [
    ("only-marketing", 200), (STAFF_USERNAME, 200), ("only-member_care", 403)])
def test_marketing_and_admin_only(app, world, username, status):
    client = client_for(app, username)
    assert client.get(LIST).status_code == status
    assert client.get(NEW).status_code == status
    token = csrf_of(client.get("/staff/").get_data(as_text=True))
    posted = client.post(NEW, data={"csrf_token": token, **form(world)})
    assert posted.status_code == (302 if status == 200 else 403)


def test_the_list_goes_page_by_page_newest_first(app, marketer, world):
    with app.app_context():
        for n in range(21):
            made = campaigns.create_campaign(db.session, {
                "name": f"活动{n:02d}", "message": "周末见", "filters": {}}, actor="cli")
            made.created_at = made.created_at.replace(year=2026, month=1, day=n + 1)
        db.session.commit()
        db.session.remove()
    first = marketer.get(LIST).get_data(as_text=True)
    assert "活动20" in first and "活动01" in first and "活动00" not in first
    assert "第 1 / 2 页，共 21 个活动" in first and 'rel="next"' in first
    second = marketer.get(LIST + "?page=2").get_data(as_text=True)
    assert "活动00" in second and "活动01" not in second and 'rel="prev"' in second


def test_the_actions_are_for_marketing_only(app, world):
    with app.app_context():
        campaign_id = campaigns.create_campaign(db.session, {
            "name": "x", "message": "周末见", "filters": {}}, actor="cli").id
        db.session.commit()
        db.session.remove()
    carer = client_for(app, "only-member_care")
    assert carer.get(f"{LIST}/{campaign_id}").status_code == 403
    token = csrf_of(carer.get("/staff/").get_data(as_text=True))
    for action in ("schedule", "pause", "stop", "test", "my-phone", "edit"):
        response = carer.post(f"{LIST}/{campaign_id}/{action}",
                              data={"csrf_token": token, "reason": "x"})
        assert response.status_code == 403, action
    assert stored(app, Campaign)[0].status == "draft"
