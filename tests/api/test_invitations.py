"""Old brings new through the web: the member API's exact shape, sign-up with a code, the
share page's QR, the staff page's roles, and (PostgreSQL) sales through the purchase lane."""

import re

import pytest
from sqlalchemy import func, select

from tests.api.pay_code_images import decode_qr_svg
from tests.api.pos_helpers import buy, member, shop
from tests.api.test_backoffice_members import PASSWORD as STAFF_PASSWORD
from tests.api.test_backoffice_members import make_staff
from tests.api.test_member_api import auth, token_for
from tests.api.test_portal import PASSWORD, csrf_of, enroll, latest_code, log_in, post_form
from tests.api.test_staff_pages import staff_log_in
from tests.sms import record_sms
from valliance.audit import AuditEvent
from valliance.extensions import db
from valliance.invitations.models import Invitation, InvitationFlag
from valliance.invitations.services import codes, enlisting


@pytest.fixture(autouse=True)
def sms(app, monkeypatch):
    return record_sms(app, monkeypatch)


def code_for(app, member_id: str) -> str:
    with app.app_context():
        code = codes.code_of(db.session, member_id)
        db.session.commit()
        return code


def test_the_member_api_answers_exactly_code_invited_rewarded(app, client):
    someone = enroll(app)
    token = token_for(client)
    answer = client.get("/api/v1/member/referral", headers=auth(token))
    assert answer.status_code == 200
    body = answer.get_json()
    assert set(body) == {"code", "invited", "rewarded"}
    assert body["invited"] == 0 and body["rewarded"] == 0 and len(body["code"]) == 8
    assert client.get("/api/v1/member/referral", headers=auth(token)).get_json() == body
    assert body["code"] == code_for(app, someone["id"])
    assert client.get("/api/v1/member/referral").status_code == 401


def test_the_openapi_document_names_the_referral_route(client):
    document = client.get("/api/v1/openapi.json").get_json()
    route = document["paths"]["/api/v1/member/referral"]["get"]
    assert route["security"] == [{"memberToken": []}]
    schema = route["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    name = schema.rsplit("/", 1)[1]
    assert set(document["components"]["schemas"][name]["required"]) == {
        "code", "invited", "rewarded"}


def test_signup_with_the_link_records_who_invited_whom(app, client):
    referrer = enroll(app, phone="13900139000")
    code = code_for(app, referrer["id"])
    page = client.get(f"/me/signup?ref={code}").get_data(as_text=True)
    assert f'value="{code}"' in page
    response = client.post("/me/signup", data={
        "phone": "13800138000", "name": "李四", "password": PASSWORD, "ref": code.lower(),
        "csrf_token": csrf_of(page)})
    assert response.status_code == 302
    post_form(client, "/me/signup/verify", {"code": latest_code(app, "13800138000")})
    with app.app_context():
        invitation = db.session.scalar(select(Invitation))
        assert invitation.referrer_id == referrer["id"] and invitation.status == "pending"


def test_an_unknown_code_is_the_forms_error_and_texts_nobody(app, client, sms):
    response = post_form(client, "/me/signup", {
        "phone": "13800138000", "name": "李四", "password": PASSWORD, "ref": "ZZZZZZZZ"})
    assert response.status_code == 200
    assert "邀请码不存在" in response.get_data(as_text=True)
    assert not sms.sent
    blank = post_form(client, "/me/signup", {
        "phone": "13800138000", "name": "李四", "password": PASSWORD, "ref": ""})
    assert blank.status_code == 302


def test_typing_ones_own_code_is_flagged_and_enrolls_nobody(app, client):
    someone = enroll(app)
    code = code_for(app, someone["id"])
    post_form(client, "/me/signup", {
        "phone": "13800138000", "name": "张三", "password": PASSWORD, "ref": code})
    with app.app_context():
        assert db.session.scalar(select(InvitationFlag.reason)) == "self_referral_attempt"
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_the_share_page_shows_the_code_the_link_and_its_qr(app, client):
    someone = enroll(app)
    log_in(client)
    page = client.get("/me/invite/").get_data(as_text=True)
    code = code_for(app, someone["id"])
    link = re.search(r'id="invite-link" href="([^"]+)"', page).group(1)
    assert link.endswith(f"/me/signup?ref={code}") and code in page
    assert "活动规则" in page and "¥50.00" in page
    image = client.get("/me/invite/qr.svg")
    assert image.headers["Content-Type"] == "image/svg+xml"
    assert decode_qr_svg(image.data) == [link]
    english = client.get("/me/invite/?lang=en").get_data(as_text=True)
    assert "活动规则" not in english


def test_the_share_page_needs_a_signed_in_member(client):
    assert client.get("/me/invite/").status_code == 302


@pytest.mark.parametrize(("roles", "status"), [
    (("marketing",), 200), (("admin",), 200), (("member_care",), 403), (("finance",), 403)])
def test_the_staff_page_is_for_marketing_and_admin(app, client, roles, status):
    make_staff(app, "someone", roles)
    assert staff_log_in(client, "someone", STAFF_PASSWORD).status_code == 302
    assert client.get("/staff/invitations/").status_code == status
    assert client.get("/staff/invitations/referrers.csv").status_code == status


def test_the_staff_page_lists_referrers_and_reviews_a_flag_audited(app, client, session):
    store = shop(session)
    referrer, _ = member(session)
    newcomer, card = member(session)
    enlisting.record_invitation(session, member=newcomer, code=codes.code_of(session, referrer.id))
    session.commit()
    assert buy(client, store, card.number, 6000).status_code == 201
    sold = session.scalar(select(Invitation.purchase_id))
    from tests.api.pos_helpers import refund
    assert refund(client, store, sold).status_code == 201
    assert client.get("/staff/invitations/").status_code == 302  # sign in first
    make_staff(app, "mkt", ("marketing",))
    assert staff_log_in(client, "mkt", STAFF_PASSWORD).status_code == 302
    page = client.get("/staff/invitations/").get_data(as_text=True)
    assert referrer.phone_masked in page and referrer.phone not in page
    assert "首单全额退款，奖励已收回" in page and "¥10.00" in page
    flag_id = session.scalar(select(InvitationFlag.id))
    response = client.post(f"/staff/invitations/flags/{flag_id}/reviewed",
                           data={"csrf_token": csrf_of(page)})
    assert response.status_code == 302
    session.expire_all()
    assert session.scalar(select(InvitationFlag.reviewed_by)).startswith("staff:")
    assert session.scalar(select(AuditEvent.action).where(
        AuditEvent.subject == flag_id)) == "invitation.flag_reviewed"
    assert "已处理" in client.get("/staff/invitations/?lang=zh").get_data(as_text=True)
    sheet = client.get("/staff/invitations/referrers.csv")
    assert sheet.mimetype == "text/csv"
    lines = sheet.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("推荐人 Referrer,") and len(lines) == 2
    assert lines[1].split(",")[1:] == [referrer.phone_masked, "1", "1", "0", "1000", "10.00",
                                       "1000"]


def test_the_staff_page_says_when_there_is_nothing(app, client):
    make_staff(app, "mkt", ("marketing",))
    staff_log_in(client, "mkt", STAFF_PASSWORD)
    page = client.get("/staff/invitations/").get_data(as_text=True)
    assert "还没有会员邀请过好友" in page and "没有需要关注的情况" in page


@pytest.mark.postgres_only
def test_two_first_purchases_at_once_reward_once(app, session, run_threads):
    store = shop(session)
    referrer, _ = member(session)
    newcomer, card = member(session)
    enlisting.record_invitation(session, member=newcomer, code=codes.code_of(session, referrer.id))
    session.commit()
    number = card.number

    def attempt(i):
        return buy(app.test_client(), store, number, 6000 + i).status_code

    assert run_threads(8, attempt) == [201] * 8
    with app.app_context():
        rewards = db.session.scalar(select(func.count()).select_from(
            db.metadata.tables["transfers"]).where(
            db.metadata.tables["transfers"].c.kind == "reward"))
        assert rewards == 2
        assert db.session.scalar(select(Invitation.status)) == "rewarded"


@pytest.mark.postgres_only
def test_the_lane_hands_a_pending_newcomer_to_the_app_and_sells_others_at_once(app, client,
                                                                              session):
    from valliance.merchants.lane import BUG, EXPECTED, PurchaseLane

    lane = app.wsgi_app
    assert isinstance(lane, PurchaseLane)
    store = shop(session)
    referrer, referrer_card = member(session)
    newcomer, card = member(session)
    enlisting.record_invitation(session, member=newcomer, code=codes.code_of(session, referrer.id))
    session.commit()
    before = lane.fallbacks[EXPECTED]
    assert buy(client, store, referrer_card.number, 6000).status_code == 201
    assert lane.fallbacks[EXPECTED] == before  # no invitation pending: one statement
    assert buy(client, store, card.number, 6000).status_code == 201
    assert lane.fallbacks[EXPECTED] == before + 1 and lane.fallbacks[BUG] == 0
    session.expire_all()
    assert session.scalar(select(Invitation.status)) == "rewarded"


def test_the_staff_page_pages_its_referrers(app, client, session):
    for _ in range(21):
        referrer, _ = member(session)
        newcomer, _ = member(session)
        enlisting.record_invitation(session, member=newcomer,
                                    code=codes.code_of(session, referrer.id))
    session.commit()
    make_staff(app, "mkt", ("marketing",))
    staff_log_in(client, "mkt", STAFF_PASSWORD)
    first = client.get("/staff/invitations/").get_data(as_text=True)
    second = client.get("/staff/invitations/?page=2").get_data(as_text=True)

    def rows(page):
        table = re.search(r'id="referrers">(.*?)</table>', page, re.S).group(1)
        return table.count("<tr>") - 1  # the header's row
    assert (rows(first), rows(second)) == (20, 1)
    assert "第 1 / 2 页，共 21 位推荐人" in first and 'rel="next"' in first


def test_a_refund_that_claws_back_the_reward_answers_the_balance_after_it(app, client,
                                                                           session):
    from tests.api.pos_helpers import refund
    store = shop(session)
    referrer, _ = member(session)
    newcomer, card = member(session)
    enlisting.record_invitation(session, member=newcomer, code=codes.code_of(session, referrer.id))
    session.commit()
    assert buy(client, store, card.number, 6000).status_code == 201
    sold = session.scalar(select(Invitation.purchase_id))
    answer = refund(client, store, sold)
    assert answer.status_code == 201
    from valliance import points
    session.rollback()  # a fresh read
    after = points.get_balance(session, newcomer.points_account_id).balance
    # the sale's points and the newcomer's reward both gone: the till is told the balance after
    assert answer.get_json()["points_balance"] == after == 0
