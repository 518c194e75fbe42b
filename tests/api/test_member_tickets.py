"""Contract §12 through the member API: the exact shapes, the promised time, isolation, the
member's "not fixed" and rating, and the errors."""

from datetime import datetime, timedelta

import pytest

from tests.api.test_member_api import assert_error, auth, token_for
from tests.api.test_portal import enroll
from tests.sms import record_sms
from valliance.extensions import db
from valliance.service_desk.models import Ticket
from valliance.service_desk.services import levels, tickets
from valliance.staff import services as staff_services

FAULT = {"kind": "fault", "summary": "宽带断网，光猫红灯闪烁", "contact_phone": "13800138000"}


@pytest.fixture(autouse=True)
def sms(app, monkeypatch):
    return record_sms(app, monkeypatch)


@pytest.fixture
def desk(app):
    with app.app_context():
        staff = staff_services.create_staff_user(db.session, username="desk", name="客服小林",
                                                 password="desk-pass-2026",
                                                 roles=("service_desk",))
        db.session.commit()
        return staff.id


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_fault_is_created_with_exactly_the_contract_keys_and_due_in_five_hours(app, client):
    enroll(app)
    answer = client.post("/api/v1/member/tickets", json=FAULT, headers=auth(token_for(client)))
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert set(body) == {"id", "kind", "status", "created_at", "due_at"}
    assert body["kind"] == "fault" and body["status"] == "open"
    assert body["created_at"].endswith("+08:00") and body["due_at"].endswith("+08:00")
    assert _at(body["due_at"]) - _at(body["created_at"]) == timedelta(hours=5)


@pytest.mark.parametrize("kind", ["install", "move", "value_added", "billing", "other"])
def test_every_other_kind_is_due_in_24_hours(app, client, kind):
    enroll(app)
    body = client.post("/api/v1/member/tickets", json={**FAULT, "kind": kind},
                       headers=auth(token_for(client))).get_json()
    assert _at(body["due_at"]) - _at(body["created_at"]) == timedelta(hours=24)


def test_a_configured_level_for_diamond_faults_applies_to_diamond_members_only(app, client):
    with app.app_context():
        levels.set_level(db.session, "fault", "diamond", 120, by="admin")
        db.session.commit()
    enroll(app, phone="13800138000", tier="diamond")
    enroll(app, phone="13900139000", tier="gold")
    diamond = client.post("/api/v1/member/tickets", json=FAULT,
                          headers=auth(token_for(client, "13800138000"))).get_json()
    gold = client.post("/api/v1/member/tickets", json={**FAULT, "contact_phone": "13900139000"},
                       headers=auth(token_for(client, "13900139000"))).get_json()
    assert _at(diamond["due_at"]) - _at(diamond["created_at"]) == timedelta(hours=2)
    assert _at(gold["due_at"]) - _at(gold["created_at"]) == timedelta(hours=5)


@pytest.mark.parametrize("body, field", [
    ({**FAULT, "kind": "broken"}, "kind"),
    ({**FAULT, "summary": ""}, "summary"),
    ({**FAULT, "summary": "   "}, "summary"),
    ({**FAULT, "summary": "长" * 501}, "summary"),
    ({**FAULT, "contact_phone": "12345"}, "contact_phone"),
    ({**FAULT, "contact_phone": 13800138000}, "contact_phone"),
    ({"summary": "x", "contact_phone": "13800138000"}, "kind"),
])
def test_bad_tickets_are_refused_field_by_field(app, client, body, field):
    enroll(app)
    answer = client.post("/api/v1/member/tickets", json=body, headers=auth(token_for(client)))
    assert field in assert_error(answer, 422, "validation_error")["details"]


def test_no_json_and_no_token_answer_with_the_contract_errors(app, client):
    enroll(app)
    assert_error(client.post("/api/v1/member/tickets", json=FAULT), 401, "unauthorized")
    assert_error(client.post("/api/v1/member/tickets", data="{", headers={
        **auth(token_for(client)), "Content-Type": "application/json"}), 400, "invalid_json")


def test_another_members_ticket_is_not_found(app, client):
    enroll(app, phone="13800138000")
    enroll(app, phone="13900139000")
    mine = client.post("/api/v1/member/tickets", json=FAULT,
                       headers=auth(token_for(client, "13800138000"))).get_json()
    theirs = auth(token_for(client, "13900139000"))
    assert_error(client.get(f"/api/v1/member/tickets/{mine['id']}", headers=theirs),
                 404, "not_found")
    assert_error(client.post(f"/api/v1/member/tickets/{mine['id']}/rating",
                             json={"score": 5}, headers=theirs), 404, "not_found")
    assert client.get("/api/v1/member/tickets", headers=theirs).get_json() == {"tickets": []}


def test_the_member_follows_a_fault_to_its_resolution_and_rates_it_once(app, client, desk,
                                                                      sms):
    enroll(app)
    headers = auth(token_for(client))
    created = client.post("/api/v1/member/tickets", json=FAULT, headers=headers).get_json()
    with app.app_context():
        tickets.change_status(db.session, created["id"], "in_progress", by=desk,
                              now=datetime.now().astimezone())
        tickets.add_note(db.session, created["id"], by=desk, note="工程师查线路",
                         visibility="internal")
        tickets.change_status(db.session, created["id"], "resolved", by=desk,
                              note="更换了光猫")
        db.session.commit()
    detail = client.get(f"/api/v1/member/tickets/{created['id']}", headers=headers).get_json()
    assert detail["status"] == "resolved" and detail["can_rate"] and detail["can_reopen"]
    assert [event["status"] for event in detail["events"]] == ["open", "in_progress",
                                                               "resolved"]
    assert "工程师查线路" not in str(detail)  # an internal note stays with the desk
    assert set(detail["events"][0]) == {"status", "note", "created_at"}
    early = client.post(f"/api/v1/member/tickets/{created['id']}/rating",
                        json={"score": 6}, headers=headers)
    assert "score" in assert_error(early, 422, "validation_error")["details"]
    rated = client.post(f"/api/v1/member/tickets/{created['id']}/rating",
                        json={"score": 5, "comment": "很快"}, headers=headers)
    assert rated.status_code == 201 and rated.get_json()["score"] == 5
    again = client.post(f"/api/v1/member/tickets/{created['id']}/rating",
                        json={"score": 1}, headers=headers)
    assert_error(again, 422, "validation_error")
    assert client.get("/api/v1/member/tickets", headers=headers).get_json()[
        "tickets"][0]["rating"] == 5


def test_not_fixed_reopens_with_the_clock_running_on(app, client, desk):
    enroll(app)
    headers = auth(token_for(client))
    created = client.post("/api/v1/member/tickets", json=FAULT, headers=headers).get_json()
    not_yet = client.post(f"/api/v1/member/tickets/{created['id']}/reopen", json={},
                          headers=headers)
    assert_error(not_yet, 422, "validation_error")
    with app.app_context():
        tickets.change_status(db.session, created["id"], "resolved", by=desk, note="已重启")
        db.session.commit()
    reopened = client.post(f"/api/v1/member/tickets/{created['id']}/reopen",
                           json={"note": "还是不行"}, headers=headers)
    assert reopened.status_code == 200 and reopened.get_json()["status"] == "in_progress"
    with app.app_context():
        ticket = db.session.get(Ticket, created["id"])
        assert ticket.reopen_count == 1 and ticket.running_since is not None
        assert ticket.resolved_at is None and ticket.within_target is None


def test_the_queue_puts_the_least_time_left_first_and_paused_tickets_last(app, client, desk):
    from valliance.members.models import Member
    from valliance.service_desk.services.queue import QueueFilters, queue_page

    enroll(app)
    start = datetime.fromisoformat("2026-12-07T10:00:00+08:00")
    with app.app_context():
        member = db.session.query(Member).one()
        other = tickets.open_ticket(db.session, member, kind="install", summary="装宽带",
                                    contact_phone="13800138000", now=start)
        fault = tickets.open_ticket(db.session, member, kind="fault", summary="断网",
                                    contact_phone="13800138000", now=start)
        paused = tickets.open_ticket(db.session, member, kind="fault", summary="电视无信号",
                                     contact_phone="13800138000", now=start)
        tickets.change_status(db.session, paused.id, "waiting_member", by=desk,
                              note="请告知上门时间", now=start)
        db.session.commit()
        page = queue_page(db.session, now=start + timedelta(hours=4))
        assert [row.ticket.id for row in page.rows] == [fault.id, other.id, paused.id]
        assert [row.light for row in page.rows] == ["amber", "green", "paused"]
        late = queue_page(db.session, now=start + timedelta(hours=5, minutes=1))
        assert late.rows[0].light == "red" and late.rows[0].left_seconds == -60
        only = queue_page(db.session, QueueFilters(status="overdue"),
                          now=start + timedelta(hours=5, minutes=1))
        assert [row.ticket.id for row in only.rows] == [fault.id]


def test_the_same_report_sent_twice_opens_one_ticket_and_tells_once(app, client):
    enroll(app)
    headers = auth(token_for(client))
    first = client.post("/api/v1/member/tickets", json=FAULT, headers=headers).get_json()
    again = client.post("/api/v1/member/tickets", json=FAULT, headers=headers).get_json()
    other = client.post("/api/v1/member/tickets", json={**FAULT, "summary": "电视没信号"},
                        headers=headers).get_json()
    assert first == again and other["id"] != first["id"]
    assert len(client.get("/api/v1/member/tickets", headers=headers).get_json()["tickets"]) == 2
    inbox = client.get("/api/v1/member/inbox", headers=headers).get_json()["messages"]
    assert len([message for message in inbox if "已受理" in message["body"]]) == 2


def test_every_bad_field_of_a_report_is_named_at_once(app, client):
    enroll(app)
    answer = client.post("/api/v1/member/tickets", headers=auth(token_for(client)), json={
        "kind": "broken", "summary": "", "contact_phone": "123", "address": "路" * 201})
    details = assert_error(answer, 422, "validation_error")["details"]
    assert set(details) == {"kind", "summary", "contact_phone", "address"}


def test_an_app_sending_reports_in_a_flood_is_slowed_with_the_contract_error(app, client):
    enroll(app)
    headers = auth(token_for(client))
    for i in range(10):
        made = client.post("/api/v1/member/tickets", json={**FAULT, "summary": f"断网{i}"},
                           headers=headers)
        assert made.status_code == 201
    flood = client.post("/api/v1/member/tickets", json={**FAULT, "summary": "又一个"},
                        headers=headers)
    assert_error(flood, 429, "rate_limited")


def test_queue_pages_run_on_from_the_running_tickets_into_the_paused_ones(app, desk):
    from valliance.members.models import Member
    from valliance.service_desk.services.queue import queue_page

    enroll(app)
    start = datetime.fromisoformat("2026-12-07T10:00:00+08:00")
    with app.app_context():
        member = db.session.query(Member).one()
        made = [tickets.open_ticket(db.session, member, kind="fault", summary=f"断网{i}",
                                    contact_phone="13800138000",
                                    now=start + timedelta(minutes=i)).id for i in range(5)]
        for ticket_id in made[:2]:  # the two oldest wait for the member
            tickets.change_status(db.session, ticket_id, "waiting_member", by=desk,
                                  note="请在家等候", now=start + timedelta(minutes=10))
        db.session.commit()
        pages = [queue_page(db.session, per_page=2, page=n, now=start + timedelta(hours=1))
                 for n in (1, 2, 3, 4)]
        assert [[row.ticket.id for row in page.rows] for page in pages[:3]] == [
            made[2:4], [made[4], made[0]], [made[1]]]
        assert pages[0].total == 5 and pages[0].pages == 3
        assert [row.ticket.id for row in pages[3].rows] == [made[1]]  # past the end: the last


def test_the_member_hears_that_it_was_assigned_but_not_to_whom_or_why(app, client, desk):
    enroll(app)
    headers = auth(token_for(client))
    created = client.post("/api/v1/member/tickets", json=FAULT, headers=headers).get_json()
    with app.app_context():
        for _ in range(2):  # assigned, then handed on: the second is the desk's business
            tickets.assign_ticket(db.session, created["id"], by=desk, team_id=None,
                                  assignee_id=desk, note="交给小林，用户上次投诉过")
        db.session.commit()
    detail = client.get(f"/api/v1/member/tickets/{created['id']}", headers=headers).get_json()
    assert [(e["status"], e["note"]) for e in detail["events"]] == [
        ("open", None), ("assigned", None)]
    assert "投诉" not in str(detail)
    inbox = client.get("/api/v1/member/inbox", headers=headers).get_json()["messages"]
    assert len(inbox) == 2 and "投诉" not in str(inbox)
