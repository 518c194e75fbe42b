"""The desk's staff pages (role service_desk; admin too): each renders empty and populated,
who may open them, the queue's order, clock and filters, and a missing ticket's 404."""

import re
from datetime import timedelta

import pytest

from tests.api.desk_helpers import (
    DESK,
    desk_client,
    member_of,
    open_ticket,
    staff_client,
    staff_user,
)
from tests.api.test_backoffice_roles import signed_in
from tests.api.test_merchant_apply import csrf_of
from tests.api.world import OWNER_PHONE, PASSWORD, build
from tests.sms import record_sms
from valliance.extensions import db
from valliance.service_desk.services import teams, tickets

PAGES = ("/", "/new", "/teams", "/levels")


@pytest.fixture(autouse=True)
def sms(app, monkeypatch):
    return record_sms(app, monkeypatch)


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.mark.parametrize("path", PAGES)
def test_each_desk_page_renders_for_a_desk_user_on_an_empty_database(app, path):
    client, _ = desk_client(app)
    html = _html(client.get(DESK + path))
    assert 'href="/staff/desk/"' in html  # the staff navigation's entry
    assert "aria-current" in html
    if path == "/":
        assert 'id="queue-empty"' in html and "没有超时的工单" in html


def _populate(app, desk_id: str) -> dict:
    diamond = member_of(app, "13800138001", tier="diamond", name="钱钻石")
    gold = member_of(app, "13800138002", tier="gold", name="孙金卡")
    with app.app_context():
        team = teams.create_team(db.session, name="装维一组", lead_id=desk_id, by="test")
        teams.add_engineer(db.session, team.id, desk_id, by="test")
        db.session.commit()
        team_id = team.id
    ids = {"team": team_id,
           "late": open_ticket(app, diamond["id"], ago=timedelta(hours=6), summary="断网六小时"),
           "amber": open_ticket(app, gold["id"], ago=timedelta(hours=4), summary="电视花屏"),
           "fresh": open_ticket(app, gold["id"], kind="install", summary="新装宽带"),
           "paused": open_ticket(app, diamond["id"], kind="move", summary="移机")}
    with app.app_context():
        tickets.assign_ticket(db.session, ids["amber"], by=desk_id, team_id=team_id,
                              assignee_id=desk_id)
        tickets.change_status(db.session, ids["paused"], "waiting_member", by=desk_id,
                              note="请确认新地址")
        db.session.commit()
    return ids


@pytest.mark.parametrize("path", (*PAGES, "/tickets/{late}", "/tickets/{paused}"))
def test_each_desk_page_renders_on_a_populated_database(app, path):
    client, desk_id = desk_client(app)
    ids = _populate(app, desk_id)
    html = _html(client.get(DESK + path.format(**ids)))
    assert "Traceback" not in html


def test_admin_opens_the_desk_pages_too(app):
    staff_user(app, "boss", roles=("admin",))
    client = staff_client(app, "boss")
    for path in PAGES:
        _html(client.get(DESK + path))


def test_a_member_care_only_user_gets_403_on_every_desk_page(app):
    client, desk_id = desk_client(app)
    ids = _populate(app, desk_id)
    staff_user(app, "care", roles=("member_care",))
    care = staff_client(app, "care")
    token = csrf_of(care.get("/staff/").get_data(as_text=True))
    for path in (*PAGES, f"/tickets/{ids['late']}"):
        response = care.get(DESK + path)
        assert response.status_code == 403, path
        assert 'href="/staff/desk/"' not in response.get_data(as_text=True)
    for path in (f"/tickets/{ids['late']}/assign", f"/tickets/{ids['late']}/status/resolved",
                 f"/tickets/{ids['late']}/notes", "/teams", "/levels", "/new"):
        assert care.post(DESK + path, data={"csrf_token": token}).status_code == 403, path


def test_a_merchant_user_gets_no_desk_page(app):
    build(app)
    client = signed_in(app, "/merchant/login", {"phone": OWNER_PHONE, "password": PASSWORD})
    for path in PAGES:
        assert client.get(DESK + path).status_code == 403, path


def test_visitors_are_sent_to_the_staff_login(client):
    for path in PAGES:
        response = client.get(DESK + path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/staff/login")


def test_a_ticket_that_does_not_exist_is_a_404_page(app):
    client, _ = desk_client(app)
    response = client.get(f"{DESK}/tickets/tkt_nope")
    assert response.status_code == 404 and "没有这张工单" in response.get_data(as_text=True)


def _numbers_in_order(html: str) -> list[str]:
    return re.findall(r'data-ticket="(T\d{8})"', html)


def test_the_queue_puts_the_least_time_left_first_with_its_light_and_words(app):
    client, desk_id = desk_client(app)
    ids = _populate(app, desk_id)
    html = _html(client.get(DESK + "/"))
    lights = re.findall(r'<tr class="desk-row" data-ticket="T\d{8}" data-light="(\w+)"', html)
    assert lights == ["red", "amber", "green", "paused"]
    assert re.search(r"超时 (1小时0分|59分)", html) and "剩余 " in html
    assert "暂停中，剩余" in html
    assert 'id="overdue-count"' in html and "已超时 1 张" in html
    assert html.count("desk-escalated") == 0
    with app.app_context():
        from valliance.service_desk.services.escalation import escalate_overdue
        escalate_overdue(db.session)
        db.session.commit()
    html = _html(client.get(DESK + "/"))
    assert "其中已升级 1 张" in html and html.count('class="badge warn desk-escalated"') == 1
    assert ids  # (the rows above are these four tickets)


@pytest.mark.parametrize("query, expected", [
    ("kind=install", ["fresh"]),
    ("kind=fault", ["late", "amber"]),
    ("tier=diamond", ["late", "paused"]),
    ("team={team}", ["amber"]),
    ("assignee={desk}", ["amber"]),
    ("assignee=none", ["late", "fresh", "paused"]),
    ("status=waiting_member", ["paused"]),
    ("status=assigned", ["amber"]),
    ("status=open", ["late", "fresh"]),
    ("status=overdue", ["late"]),
    ("kind=fault&tier=gold", ["amber"]),
    ("kind=nonsense", ["late", "amber", "fresh", "paused"]),
])
def test_the_queue_filters_by_kind_tier_team_assignee_and_status(app, query, expected):
    client, desk_id = desk_client(app)
    ids = _populate(app, desk_id)
    with app.app_context():
        from valliance.service_desk.models import Ticket
        numbers = {key: db.session.get(Ticket, ids[key]).number
                   for key in ("late", "amber", "fresh", "paused")}
    html = _html(client.get(f"{DESK}/?" + query.format(team=ids["team"], desk=desk_id)))
    assert _numbers_in_order(html) == [numbers[key] for key in expected]


def test_the_queue_pages_fifty_tickets_at_a_time_keeping_the_filters(app):
    client, _ = desk_client(app)
    someone = member_of(app, "13800138009")
    for n in range(60):
        open_ticket(app, someone["id"], ago=timedelta(minutes=n), summary=f"第{n}号")
    first = _html(client.get(f"{DESK}/?kind=fault"))
    assert len(_numbers_in_order(first)) == 50 and "共 60 张工单" in first
    assert 'href="/staff/desk/?kind=fault&amp;page=2"' in first
    second = _html(client.get(f"{DESK}/?kind=fault&page=2"))
    assert len(_numbers_in_order(second)) == 10
    assert not set(_numbers_in_order(first)) & set(_numbers_in_order(second))
    assert _html(client.get(f"{DESK}/?kind=install")).count('id="queue-empty"') == 1


def test_the_ticket_page_links_the_member_page_the_desk_may_open(app):
    client, desk_id = desk_client(app)
    ids = _populate(app, desk_id)
    html = _html(client.get(f"{DESK}/tickets/{ids['late']}"))
    link = re.search(r'<a href="(/staff/members/mem_\w+)" id="member-link">钱钻石</a>', html)
    assert link and client.get(link.group(1)).status_code == 200
    staff_user(app, "boss", roles=("admin",))
    html = _html(staff_client(app, "boss").get(f"{DESK}/tickets/{ids['late']}"))
    assert 'id="member-link"' in html


def test_the_pages_speak_english_when_asked(app):
    client, desk_id = desk_client(app)
    ids = _populate(app, desk_id)
    for path in (*PAGES, f"/tickets/{ids['late']}"):
        html = _html(client.get(f"{DESK}{path}?lang=en"))
        chinese = re.search(r">[^<]*(待受理|处理中|故障报修|剩余|班组长|服务时限)[^<]*<", html)
        assert not chinese, (path, chinese)
