"""Members' birthdays (issue #17): month and day, no year, optional; given in the portal's
profile page or the member API, validated by one service (February 29 allowed, February 30
and month 13 refused), audited, and shown on the back office's member page."""

import pytest
from sqlalchemy import select

from tests.api.test_backoffice_members import carer  # noqa: F401 — a fixture
from tests.api.test_portal import PASSWORD, csrf_of, enroll, log_in
from valliance.audit import AuditEvent
from valliance.errors import ValidationError
from valliance.extensions import db
from valliance.members.models import Member
from valliance.members.services import enroll_member
from valliance.members.services.birthday import set_birthday, valid_birthday

PHONE = "13800138000"


def _birthday(app, member_id: str) -> tuple:
    with app.app_context():
        member = db.session.get(Member, member_id)
        return member.birth_month, member.birth_day


def _events(session, member_id: str) -> list[tuple]:
    return [(e.action, e.actor, e.reason) for e in session.scalars(
        select(AuditEvent).where(AuditEvent.subject == member_id,
                                 AuditEvent.action == "member.birthday")
        .order_by(AuditEvent.seq))]


# --- the service ---------------------------------------------------------------------------

@pytest.mark.parametrize(("month", "day", "ok"), [
    (1, 1, True), (2, 29, True), (12, 31, True), (4, 30, True), (2, 30, False),
    (4, 31, False), (13, 1, False), (0, 5, False), (5, 0, False), (5, 32, False),
    (True, 1, False), ("5", 1, False)])
def test_a_birthday_is_a_day_of_a_leap_year(month, day, ok):
    assert valid_birthday(month, day) is ok


def test_set_birthday_sets_changes_and_clears_audited_once_per_change(session):
    member = enroll_member(session, phone=PHONE, name="张三")
    assert set_birthday(session, member, 5, 12, actor="member:x", via="test") is True
    assert set_birthday(session, member, 5, 12, actor="member:x") is False  # no change
    assert set_birthday(session, member, 2, 29, actor="member:x") is True
    assert set_birthday(session, member, None, None, actor="member:x") is True
    session.commit()
    assert (member.birth_month, member.birth_day) == (None, None)
    assert _events(session, member.id) == [("member.birthday", "member:x", "set")] * 2 + [
        ("member.birthday", "member:x", "cleared")]


@pytest.mark.parametrize(("month", "day", "field"), [
    (2, 30, "day"), (13, 1, "month"), (0, 1, "month"), (4, 31, "day"), (5, None, "day"),
    (None, 5, "month"), (6, 0, "day")])
def test_set_birthday_refuses_what_is_no_day_of_the_year(session, month, day, field):
    member = enroll_member(session, phone=PHONE, name="张三")
    with pytest.raises(ValidationError) as refused:
        set_birthday(session, member, month, day, actor="member:x")
    assert list(refused.value.details) == [field]
    assert " / " in refused.value.details[field][0]  # Chinese and English
    assert (member.birth_month, member.birth_day) == (None, None)


# --- the portal ----------------------------------------------------------------------------

def _save(client, data: dict, csrf: bool = True):
    html = client.get("/me/profile").get_data(as_text=True)
    return client.post("/me/profile/birthday",
                       data={**data, **({"csrf_token": csrf_of(html)} if csrf else {})})


def test_the_profile_page_gives_changes_and_clears_the_birthday(app, client):
    made = enroll(app)
    log_in(client)
    page = client.get("/me/profile").get_data(as_text=True)
    assert 'id="birthday"' in page and "选填" in page and 'name="clear"' not in page
    assert _save(client, {"month": "5", "day": "12"}).status_code == 302
    assert _birthday(app, made["id"]) == (5, 12)
    page = client.get("/me/profile").get_data(as_text=True)
    assert "生日已保存" in page and "您的生日：5月12日" in page
    assert '<option value="5" selected>5月</option>' in page
    assert '<option value="12" selected>12</option>' in page
    assert "Your birthday: May 12" in client.get("/me/profile?lang=en").get_data(as_text=True)
    client.get("/me/profile?lang=zh_CN")  # the choice of language sticks: back to Chinese
    assert _save(client, {"month": "2", "day": "29"}).status_code == 302
    assert _birthday(app, made["id"]) == (2, 29)
    assert _save(client, {"month": "2", "day": "29", "clear": "1"}).status_code == 302
    assert _birthday(app, made["id"]) == (None, None)
    assert "生日已清除" in client.get("/me/profile").get_data(as_text=True)


@pytest.mark.parametrize(("data", "message"), [
    ({"month": "2", "day": "30"}, "2月没有30日"),
    ({"month": "13", "day": "1"}, "月份须在 1 到 12 之间"),
    ({"month": "5", "day": ""}, "请选择日期"), ({"month": "", "day": "5"}, "请选择月份"),
    ({"month": "x", "day": "5"}, "月份须在 1 到 12 之间")])
def test_the_profile_page_refuses_a_day_the_month_never_has(app, client, data, message):
    made = enroll(app)
    log_in(client)
    answer = _save(client, data)
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert message in page and 'aria-invalid="true"' in page
    assert _birthday(app, made["id"]) == (None, None)


def test_an_empty_form_leaves_no_birthday(app, client):
    made = enroll(app)
    log_in(client)
    assert _save(client, {"month": "", "day": ""}).status_code == 302
    assert _birthday(app, made["id"]) == (None, None)


def test_the_birthday_form_needs_the_csrf_token_and_a_signed_in_member(app, client):
    made = enroll(app)
    assert client.post("/me/profile/birthday", data={"month": "5", "day": "1"}).status_code == 400
    log_in(client)
    assert _save(client, {"month": "5", "day": "1"}, csrf=False).status_code == 400
    assert _birthday(app, made["id"]) == (None, None)


def test_the_english_page_names_the_month_and_the_refusal_in_english(app, client):
    enroll(app)
    log_in(client)
    html = client.get("/me/profile?lang=en").get_data(as_text=True)
    assert '<option value="2">Feb</option>' in html and "Birthday" in html
    answer = client.post("/me/profile/birthday?lang=en",
                         data={"month": "2", "day": "30", "csrf_token": csrf_of(html)})
    assert "Month 2 has no day 30" in answer.get_data(as_text=True)


# --- the member API ------------------------------------------------------------------------

def _token(client) -> dict:
    answer = client.post("/api/v1/member/session", json={"phone": PHONE, "password": PASSWORD})
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def test_the_api_reads_sets_and_clears_the_birthday(app, client):
    made = enroll(app)
    auth = _token(client)
    url = "/api/v1/member/profile/birthday"
    assert client.get(url, headers=auth).get_json() == {"month": None, "day": None}
    answer = client.put(url, headers=auth, json={"month": 2, "day": 29})
    assert answer.status_code == 200 and answer.get_json() == {"month": 2, "day": 29}
    assert client.get(url, headers=auth).get_json() == {"month": 2, "day": 29}
    cleared = client.put(url, headers=auth, json={"month": None, "day": None})
    assert cleared.get_json() == {"month": None, "day": None}
    assert _birthday(app, made["id"]) == (None, None)
    with app.app_context():
        assert [e[1] for e in _events(db.session, made["id"])] == [f"member:{made['id']}"] * 2


@pytest.mark.parametrize(("body", "field"), [
    ({"month": 2, "day": 30}, "day"), ({"month": 13, "day": 1}, "month"),
    ({"month": "5", "day": 1}, "month"), ({"month": True, "day": 1}, "month"),
    ({"month": 5, "day": 1.5}, "day"), ({"day": 1}, "month"), ({"month": 5, "day": None}, "day")])
def test_the_api_refuses_what_is_no_birthday(app, client, body, field):
    made = enroll(app)
    answer = client.put("/api/v1/member/profile/birthday", headers=_token(client), json=body)
    assert answer.status_code == 422
    error = answer.get_json()
    assert error["error"] == "validation_error" and list(error["details"]) == [field]
    assert _birthday(app, made["id"]) == (None, None)


def test_the_birthday_api_needs_a_token_a_json_object_and_is_documented(app, client):
    enroll(app)
    url = "/api/v1/member/profile/birthday"
    assert client.get(url).status_code == 401
    assert client.put(url, json={"month": 5, "day": 1}).status_code == 401
    bad = client.put(url, headers=_token(client), data="[1]", content_type="application/json")
    assert bad.status_code == 400 and bad.get_json()["error"] == "invalid_json"
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "put"} <= set(paths[url])


# --- the back office -----------------------------------------------------------------------

def test_the_back_office_member_page_shows_the_birthday(app, client, carer):  # noqa: F811
    made = enroll(app)
    page = client.get(f"/staff/members/{made['id']}").get_data(as_text=True)
    assert '<dd id="birthday"><span class="muted">未填写' in page
    with app.app_context():
        set_birthday(db.session, db.session.get(Member, made["id"]), 5, 12,
                     actor=f"member:{made['id']}")
        db.session.commit()
    page = client.get(f"/staff/members/{made['id']}").get_data(as_text=True)
    assert '<dt>生日</dt><dd id="birthday">5月12日</dd>' in page
    assert "修改生日" in page  # in the record of the member's changes
