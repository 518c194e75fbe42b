"""Statement pages: the owner's list, printable statement and CSV (own merchant only), and
the staff's periods with payouts marked paid — through the test client, CSRF on."""

import calendar
import csv
import io
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
import responses
from sqlalchemy import func, select

from tests.api import test_merchant_portal as portal_tests
from tests.api.pos_helpers import member, pay_code
from tests.api.test_merchant_portal import CASHIER, sell, sign_in
from tests.api.test_portal import csrf_of
from tests.api.test_staff_pages import make_staff, staff_log_in
from tests.payments_server import deliver, stripe_event
from valliance.audit import AuditEvent
from valliance.db import utcnow
from valliance.extensions import db
from valliance.merchants.models import Merchant
from valliance.merchants.services import purchases as pos
from valliance.settlement import services
from valliance.settlement.models import Settlement, Statement

# The merchant portal's fixtures: a merchant with an owner and a cashier, and another one.
store = portal_tests.store
other_store = portal_tests.other_store


@pytest.fixture(autouse=True)
def _same_month(clear_of_month_end):
    """Activity and the period closed fall in one month (see clear_of_month_end)."""



def _close_this_month(app) -> str:
    with app.app_context():
        period = services.period_of(utcnow())
        services.close_period(db.session, period,
                              now=services.period_bounds(period)[1] + timedelta(minutes=1))
        db.session.commit()
        return period


def _statement_id(app, merchant_id) -> str:
    with app.app_context():
        return db.session.scalar(select(Statement.id).where(Statement.merchant_id == merchant_id))


@pytest.fixture
def closed(app, client, store, other_store):
    """This month closed: 老王火锅 sold ¥100.00 (12% off, 2 points per yuan → 176 points) and
    took a ¥10.00 bill paid with 500 points (7 points earned); 江心屿咖啡 sold ¥50.00."""
    sell(app, client, store["headers"], 10_000)
    sell(app, client, other_store["headers"], 5_000)
    with app.app_context():
        _, card = member(db.session, points=500)
        shop = db.session.get(Merchant, store["merchant_id"])
        pos.record_purchase(db.session, shop, None, pay_code(card), 1_000, 500, None)
        db.session.commit()
    return _close_this_month(app)


def test_owner_sees_prints_and_downloads_the_statement(app, client, store, closed):
    sign_in(client)
    listing = client.get("/merchant/statements/").get_data(as_text=True)
    statement_id = _statement_id(app, store["merchant_id"])
    assert closed in listing and f"/merchant/statements/{statement_id}" in listing
    page = client.get(f"/merchant/statements/{statement_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # 176 + 7 issued = ¥1.83; 500 redeemed = ¥5.00; the alliance owes ¥3.17.
    assert 'data-testid="issued">183<' in html and 'data-testid="redeemed">500<' in html
    assert 'data-testid="net"><strong>¥3.17<' in html and "联盟应付您" in html
    assert "statement.css" in html  # the print stylesheet

    response = client.get(f"/merchant/statements/{statement_id}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f"statement-{closed}.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 2 and rows[0][0] == "期间 Period"
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["期间 Period"], row["商户 Merchant"], row["账单号 Statement"]) == (
        closed, "老王火锅", statement_id)
    assert (row["发放积分 Points issued"], row["应付联盟(分) Owed by merchant (fen)"],
            row["兑换积分 Points redeemed"], row["联盟应付(分) Owed to merchant (fen)"],
            row["净额(分) Net (fen, + merchant pays)"], row["状态 Status"]) == (
        "183", "183", "500", "500", "-317", "due")


def test_the_statement_names_the_period_s_first_and_last_days_in_plain_words(
        app, client, store, closed):
    sign_in(client)
    url = f"/merchant/statements/{_statement_id(app, store['merchant_id'])}"
    year, month = map(int, closed.split("-"))
    last = calendar.monthrange(year, month)[1]
    chinese = client.get(url).get_data(as_text=True)
    assert f"{closed}-01 – {closed}-{last:02d}（北京时间）" in chinese
    english = client.get(url + "?lang=en").get_data(as_text=True)
    assert f"{closed}-01 – {closed}-{last:02d} (Beijing time)" in english
    assert "exclusive" not in english and "不含结束日" not in chinese


def test_a_merchant_never_sees_another_merchants_statement(app, client, other_store, closed):
    theirs = _statement_id(app, other_store["merchant_id"])
    sign_in(client)
    assert client.get(f"/merchant/statements/{theirs}").status_code == 404
    assert client.get(f"/merchant/statements/{theirs}.csv").status_code == 404
    assert client.get("/merchant/statements/stm_nope").status_code == 404
    assert theirs not in client.get("/merchant/statements/").get_data(as_text=True)


def test_only_owners_see_statements(app, client, store, closed):
    mine = _statement_id(app, store["merchant_id"])
    anonymous = client.get("/merchant/statements/")
    assert anonymous.status_code == 302 and "/merchant/login" in anonymous.location
    sign_in(client, phone=CASHIER)
    assert client.get("/merchant/statements/").status_code == 403
    assert client.get(f"/merchant/statements/{mine}.csv").status_code == 403


def test_staff_mark_a_payout_paid_with_a_reference(app, client, store, closed):
    make_staff(app)
    assert staff_log_in(client).status_code == 302
    periods = client.get("/staff/settlement/").get_data(as_text=True)
    assert f"/staff/settlement/{closed}" in periods
    page = client.get(f"/staff/settlement/{closed}").get_data(as_text=True)
    assert "老王火锅" in page and "江心屿咖啡" in page
    with app.app_context():
        payout = db.session.scalar(select(Settlement).where(
            Settlement.merchant_id == store["merchant_id"]))
        assert (payout.direction, payout.amount_fen, payout.status) == ("payout", 317, "due")
        payout_id = payout.id
    url = f"/staff/settlement/payouts/{payout_id}/paid"
    assert client.post(url, data={"reference": "ICBC-20261201-0001"}).status_code == 400  # CSRF
    response = client.post(url, data={"reference": "ICBC-20261201-0001",
                                      "csrf_token": csrf_of(page)})
    assert response.status_code == 302 and response.location.endswith(f"/staff/settlement/{closed}")
    with app.app_context():
        payout = db.session.get(Settlement, payout_id)
        assert (payout.status, payout.reference) == ("paid", "ICBC-20261201-0001")
        assert payout.paid_by.startswith("staff:") and payout.paid_at is not None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "payout.paid"))
        assert event.subject == payout_id and event.merchant_id == store["merchant_id"]
        assert event.details["amount_fen"] == 317
        assert services.reconcile(db.session).ok
    # The owner sees it paid, with the reference.
    client.post("/staff/logout", data={"csrf_token": csrf_of(page)})
    sign_in(client)
    mine = client.get(f"/merchant/statements/{_statement_id(app, store['merchant_id'])}")
    assert "ICBC-20261201-0001" in mine.get_data(as_text=True)


def test_settlement_staff_pages_are_for_staff_only(app, client, store, closed):
    assert "/staff/login" in client.get("/staff/settlement/").location
    sign_in(client)
    assert client.get("/staff/settlement/").status_code == 403
    assert client.get(f"/staff/settlement/{closed}").status_code == 403


# --- a merchant that owes pays through Stripe ------------------------------------------------

SESSIONS = "http://127.0.0.1:9/v1/checkout/sessions"  #: stripe_keys' API base (nothing there)


def _collection(app, merchant_id) -> Settlement:
    with app.app_context():
        row = db.session.scalar(select(Settlement).where(Settlement.merchant_id == merchant_id))
        db.session.expunge_all()
        return row


def _statement_paid_event(settlement_id: str, amount: int, *, currency="cny") -> str:
    return stripe_event("checkout.session.completed", {
        "id": "cs_test_statement", "object": "checkout.session", "mode": "payment",
        "amount_total": amount, "currency": currency, "client_reference_id": settlement_id,
        "metadata": {"settlement_id": settlement_id}, "payment_intent": "pi_statement_1",
        "payment_status": "paid", "status": "complete"})


def test_a_merchant_that_owes_pays_its_statement_through_checkout_once(
        app, client, other_store, closed, stripe_keys):
    due = _collection(app, other_store["merchant_id"])
    assert (due.direction, due.status) == ("collect", "due")
    statement_id = _statement_id(app, other_store["merchant_id"])
    sign_in(client, "13700000009")
    page = client.get(f"/merchant/statements/{statement_id}")
    assert "在线支付" in page.get_data(as_text=True)
    assert "https://checkout.stripe.com" in page.headers["Content-Security-Policy"]
    with responses.RequestsMock() as stripe_api:
        stripe_api.add(responses.POST, SESSIONS, json={
            "id": "cs_test_statement", "object": "checkout.session",
            "url": "https://checkout.stripe.com/c/pay/cs_test_statement"})
        answer = client.post(f"/merchant/statements/{statement_id}/pay",
                             data={"csrf_token": csrf_of(page.get_data(as_text=True))})
        sent = parse_qs(stripe_api.calls[0].request.body)
    assert answer.status_code == 303 and answer.location.endswith("cs_test_statement")
    assert sent["line_items[0][price_data][unit_amount]"] == [str(due.amount_fen)]
    assert sent["line_items[0][price_data][currency]"] == ["cny"]
    assert sent["metadata[settlement_id]"] == [due.id]

    wrong = deliver(client, _statement_paid_event(due.id, due.amount_fen + 1))
    assert wrong.status_code == 200 and _collection(app, other_store["merchant_id"]).status == "due"
    event = _statement_paid_event(due.id, due.amount_fen)
    assert deliver(client, event).status_code == 200
    assert deliver(client, event).status_code == 200  # a redelivery changes nothing
    paid = _collection(app, other_store["merchant_id"])
    assert (paid.status, paid.paid_by, paid.reference) == ("paid", "stripe", "pi_statement_1")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "collection.paid")) == 1
    again = client.post(f"/merchant/statements/{statement_id}/pay",
                        data={"csrf_token": csrf_of(page.get_data(as_text=True))})
    assert again.status_code == 404  # nothing is owed any more
    assert "在线支付" not in client.get(f"/merchant/statements/{statement_id}").get_data(
        as_text=True)


def test_without_stripe_keys_the_statement_says_pay_by_transfer(app, client, other_store,
                                                                closed):
    sign_in(client, "13700000009")
    statement_id = _statement_id(app, other_store["merchant_id"])
    page = client.get(f"/merchant/statements/{statement_id}").get_data(as_text=True)
    assert "在线支付未开通" in page


def test_the_statement_csv_keeps_a_formula_like_name_and_reference_as_text(app, client, store,
                                                                           closed):
    # A shop named "=HYPERLINK(…)" (its application's name) and a payout reference typed by
    # staff are text in the spreadsheet, not formulas
    statement_id = _statement_id(app, store["merchant_id"])
    with app.app_context():
        db.session.get(Merchant, store["merchant_id"]).name = '=HYPERLINK("http://x.example")'
        due = db.session.scalar(select(Statement).where(Statement.id == statement_id)).settlement
        due.reference = "+1-800"
        db.session.commit()
    sign_in(client)
    text = client.get(f"/merchant/statements/{statement_id}.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["商户 Merchant"] == "'=HYPERLINK(\"http://x.example\")"
    assert row[rows[0][-1]] == "'+1-800"
    assert row["净额(分) Net (fen, + merchant pays)"] == "-317"  # numbers stay numbers


def test_the_statement_shows_the_alliance_coupons_line_in_page_and_csv(app, client, store):
    from tests.api.coupon_helpers import coupon, template

    with app.app_context():
        someone, card = member(db.session)
        code = coupon(db.session, template(db.session, value=1500, min_spend=0), someone).code
        shop = db.session.get(Merchant, store["merchant_id"])
        pos.record_purchase(db.session, shop, None, card.number, 10_000, 0, None, coupon=code)
        db.session.commit()
    _close_this_month(app)
    sign_in(client)
    statement_id = _statement_id(app, store["merchant_id"])
    html = client.get(f"/merchant/statements/{statement_id}").get_data(as_text=True)
    # ¥100.00, 12% off, ¥15.00 coupon → ¥73.00 paid → 146 points = ¥1.46; owed ¥15.00 − ¥1.46.
    assert 'data-testid="coupons">−¥15.00<' in html
    assert 'data-testid="net"><strong>¥13.54<' in html and "联盟应付您" in html
    rows = list(csv.reader(io.StringIO(client.get(f"/merchant/statements/{statement_id}.csv")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["联盟通用券(分) Alliance coupons, owed to merchant (fen)"] == "1500"
    assert row["净额(分) Net (fen, + merchant pays)"] == "-1354"
