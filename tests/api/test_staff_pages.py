"""Alliance staff pages: sign-in, the merchant queue and reviews (CSRF on, as in production)."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.api.test_merchant_apply import (
    PASSWORD,
    apply_in_db,
    apply_on_web,
    csrf_of,
    licence,
    post_form,
)
from valliance import sign_in
from valliance.audit import AuditEvent
from valliance.db import utcnow
from valliance.errors import ValidationError
from valliance.extensions import db
from valliance.members import services as member_services
from valliance.merchants.models import MERCHANT_STATUSES, Merchant, MerchantUser
from valliance.merchants.services import onboarding
from valliance.merchants.services.merchant_users import authenticate_merchant_user
from valliance.messaging import OutboxMessage
from valliance.staff import services as staff_services
from valliance.staff.models import StaffUser


def make_staff(app, username="reviewer", name="审核员小周", password=PASSWORD) -> str:
    with app.app_context():
        staff = staff_services.create_staff_user(db.session, username=username, name=name,
                                                 password=password, roles=("admin",))
        db.session.commit()
        staff_id = staff.id
        db.session.remove()
    return staff_id


def staff_log_in(client, username="reviewer", password=PASSWORD, **kwargs):
    return post_form(client, "/staff/login", {"username": username, "password": password},
                     **kwargs)


@pytest.fixture
def staff(app, client):
    """A signed-in staff user; its id."""
    staff_id = make_staff(app)
    assert staff_log_in(client).status_code == 302
    return staff_id


def review(client, merchant_id: str, action: str, note: str = ""):
    return post_form(client, f"/staff/merchants/{merchant_id}/{action}", {f"{action}-note": note},
                     page=f"/staff/merchants/{merchant_id}")


def merchant_row(app, merchant_id: str) -> Merchant:
    with app.app_context():
        merchant = db.session.get(Merchant, merchant_id)
        db.session.expunge(merchant)
        db.session.remove()
    return merchant


def texts_to(app, phone: str) -> list[str]:
    with app.app_context():
        bodies = list(db.session.scalars(select(OutboxMessage.body).where(
            OutboxMessage.recipient == phone).order_by(OutboxMessage.id)))
        db.session.remove()
    return bodies


def page_errors(response) -> str:
    html = response.get_data(as_text=True)
    return " ".join(re.findall(r'class="(?:field-error|alert alert-error)"[^>]*>(.*?)</',
                               html, re.S))


# --- the whole story ----------------------------------------------------------------------


def test_applicant_applies_staff_approves_and_the_owner_can_then_sign_in(app, client, staff):
    applicant = app.test_client()
    assert apply_on_web(applicant, owner_phone="13911112222").status_code == 302
    with app.app_context():
        merchant_id = db.session.scalar(select(Merchant.id))
        assert authenticate_merchant_user(db.session, "13911112222", PASSWORD) is None
        db.session.remove()

    queue = client.get("/staff/merchants").get_data(as_text=True)
    assert "老李面馆" in queue and f"/staff/merchants/{merchant_id}" in queue
    response = review(client, merchant_id, "approve", "资料齐全")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/staff/merchants/{merchant_id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已通过：老李面馆" in page and "已加盟" in page

    merchant = merchant_row(app, merchant_id)
    assert merchant.status == "approved" and merchant.approved_at is not None
    assert (merchant.reviewed_by, merchant.review_note) == (staff, "资料齐全")
    assert merchant.reviewed_at is not None
    with app.app_context():
        owner = authenticate_merchant_user(db.session, "13911112222", PASSWORD)
        assert owner is not None and owner.merchant_id == merchant_id
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "merchant.approve"))
        assert (event.actor, event.subject, event.merchant_id) == (
            f"staff:{staff}", merchant_id, merchant_id)
        assert event.details["note"] == "资料齐全"
        db.session.rollback()
        db.session.remove()
    [sms] = texts_to(app, "13911112222")
    assert "老李面馆" in sms and "已通过审核" in sms
    with app.app_context():  # delivered after the commit
        assert db.session.scalar(select(OutboxMessage.sent_at)) is not None
        db.session.remove()


def test_reject_needs_a_reason_which_is_texted_to_the_applicant(app, client, staff):
    merchant = apply_in_db(app, 1)
    response = review(client, merchant["id"], "reject", "   ")
    assert response.status_code == 200
    assert "请填写原因" in page_errors(response)
    assert merchant_row(app, merchant["id"]).status == "pending"
    assert texts_to(app, merchant["phone"]) == []

    response = review(client, merchant["id"], "reject", "营业执照与店名不符")
    assert response.status_code == 302
    row = merchant_row(app, merchant["id"])
    assert (row.status, row.review_note, row.reviewed_by) == (
        "rejected", "营业执照与店名不符", staff)
    [sms] = texts_to(app, merchant["phone"])
    assert "未通过审核" in sms and "营业执照与店名不符" in sms
    page = client.get(f"/staff/merchants/{merchant['id']}").get_data(as_text=True)
    assert "营业执照与店名不符" in page  # the review history
    with app.app_context():
        assert authenticate_merchant_user(db.session, merchant["phone"], PASSWORD) is None
        db.session.remove()


def test_suspend_needs_a_reason_signs_the_owner_out_and_reinstate_lets_them_back(app, client,
                                                                                staff):
    merchant = apply_in_db(app, 1, status="approved")
    assert "请填写原因" in page_errors(review(client, merchant["id"], "suspend"))
    assert review(client, merchant["id"], "suspend", "多次投诉未处理").status_code == 302
    with app.app_context():
        assert authenticate_merchant_user(db.session, merchant["phone"], PASSWORD) is None
        db.session.remove()
    assert review(client, merchant["id"], "reinstate").status_code == 302
    row = merchant_row(app, merchant["id"])
    assert (row.status, row.review_note) == ("approved", "")
    with app.app_context():
        assert authenticate_merchant_user(db.session, merchant["phone"], PASSWORD) is not None
        db.session.remove()
    suspended, reinstated = texts_to(app, merchant["phone"])
    assert "暂停" in suspended and "多次投诉未处理" in suspended and "恢复" in reinstated


def test_a_review_made_on_the_command_line_is_credited_to_the_command_line_not_cli(
        app, client, staff):
    merchant = apply_in_db(app, 1, status="approved")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["merchants", "suspend", merchant["id"], "--reason",
                               "投诉核查"]).exit_code == 0
    page = client.get(f"/staff/merchants/{merchant['id']}").get_data(as_text=True)
    assert "命令行" in page and "· cli" not in page and ">cli<" not in page
    english = client.get(f"/staff/merchants/{merchant['id']}?lang=en").get_data(as_text=True)
    assert "Command line" in english


# --- the transition table ------------------------------------------------------------------

ALLOWED = {("pending", "approve"): "approved", ("pending", "reject"): "rejected",
           ("rejected", "approve"): "approved", ("approved", "suspend"): "suspended",
           ("suspended", "reinstate"): "approved"}


@pytest.mark.parametrize("status", MERCHANT_STATUSES)
@pytest.mark.parametrize("action", onboarding.REVIEW_ACTIONS)
def test_only_the_transitions_in_the_table_are_allowed(app, session, status, action):
    merchant = apply_in_db(app, 1, status=status)
    staff_id = make_staff(app)
    expected = ALLOWED.get((status, action))
    if expected:
        reviewed = onboarding.review_merchant(session, merchant["id"], action,
                                              staff_id=staff_id, note="理由")
        assert reviewed.status == expected
        assert session.scalar(select(OutboxMessage.recipient)) == merchant["phone"]
    else:
        with pytest.raises(ValidationError) as caught:
            onboarding.review_merchant(session, merchant["id"], action, staff_id=staff_id,
                                       note="理由")
        assert "不能" in caught.value.details["status"][0]
        session.rollback()
        assert session.get(Merchant, merchant["id"]).status == status
        assert session.scalar(select(OutboxMessage)) is None
        assert session.scalar(select(AuditEvent).where(
            AuditEvent.action == f"merchant.{action}")) is None


def test_the_table_says_the_same_as_the_service():
    assert {(s, a) for a, (sources, _) in onboarding.TRANSITIONS.items() for s in sources} == set(
        ALLOWED)


def test_an_invalid_transition_on_the_page_says_why_and_changes_nothing(app, client, staff):
    merchant = apply_in_db(app, 1, status="suspended")
    response = review(client, merchant["id"], "approve", "试试")
    assert response.status_code == 200
    assert "商户当前状态为「已暂停」，不能通过" in page_errors(response)
    html = response.get_data(as_text=True)
    assert "/approve" not in html and "/reinstate" in html  # only the actions that apply
    assert merchant_row(app, merchant["id"]).status == "suspended"
    assert texts_to(app, merchant["phone"]) == []


def test_an_approved_merchant_cannot_be_rejected_on_the_page(app, client, staff):
    merchant = apply_in_db(app, 1, status="approved")
    response = review(client, merchant["id"], "reject", "改主意了")
    assert "不能拒绝" in page_errors(response)
    assert merchant_row(app, merchant["id"]).status == "approved"


def test_reconsidering_a_rejected_merchant_fails_when_its_licence_joined_meanwhile(app, session):
    first = apply_in_db(app, 1, status="rejected")
    apply_in_db(app, 2, status="approved", licence_no=licence(1))
    with pytest.raises(ValidationError) as caught:
        onboarding.review_merchant(session, first["id"], "approve", staff_id=make_staff(app))
    assert "licence_no" in caught.value.details


def test_a_review_note_longer_than_an_sms_allows_is_refused(app, client, staff):
    merchant = apply_in_db(app, 1)
    response = review(client, merchant["id"], "reject", "太" * 201)
    assert "不超过200字" in page_errors(response)
    assert merchant_row(app, merchant["id"]).status == "pending"


def test_unknown_merchants_and_actions_are_404(app, client, staff):
    assert client.get("/staff/merchants/mer_nope").status_code == 404
    merchant = apply_in_db(app, 1)
    html = client.get(f"/staff/merchants/{merchant['id']}").get_data(as_text=True)
    response = client.post(f"/staff/merchants/{merchant['id']}/delete",
                           data={"csrf_token": csrf_of(html)})
    assert response.status_code == 404


# --- the merchant page ----------------------------------------------------------------------


def test_merchant_page_shows_the_application_its_owner_and_its_history(app, client, staff):
    merchant = apply_in_db(app, 1, avg_spend="85.5")
    review(client, merchant["id"], "reject", "照片不清晰")
    review(client, merchant["id"], "approve", "已补充材料")
    html = client.get(f"/staff/merchants/{merchant['id']}").get_data(as_text=True)
    for text in ("申请商户001", "餐饮", "鹿城区", "解放街18号", "0577-88001234", "¥85.50",
                 merchant["licence"], "李明", merchant["phone"], "店主", "审核员小周",
                 "照片不清晰", "已补充材料", "提交申请", "申请人"):
        assert text in html, text
    history = re.findall(r'<li data-action="(\w+)"', html)
    assert history == ["approve", "reject", "apply"]  # newest first
    assert 'action="/staff/merchants/' + merchant["id"] + '/suspend"' in html


def test_every_page_speaks_english_too(app, client, staff):
    merchant = apply_in_db(app, 1)
    assert "<h1>Merchant operations</h1>" in client.get("/staff/merchants?lang=en").get_data(
        as_text=True)
    html = client.get(f"/staff/merchants/{merchant['id']}").get_data(as_text=True)
    assert "Review history" in html and "Reject" in html


# --- the queue ---------------------------------------------------------------------------


def _backdate(app, merchant_id: str, minutes: int) -> None:
    with app.app_context():
        db.session.get(Merchant, merchant_id).created_at = utcnow() - timedelta(minutes=minutes)
        db.session.commit()
        db.session.remove()


def _names_on(html: str) -> list[str]:
    return re.findall(r'<td><a href="/staff/merchants/[^"]+">([^<]+)</a></td>', html)


def test_queue_shows_pending_first_newest_first_twenty_a_page_with_counts(app, client, staff):
    for n in range(1, 26):
        merchant = apply_in_db(app, n)
        _backdate(app, merchant["id"], 100 - n)  # higher n applied later
    apply_in_db(app, 90, status="approved")
    apply_in_db(app, 91, status="approved")
    apply_in_db(app, 92, status="suspended")

    html = client.get("/staff/merchants").get_data(as_text=True)
    tabs = re.findall(r'data-status="(\w+)"[^>]*>[^<]+<span class="count">(\d+)</span>', html)
    assert tabs == [("pending", "25"), ("approved", "2"), ("rejected", "0"),
                    ("suspended", "1")]
    assert 'data-status="pending" aria-current="page"' in html
    names = _names_on(html)
    assert names == [f"申请商户{n:03d}" for n in range(25, 5, -1)]
    assert "第 1 / 2 页" in html and 'rel="next"' in html and 'rel="prev"' not in html

    html = client.get("/staff/merchants?page=2").get_data(as_text=True)
    assert _names_on(html) == [f"申请商户{n:03d}" for n in range(5, 0, -1)]
    assert 'rel="prev"' in html and 'rel="next"' not in html
    # past the end: the last page, never an error
    assert _names_on(client.get("/staff/merchants?page=99").get_data(as_text=True)) == [
        f"申请商户{n:03d}" for n in range(5, 0, -1)]
    assert _names_on(client.get("/staff/merchants?page=abc").get_data(as_text=True)) == names

    html = client.get("/staff/merchants?status=approved").get_data(as_text=True)
    assert _names_on(html) == ["申请商户091", "申请商户090"]
    assert "第 1 /" not in html  # one page: no pager


def test_queue_searches_by_name_or_licence_number(app, client, staff):
    apply_in_db(app, 1, status="pending")
    apply_in_db(app, 2, status="pending", name="五马街汤圆")
    apply_in_db(app, 3, status="approved", name="五马街烧烤")
    html = client.get("/staff/merchants?q=五马街").get_data(as_text=True)
    assert _names_on(html) == ["五马街烧烤", "五马街汤圆"]  # every status
    tabs = dict(re.findall(r'data-status="(\w+)"[^>]*>[^<]+<span class="count">(\d+)</span>',
                           html))
    assert tabs == {"all": "2", "pending": "1", "approved": "1", "rejected": "0",
                    "suspended": "0"}
    assert "q=%E4%BA%94%E9%A9%AC%E8%A1%97" in html  # tabs keep the search
    narrowed = client.get("/staff/merchants?q=五马街&status=pending").get_data(as_text=True)
    assert _names_on(narrowed) == ["五马街汤圆"]

    assert _names_on(client.get(f"/staff/merchants?q={licence(1)}").get_data(
        as_text=True)) == ["申请商户001"]
    # a licence number's beginning, typed in any case
    assert _names_on(client.get(f"/staff/merchants?q={licence(1)[:12].lower()}").get_data(
        as_text=True)) == ["五马街烧烤", "五马街汤圆", "申请商户001"]
    assert _names_on(client.get("/staff/merchants?q=100%25").get_data(as_text=True)) == []


def test_queue_has_an_empty_state(app, client, staff):
    html = client.get("/staff/merchants").get_data(as_text=True)
    assert "暂无待审核的申请" in html and "<table" not in html
    html = client.get("/staff/merchants?status=rejected&q=不存在").get_data(as_text=True)
    assert "没有符合“不存在”的未通过商户" in html


def test_landing_page_shows_the_pending_count_and_links_to_the_queue(app, client, staff):
    apply_in_db(app, 1)
    apply_in_db(app, 2)
    apply_in_db(app, 3, status="approved")
    html = client.get("/staff/").get_data(as_text=True)
    assert re.search(r'id="pending-count">2<', html)
    assert 'href="/staff/merchants?status=pending"' in html
    assert 'href="/staff/referrals/"' in html  # the 114 channel's report, in the staff menu


# --- who may see staff pages --------------------------------------------------------------

STAFF_PAGES = ("/staff/", "/staff/merchants", "/staff/merchants/mer_x")


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_visitors_are_sent_to_the_staff_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login?next=")


def test_a_visitor_cannot_review(app, client):
    merchant = apply_in_db(app, 1)
    response = post_form(client, f"/staff/merchants/{merchant['id']}/approve", {},
                         page="/staff/login")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    assert merchant_row(app, merchant["id"]).status == "pending"


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_a_signed_in_member_gets_403(app, client, url):
    with app.app_context():
        member_services.enroll_member(db.session, phone="13800138000", name="张三",
                                      password=PASSWORD)
        db.session.commit()
    post_form(client, "/me/login", {"phone": "13800138000", "password": PASSWORD})
    assert client.get("/me/").status_code == 200
    assert client.get(url).status_code == 403


def _sign_in_as_merchant_user(app, client, monkeypatch, user_id: str) -> None:
    """Put a merchant user's session in the cookie, as the merchant portal's sign-in does."""
    if "merchant_user" not in sign_in._LOADERS:  # the portal's loader, when it is not wired yet
        class MerchantSignedIn(sign_in.SignedInUser):
            kind = "merchant_user"

        def load(record_id, version):
            record = db.session.get(MerchantUser, record_id)
            return MerchantSignedIn(record) if record else None

        monkeypatch.setitem(sign_in._LOADERS, "merchant_user", load)
    with app.app_context():
        user = db.session.get(MerchantUser, user_id)
        session_id = f"merchant_user:{user.id}:{sign_in.credential_version(user)}"
        db.session.remove()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = session_id
        cookie["_fresh"] = True


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_a_signed_in_merchant_user_gets_403(app, client, monkeypatch, url):
    merchant = apply_in_db(app, 1, status="approved")
    with app.app_context():
        user_id = db.session.scalar(select(MerchantUser.id).where(
            MerchantUser.merchant_id == merchant["id"]))
        db.session.remove()
    _sign_in_as_merchant_user(app, client, monkeypatch, user_id)
    assert client.get(url).status_code == 403


# --- signing in -----------------------------------------------------------------------------


def test_staff_sign_in_and_out(app, client):
    make_staff(app)
    response = staff_log_in(client, username="  Reviewer ")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    assert "审核员小周" in client.get("/staff/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(StaffUser.last_sign_in_at)) is not None
        db.session.remove()
    assert client.get("/staff/login").status_code == 302  # already in
    assert client.get("/staff/logout").status_code == 405  # a POST with its token only
    response = post_form(client, "/staff/logout", {}, page="/staff/")
    assert response.status_code == 302
    assert client.get("/staff/").headers["Location"].startswith("/staff/login")


def test_unknown_user_wrong_password_and_disabled_account_get_the_same_answer(app, client):
    make_staff(app)
    make_staff(app, username="gone", name="离职员工")
    with app.app_context():
        staff_services.set_staff_active(db.session, "gone", False)
        db.session.commit()
    answers = set()
    for username, password in (("nobody", PASSWORD), ("reviewer", "wrong-pass1"),
                               ("gone", PASSWORD)):
        response = staff_log_in(client, username=username, password=password)
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        answers.add(page_errors(response))
        assert "用户名或密码错误" in body
    assert len(answers) == 1
    assert client.get("/staff/").status_code == 302


def test_staff_login_follows_only_a_local_next(app, client):
    make_staff(app)
    html = client.get("/staff/login").get_data(as_text=True)
    response = client.post("/staff/login?next=https://evil.example/",
                           data={"username": "reviewer", "password": PASSWORD,
                                 "csrf_token": csrf_of(html)})
    assert response.headers["Location"] == "/staff/"
    client.post("/staff/logout", data={"csrf_token": csrf_of(
        client.get("/staff/").get_data(as_text=True))})
    html = client.get("/staff/login").get_data(as_text=True)
    response = client.post("/staff/login?next=/staff/merchants",
                           data={"username": "reviewer", "password": PASSWORD,
                                 "csrf_token": csrf_of(html)})
    assert response.headers["Location"] == "/staff/merchants"


def test_staff_login_is_rate_limited(app, client):
    make_staff(app)
    for _ in range(10):
        assert staff_log_in(client, password="wrong-pass1").status_code == 200
    response = staff_log_in(client)
    assert response.status_code == 429
    assert "后再试" in response.get_data(as_text=True)


def test_staff_login_failures_from_other_addresses_never_lock_the_user_out(app, client):
    make_staff(app)
    for attempt in range(10):
        staff_log_in(client, password="wrong-pass1",
                     environ_base={"REMOTE_ADDR": f"10.0.0.{attempt}"})
    response = staff_log_in(client, environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert response.status_code == 302


def test_staff_login_needs_its_csrf_token(app, client):
    make_staff(app)
    client.get("/staff/login")
    response = client.post("/staff/login", data={"username": "reviewer", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_disabling_a_staff_user_ends_their_session(app, client, staff):
    assert client.get("/staff/").status_code == 200
    with app.app_context():
        staff_services.set_staff_active(db.session, "reviewer", False)
        db.session.commit()
    assert client.get("/staff/").status_code == 302


def test_the_footer_links_to_the_staff_sign_in(client):
    assert 'href="/staff/login"' in client.get("/").get_data(as_text=True)
