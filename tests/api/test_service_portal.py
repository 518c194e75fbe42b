"""我的工单 in the member portal (CSRF on, as in production): the list, the report form, one
ticket with its updates, "还没解决" and the rating — and nothing of another member's."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.api import test_member_tickets
from tests.api.test_portal import csrf_of, enroll, log_in, post_form
from tests.sms import record_sms
from valliance.db import SHANGHAI, utcnow
from valliance.extensions import db
from valliance.marketing.services.send_rules import in_quiet_hours
from valliance.members.models import Member
from valliance.service_desk.models import Ticket
from valliance.service_desk.services import managers, tickets

desk = test_member_tickets.desk  # a desk user, 客服小林 (the fixture)
PHONE = "13800138000"
OTHER = "13900139000"
REPORT = {"kind": "fault", "summary": "宽带断网，光猫红灯闪烁", "contact_phone": PHONE,
          "address": "", "preferred_time": ""}


@pytest.fixture(autouse=True)
def sms(app, monkeypatch):
    return record_sms(app, monkeypatch)


@pytest.fixture
def member(app, client):
    made = enroll(app, phone=PHONE, tier="gold")
    log_in(client)
    return made


def _open(app, member_id: str, summary: str = "宽带断网", kind: str = "fault", now=None) -> str:
    with app.app_context():
        ticket = tickets.open_ticket(db.session, db.session.get(Member, member_id), kind=kind,
                                     summary=summary, contact_phone=PHONE, now=now)
        db.session.commit()
        return ticket.id


def _resolve(app, ticket_id: str, desk: str, note: str = "更换了光猫") -> None:
    with app.app_context():
        tickets.change_status(db.session, ticket_id, "resolved", by=desk, note=note)
        db.session.commit()


def _ticket(app, ticket_id: str) -> Ticket:
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        db.session.expunge(ticket)
        return ticket


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Ticket))


def _shown(moment) -> str:
    local = moment.astimezone(SHANGHAI)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def test_the_list_without_tickets_says_so_and_offers_the_report_button(app, client, member):
    html = client.get("/me/service/").get_data(as_text=True)
    assert 'id="no-tickets"' in html and "报修 / 办理业务" in html
    assert 'href="/me/service/new"' in html and "专属客户经理" not in html


def test_the_portal_navigation_links_to_my_tickets(app, client, member):
    html = client.get("/me/").get_data(as_text=True)
    assert 'href="/me/service/"' in html and "我的工单" in html


def test_the_list_shows_tickets_newest_first_with_kind_status_number_and_promise(app, client,
                                                                                 member):
    first = _open(app, member["id"], "旧的故障", now=utcnow() - timedelta(hours=2))
    second = _open(app, member["id"], "想装宽带", kind="install")
    html = client.get("/me/service/").get_data(as_text=True)
    older, newer = _ticket(app, first), _ticket(app, second)
    assert html.index(newer.number) < html.index(older.number)
    assert "新装" in html and "故障报修" in html and "已受理" in html
    assert f"承诺 {_shown(newer.due_at)}前" in html and f"承诺 {_shown(older.due_at)}前" in html
    assert "tkt_" not in html.replace(f"/me/service/{first}", "").replace(
        f"/me/service/{second}", "")  # ids only in links


def test_the_list_and_the_ticket_show_the_account_manager(app, client, member, desk):
    ticket_id = _open(app, member["id"])
    with app.app_context():
        managers.assign_manager(db.session, member["id"], desk, by="cli")
        db.session.commit()
    assert "您的专属客户经理：客服小林" in client.get("/me/service/").get_data(as_text=True)
    assert "您的专属客户经理：客服小林" in client.get(
        f"/me/service/{ticket_id}").get_data(as_text=True)


def test_the_report_form_has_the_members_phone_filled_in(app, client, member):
    html = client.get("/me/service/new").get_data(as_text=True)
    assert f'value="{PHONE}"' in html
    for kind in ("故障报修", "新装", "移机", "增值业务", "账单问题", "其他"):
        assert kind in html


def test_a_report_opens_exactly_one_ticket_and_shows_its_promised_time(app, client, member,
                                                                     sms):
    answer = post_form(client, "/me/service/new", REPORT)
    assert answer.status_code == 302 and _count(app) == 1
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert ticket.channel == "portal" and ticket.contact_phone == PHONE
        ticket_id, due = ticket.id, ticket.due_at
        queued = ticket.status == "open"
    assert answer.headers["Location"].endswith(f"/me/service/{ticket_id}")
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f"已受理，承诺{_shown(due)}前处理" in page  # the flash
    assert f"承诺 {_shown(due)}前" in page and "宽带断网，光猫红灯闪烁" in page
    if queued and not in_quiet_hours(utcnow()):
        assert any("已受理" in body for body in sms.to(PHONE))  # sent after the commit


def test_a_report_without_the_csrf_token_is_refused_and_opens_nothing(app, client, member):
    answer = client.post("/me/service/new", data=REPORT)
    assert answer.status_code == 400 and _count(app) == 0


@pytest.mark.parametrize("change, field, message", [
    ({"kind": ""}, "kind", "请选择工单类型"),
    ({"summary": "  "}, "summary", "此项必填"),
    ({"summary": "长" * 501}, "summary", "最多500个字"),
    ({"contact_phone": "12345"}, "contact_phone", "请填写11位手机号"),
])
def test_bad_input_keeps_what_was_typed_and_shows_the_error_by_its_field(app, client, member,
                                                                       change, field,
                                                                       message):
    typed = {**REPORT, "address": "朝阳区建国路88号", "preferred_time": "晚上7点后", **change}
    answer = post_form(client, "/me/service/new", typed)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and _count(app) == 0
    assert f'id="{field}-error"' in html and message in html
    assert "朝阳区建国路88号" in html and "晚上7点后" in html
    if field != "summary":
        assert "宽带断网，光猫红灯闪烁" in html
    if field != "kind":
        assert 'value="fault" checked' in html


def test_another_members_ticket_is_not_found_on_every_page(app, client, member):
    theirs = enroll(app, phone=OTHER, name="李四")
    ticket_id = _open(app, theirs["id"], "李四家的路由器坏了")
    assert client.get(f"/me/service/{ticket_id}").status_code == 404
    token = csrf_of(client.get("/me/service/").get_data(as_text=True))
    assert client.post(f"/me/service/{ticket_id}/reopen",
                       data={"csrf_token": token}).status_code == 404
    assert client.post(f"/me/service/{ticket_id}/rate",
                       data={"csrf_token": token, "score": "5"}).status_code == 404
    assert _ticket(app, ticket_id).rated_at is None
    assert "李四家的路由器坏了" not in client.get("/me/service/").get_data(as_text=True)


def test_the_pages_need_a_signed_in_member(client):
    for path in ("/me/service/", "/me/service/new", "/me/service/tkt_x"):
        answer = client.get(path)
        assert answer.status_code == 302 and "/me/login" in answer.headers["Location"]


def test_internal_notes_never_reach_the_members_page(app, client, member, desk):
    ticket_id = _open(app, member["id"])
    with app.app_context():
        tickets.add_note(db.session, ticket_id, by=desk, note="内部：用户曾投诉",
                         visibility="internal")
        tickets.add_note(db.session, ticket_id, by=desk, note="工程师下午两点上门",
                         visibility="member")
        db.session.commit()
    html = client.get(f"/me/service/{ticket_id}").get_data(as_text=True)
    assert "工程师下午两点上门" in html and "内部：用户曾投诉" not in html


def test_a_paused_ticket_shows_why_it_waits(app, client, member, desk):
    ticket_id = _open(app, member["id"])
    with app.app_context():
        tickets.change_status(db.session, ticket_id, "waiting_member", by=desk,
                              note="请告知方便上门的时间")
        db.session.commit()
    html = client.get(f"/me/service/{ticket_id}").get_data(as_text=True)
    assert 'id="waiting-reason"' in html and "请告知方便上门的时间" in html
    assert "计时暂停" in html


def test_not_fixed_reopens_a_resolved_ticket_through_the_page(app, client, member, desk):
    ticket_id = _open(app, member["id"])
    page = f"/me/service/{ticket_id}"
    assert 'id="reopen"' not in client.get(page).get_data(as_text=True)
    _resolve(app, ticket_id, desk)
    html = client.get(page).get_data(as_text=True)
    assert 'id="reopen"' in html and "更换了光猫" in html
    answer = post_form(client, f"{page}/reopen", {"note": "还是断网"}, page=page)
    assert answer.status_code == 302
    ticket = _ticket(app, ticket_id)
    assert ticket.status == "in_progress" and ticket.reopen_count == 1
    html = client.get(page).get_data(as_text=True)
    assert "还是断网" in html and 'id="reopen"' not in html


def test_reopening_an_unresolved_ticket_is_refused_with_a_message(app, client, member):
    ticket_id = _open(app, member["id"])
    page = f"/me/service/{ticket_id}"
    answer = post_form(client, f"{page}/reopen", {"note": ""}, page=page)
    assert answer.status_code == 200 and "只有已解决的工单可以反馈未解决" in answer.get_data(True)
    assert _ticket(app, ticket_id).status == "open"


def test_a_resolved_ticket_is_rated_once_through_the_page(app, client, member, desk):
    ticket_id = _open(app, member["id"])
    page = f"/me/service/{ticket_id}"
    _resolve(app, ticket_id, desk)
    html = client.get(page).get_data(as_text=True)
    assert 'id="rate"' in html and html.count('name="score"') == 5
    token = csrf_of(html)
    answer = client.post(f"{page}/rate", data={"csrf_token": token, "score": "4",
                                               "comment": "上门很及时"})
    assert answer.status_code == 302
    ticket = _ticket(app, ticket_id)
    assert ticket.rating == 4 and ticket.rating_comment == "上门很及时"
    html = client.get(page).get_data(as_text=True)
    assert 'id="rate"' not in html and 'id="rated"' in html
    again = client.post(f"{page}/rate", data={"csrf_token": token, "score": "1"})
    assert again.status_code == 200 and "这张工单已经评价过了" in again.get_data(as_text=True)
    assert _ticket(app, ticket_id).rating == 4


@pytest.mark.parametrize("score", ["", "0", "6", "五"])
def test_a_rating_outside_one_to_five_is_refused_by_its_field(app, client, member, desk,
                                                             score):
    ticket_id = _open(app, member["id"])
    _resolve(app, ticket_id, desk)
    page = f"/me/service/{ticket_id}"
    answer = post_form(client, f"{page}/rate", {"score": score, "comment": "留言"}, page=page)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and 'id="score-error"' in html and "留言" in html
    assert _ticket(app, ticket_id).rated_at is None


def test_the_pages_speak_english_too(app, client, member, desk):
    ticket_id = _open(app, member["id"])
    _resolve(app, ticket_id, desk)
    client.get("/me/service/?lang=en")
    for path in ("/me/service/", "/me/service/new", f"/me/service/{ticket_id}"):
        html = client.get(path).get_data(as_text=True)
        assert "故障报修" not in html and "我的工单" not in html, path
