"""The merchant portal through the test client, with CSRF on: roles, isolation, offers,
terminals, staff, purchases (filters, CSV), refunds and the dashboard."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.api.pos_helpers import PURCHASES, member, new_key, shop
from tests.api.test_portal import csrf_of, post_form
from valliance.audit import AuditEvent
from valliance.extensions import db
from valliance.merchants.models import Merchant, MerchantUser, Offer, Purchase, Refund
from valliance.merchants.services import merchant_users as users
from valliance.merchants.services import reports
from valliance.points import accounts

PASSWORD = "shop2026pw"
OWNER, CASHIER = "13700000001", "13700000002"
TOKEN = re.compile(r'name="token" type="hidden" value="([^"]+)"')


@pytest.fixture
def store(app):
    """An approved merchant with an offer, a terminal, an owner and a cashier."""
    with app.app_context():
        made = shop(db.session, offer={"percent_off": 12, "points_per_yuan": 2})
        merchant = db.session.get(Merchant, made.merchant.id)
        owner = users.add_merchant_user(db.session, merchant, phone=OWNER, name="王老板",
                                        password=PASSWORD, role="owner", actor="test")
        cashier = users.add_merchant_user(db.session, merchant, phone=CASHIER, name="李收银",
                                          password=PASSWORD, role="cashier", actor="test")
        db.session.commit()
        return {"merchant_id": merchant.id, "headers": made.headers, "api_key": made.api_key,
                "terminal_id": made.terminal.id, "owner_id": owner.id, "cashier_id": cashier.id}


@pytest.fixture
def other_store(app):
    """A second merchant, with its own owner."""
    with app.app_context():
        made = shop(db.session, name="江心屿咖啡", offer={"percent_off": 5})
        merchant = db.session.get(Merchant, made.merchant.id)
        users.add_merchant_user(db.session, merchant, phone="13700000009", name="陈店主",
                                password=PASSWORD, role="owner", actor="test")
        db.session.commit()
        return {"merchant_id": merchant.id, "headers": made.headers}


def sign_in(client, phone=OWNER, password=PASSWORD):
    return post_form(client, "/merchant/login", {"phone": phone, "password": password})


def sell(app, client, headers, amount=10_000, *, reference=None, tier="standard"):
    """One purchase through the POS API by a new member; returns its JSON."""
    with app.app_context():
        _, card = member(db.session, tier=tier)
        body = {"card": card.number, "amount": amount}
    if reference:
        body["reference"] = reference
    response = client.post(PURCHASES, json=body, headers={**headers, "Idempotency-Key": new_key()})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# --- signing in and roles ---------------------------------------------------------------


def test_owner_signs_in_and_sees_the_dashboard(client, store):
    response = sign_in(client)
    assert response.status_code == 302 and response.location.endswith("/merchant/")
    page = client.get("/merchant/").get_data(as_text=True)
    assert "老王火锅" in page and "王老板" in page


def test_wrong_password_and_unknown_phone_get_the_same_answer(client, store):
    wrong = sign_in(client, password="nope12345").get_data(as_text=True)
    unknown = sign_in(client, phone="13711112222").get_data(as_text=True)
    assert "手机号或密码错误" in wrong and "手机号或密码错误" in unknown


def test_anonymous_visitors_are_sent_to_the_merchant_login(client, store):
    for url in ("/merchant/", "/merchant/purchases", "/merchant/offers"):
        response = client.get(url)
        assert response.status_code == 302 and "/merchant/login" in response.location


def test_a_signed_in_member_is_forbidden_in_the_merchant_portal(app, client, store):
    with app.app_context():
        member(db.session, phone="13900000001")
    post_form(client, "/me/login", {"phone": "13900000001", "password": "secret123"})
    assert client.get("/merchant/purchases").status_code == 403


def test_cashier_cannot_manage_offers_terminals_or_staff(client, store):
    sign_in(client, CASHIER)
    assert client.get("/merchant/purchases").status_code == 200
    for url in ("/merchant/offers", "/merchant/offers/new", "/merchant/terminals",
                "/merchant/staff", "/merchant/activity"):
        assert client.get(url).status_code == 403, url
    html = client.get("/merchant/").get_data(as_text=True)
    assert "/merchant/offers" not in html  # the menu shows only what a cashier may use


def test_owner_of_a_pending_merchant_cannot_sign_in(app, client):
    with app.app_context():
        pending = shop(db.session, name="待审核商户", approved=False)
        users.add_merchant_user(db.session, db.session.get(Merchant, pending.merchant.id),
                                phone="13700000005", name="赵", password=PASSWORD,
                                role="owner", actor="test")
        db.session.commit()
    assert sign_in(client, "13700000005").status_code == 200
    assert client.get("/merchant/").status_code == 302


def test_suspending_the_merchant_signs_its_people_out(app, client, store):
    sign_in(client)
    assert client.get("/merchant/").status_code == 200
    with app.app_context():
        db.session.get(Merchant, store["merchant_id"]).status = "suspended"
        db.session.commit()
    assert client.get("/merchant/").status_code == 302


def test_login_is_rate_limited_per_phone(client, store):
    for _ in range(10):
        sign_in(client, password="wrong-pass1")
    assert sign_in(client, password="wrong-pass1").status_code == 429


def test_password_change_signs_out_other_sessions(app, store):
    first, second = app.test_client(), app.test_client()
    sign_in(first)
    sign_in(second)
    response = post_form(first, "/merchant/password", {
        "current_password": PASSWORD, "password": "newpass2026", "confirm": "newpass2026"})
    assert response.status_code == 302
    assert first.get("/merchant/").status_code == 200
    assert second.get("/merchant/").status_code == 302
    assert sign_in(app.test_client(), password="newpass2026").status_code == 302


# --- tenant isolation -------------------------------------------------------------------


def test_another_merchants_purchase_offer_terminal_and_staff_are_not_found(
        app, client, store, other_store):
    sold = sell(app, client, other_store["headers"])
    with app.app_context():
        their_offer = db.session.scalar(select(Offer.id).where(
            Offer.merchant_id == other_store["merchant_id"]))
        their_owner = db.session.scalar(select(MerchantUser.id).where(
            MerchantUser.merchant_id == other_store["merchant_id"]))
        their_terminal = db.session.scalar(select(Purchase.terminal_id).where(
            Purchase.id == sold["id"]))
    sign_in(client)
    assert client.get(f"/merchant/purchases/{sold['id']}").status_code == 404
    token = csrf_of(client.get("/merchant/offers/new").get_data(as_text=True))
    assert client.post(f"/merchant/purchases/{sold['id']}/refunds",
                       data={"csrf_token": token, "token": "x" * 20}).status_code == 404
    assert client.get(f"/merchant/offers/{their_offer}").status_code == 404
    assert client.post(f"/merchant/terminals/{their_terminal}/revoke",
                       data={"csrf_token": token}).status_code == 404
    assert client.post(f"/merchant/staff/{their_owner}/disable",
                       data={"csrf_token": token}).status_code == 404
    assert sold["id"] not in client.get("/merchant/purchases").get_data(as_text=True)
    assert sold["id"] not in client.get("/merchant/purchases.csv").get_data(as_text=True)
    with app.app_context():  # nothing of theirs changed
        assert db.session.get(Purchase, sold["id"]).refunded_amount == 0
        assert db.session.get(MerchantUser, their_owner).active


# --- offers -----------------------------------------------------------------------------


def offer_data(**overrides):
    data = {"title": "周末特惠", "description": "招牌锅底", "unit": "percent", "discount": "15",
            "diamond_discount": "20.5", "points_per_yuan": "3", "valid_from": "",
            "valid_until": "", "active": "y"}
    return {**data, **overrides}


def test_owner_publishes_an_offer_with_a_tier_rate_and_the_till_prices_by_it(
        app, client, store):
    sign_in(client)
    response = post_form(client, "/merchant/offers/new", offer_data(), page="/merchant/offers/new")
    assert response.status_code == 302
    with app.app_context():
        offer = db.session.scalar(select(Offer).where(Offer.title == "周末特惠"))
        assert str(offer.percent_off_for("diamond")) == "20.50"
        assert str(offer.percent_off_for("gold")) == "15.00"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "offer.create"))
        assert event.actor == f"merchant_user:{store['owner_id']}"
        assert event.details["percent_off"] == "15.00"
    sold = sell(app, client, store["headers"], 10_000, tier="diamond")
    assert sold["discount"] == 2050  # the best of the merchant's live offers for a diamond


@pytest.mark.parametrize("field, value, message", [
    ("discount", "95", "0 到 90"),
    ("discount", "12.345", "两位小数"),
    ("discount", "abc", "请输入数字"),
    ("gold_discount", "91", "0 到 90"),
    ("points_per_yuan", "101", "0 到 100"),
    ("points_per_yuan", "-1", "0 到 100"),
    ("title", "", "必填"),
    ("valid_until", "2026-01-01", "结束日期早于开始日期"),
])
def test_offer_form_rejects_bad_terms_and_saves_nothing(app, client, store, field, value,
                                                        message):
    sign_in(client)
    data = offer_data(valid_from="2026-06-01", **{field: value})
    response = post_form(client, "/merchant/offers/new", data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Offer).where(
            Offer.title == "周末特惠")) == 0


def test_editing_an_offer_keeps_past_purchases_and_records_what_changed(app, client, store):
    before = sell(app, client, store["headers"], 10_000)
    with app.app_context():
        offer_id = db.session.scalar(select(Offer.id).where(
            Offer.merchant_id == store["merchant_id"]))
    sign_in(client)
    page = client.get(f"/merchant/offers/{offer_id}").get_data(as_text=True)
    assert 'value="8.8"' in page  # 12 % off, shown as the owner thinks of it: 8.8折
    response = post_form(client, f"/merchant/offers/{offer_id}",
                         offer_data(title="会员折扣", description="", discount="8",
                                    diamond_discount="", points_per_yuan="2"))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Purchase, before["id"]).discount == 1200
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "offer.update"))
        assert event.details == {"percent_off": ["12.00", "8.00"]}
    assert sell(app, client, store["headers"], 10_000)["discount"] == 800


def test_switching_an_offer_off_stops_its_discount(app, client, store):
    with app.app_context():
        offer_id = db.session.scalar(select(Offer.id).where(
            Offer.merchant_id == store["merchant_id"]))
    sign_in(client)
    data = offer_data(title="会员折扣", discount="12", diamond_discount="",
                      points_per_yuan="2")
    data.pop("active")
    assert post_form(client, f"/merchant/offers/{offer_id}", data).status_code == 302
    assert sell(app, client, store["headers"], 10_000)["discount"] == 0
    assert "已停用" in client.get("/merchant/offers").get_data(as_text=True)


# --- terminals --------------------------------------------------------------------------


def test_the_new_terminal_heading_uses_each_language_s_colon(client, store):
    sign_in(client)
    chinese = post_form(client, "/merchant/terminals", {"name": "2号收银台"})
    assert "终端已创建：2号收银台" in chinese.get_data(as_text=True)
    client.get("/merchant/terminals?lang=en")
    english = post_form(client, "/merchant/terminals", {"name": "3号收银台"})
    assert "Terminal created: 3号收银台" in english.get_data(as_text=True)


def test_the_staff_list_marks_me_with_each_language_s_brackets(client, store):
    sign_in(client)
    assert "（我）" in client.get("/merchant/staff").get_data(as_text=True)
    english = client.get("/merchant/staff?lang=en").get_data(as_text=True)
    assert "(me)" in english and "（me）" not in english


def test_a_new_terminal_key_is_shown_once_works_and_stops_working_when_revoked(
        app, client, store):
    sign_in(client)
    response = post_form(client, "/merchant/terminals", {"name": "2号收银台"})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    key = re.search(r'value="(vt_[^"]+)"', response.get_data(as_text=True)).group(1)
    listing = client.get("/merchant/terminals").get_data(as_text=True)
    assert "2号收银台" in listing and key not in listing
    sold = sell(app, client, {"Authorization": f"Bearer {key}"})
    with app.app_context():
        terminal_id = db.session.get(Purchase, sold["id"]).terminal_id
    token = csrf_of(listing)
    assert client.post(f"/merchant/terminals/{terminal_id}/revoke",
                       data={"csrf_token": token}).status_code == 302
    refused = client.post("/api/v1/pos/quote", json={"card": "1", "amount": 1},
                          headers={"Authorization": f"Bearer {key}"})
    assert refused.status_code == 401
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions[-2:] == ["terminal.create", "terminal.revoke"]


# --- staff ------------------------------------------------------------------------------


def test_owner_adds_a_cashier_who_can_then_sign_in(app, client, store):
    sign_in(client)
    response = post_form(client, "/merchant/staff", {
        "name": "小周", "phone": "+86 137-0000-0003", "role": "cashier",
        "password": "cash2026x", "confirm": "cash2026x"})
    assert response.status_code == 302
    assert "13700000003" in client.get("/merchant/staff").get_data(as_text=True)
    other = client.application.test_client()
    assert sign_in(other, "13700000003", "cash2026x").status_code == 302
    assert other.get("/merchant/staff").status_code == 403


@pytest.mark.parametrize("data, message", [
    ({"phone": CASHIER}, "已有商户账号"),
    ({"phone": "12345"}, "11位手机号"),
    ({"password": "short", "confirm": "short"}, "至少8位"),
    ({"confirm": "different1"}, "不一致"),
])
def test_staff_form_rejects_bad_input(client, store, data, message):
    sign_in(client)
    full = {"name": "小周", "phone": "13700000003", "role": "cashier", "password": "cash2026x",
            "confirm": "cash2026x", **data}
    response = post_form(client, "/merchant/staff", full)
    assert response.status_code == 200 and message in response.get_data(as_text=True)


def test_disabling_a_cashier_signs_them_out_and_the_last_owner_cannot_be_disabled(
        app, client, store):
    cashier = app.test_client()
    sign_in(cashier, CASHIER)
    assert cashier.get("/merchant/").status_code == 200
    sign_in(client)
    token = csrf_of(client.get("/merchant/staff").get_data(as_text=True))
    client.post(f"/merchant/staff/{store['cashier_id']}/disable", data={"csrf_token": token})
    assert cashier.get("/merchant/").status_code == 302
    with app.app_context():
        owner = db.session.get(MerchantUser, store["owner_id"])
        with pytest.raises(Exception, match="validation_error|Invalid"):
            users.set_user_active(db.session, owner, False, actor="test")


# --- purchases, CSV ---------------------------------------------------------------------


def test_purchase_list_filters_totals_and_pages(app, client, store):
    sales = [sell(app, client, store["headers"], 1_000 * (i + 1)) for i in range(5)]
    sell(app, client, store["headers"], 777, reference="REF-1")
    sign_in(client)
    page = client.get("/merchant/purchases").get_data(as_text=True)
    assert all(sale["id"] in page for sale in sales)
    assert "¥157.77" in page  # the total of list prices: ¥10+…+¥50 and ¥7.77
    last4 = sales[2]["card_last4"]
    filtered = client.get(f"/merchant/purchases?card={last4}").get_data(as_text=True)
    assert sales[2]["id"] in filtered and sales[0]["id"] not in filtered
    with app.app_context():
        rows, cursor = reports.purchase_page(db.session, store["merchant_id"],
                                             reports.PurchaseFilter(), size=4)
        assert len(rows) == 4 and cursor is not None
        rest, end = reports.purchase_page(db.session, store["merchant_id"],
                                          reports.PurchaseFilter(), after=cursor, size=4)
        assert len(rest) == 2 and end is None
        assert {r[0].id for r in rows} | {r[0].id for r in rest} == {
            s["id"] for s in sales} | {s.id for s in db.session.scalars(select(Purchase).where(
                Purchase.reference == "REF-1"))}
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    empty = client.get(f"/merchant/purchases?from={tomorrow}").get_data(as_text=True)
    assert "没有符合条件的交易" in empty


def test_refund_state_filter(app, client, store):
    kept, returned = (sell(app, client, store["headers"], 5_000) for _ in range(2))
    client.post(f"{PURCHASES}/{returned['id']}/refunds", json={},
                headers={**store["headers"], "Idempotency-Key": new_key()})
    sign_in(client)
    full = client.get("/merchant/purchases?refund=full").get_data(as_text=True)
    none = client.get("/merchant/purchases?refund=none").get_data(as_text=True)
    assert returned["id"] in full and kept["id"] not in full
    assert kept["id"] in none and returned["id"] not in none


def test_csv_export_has_every_matching_purchase_in_yuan_and_defuses_formulas(
        app, client, store):
    sell(app, client, store["headers"], 12_345, reference="=HYPERLINK(\"x\")")
    sell(app, client, store["headers"], 5)
    sign_in(client)
    response = client.get("/merchant/purchases.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][0] == "时间 Time" and len(rows) == 3
    by_amount = {row[5]: row for row in rows[1:]}
    assert set(by_amount) == {"123.45", "0.05"}
    assert by_amount["123.45"][7] == "14.81"  # 12 % of ¥123.45 = 14.814 → 14.81
    assert by_amount["123.45"][13].startswith("'=")  # the reference
    assert rows[0][-1] == "优惠券抵扣 Coupon value" and by_amount["123.45"][-1] == "0.00"


# --- refunds from the portal ------------------------------------------------------------


def test_cashier_refunds_part_of_a_purchase_once_however_often_the_form_is_sent(
        app, client, store):
    sold = sell(app, client, store["headers"], 10_000)
    sign_in(client, CASHIER)
    page = client.get(f"/merchant/purchases/{sold['id']}").get_data(as_text=True)
    token = TOKEN.search(page).group(1)
    form = {"csrf_token": csrf_of(page), "token": token, "amount": "40.00"}
    url = f"/merchant/purchases/{sold['id']}/refunds"
    first, second = client.post(url, data=form), client.post(url, data=form)
    assert first.status_code == second.status_code == 302
    assert "未重复退款" in client.get(first.location).get_data(as_text=True)
    with app.app_context():
        refunds = db.session.scalars(select(Refund).where(Refund.purchase_id == sold["id"])).all()
        assert [(r.amount, r.cash_refund, r.points_reversed) for r in refunds] == [
            (4_000, 3_520, 70)]  # 40 % of ¥88.00 paid and of 176 points
        assert db.session.scalar(select(AuditEvent.actor).where(
            AuditEvent.action == "purchase.refund")) == f"merchant_user:{store['cashier_id']}"


@pytest.mark.parametrize("amount, message", [
    ("100.01", "最多可退"), ("abc", "请输入金额"), ("0", "大于0"), ("-5", "请输入金额"),
    ("1.234", "请输入金额"),
])
def test_refund_form_rejects_bad_amounts_and_changes_nothing(app, client, store, amount,
                                                             message):
    sold = sell(app, client, store["headers"], 10_000)
    sign_in(client)
    page = client.get(f"/merchant/purchases/{sold['id']}").get_data(as_text=True)
    token = TOKEN.search(page).group(1)
    response = client.post(f"/merchant/purchases/{sold['id']}/refunds", data={
        "csrf_token": csrf_of(page), "token": token, "amount": amount})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Purchase, sold["id"]).refunded_amount == 0


def test_blank_refund_amount_refunds_what_is_left_and_claws_back_spent_points(
        app, client, store):
    sold = sell(app, client, store["headers"], 10_000)
    with app.app_context():
        purchase = db.session.get(Purchase, sold["id"])
        account = purchase.member_id
    sign_in(client)
    page = client.get(f"/merchant/purchases/{sold['id']}").get_data(as_text=True)
    token = TOKEN.search(page).group(1)
    client.post(f"/merchant/purchases/{sold['id']}/refunds",
                data={"csrf_token": csrf_of(page), "token": token, "amount": ""})
    with app.app_context():
        purchase = db.session.get(Purchase, sold["id"])
        assert purchase.refunded_amount == 10_000
        from valliance.members.models import Member
        balance = accounts.get_balance(db.session,
                                       db.session.get(Member, account).points_account_id)
        assert balance.balance == 0
    assert "已全额退款" in client.get(f"/merchant/purchases/{sold['id']}").get_data(
        as_text=True)


# --- dashboard --------------------------------------------------------------------------


def test_dashboard_figures_reconcile_with_the_purchases(app, client, store):
    sales = [sell(app, client, store["headers"], amount) for amount in (10_000, 2_550, 99)]
    client.post(f"{PURCHASES}/{sales[0]['id']}/refunds", json={"amount": 5_000},
                headers={**store["headers"], "Idempotency-Key": new_key()})
    with app.app_context():
        board = reports.dashboard(db.session, store["merchant_id"])
    for period in ("today", "7d", "30d"):
        figures = board.periods[period]
        assert figures.purchases == 3 and figures.members == 3
        assert figures.sales == 12_649
        assert figures.discounts == sum(s["discount"] for s in sales)
        assert figures.collected == sum(s["payable"] for s in sales)
        assert figures.points_issued == sum(s["points_earned"] for s in sales) - 88
        assert figures.refunds == 1 and figures.refunded_cash == 4_400
    assert board.daily[-1][1:] == (12_649, 3) and len(board.daily) == 30
    sign_in(client)
    html = client.get("/merchant/").get_data(as_text=True)
    assert 'data-period="today" data-figure="sales">¥126.49<' in html
    assert "<svg" in html and 'class="bar"' in html


def test_dashboard_of_a_new_shop_shows_zeros_and_an_empty_chart(client, store):
    sign_in(client)
    html = client.get("/merchant/").get_data(as_text=True)
    assert 'data-figure="sales">¥0.00<' in html and "暂无销售" in html


# --- found in review ------------------------------------------------------------------


def test_login_limit_counts_every_spelling_of_one_phone_together(client, store):
    for spelling in ("13700000001", "+8613700000001", "0086 137 0000 0001") * 4:
        last = sign_in(client, spelling, password="wrong-pass1")
    assert last.status_code == 429


def test_reserved_or_unknown_query_arguments_do_not_reach_the_links(client, store):
    sign_in(client)
    response = client.get("/merchant/purchases?_method=POST&_external=1&_anchor=x&card=1234")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "http://localhost/merchant" not in html and "#x" not in html
    assert "purchases.csv?card=1234" in html


def test_a_cursor_without_a_timezone_or_garbage_shows_the_first_page(app, client, store):
    sold = sell(app, client, store["headers"])
    sign_in(client)
    for cursor in ("2026-01-01T00:00:00~x", "garbage", "~"):
        response = client.get("/merchant/purchases", query_string={"after": cursor})
        assert response.status_code == 200 and sold["id"] in response.get_data(as_text=True)


def test_the_refunded_total_is_the_cash_given_back(app, client, store):
    sold = sell(app, client, store["headers"], 10_000)
    client.post(f"{PURCHASES}/{sold['id']}/refunds", json={},
                headers={**store["headers"], "Idempotency-Key": new_key()})
    with app.app_context():
        totals = reports.purchase_totals(db.session, store["merchant_id"],
                                         reports.PurchaseFilter())
    assert totals.refunded_cash == 8_800  # the ¥88.00 paid, not the ¥100.00 list price


def test_offer_and_terminal_commands_leave_an_audit_trail(app, store):
    runner = app.test_cli_runner()
    runner.invoke(args=["offers", "create", "--merchant", store["merchant_id"], "--title", "新品",
                        "--percent-off", "8.75"])
    runner.invoke(args=["terminals", "create", "--merchant", store["merchant_id"]])
    runner.invoke(args=["terminals", "revoke", store["terminal_id"]])
    with app.app_context():
        events = db.session.execute(select(AuditEvent.actor, AuditEvent.action).where(
            AuditEvent.merchant_id == store["merchant_id"])
            .order_by(AuditEvent.id)).all()
    assert [tuple(e) for e in events][-3:] == [
        ("cli", "offer.create"), ("cli", "terminal.create"), ("cli", "terminal.revoke")]


def test_a_coupon_sale_shows_the_coupon_between_the_discount_and_the_cash(app, client, store):
    from tests.api.coupon_helpers import coupon, template
    with app.app_context():
        someone, card = member(db.session)
        code = coupon(db.session, template(db.session, value=1000, min_spend=0), someone).code
        body = {"card": card.number, "amount": 10_000, "coupon": code}
    sold = client.post(PURCHASES, json=body,
                       headers={**store["headers"], "Idempotency-Key": new_key()}).get_json()
    assert sign_in(client).status_code == 302
    html = client.get(f"/merchant/purchases/{sold['id']}").get_data(as_text=True)
    # ¥100.00 − 12 % (¥12.00) − ¥10.00 coupon = ¥78.00
    assert '优惠券抵扣</dt><dd data-figure="coupon">−¥10.00<' in html
    assert 'data-figure="payable"><strong>¥78.00<' in html
