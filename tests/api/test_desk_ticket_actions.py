"""The desk's actions on a ticket through its page, each with its CSRF token: assignment, every
move tickets.MOVES allows (and a refused one), the notes each move asks for, notes for the
member (their inbox) and internal ones (not), and opening a ticket for a caller."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.api.desk_helpers import DESK, desk_client, member_of, open_ticket, staff_user, ticket
from tests.api.test_merchant_apply import csrf_of
from tests.sms import record_sms
from valliance.extensions import db
from valliance.members.models import InboxMessage
from valliance.service_desk.models import Ticket
from valliance.service_desk.services import teams, tickets
from valliance.service_desk.services.tickets import MOVES

PHONE = "13800138001"


@pytest.fixture(autouse=True)
def sms(app, monkeypatch):
    return record_sms(app, monkeypatch)


@pytest.fixture
def desk(app):
    return desk_client(app)


@pytest.fixture
def caller(app):
    return member_of(app, PHONE, tier="gold", name="孙金卡")


def _post(client, ticket_id: str, path: str, data: dict):
    page = client.get(f"{DESK}/tickets/{ticket_id}").get_data(as_text=True)
    return client.post(f"{DESK}/tickets/{ticket_id}{path}",
                       data={**data, "csrf_token": csrf_of(page)})


def _inbox(app, member_id: str) -> list[str]:
    with app.app_context():
        rows = list(db.session.scalars(select(InboxMessage.body).where(
            InboxMessage.member_id == member_id).order_by(InboxMessage.id)))
        db.session.remove()
    return rows


def _to(app, ticket_id: str, status: str, by: str) -> None:
    """Bring the ticket to `status` the way the desk would."""
    path = {"open": [], "assigned": [("assign",)], "in_progress": ["in_progress"],
            "waiting_member": ["waiting_member"], "resolved": ["resolved"],
            "closed": ["resolved", "closed"]}[status]
    with app.app_context():
        for step in path:
            if step == ("assign",):
                tickets.assign_ticket(db.session, ticket_id, by=by, team_id=None,
                                      assignee_id=by)
            else:
                tickets.change_status(db.session, ticket_id, step, by=by, note="为了测试")
        db.session.commit()


def test_assigning_through_the_page_gives_team_and_engineer_and_tells_the_member(
        app, desk, caller):
    client, desk_id = desk
    with app.app_context():
        team = teams.create_team(db.session, name="装维一组", lead_id=None, by="test")
        db.session.commit()
        team_id = team.id
    ticket_id = open_ticket(app, caller["id"])
    page = client.get(f"{DESK}/tickets/{ticket_id}").get_data(as_text=True)
    assert f'<option value="{desk_id}">客服小林</option>' in page
    answer = _post(client, ticket_id, "/assign", {"assign-team_id": team_id,
                                                  "assign-assignee_id": desk_id,
                                                  "assign-note": "请尽快上门"})
    assert answer.status_code == 302
    done = ticket(app, ticket_id)
    assert (done.status, done.team_id, done.assignee_id) == ("assigned", team_id, desk_id)
    assert "已派单" in client.get(answer.headers["Location"]).get_data(as_text=True)
    assert any("已派给专人处理" in body for body in _inbox(app, caller["id"]))


def test_an_engineer_alone_brings_their_team(app, desk, caller):
    client, desk_id = desk
    with app.app_context():
        team = teams.create_team(db.session, name="装维二组", lead_id=None, by="test")
        teams.add_engineer(db.session, team.id, desk_id, by="test")
        db.session.commit()
        team_id = team.id
    ticket_id = open_ticket(app, caller["id"])
    _post(client, ticket_id, "/assign", {"assign-assignee_id": desk_id})
    assert ticket(app, ticket_id).team_id == team_id


def test_assigning_nobody_or_a_non_engineer_is_refused_next_to_the_field(app, desk, caller):
    client, _ = desk
    ticket_id = open_ticket(app, caller["id"])
    nobody = _post(client, ticket_id, "/assign", {})
    assert nobody.status_code == 200
    assert re.search(r'id="assign-assignee_id-error">请选择班组或工程师',
                     nobody.get_data(as_text=True))
    marketer = staff_user(app, "mkt", roles=("marketing",))
    refused = _post(client, ticket_id, "/assign", {"assign-assignee_id": marketer})
    assert "请选择一位客服工单岗位的在职员工" in refused.get_data(as_text=True)
    assert ticket(app, ticket_id).status == "open"


NOTE_NEEDED = {"waiting_member", "resolved"}
ALLOWED = [(status, move) for status, moves in MOVES.items() for move in moves]


@pytest.mark.parametrize("status, move", ALLOWED)
def test_every_allowed_move_goes_through_the_page(app, desk, caller, status, move):
    client, desk_id = desk
    ticket_id = open_ticket(app, caller["id"])
    _to(app, ticket_id, status, desk_id)
    page = client.get(f"{DESK}/tickets/{ticket_id}").get_data(as_text=True)
    assert f'data-move="{move}"' in page  # offered
    answer = _post(client, ticket_id, f"/status/{move}", {f"{move}-note": "已上门处理"})
    assert answer.status_code == 302, answer.get_data(as_text=True)[-2000:]
    after = ticket(app, ticket_id)
    expected = {"resume": "open"}.get(move, move)  # _to paused it straight from open
    assert after.status == expected
    offered = set(re.findall(r'data-move="(\w+)"', client.get(
        f"{DESK}/tickets/{ticket_id}").get_data(as_text=True)))
    assert offered == set(MOVES[after.status])


@pytest.mark.parametrize("status, move", [
    (status, move) for status in MOVES for move in
    ("assigned", "in_progress", "waiting_member", "resolved", "closed", "resume")
    if move not in MOVES[status]][:8])
def test_a_move_not_allowed_from_the_status_is_refused_with_a_message(app, desk, caller,
                                                                       status, move):
    client, desk_id = desk
    ticket_id = open_ticket(app, caller["id"])
    _to(app, ticket_id, status, desk_id)
    answer = _post(client, ticket_id, f"/status/{move}", {f"{move}-note": "试试"})
    assert answer.status_code == 200
    assert "工单不能从这个状态改为所选状态" in answer.get_data(as_text=True)
    assert ticket(app, ticket_id).status == status


@pytest.mark.parametrize("status, move, asks", [
    ("open", "waiting_member", "需要会员做什么"),
    ("in_progress", "resolved", "做了什么"),
    ("assigned", "closed", "为什么未解决就关闭"),
])
def test_a_pause_a_resolution_and_an_unresolved_close_ask_their_note(app, desk, caller,
                                                                      status, move, asks):
    client, desk_id = desk
    ticket_id = open_ticket(app, caller["id"])
    _to(app, ticket_id, status, desk_id)
    assert asks in client.get(f"{DESK}/tickets/{ticket_id}").get_data(as_text=True)
    answer = _post(client, ticket_id, f"/status/{move}", {f"{move}-note": "  "})
    assert answer.status_code == 200
    assert re.search(rf'id="{move}-note-error">此项必填', answer.get_data(as_text=True))
    assert ticket(app, ticket_id).status == status


def test_a_resolved_ticket_closes_without_a_note(app, desk, caller):
    client, desk_id = desk
    ticket_id = open_ticket(app, caller["id"])
    _to(app, ticket_id, "resolved", desk_id)
    assert _post(client, ticket_id, "/status/closed", {}).status_code == 302
    assert ticket(app, ticket_id).status == "closed"


def test_a_move_without_the_csrf_token_is_refused(app, desk, caller):
    client, _ = desk
    ticket_id = open_ticket(app, caller["id"])
    answer = client.post(f"{DESK}/tickets/{ticket_id}/status/in_progress", data={})
    assert answer.status_code == 400
    assert ticket(app, ticket_id).status == "open"


def test_a_paused_ticket_resumes_with_its_clock_running_again(app, desk, caller):
    client, desk_id = desk
    ticket_id = open_ticket(app, caller["id"], ago=timedelta(hours=1))
    answer = _post(client, ticket_id, "/status/waiting_member",
                   {"waiting_member-note": "请告知方便上门的时间"})
    assert answer.status_code == 302
    paused = ticket(app, ticket_id)
    assert paused.running_since is None and paused.waiting_reason == "请告知方便上门的时间"
    page = client.get(f"{DESK}/tickets/{ticket_id}").get_data(as_text=True)
    assert re.search(r"暂停中，剩余 (3小时59分|4小时0分)", page), page[-6000:]
    assert 'data-move="resume"' in page
    _post(client, ticket_id, "/status/resume", {})
    resumed = ticket(app, ticket_id)
    assert resumed.status == "open" and resumed.running_since is not None


def test_a_note_for_the_member_reaches_their_inbox_and_an_internal_one_does_not(
        app, desk, caller, sms):
    client, _ = desk
    ticket_id = open_ticket(app, caller["id"])
    before = len(_inbox(app, caller["id"]))
    _post(client, ticket_id, "/notes", {"note-note": "线路检查中", "note-visibility": "internal"})
    assert len(_inbox(app, caller["id"])) == before
    _post(client, ticket_id, "/notes", {"note-note": "工程师明早九点上门",
                                        "note-visibility": "member"})
    inbox = _inbox(app, caller["id"])
    assert len(inbox) == before + 1 and "工程师明早九点上门" in inbox[-1]
    assert not any("线路检查中" in body for body in inbox + sms.to(PHONE))
    page = client.get(f"{DESK}/tickets/{ticket_id}").get_data(as_text=True)
    internal = re.search(r'data-visibility="internal">.*?</li>', page, re.S).group(0)
    assert "线路检查中" in internal and "内部" in internal
    member = re.findall(r'data-visibility="member">.*?</li>', page, re.S)[-1]
    assert "工程师明早九点上门" in member and "会员可见" in member


def test_an_empty_note_is_refused_next_to_the_field(app, desk, caller):
    client, _ = desk
    ticket_id = open_ticket(app, caller["id"])
    answer = _post(client, ticket_id, "/notes", {"note-note": "", "note-visibility": "member"})
    assert re.search(r'id="note-note-error">此项必填', answer.get_data(as_text=True))


# --- a member who phones in ---------------------------------------------------------------


@pytest.mark.parametrize("how", ["phone", "card"])
def test_a_caller_found_by_phone_or_card_gets_a_desk_ticket_opened_by_the_staff_user(
        app, desk, caller, how):
    client, desk_id = desk
    q = PHONE if how == "phone" else caller["card"]
    page = client.get(f"{DESK}/new", query_string={"q": q}).get_data(as_text=True)
    assert "为 孙金卡 开单" in page and f'value="{PHONE}"' in page  # contact phone prefilled
    answer = client.post(f"{DESK}/new", data={
        "csrf_token": csrf_of(page), "member_id": caller["id"], "kind": "fault",
        "summary": "电话报修：宽带断网", "contact_phone": PHONE, "address": "幸福路1号",
        "preferred_time": "今天下午"})
    assert answer.status_code == 302
    with app.app_context():
        made = db.session.scalar(select(Ticket).where(Ticket.member_id == caller["id"]))
        assert (made.channel, made.opened_by, made.kind, made.tier) == (
            "desk", desk_id, "fault", "gold")
        assert made.due_at - made.created_at == timedelta(hours=5)
        assert answer.headers["Location"].endswith(f"/tickets/{made.id}")
        db.session.remove()
    assert any("已受理" in body for body in _inbox(app, caller["id"]))


def test_an_unknown_caller_is_told_so_beside_the_search(app, desk, caller):
    client, _ = desk
    for q in ("13999999999", "6222000000000000", "abc"):
        page = client.get(f"{DESK}/new", query_string={"q": q}).get_data(as_text=True)
        assert 'id="q-error"' in page and 'id="intake-form"' not in page, q


def test_a_desk_ticket_with_a_bad_phone_is_refused_next_to_the_field(app, desk, caller):
    client, _ = desk
    page = client.get(f"{DESK}/new", query_string={"q": PHONE}).get_data(as_text=True)
    answer = client.post(f"{DESK}/new", data={
        "csrf_token": csrf_of(page), "member_id": caller["id"], "kind": "fault",
        "summary": "断网", "contact_phone": "12345"})
    assert answer.status_code == 200
    assert re.search(r'id="contact_phone-error">请填写11位手机号', answer.get_data(as_text=True))
    assert "为 孙金卡 开单" in answer.get_data(as_text=True)


def test_a_ticket_number_read_out_on_the_phone_opens_that_ticket(app, desk, caller):
    client, _ = desk
    made = open_ticket(app, caller["id"])
    number = ticket(app, made).number
    for typed in (number, number.lower(), f" {number} "):
        answer = client.get(f"{DESK}/new", query_string={"q": typed})
        assert answer.status_code == 302 and answer.headers["Location"].endswith(
            f"/tickets/{made}"), typed
    page = client.get(f"{DESK}/new", query_string={"q": "T00000000"}).get_data(as_text=True)
    assert 'id="q-error"' in page  # no such ticket: looked for as a phone or card, not found


def test_a_found_caller_shows_their_recent_tickets_before_another_is_opened(app, desk, caller):
    client, _ = desk
    page = client.get(f"{DESK}/new", query_string={"q": PHONE}).get_data(as_text=True)
    assert 'id="recent-tickets"' not in page
    made = [open_ticket(app, caller["id"]) for _ in range(7)]
    page = client.get(f"{DESK}/new", query_string={"q": PHONE}).get_data(as_text=True)
    listed = re.findall(r'href="/staff/desk/tickets/(tkt_[0-9a-f]+)"', page)
    assert len(listed) == 5 and set(listed) <= set(made)
