"""The coupon pages: the member's 我的优惠券, the alliance staff's templates (figures, create,
issue by hand, void, switch off — each audited, role `marketing`), the merchant owner's own
templates (tenant isolation), and the coupon column of the purchases CSV."""

import csv
import io
import re

import pytest
from sqlalchemy import select

from tests.api.coupon_helpers import coupon, template
from tests.api.pos_helpers import PURCHASES, member, new_key
from tests.api.test_backoffice_roles import signed_in
from tests.api.test_merchant_portal import CASHIER, other_store, sign_in, store  # noqa: F401
from tests.api.test_portal import csrf_of, enroll, log_in, post_form
from tests.api.world import MEMBER_PHONE, PASSWORD, build
from valliance.audit import AuditEvent
from valliance.coupons.models import Coupon, CouponTemplate
from valliance.extensions import db
from valliance.members.models import Member
from valliance.staff import services as staff_services

LIST, NEW = "/staff/marketing/coupons", "/staff/marketing/coupons/new"


def _one(app, model, *where):
    with app.app_context():
        row = db.session.scalar(select(model).where(*where))
        db.session.expunge_all()
        db.session.remove()
    return row


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        db.session.expunge_all()
        db.session.remove()
    return rows


# --- the member's page -------------------------------------------------------------------


def test_my_coupons_is_empty_then_lists_active_ones_with_a_qr_and_grouped_digits(app, client):
    me = enroll(app)
    log_in(client)
    empty = client.get("/me/coupons")
    assert empty.status_code == 200 and empty.headers["Cache-Control"] == "no-store"
    assert "暂无可使用的优惠券" in empty.get_data(as_text=True)
    assert 'href="/me/coupons"' in empty.get_data(as_text=True)  # in the portal's nav
    with app.app_context():
        someone = db.session.get(Member, me["id"])
        anywhere = template(db.session, value=2000, min_spend=10000, per_member=3)
        live = coupon(db.session, anywhere, someone)
        spent = coupon(db.session, anywhere, someone)
        spent.status = "used"
        stranger = enroll(app, phone="13900000001")
        theirs = coupon(db.session, anywhere, db.session.get(Member, stranger["id"]))
        db.session.commit()
        live_code, spent_code, their_code = live.code, spent.code, theirs.code
    html = client.get("/me/coupons").get_data(as_text=True)
    assert their_code not in html
    assert html.index(live_code) < html.index(spent_code)  # active first
    grouped = " ".join(live_code[i:i + 4] for i in range(0, 12, 4))
    assert grouped in html and "满¥100减¥20" in html and "全部联盟商户" in html
    assert html.count('class="qr coupon-qr"') == 1  # only the active one shows its code
    assert re.search(r'src="data:image/svg\+xml;base64,', html)
    assert "coupon coupon-spent" in html and "已使用" in html


def test_my_coupons_needs_a_signed_in_member(client):
    assert "/me/login" in client.get("/me/coupons").headers["Location"]


# --- the staff's pages -------------------------------------------------------------------


@pytest.fixture
def world(app):
    made = build(app)
    with app.app_context():
        for role in ("marketing", "member_care"):
            staff_services.create_staff_user(db.session, username=f"only-{role}",
                                             name=f"只有{role}", password=PASSWORD,
                                             roles=(role,))
        db.session.commit()
        db.session.remove()
    return made


def _staff(app, username="only-marketing"):
    return signed_in(app, "/staff/login", {"username": username, "password": PASSWORD})


def _post(client, url, data, page=None):
    html = client.get(page or url).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_of(html)})


FORM = {"title": "满100减20 全联盟", "value": "20", "min_spend": "100.50", "valid_days": "30",
        "per_member": "1", "total_limit": "", "merchant": ""}


def test_only_marketing_and_admin_open_the_coupon_pages(app, world):
    assert _staff(app).get(LIST).status_code == 200
    assert _staff(app, "reviewer").get(LIST).status_code == 200  # admin
    care = _staff(app, "only-member_care")
    assert care.get(LIST).status_code == 403 and care.get(NEW).status_code == 403
    assert "/staff/login" in app.test_client().get(LIST).headers["Location"]
    # marketing reach it from the navigation's 会员计划
    html = _staff(app).get("/staff/programmes/").get_data(as_text=True)
    assert 'href="/staff/programmes/"' in html and f'href="{LIST}"' in html


def test_staff_create_a_template_from_yuan_exactly_and_it_is_audited(app, world):
    client = _staff(app)
    assert "还没有优惠券模板" in client.get(LIST).get_data(as_text=True)
    made = _post(client, NEW, {**FORM, "tiers": ["gold", "diamond"]})
    assert made.status_code == 302
    saved = _one(app, CouponTemplate, CouponTemplate.title == "满100减20 全联盟")
    assert (saved.value, saved.min_spend, saved.merchant_id, saved.tiers) == (
        2000, 10050, None, "gold,diamond")
    assert saved.created_by.startswith("staff:")
    assert [e.subject for e in _events(app, "coupon_template.create")] == [saved.id]
    listed = client.get(LIST).get_data(as_text=True)
    assert "满¥100.50减¥20" in listed and "全部联盟商户" in listed


@pytest.mark.parametrize("field, value", [("value", "12.345"), ("value", "abc"),
                                          ("min_spend", "-1"), ("valid_days", "0")])
def test_a_bad_template_form_saves_nothing(app, world, field, value):
    answer = _post(_staff(app), NEW, {**FORM, field: value})
    assert answer.status_code == 200 and "field-error" in answer.get_data(as_text=True)
    assert _one(app, CouponTemplate) is None


def test_the_template_page_counts_cost_and_result_and_staff_issue_void_and_retire(
        app, client, world):
    with app.app_context():
        made = template(db.session, value=2000, min_spend=10000, per_member=2)
        made_id = made.id
    staff = _staff(app)
    page = f"{LIST}/{made_id}"
    assert "还没有发放这张券" in staff.get(page).get_data(as_text=True)
    issued = _post(staff, f"{page}/issue", {"phone": MEMBER_PHONE}, page=page)
    assert issued.status_code == 302
    first = _one(app, Coupon, Coupon.template_id == made_id)
    assert first.source.startswith("staff:")
    assert [e.subject for e in _events(app, "coupon.issue")] == [first.id]
    # the member uses it at the till: ¥128.50 with 12 % off, then ¥20 off
    sold = client.post(PURCHASES, json={"card": world.card, "amount": 12850,
                                         "coupon": first.code},
                       headers={**world.bearer("terminal"), "Idempotency-Key": new_key()})
    assert sold.status_code == 201 and sold.get_json()["coupon_value"] == 2000
    _post(staff, f"{page}/issue", {"phone": MEMBER_PHONE}, page=page)
    second = _one(app, Coupon, Coupon.template_id == made_id, Coupon.status == "active")
    html = staff.get(page).get_data(as_text=True)
    figures = dict(re.findall(r'data-figure="(\w+)">([^<]*)<', html))
    assert figures == {"issued": "2", "used": "1", "value": "¥20.00", "cost": "¥20.00",
                       "purchases": "1", "spend": "¥128.50"}
    assert "138****8000" in html and MEMBER_PHONE not in html
    assert _post(staff, f"{page}/void/{second.code}", {}, page=page).status_code == 302
    assert _one(app, Coupon, Coupon.id == second.id).status == "void"
    assert [e.subject for e in _events(app, "coupon.void")] == [second.id]
    assert _post(staff, f"{page}/retire", {}, page=page).status_code == 302
    assert _one(app, CouponTemplate, CouponTemplate.id == made_id).status == "retired"
    assert len(_events(app, "coupon_template.retire")) == 1
    assert "停用（不再发放）" not in staff.get(page).get_data(as_text=True)


def test_issuing_by_hand_to_an_unknown_phone_says_so(app, world):
    with app.app_context():
        made_id = template(db.session).id
    page = f"{LIST}/{made_id}"
    answer = _post(_staff(app), f"{page}/issue", {"phone": "13911112222"}, page=page)
    assert answer.status_code == 200 and "没有这个手机号的会员" in answer.get_data(as_text=True)
    assert _one(app, Coupon) is None


def test_an_unknown_template_or_another_templates_coupon_is_not_found(app, world):
    with app.app_context():
        one, two = template(db.session), template(db.session, title="另一张")
        someone = db.session.scalar(select(Member).where(Member.phone == MEMBER_PHONE))
        code, two_id = coupon(db.session, one, someone).code, two.id
    staff = _staff(app)
    assert staff.get(f"{LIST}/ctp_nope").status_code == 404
    answer = _post(staff, f"{LIST}/{two_id}/void/{code}", {}, page=f"{LIST}/{two_id}")
    assert answer.status_code == 404
    assert _one(app, Coupon, Coupon.code == code).status == "active"


# --- the merchant owner's pages --------------------------------------------------------------


def test_an_owner_creates_templates_for_the_own_shop_only(app, client, store, other_store):  # noqa: F811
    sign_in(client)
    assert "还没有本店优惠券" in client.get("/merchant/coupons").get_data(as_text=True)
    made = post_form(client, "/merchant/coupons/new",
                     {**{k: v for k, v in FORM.items() if k != "merchant"},
                      "title": "满50减10", "value": "10", "min_spend": "50",
                      "merchant": other_store["merchant_id"]})  # ignored: own shop only
    assert made.status_code == 302
    saved = _one(app, CouponTemplate, CouponTemplate.title == "满50减10")
    assert (saved.merchant_id, saved.value, saved.min_spend) == (store["merchant_id"], 1000, 5000)
    assert saved.created_by == f"merchant_user:{store['owner_id']}"
    listed = client.get("/merchant/coupons").get_data(as_text=True)
    assert "满¥50减¥10" in listed and 'data-figure="issued">0<' in listed
    with app.app_context():
        theirs = template(db.session, title="江心屿咖啡券",
                          merchant=db.session.get(
                              __import__("valliance.merchants.models", fromlist=["Merchant"])
                              .Merchant, other_store["merchant_id"]))
        alliance = template(db.session, title="全联盟券")
        theirs_id, alliance_id = theirs.id, alliance.id
    assert "江心屿咖啡券" not in listed
    for other_id in (theirs_id, alliance_id):
        assert client.get(f"/merchant/coupons/{other_id}").status_code == 404
        html = client.get(f"/merchant/coupons/{saved.id}").get_data(as_text=True)
        answer = client.post(f"/merchant/coupons/{other_id}/retire",
                             data={"csrf_token": csrf_of(html)})
        assert answer.status_code == 404
    assert _one(app, CouponTemplate, CouponTemplate.id == theirs_id).status == "active"
    page = f"/merchant/coupons/{saved.id}"
    assert post_form(client, f"{page}/retire", {}, page=page).status_code == 302
    assert _one(app, CouponTemplate, CouponTemplate.id == saved.id).status == "retired"
    [event] = _events(app, "coupon_template.retire")
    assert (event.actor, event.merchant_id) == (saved.created_by, store["merchant_id"])


def test_a_cashier_cannot_open_the_coupon_pages(client, store):  # noqa: F811
    sign_in(client, CASHIER)
    for url in ("/merchant/coupons", "/merchant/coupons/new"):
        assert client.get(url).status_code == 403, url
    assert "/merchant/coupons" not in client.get("/merchant/").get_data(as_text=True)


def test_the_purchases_csv_ends_with_the_coupon_value(app, client, store):  # noqa: F811
    with app.app_context():
        someone, card = member(db.session)
        code = coupon(db.session, template(db.session, value=1500, min_spend=0), someone).code
        number = card.number
    sold = client.post(PURCHASES, json={"card": number, "amount": 10000, "coupon": code},
                       headers={**store["headers"], "Idempotency-Key": new_key()})
    assert sold.status_code == 201
    sign_in(client)
    text = client.get("/merchant/purchases.csv").get_data(as_text=True)
    header, row = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert header[13:] == ["参考号 Reference", "优惠券抵扣 Coupon value"]
    assert (row[5], row[7], row[10], row[14]) == ("100.00", "12.00", "73.00", "15.00")


def test_the_template_list_and_a_templates_coupons_go_page_by_page(app, world):
    with app.app_context():
        made = [template(db.session, title=f"券{n:02d}", per_member=30) for n in range(21)]
        someone = db.session.scalar(select(Member).where(Member.phone == MEMBER_PHONE))
        for _ in range(21):
            coupon(db.session, made[0], someone)
        first_id = made[0].id
    staff = _staff(app)
    one = staff.get(LIST).get_data(as_text=True)
    two = staff.get(LIST + "?page=2").get_data(as_text=True)
    assert one.count("<tr data-template=") == 20 and two.count("<tr data-template=") == 1
    assert 'rel="next"' in one and 'rel="prev"' in two and "共 21 个优惠券模板" in one
    shown = set(re.findall(r"券\d\d", one + two))
    assert shown == {f"券{n:02d}" for n in range(21)}
    page = f"{LIST}/{first_id}"
    assert staff.get(page).get_data(as_text=True).count('class="mono">') == 20
    assert staff.get(page + "?page=2").get_data(as_text=True).count('class="mono">') == 1
