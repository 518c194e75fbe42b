"""The segment pages (marketing): the list, the builder's GET preview, save, edit and delete
(each audited), and who may open them."""

import re

import pytest
from sqlalchemy import select

from tests.api.test_backoffice_roles import signed_in
from tests.api.test_merchant_apply import csrf_of
from tests.api.world import MEMBER_PHONE, PASSWORD, STAFF_USERNAME, build
from valliance.audit import AuditEvent
from valliance.extensions import db
from valliance.marketing.models import MemberScore, Segment
from valliance.members.models import Member
from valliance.staff import services as staff_services

LIST = "/staff/marketing/segments"
NEW = "/staff/marketing/segments/new"


@pytest.fixture
def world(app):
    made = build(app)
    with app.app_context():
        for role in ("marketing", "member_care", "finance"):
            staff_services.create_staff_user(db.session, username=f"only-{role}",
                                             name=f"只有{role}", password=PASSWORD,
                                             roles=(role,))
        member = db.session.scalar(select(Member).where(Member.phone == MEMBER_PHONE))
        db.session.add(MemberScore(member_id=member.id, recency_days=3, frequency=9,
                                   monetary_fen=90_000, r=5, f=5, m=5, cell="important_value"))
        db.session.commit()
        made.member_id = member.id
        db.session.remove()
    return made


def client_for(app, username: str):
    return signed_in(app, "/staff/login", {"username": username, "password": PASSWORD})


@pytest.fixture
def marketer(app, world):
    return client_for(app, "only-marketing")


def stored(app, model, *where, order_by=None):
    with app.app_context():
        query = select(model).where(*where)
        rows = list(db.session.scalars(query if order_by is None else query.order_by(order_by)))
        db.session.expunge_all()
        db.session.remove()
    return rows


def save(client, data: dict, url: str = NEW):
    token = csrf_of(client.get(url).get_data(as_text=True)) if "/edit" in url else csrf_of(
        client.get(NEW + "?preview=1").get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def test_the_list_is_empty_at_first(marketer):
    page = marketer.get(LIST).get_data(as_text=True)
    assert "还没有保存的分群" in page and 'href="/staff/marketing/segments/new"' in page


def test_the_builder_previews_the_count_and_a_masked_sample(marketer, world):
    page = marketer.get(NEW).get_data(as_text=True)
    assert 'name="tiers"' in page and 'data-count' not in page
    page = marketer.get(NEW + "?tiers=gold&rfm_cells=important_value&preview=1").get_data(
        as_text=True)
    assert 'data-count="1"' in page
    assert "王小明" in page and "138****8000" in page and MEMBER_PHONE not in page
    assert world.member_id not in page
    assert "重要价值客户" in page and "金卡" in page
    none = marketer.get(NEW + "?tiers=diamond&preview=1").get_data(as_text=True)
    assert 'data-count="0"' in none and "没有会员符合这些条件" in none


def test_wrong_filters_are_shown_on_the_fields_and_nothing_can_be_saved(marketer):
    response = marketer.get(NEW + "?balance_min=abc&joined_after=2026-02-30&preview=1")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请填写整数" in page and "请填写日期" in page
    assert "data-count" not in page and "保存分群" not in page


def test_save_edit_and_delete_are_audited(app, marketer):
    response = save(marketer, {"name": "金卡老客", "tiers": ["gold", "diamond"],
                               "inactive_min": "30"})
    assert response.status_code == 302 and response.headers["Location"].endswith(LIST)
    [segment] = stored(app, Segment)
    assert segment.filters == {"tiers": ["gold", "diamond"], "inactive_min": 30}
    listing = marketer.get(LIST).get_data(as_text=True)
    assert "金卡老客" in listing and "金卡、钻石卡" in listing
    assert re.search(r'class="num seg-count">1<', listing)

    edit = f"/staff/marketing/segments/{segment.id}/edit"
    form = marketer.get(edit).get_data(as_text=True)
    assert 'value="gold" checked' in form and 'value="30"' in form and 'data-count="1"' in form
    assert save(marketer, {"name": "钻石卡", "tiers": ["diamond"]}, edit).status_code == 302
    [changed] = stored(app, Segment)
    assert (changed.name, changed.filters) == ("钻石卡", {"tiers": ["diamond"]})
    assert re.search(r'class="num seg-count">0<', marketer.get(LIST).get_data(as_text=True))

    token = csrf_of(marketer.get(LIST).get_data(as_text=True))
    gone = marketer.post(f"/staff/marketing/segments/{segment.id}/delete",
                         data={"csrf_token": token})
    assert gone.status_code == 302 and stored(app, Segment) == []
    actions = [(e.action, e.subject) for e in stored(app, AuditEvent, AuditEvent.action.like(
        "segment.%"), order_by=AuditEvent.seq)]
    assert actions == [("segment.create", segment.id), ("segment.update", segment.id),
                       ("segment.delete", segment.id)]


def test_a_name_must_be_given_and_unique(app, marketer):
    assert save(marketer, {"name": "老客", "tiers": ["gold"]}).status_code == 302
    again = save(marketer, {"name": "老客", "tiers": ["silver"]})
    assert again.status_code == 200 and "已有同名分群" in again.get_data(as_text=True)
    blank = save(marketer, {"name": "  ", "tiers": ["silver"]})
    assert blank.status_code == 200
    assert [s.filters for s in stored(app, Segment)] == [{"tiers": ["gold"]}]


def test_the_pages_speak_english(marketer):
    page = marketer.get(NEW + "?tiers=gold&preview=1&lang=en").get_data(as_text=True)
    assert "Preview" in page and "Save segment" in page and "预览" not in page


@pytest.mark.parametrize(("username", "status"), [
    ("only-marketing", 200), (STAFF_USERNAME, 200), ("only-member_care", 403),
    ("only-finance", 403)])
def test_marketing_and_admin_only(app, world, username, status):
    client = client_for(app, username)
    assert client.get(LIST).status_code == status
    assert client.get(NEW + "?tiers=gold&preview=1").status_code == status
    token = csrf_of(client.get("/staff/").get_data(as_text=True))
    posted = client.post(NEW, data={"csrf_token": token, "name": "x", "tiers": ["gold"]})
    assert posted.status_code == (302 if status == 200 else 403)
