"""The audit log page: newest first, keyset pages, filters (staff, actor, object, action,
dates in Shanghai), names instead of ids, links, the chain check on request, empty states."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from tests.api.test_merchant_apply import csrf_of, post_form
from tests.api.world import MEMBER_PHONE, PASSWORD, STAFF_USERNAME, build
from valliance.audit import record_event
from valliance.extensions import db
from valliance.members.models import Member
from valliance.merchants.models import Merchant, MerchantUser, Offer
from valliance.staff import services as staff_services

URL = "/staff/audit"
OLDER = r'href="(/staff/audit\?before=\d+[^"]*)"'
NEWER = r'href="(/staff/audit\?after=\d+[^"]*)"'


def rows(response) -> list[str]:
    """The actions of the rows shown, top to bottom."""
    return re.findall(r'<tr data-seq="\d+" data-action="([^"]+)"', response.get_data(as_text=True))


def seqs(response) -> list[int]:
    return [int(s) for s in re.findall(r'<tr data-seq="(\d+)"', response.get_data(as_text=True))]


def log_in(client, username=STAFF_USERNAME):
    assert post_form(client, "/staff/login",
                     {"username": username, "password": PASSWORD}).status_code == 302


@pytest.fixture
def world(app, client):
    made = build(app)
    with app.app_context():
        finance = staff_services.create_staff_user(
            db.session, username="cai", name="财务老蔡", password=PASSWORD, roles=("finance",))
        member = db.session.query(Member).filter_by(phone=MEMBER_PHONE).one()
        owner = db.session.query(MerchantUser).filter_by(merchant_id=made.merchant_id).one()
        record_event(db.session, actor=f"staff:{finance.id}", action="member.note",
                     subject=member.id, reason="客户来电", note="改了地址")
        record_event(db.session, actor=f"merchant_user:{owner.id}", action="offer.update",
                     subject=made.offer_id, merchant_id=made.merchant_id, percent_off=15)
        record_event(db.session, actor=f"staff:{finance.id}", action="merchant.suspend",
                     subject=made.merchant_id, merchant_id=made.merchant_id, reason="投诉多")
        db.session.commit()
        ids = {"finance": finance.id, "member": member.id, "owner": owner.id,
               "offer": made.offer_id, "offer_title": db.session.get(Offer, made.offer_id).title,
               "merchant": made.merchant_id, "merchant_name": db.session.get(
                   Merchant, made.merchant_id).name}
        db.session.remove()
    log_in(client)
    return ids


def test_newest_first_with_names_roles_and_links(client, world):
    page = client.get(URL)
    assert page.status_code == 200
    actions = rows(page)
    assert actions[:3] == ["merchant.suspend", "offer.update", "member.note"]
    html = page.get_data(as_text=True)
    assert "财务老蔡" in html and "财务" in html  # the staff user's name and role
    assert "王老板" in html  # the merchant user's name, not their id
    assert f"staff:{world['finance']}" not in html
    assert "暂停商户" in html  # a known action in words
    assert "member.note" in html  # an unknown action as written
    assert f'href="/staff/merchants/{world["merchant"]}"' in html  # the merchant's page
    assert "投诉多" in html and "<details>" in html  # the reason, and the detail to expand
    assert f">{world['offer']}<" not in html and world["offer_title"] in html  # by its title


def test_filter_by_staff_user(client, world):
    page = client.get(URL, query_string={"staff": world["finance"]})
    assert rows(page) == ["merchant.suspend", "member.note"]


@pytest.mark.parametrize("actor, expected", [
    ("老蔡", ["merchant.suspend", "member.note"]),
    ("cai", ["merchant.suspend", "member.note"]),
    ("王老板", ["offer.update"]),
    ("nobody-at-all", []),
])
def test_filter_by_actor_name(client, world, actor, expected):
    assert rows(client.get(URL, query_string={"actor": actor})) == expected


def test_filter_by_actor_as_written(client, world):
    assert rows(client.get(URL, query_string={"actor": f"merchant_user:{world['owner']}"})) == [
        "offer.update"]
    cli_rows = rows(client.get(URL, query_string={"actor": "CLI"}))
    assert cli_rows and set(cli_rows) == {"staff.create"}
    assert rows(client.get(URL, query_string={"actor": "test"})) == ["user.create"]


def test_filter_by_object_id_phone_and_merchant_name(client, world):
    assert rows(client.get(URL, query_string={"object": world["member"]})) == ["member.note"]
    assert rows(client.get(URL, query_string={"object": MEMBER_PHONE})) == ["member.note"]
    by_name = rows(client.get(URL, query_string={"object": world["merchant_name"]}))
    assert by_name[:2] == ["merchant.suspend", "offer.update"]
    assert rows(client.get(URL, query_string={"object": "13999999999"})) == []


def test_filter_by_action(client, world):
    assert rows(client.get(URL, query_string={"action": "merchant.suspend"})) == [
        "merchant.suspend"]
    page = client.get(URL, query_string={"action": "member.note"})  # not in the label table
    assert rows(page) == ["member.note"]


def test_filter_by_shanghai_dates(app, client, world):
    # 2026-03-01 23:30 in Shanghai is 15:30 UTC the same day; 00:30 on the 2nd is 16:30 UTC
    # on the 1st — the page's dates are Shanghai's.
    with app.app_context():
        conn = db.session.connection()
        for hour, action in ((15, "late.first"), (16, "early.second")):
            event = record_event(db.session, actor="cli", action=action, subject="x")
            stamp = datetime(2026, 3, 1, hour, 30, tzinfo=UTC)
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update")) \
                if conn.dialect.name == "sqlite" else None
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text("UPDATE audit_events SET created_at = :t WHERE id = :id"),
                         {"t": stamp.replace(tzinfo=None) if conn.dialect.name == "sqlite"
                          else stamp, "id": event.id})
        db.session.commit()
        db.session.remove()
    first = rows(client.get(URL, query_string={"from": "2026-03-01", "to": "2026-03-01"}))
    second = rows(client.get(URL, query_string={"from": "2026-03-02", "to": "2026-03-02"}))
    assert first == ["late.first"] and second == ["early.second"]
    assert rows(client.get(URL, query_string={"from": "2026-03-03"}))[-1] != "early.second"


def test_keyset_pages_older_and_newer(app, client, world):
    with app.app_context():
        for i in range(120):
            record_event(db.session, actor="cli", action="bulk.write", subject=f"o{i}")
        db.session.commit()
        db.session.remove()
    first = client.get(URL, query_string={"action": "bulk.write"})
    shown = seqs(first)
    assert len(shown) == 50 and shown == sorted(shown, reverse=True)
    older = re.search(OLDER, first.get_data(as_text=True)).group(1)
    second = client.get(older.replace("&amp;", "&"))
    assert seqs(second)[0] == shown[-1] - 1 and len(seqs(second)) == 50
    assert "action=bulk.write" in older
    newer = re.search(NEWER, second.get_data(as_text=True)).group(1)
    assert seqs(client.get(newer.replace("&amp;", "&"))) == shown
    third = client.get(re.search(OLDER, second.get_data(as_text=True)).group(1)
                       .replace("&amp;", "&"))
    assert len(seqs(third)) == 20
    assert "/staff/audit?before=" not in third.get_data(as_text=True)


def test_the_chain_is_checked_on_request(client, world):
    page = client.get(URL).get_data(as_text=True)
    assert "chain-unchecked" in page
    response = client.post(f"{URL}/verify", data={"csrf_token": csrf_of(page),
                                                   "action": "merchant.suspend"})
    assert response.status_code == 302
    assert "action=merchant.suspend" in response.headers["Location"]
    checked = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "chain-ok" in checked and "哈希链完好" in checked


def test_a_broken_chain_shows_in_the_banner(app, client, world):
    with app.app_context(), db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
        conn.execute(text("UPDATE audit_events SET reason = 'x' WHERE seq = 2"))
    page = client.get(URL).get_data(as_text=True)
    client.post(f"{URL}/verify", data={"csrf_token": csrf_of(page)})
    shown = client.get(URL).get_data(as_text=True)
    assert "chain-broken" in shown and "第 2 条" in shown


def test_empty_states(app, client):
    with app.app_context():
        staff_services.create_staff_user(db.session, username="boss", name="老板",
                                         password=PASSWORD, roles=("admin",))
        db.session.commit()
        db.session.remove()
    log_in(client, "boss")
    html = client.get(URL, query_string={"action": "nothing.here"}).get_data(as_text=True)
    assert "没有符合筛选条件的记录" in html
    assert client.get(URL, query_string={"before": "1"}).status_code == 200


def test_english_page(client, world):
    html = client.get(URL, query_string={"lang": "en"}).get_data(as_text=True)
    assert "Audit log" in html
    assert "Suspend" in html or "suspend" in html


def test_finance_may_read_it_and_member_care_may_not(client, world, app):
    client.post("/staff/logout", data={"csrf_token": csrf_of(client.get(URL).get_data(
        as_text=True))})
    log_in(client, "cai")
    assert client.get(URL).status_code == 200
    with app.app_context():
        staff_services.create_staff_user(db.session, username="care", name="客服小林",
                                         password=PASSWORD, roles=("member_care",))
        db.session.commit()
        db.session.remove()
    other = app.test_client()
    log_in(other, "care")
    assert other.get(URL).status_code == 403


def test_dates_that_cannot_be_read_are_ignored(client, world):
    assert client.get(URL, query_string={"from": "yesterday", "before": "abc"}).status_code == 200


@pytest.mark.parametrize("args", [{"to": "9999-12-31"}, {"from": "0001-01-01"},
                                  {"from": "0001-01-01", "to": "9999-12-31"}])
def test_dates_at_the_ends_of_the_calendar_are_ignored_not_a_500(client, world, args):
    """The day after 9999-12-31 and Shanghai's midnight of 0001-01-01 in UTC do not exist."""
    response = client.get(URL, query_string=args)
    assert response.status_code == 200
    assert rows(response) == rows(client.get(URL))  # as if not given


def test_adjustments_read_as_words_and_link_to_their_page(app, client, world):
    """An adjustment's rows name the action in words and the adjustment (points, member) with
    a link to its page — no "adjustment.apply" or "adj_…" on the page, in either language."""
    from valliance.backoffice.services import adjustments
    from valliance.staff.models import StaffUser
    with app.app_context():
        made = adjustments.request_adjustment(
            db.session, member=db.session.get(Member, world["member"]), points=100,
            reason="goodwill", note="补偿", maker=db.session.get(StaffUser, world["finance"]))
        db.session.commit()
        adjustment_id = made.id
        db.session.remove()
    for lang, words in (("zh", ("提交积分调整", "积分调整入账", "+100 积分")),
                        ("en", ("Points adjustment requested", "Points adjustment applied",
                                "+100 points"))):
        html = client.get(URL, query_string={"lang": lang}).get_data(as_text=True)
        visible = re.sub(r"<[^>]+>", " ", html)
        for word in words:
            assert word in visible, (lang, word)
        assert "adjustment.apply" not in visible and adjustment_id not in visible
        assert f'href="/staff/adjustments/{adjustment_id}"' in html
    choices = client.get(URL).get_data(as_text=True)
    assert '<option value="adjustment.approve">' in choices
