"""The adjustment pages: the queue, one adjustment, the form; roles and CSRF (as in production)."""

import re

import pytest
from sqlalchemy import select

from tests.api.test_merchant_apply import PASSWORD, csrf_of, post_form
from valliance.backoffice.models import PointAdjustment
from valliance.backoffice.services import adjustments
from valliance.extensions import db
from valliance.members.models import Member
from valliance.members.services import enroll_member
from valliance.points.accounts import get_balance
from valliance.staff import services as staff_services

ROLES = {"care": "member_care", "fin": "finance", "fin2": "finance", "boss": "admin",
         "ops": "merchant_ops", "mkt": "marketing"}


@pytest.fixture
def world(app):
    """A member with 10,000 points and a staff user per role; their ids."""
    with app.app_context():
        member = enroll_member(db.session, phone="13800138000", name="张三",
                               opening_points=10000)
        ids = {"member": member.id}
        for username, role in ROLES.items():
            ids[username] = staff_services.create_staff_user(
                db.session, username=username, name=f"员工{username}", password=PASSWORD,
                roles=(role,)).id
        db.session.commit()
        db.session.remove()
    return ids


def signed_in(app, username):
    client = app.test_client()
    response = post_form(client, "/staff/login", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def request_in_db(app, world, points, by="care", note="客户投诉补偿"):
    with app.app_context():
        from valliance.staff.models import StaffUser
        made = adjustments.request_adjustment(
            db.session, member=db.session.get(Member, world["member"]), points=points,
            reason="goodwill", note=note, maker=db.session.get(StaffUser, world[by]))
        db.session.commit()
        adjustment_id = made.id
        db.session.remove()
    return adjustment_id


def row(app, adjustment_id) -> PointAdjustment:
    with app.app_context():
        found = db.session.get(PointAdjustment, adjustment_id)
        db.session.expunge(found)
        db.session.remove()
    return found


def balance(app, world) -> int:
    with app.app_context():
        member = db.session.get(Member, world["member"])
        value = get_balance(db.session, member.points_account_id).balance
        db.session.remove()
    return value


def text(response) -> str:
    return response.get_data(as_text=True)


def errors(response) -> str:
    return " ".join(re.findall(r'class="(?:field-error|alert alert-error)"[^>]*>(.*?)</',
                               text(response), re.S))


def new_url(world):
    return f"/staff/members/{world['member']}/adjustments/new"


def make(client, world, points, reason="goodwill", note="客户投诉补偿"):
    return post_form(client, new_url(world), {"points": str(points), "reason": reason,
                                              "note": note})


# --- roles ----------------------------------------------------------------------------------

@pytest.mark.parametrize("username, allowed", [
    ("care", True), ("fin", True), ("boss", True), ("ops", False), ("mkt", False)])
def test_who_opens_the_pages(app, world, username, allowed):
    adjustment_id = request_in_db(app, world, 6000)
    client = signed_in(app, username)
    for url in ("/staff/adjustments", f"/staff/adjustments/{adjustment_id}", new_url(world),
                f"/staff/adjustments?member={world['member']}&status=applied"):
        assert client.get(url).status_code == (200 if allowed else 403), url


def test_visitors_sign_in_first(app, world, client):
    response = client.get("/staff/adjustments")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


@pytest.mark.parametrize("username", ["care", "ops", "mkt"])
def test_only_finance_and_admin_decide(app, world, username):
    adjustment_id = request_in_db(app, world, 6000, by="fin")
    client = signed_in(app, username)
    page = f"/staff/adjustments/{adjustment_id}" if username == "care" else "/staff/adjustments"
    for action, data in (("approve", {}), ("reject", {"reason": "不行"})):
        response = post_form(client, f"/staff/adjustments/{adjustment_id}/{action}", data,
                             page=page if username == "care" else "/staff/")
        assert response.status_code == 403
    assert row(app, adjustment_id).status == "pending_approval"


def test_every_route_names_its_roles(app):
    named = {rule.endpoint: app.view_functions[rule.endpoint].staff_roles
             for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("backoffice.") and "adjustment" in rule.endpoint}
    assert named == {
        "backoffice.adjustments": ("member_care", "finance"),
        "backoffice.adjustment": ("member_care", "finance"),
        "backoffice.new_adjustment": ("member_care", "finance"),
        "backoffice.approve_adjustment": ("finance",),
        "backoffice.reject_adjustment": ("finance",),
    }


# --- making one ------------------------------------------------------------------------------

def test_the_form_shows_the_member_and_the_threshold(app, world):
    html = text(signed_in(app, "care").get(new_url(world)))
    assert "张三" in html and "138****8000" in html and "10,000" in html
    assert "5,000" in html and "审批" in html
    assert "服务补偿" in html and "欺诈冲回" in html  # the reason codes' Chinese names
    assert world["member"] not in re.sub(r'(href|action)="[^"]*"', "", html)  # no id shown


def test_within_the_threshold_it_is_applied_at_once(app, world):
    client = signed_in(app, "care")
    response = make(client, world, -5000, reason="correction", note="重复入账")
    assert response.status_code == 302
    detail = client.get(response.headers["Location"])
    assert "已入账" in text(detail) and "-5,000" in text(detail)
    assert balance(app, world) == 5000


def test_above_it_waits_and_the_maker_cannot_approve(app, world):
    client = signed_in(app, "fin")
    response = make(client, world, 5001, reason="service_compensation", note="服务失误")
    assert response.status_code == 302
    adjustment_id = response.headers["Location"].rsplit("/", 1)[1]
    assert row(app, adjustment_id).status == "pending_approval" and balance(app, world) == 10000
    queue = text(client.get("/staff/adjustments"))
    assert "等待其他财务/管理员审批" in queue and "approve" not in queue.split("<tbody>")[1]
    # posting anyway (an old page) is refused on the page, and it stays pending
    response = post_form(client, f"/staff/adjustments/{adjustment_id}/approve", {},
                         page=f"/staff/adjustments/{adjustment_id}")
    assert response.status_code == 200 and "另一位" in errors(response)
    assert row(app, adjustment_id).status == "pending_approval"


def test_another_finance_user_approves_from_the_queue(app, world):
    adjustment_id = request_in_db(app, world, 7000, by="care")
    client = signed_in(app, "fin")
    queue = text(client.get("/staff/adjustments"))
    assert f"/staff/adjustments/{adjustment_id}/approve" in queue and "客户投诉补偿" in queue
    response = client.post(f"/staff/adjustments/{adjustment_id}/approve", data={
        "csrf_token": csrf_of(queue), "next": "/staff/adjustments"})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/adjustments"
    assert row(app, adjustment_id).status == "applied" and balance(app, world) == 17000
    assert "已审批通过" in text(client.get("/staff/adjustments"))
    applied = text(client.get("/staff/adjustments?status=applied"))
    assert "+7,000" in applied and "员工fin" in applied and "员工care" in applied


def test_an_offsite_next_is_not_followed(app, world):
    adjustment_id = request_in_db(app, world, 7000)
    client = signed_in(app, "boss")
    response = post_form(client, f"/staff/adjustments/{adjustment_id}/approve",
                         {"next": "https://evil.example/"}, page="/staff/adjustments")
    assert response.headers["Location"] == f"/staff/adjustments/{adjustment_id}"


def test_reject_needs_a_reason(app, world):
    adjustment_id = request_in_db(app, world, -6000)
    client = signed_in(app, "fin")
    url = f"/staff/adjustments/{adjustment_id}/reject"
    page = f"/staff/adjustments/{adjustment_id}"
    response = post_form(client, url, {"reason": "  "}, page=page)
    assert response.status_code == 200 and errors(response)
    assert row(app, adjustment_id).status == "pending_approval"
    response = post_form(client, url, {"reason": "证据不足"}, page=page)
    assert response.status_code == 302
    found = row(app, adjustment_id)
    assert found.status == "rejected" and found.decision_note == "证据不足"
    detail = text(client.get(page))
    assert "证据不足" in detail and "已驳回" in detail and balance(app, world) == 10000


def test_a_negative_adjustment_beyond_the_balance_is_refused_on_the_form(app, world):
    client = signed_in(app, "care")
    response = make(client, world, -10001)
    assert response.status_code == 200 and "10,000" in errors(response)
    with app.app_context():
        assert db.session.scalars(select(PointAdjustment)).all() == []


def test_approval_refused_when_the_points_are_gone_stays_pending(app, world):
    adjustment_id = request_in_db(app, world, -8000)
    request_in_db(app, world, -4000)
    client = signed_in(app, "fin")
    response = post_form(client, f"/staff/adjustments/{adjustment_id}/approve", {},
                         page=f"/staff/adjustments/{adjustment_id}")
    assert response.status_code == 200 and "6,000" in errors(response)
    assert row(app, adjustment_id).status == "pending_approval" and balance(app, world) == 6000


@pytest.mark.parametrize("data, field", [
    ({"points": "abc"}, "points"), ({"points": ""}, "points"), ({"points": "0"}, "points"),
    ({"reason": "bribe"}, "reason"), ({"note": ""}, "note"), ({"note": "长" * 501}, "note")])
def test_invalid_input_is_shown_on_the_form(app, world, data, field):
    client = signed_in(app, "care")
    form = {"points": "100", "reason": "goodwill", "note": "说明", **data}
    response = post_form(client, new_url(world), form)
    assert response.status_code == 200 and errors(response), field
    assert balance(app, world) == 10000


def test_csrf_is_required(app, world):
    adjustment_id = request_in_db(app, world, 6000)
    client = signed_in(app, "fin")
    for url, data in ((new_url(world), {"points": "1", "reason": "goodwill", "note": "x"}),
                      (f"/staff/adjustments/{adjustment_id}/approve", {}),
                      (f"/staff/adjustments/{adjustment_id}/reject", {"reason": "x"})):
        assert client.post(url, data=data).status_code == 400
    assert row(app, adjustment_id).status == "pending_approval" and balance(app, world) == 10000


# --- the queue --------------------------------------------------------------------------------

def test_the_queue_filters_by_member_and_pages(app, world):
    with app.app_context():
        other = enroll_member(db.session, phone="13900139000", name="李四").id
        db.session.commit()
    for i in range(23):
        request_in_db(app, world, 6000 + i, note=f"第{i}笔")
    client = signed_in(app, "fin")
    first = text(client.get("/staff/adjustments"))
    assert "第0笔" in first and "第22笔" not in first and "rel=\"next\"" in first
    second = text(client.get("/staff/adjustments?page=2"))
    assert "第22笔" in second
    assert "没有待审批" in text(client.get(f"/staff/adjustments?member={other}"))
    mine = text(client.get(f"/staff/adjustments?member={world['member']}"))
    assert "只看会员" in mine and "第0笔" in mine
    assert client.get("/staff/adjustments?member=mem_nope").status_code == 404
    assert client.get("/staff/adjustments?status=bogus&page=999999999999999999999"
                      ).status_code == 200


def test_empty_tabs_say_so(app, world):
    client = signed_in(app, "care")
    assert "没有待审批" in text(client.get("/staff/adjustments"))
    assert "还没有已入账" in text(client.get("/staff/adjustments?status=applied"))
    assert "没有被驳回" in text(client.get("/staff/adjustments?status=rejected"))


def test_unknown_adjustment_and_member_are_404(app, world):
    client = signed_in(app, "fin")
    assert client.get("/staff/adjustments/adj_nope").status_code == 404
    assert client.get("/staff/members/mem_nope/adjustments/new").status_code == 404


def test_the_pages_in_english(app, world):
    adjustment_id = request_in_db(app, world, 6000)
    client = signed_in(app, "fin")
    for url in ("/staff/adjustments", f"/staff/adjustments/{adjustment_id}", new_url(world)):
        html = text(client.get(url + "?lang=en"))
        assert "Adjust" in html or "adjust" in html, url
        shown = re.sub(r"张三|V卡联盟|中文|员工\w+|客户投诉补偿", "", html)  # names, notes
        assert not re.search(r"[\u4e00-\u9fff]{2,}", shown), url
