"""The member's inbox (issue #17): the reading side of inbox_messages — a page newest first
with a keyset cursor, the unread count, marking one or all read (only the member's own) — in
the service, the portal (/me/inbox, the nav badge) and the member API."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import event

from tests.api.test_portal import PASSWORD, csrf_of, enroll, log_in
from valliance.errors import NotFound
from valliance.extensions import db
from valliance.members.models import InboxMessage
from valliance.members.services import inbox

PHONE, OTHER = "13800138000", "13900139000"


def _post(app, member_id: str, n: int, *, title="消息", body="内容", now=None) -> list[int]:
    with app.app_context():
        ids = inbox.post_many(db.session, [(member_id, f"{title}{i + 1}", f"{body}{i + 1}")
                                           for i in range(n)], source="test", now=now)
        db.session.commit()
        return ids


def _posted(session, member_id: str, n: int) -> list[int]:
    ids = inbox.post_many(session, [(member_id, f"消息{i + 1}", "内容") for i in range(n)],
                          source="test")
    session.commit()
    return ids


def _read_at(app, message_id: int):
    with app.app_context():
        return db.session.get(InboxMessage, message_id).read_at


@pytest.fixture
def two(app) -> tuple[str, str]:
    """Two members: 张三 (signs in) and 李四."""
    return enroll(app)["id"], enroll(app, phone=OTHER, name="李四")["id"]


# --- the service ---------------------------------------------------------------------------

def test_a_page_is_the_members_own_messages_newest_first_with_a_cursor(app, session, two):
    mine, theirs = two
    ids = _posted(session, mine, 5)
    _posted(session, theirs, 2)
    first = inbox.inbox_page(session, mine, limit=2)
    assert [m.id for m in first.messages] == ids[:-3:-1] and first.unread == 5
    assert first.next_before == ids[3]
    second = inbox.inbox_page(session, mine, limit=2, before=first.next_before)
    assert [m.id for m in second.messages] == [ids[2], ids[1]]
    last = inbox.inbox_page(session, mine, limit=2, before=second.next_before)
    assert [m.id for m in last.messages] == [ids[0]] and last.next_before is None
    exact = inbox.inbox_page(session, mine, limit=5)
    assert len(exact.messages) == 5 and exact.next_before is None
    assert inbox.inbox_page(session, "nobody").messages == []


def test_mark_read_reads_only_the_members_own_message_and_keeps_the_first_read(
        app, session, two):
    mine, theirs = two
    ids = _posted(session, mine, 3)
    other = _posted(session, theirs, 1)[0]
    with pytest.raises(NotFound):
        inbox.mark_read(session, mine, other)
    with pytest.raises(NotFound):
        inbox.mark_read(session, mine, 10**12)
    first = datetime(2026, 5, 1, 2, tzinfo=UTC)
    assert inbox.mark_read(session, mine, ids[0], now=first).read_at == first
    inbox.mark_read(session, mine, ids[0], now=datetime(2026, 5, 2, tzinfo=UTC))
    session.commit()
    assert session.get(InboxMessage, ids[0]).read_at == first
    assert session.get(InboxMessage, other).read_at is None
    assert inbox.unread_count(session, mine) == 2 and inbox.unread_count(session, theirs) == 1


def test_mark_all_read_reads_every_unread_message_of_the_member_only(app, session, two):
    mine, theirs = two
    ids = _posted(session, mine, 4)
    other = _posted(session, theirs, 1)[0]
    inbox.mark_read(session, mine, ids[0])
    assert inbox.mark_all_read(session, mine) == 3
    session.commit()
    assert inbox.unread_count(session, mine) == 0
    assert session.get(InboxMessage, other).read_at is None
    assert inbox.mark_all_read(session, mine) == 0


def test_post_puts_one_message_through_post_many(app, session, two):
    message_id = inbox.post(session, two[0], "标题" * 60, "正文", source="service")
    session.commit()
    message = session.get(InboxMessage, message_id)
    assert len(message.title) == inbox.TITLE_MAX and message.source == "service"


# --- the portal ----------------------------------------------------------------------------

def _items(html: str) -> list[tuple[str, bool]]:
    """(data-id, unread) of each message in the list."""
    return [(m.group(2), bool(m.group(1))) for m in re.finditer(
        r'<li class="inbox-item( unread)?" data-id="(\d+)">', html)]


def test_an_empty_inbox_says_so_and_the_nav_has_no_badge(app, client, two):
    log_in(client)
    page = client.get("/me/inbox").get_data(as_text=True)
    assert "暂无消息" in page and "nav-badge" not in page and "全部标为已读" not in page
    assert 'href="/me/inbox" aria-current="page"' in page


def test_the_inbox_marks_unread_messages_and_the_nav_counts_them(app, client, two):
    ids = _post(app, two[0], 3)
    _post(app, two[1], 4)
    log_in(client)
    page = client.get("/me/inbox").get_data(as_text=True)
    assert _items(page) == [(str(i), True) for i in reversed(ids)]
    assert "3 条未读" in page and "全部标为已读" in page
    card = client.get("/me/").get_data(as_text=True)
    assert re.search(r'<span class="nav-badge"[^>]*>3</span>', card)


def test_opening_a_message_shows_it_whole_and_reads_it(app, client, two):
    long_body = "优惠" * 400 + "\n第二行"
    message_id = _post(app, two[0], 1, body=long_body)[0]
    _post(app, two[0], 1)
    log_in(client)
    page = client.get(f"/me/inbox/{message_id}").get_data(as_text=True)
    assert "消息1" in page and long_body + "1" in page and 'class="inbox-body"' in page
    assert _read_at(app, message_id) is not None
    assert re.search(r'<span class="nav-badge"[^>]*>1</span>', page)
    listed = dict(_items(client.get("/me/inbox").get_data(as_text=True)))
    assert listed[str(message_id)] is False


def test_another_members_message_is_not_found_in_the_portal(app, client, two):
    other = _post(app, two[1], 1)[0]
    log_in(client)
    assert client.get(f"/me/inbox/{other}").status_code == 404
    assert client.get(f"/me/inbox/{2**70}").status_code == 404
    assert _read_at(app, other) is None


def test_read_all_needs_the_csrf_token_and_a_signed_in_member(app, client, two):
    _post(app, two[0], 2)
    assert client.post("/me/inbox/read-all").status_code == 400
    log_in(client)
    assert client.post("/me/inbox/read-all").status_code == 400
    html = client.get("/me/inbox").get_data(as_text=True)
    answer = client.post("/me/inbox/read-all", data={"csrf_token": csrf_of(html)})
    assert answer.status_code == 302
    page = client.get("/me/inbox").get_data(as_text=True)
    assert "已全部标为已读" in page and all(not unread for _, unread in _items(page))
    assert "nav-badge" not in page


def test_the_inbox_pages_on_with_earlier_messages(app, client, two):
    ids = _post(app, two[0], 25)
    log_in(client)
    first = client.get("/me/inbox").get_data(as_text=True)
    assert len(_items(first)) == 20 and "更早的消息" in first
    older = re.search(r'href="(/me/inbox\?before=\d+)"', first).group(1)
    second = client.get(older).get_data(as_text=True)
    assert [int(i) for i, _ in _items(second)] == ids[4::-1]
    assert "更早的消息" not in second and "最新" in second
    assert "没有更早的消息" in client.get(f"/me/inbox?before={ids[0]}").get_data(as_text=True)


def test_dates_are_shown_in_shanghai_time_and_english_is_complete(app, client, two):
    _post(app, two[0], 1, now=datetime(2026, 1, 1, 16, 30, tzinfo=UTC))
    log_in(client)
    page = client.get("/me/inbox").get_data(as_text=True)
    assert "2026-01-02 00:30" in page and "消息中心" in page
    english = client.get("/me/inbox?lang=en").get_data(as_text=True)
    assert "Inbox" in english and "Mark all as read" in english and "1 unread" in english
    for data in ("消息1", "内容1", "V卡联盟", ">中文<"):  # the message, the brand, the switch
        english = english.replace(data, "")
    assert not re.search(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]", english), \
        "Chinese text left on the English page"


def _queries(app, client, url: str) -> list[str]:
    statements = []
    with app.app_context():
        engine = db.engine

    def listener(*args):
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return statements


def test_the_nav_badge_costs_one_query_a_page_however_many_messages(app, client, two):
    log_in(client)
    before = _queries(app, client, "/me/")
    _post(app, two[0], 30)
    after = _queries(app, client, "/me/")
    assert len(after) == len(before)
    assert sum("inbox_messages" in sql for sql in after) == 1
    assert re.search(r'class="nav-badge"[^>]*>30<', client.get("/me/").get_data(as_text=True))
    listing = _queries(app, client, "/me/inbox")
    assert sum("inbox_messages" in sql for sql in listing) == 2  # the page and its count


# --- the member API ------------------------------------------------------------------------

def _token(client, phone=PHONE) -> dict:
    answer = client.post("/api/v1/member/session", json={"phone": phone, "password": PASSWORD})
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def test_the_api_lists_pages_and_counts_the_inbox(app, client, two):
    ids = _post(app, two[0], 3, now=datetime(2026, 3, 1, 1, tzinfo=UTC))
    auth = _token(client)
    answer = client.get("/api/v1/member/inbox?limit=2", headers=auth)
    assert answer.status_code == 200
    data = answer.get_json()
    assert data["unread"] == 3 and data["next"] == str(ids[1])
    assert data["messages"][0] == {"id": str(ids[2]), "title": "消息3", "body": "内容3",
                                   "created_at": "2026-03-01T09:00:00+08:00", "read": False}
    rest = client.get(f"/api/v1/member/inbox?limit=2&before={data['next']}", headers=auth)
    assert [m["id"] for m in rest.get_json()["messages"]] == [str(ids[0])]
    assert rest.get_json()["next"] is None
    default = client.get("/api/v1/member/inbox", headers=auth).get_json()
    assert len(default["messages"]) == 3


def test_the_api_reads_one_message_or_all(app, client, two):
    ids = _post(app, two[0], 3)
    auth = _token(client)
    answer = client.post(f"/api/v1/member/inbox/{ids[0]}/read", headers=auth)
    assert answer.status_code == 200
    assert answer.get_json()["read"] is True and answer.get_json()["id"] == str(ids[0])
    listed = client.get("/api/v1/member/inbox", headers=auth).get_json()
    assert listed["unread"] == 2 and [m["read"] for m in listed["messages"]] == [False, False, True]
    everything = client.post("/api/v1/member/inbox/read-all", headers=auth)
    assert everything.status_code == 200 and everything.get_json() == {"unread": 0}
    assert client.get("/api/v1/member/inbox", headers=auth).get_json()["unread"] == 0


@pytest.mark.parametrize("message", ["other", "abc", "0", str(2**64), "-1"])
def test_the_api_refuses_another_members_message_or_no_id_with_not_found(app, client, two,
                                                                          message):
    other = _post(app, two[1], 1)[0]
    path = f"/api/v1/member/inbox/{other if message == 'other' else message}/read"
    answer = client.post(path, headers=_token(client))
    assert answer.status_code == 404 and answer.get_json()["error"] == "not_found"
    assert _read_at(app, other) is None


@pytest.mark.parametrize(("query", "field"), [
    ("limit=0", "limit"), ("limit=101", "limit"), ("limit=abc", "limit"), ("limit=", "limit"),
    ("before=abc", "before"), ("before=0", "before"), (f"before={2**64}", "before"),
    ("before=-5", "before")])
def test_the_api_refuses_a_bad_limit_or_cursor(app, client, two, query, field):
    answer = client.get(f"/api/v1/member/inbox?{query}", headers=_token(client))
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["error"] == "validation_error" and list(body["details"]) == [field]
    assert " / " in body["details"][field][0]


def test_the_inbox_api_needs_a_token_and_is_documented(client):
    assert client.get("/api/v1/member/inbox").status_code == 401
    assert client.post("/api/v1/member/inbox/1/read").status_code == 401
    assert client.post("/api/v1/member/inbox/read-all").status_code == 401
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "get" in paths["/api/v1/member/inbox"]
    assert "post" in paths["/api/v1/member/inbox/{message_id}/read"]
    assert "post" in paths["/api/v1/member/inbox/read-all"]
