"""The member payment pages (/me/pay) through the test client, CSRF on.

Stripe's side of Checkout is the Stripe library's real HTTP request, caught by `responses`
(localstripe has no Checkout Sessions); completion comes as events signed with the webhook
secret, delivered to our endpoint.
"""

import re
from urllib.parse import parse_qs

import pytest
import requests
import responses
from sqlalchemy import select

from tests.api.test_portal import csrf_of, enroll, log_in, post_form
from tests.payments_server import checkout_session, deliver, payment_intent, stripe_event
from valliance.extensions import db
from valliance.payments.models import Payment

API = "http://127.0.0.1:9"  #: the STRIPE_API_BASE of the stripe_keys fixture (nothing there)
SESSIONS = f"{API}/v1/checkout/sessions"
CHECKOUT_URL = "https://checkout.stripe.com/c/pay/cs_test_a1"


@pytest.fixture
def member(app, client):
    who = enroll(app)
    log_in(client)
    return who


@pytest.fixture
def stripe_api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def answer_sessions(mock, session_id="cs_test_a1", status=200):
    mock.add(responses.POST, SESSIONS, status=status, json={
        "id": session_id, "object": "checkout.session", "url": CHECKOUT_URL,
        "status": "open", "payment_status": "unpaid", "mode": "payment",
    } if status == 200 else {"error": {"type": "api_error", "message": "down"}})


def payments(app) -> list[Payment]:
    with app.app_context():
        rows = list(db.session.scalars(select(Payment).order_by(Payment.created_at)))
        db.session.expunge_all()
        db.session.remove()
        return rows


def pay(client, **form):
    return post_form(client, "/me/pay/", {"kind": "bill", **form})


# --- not configured -----------------------------------------------------------------------


def test_without_stripe_keys_the_page_says_payments_are_not_configured(app, client, member):
    page = client.get("/me/pay/")
    assert page.status_code == 200
    assert "在线支付尚未开通" in page.get_data(as_text=True)
    assert "<form method=\"post\" novalidate>" not in page.get_data(as_text=True)
    english = client.get("/me/pay/?lang=en").get_data(as_text=True)
    assert "Online payments are not configured" in english


def test_without_stripe_keys_a_posted_form_changes_nothing_and_does_not_crash(app, client,
                                                                              member):
    token = csrf_of(client.get("/me/profile").get_data(as_text=True))
    response = client.post("/me/pay/", data={"kind": "bill", "amount": "100",
                                             "csrf_token": token})
    assert response.status_code == 503
    assert "在线支付尚未开通" in response.get_data(as_text=True)
    assert payments(app) == []


def test_the_payment_pages_need_a_signed_in_member(client):
    response = client.get("/me/pay/")
    assert response.status_code == 302
    assert "/me/login" in response.headers["Location"]


# --- starting a payment: the Checkout Session ------------------------------------------------


def test_a_bill_opens_a_checkout_session_in_cny_with_card_alipay_and_wechat_pay(
        app, client, member, stripe_keys, stripe_api):
    answer_sessions(stripe_api)
    response = pay(client, amount="128.50")
    assert response.status_code == 303
    assert response.headers["Location"] == CHECKOUT_URL

    [payment] = payments(app)
    assert (payment.kind, payment.amount, payment.currency) == ("bill", 12850, "cny")
    assert (payment.status, payment.stripe_checkout_session_id) == ("pending", "cs_test_a1")
    [call] = stripe_api.calls
    assert call.request.headers["Authorization"] == "Bearer sk_test_valliance"
    assert call.request.headers["Idempotency-Key"] == f"valliance-checkout-{payment.id}"
    body = {key: values[0] for key, values in parse_qs(call.request.body).items()}
    assert body["mode"] == "payment"
    assert body["line_items[0][price_data][unit_amount]"] == "12850"
    assert body["line_items[0][price_data][currency]"] == "cny"
    assert body["line_items[0][quantity]"] == "1"
    assert [body[f"payment_method_types[{i}]"] for i in range(3)] == [
        "card", "alipay", "wechat_pay"]
    assert body["payment_method_options[wechat_pay][client]"] == "web"
    assert body["client_reference_id"] == payment.id
    assert body["metadata[payment_id]"] == payment.id
    assert body["metadata[member_id]"] == member["id"]
    assert body["payment_intent_data[metadata][payment_id]"] == payment.id
    assert body["success_url"].endswith(f"/me/pay/{payment.id}?checkout=done")
    assert body["cancel_url"].endswith(f"/me/pay/{payment.id}?checkout=cancelled")
    assert body["locale"] == "zh"


def test_the_vip_fee_is_the_configured_amount_whatever_was_typed(app, client, member,
                                                                 stripe_keys, stripe_api,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "VIP_FEE_FEN", 48800)
    answer_sessions(stripe_api)
    response = pay(client, kind="vip_fee", amount="1")
    assert response.status_code == 303
    [payment] = payments(app)
    assert (payment.kind, payment.amount) == ("vip_fee", 48800)
    body = parse_qs(stripe_api.calls[0].request.body)
    assert body["line_items[0][price_data][unit_amount]"] == ["48800"]


def test_the_payment_form_leads_to_stripe_under_the_pages_csp(app, client, member,
                                                              stripe_keys):
    page = client.get("/me/pay/")
    assert "form-action 'self' https://checkout.stripe.com" in (
        page.headers["Content-Security-Policy"])


@pytest.mark.parametrize(("typed", "message"), [
    ("0.99", "¥1.00"), ("10000.01", "¥10,000.00"), ("", "请输入金额"),
    ("abc", "最多两位小数"), ("12.345", "最多两位小数"), ("-5", "最多两位小数"),
    ("1e999999", "最多两位小数"), ("9" * 20, "¥10,000.00"), ("NaN", "最多两位小数"),
])
def test_a_bill_must_be_an_exact_amount_between_1_and_10000_yuan(app, client, member,
                                                                 stripe_keys, stripe_api,
                                                                 typed, message):
    response = pay(client, amount=typed)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert payments(app) == []
    assert len(stripe_api.calls) == 0


@pytest.mark.parametrize(("typed", "fen"), [("1", 100), ("¥1,234.5", 123450),
                                            ("10000", 1000000)])
def test_amounts_typed_in_yuan_become_exact_fen(app, client, member, stripe_keys, stripe_api,
                                                typed, fen):
    answer_sessions(stripe_api)
    assert pay(client, amount=typed).status_code == 303
    assert payments(app)[0].amount == fen


def test_when_stripe_cannot_be_reached_the_payment_waits_and_can_be_resumed(
        app, client, member, stripe_keys, stripe_api):
    stripe_api.add(responses.POST, SESSIONS, body=requests.ConnectionError("refused"))
    response = pay(client, amount="50")
    [payment] = payments(app)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/me/pay/{payment.id}")
    assert payment.status == "created"
    page = client.get(f"/me/pay/{payment.id}").get_data(as_text=True)
    assert "暂时无法连接支付服务" in page
    assert "继续支付" in page

    stripe_api.remove(responses.POST, SESSIONS)
    answer_sessions(stripe_api, session_id="cs_test_again")
    response = post_form(client, f"/me/pay/{payment.id}/checkout", {},
                         page=f"/me/pay/{payment.id}")
    assert (response.status_code, response.headers["Location"]) == (303, CHECKOUT_URL)
    assert payments(app)[0].stripe_checkout_session_id == "cs_test_again"
    # Every attempt for one payment asks Stripe with the same idempotency key.
    keys = {call.request.headers["Idempotency-Key"] for call in stripe_api.calls}
    assert keys == {f"valliance-checkout-{payment.id}"}


# --- after Stripe's page: processing, paid, receipt -----------------------------------------


def _start(app, client, stripe_api, amount="128.50") -> Payment:
    answer_sessions(stripe_api)
    pay(client, amount=amount)
    return payments(app)[-1]


def test_the_page_says_processing_until_the_webhook_then_shows_the_points(
        app, client, member, stripe_keys, stripe_api):
    payment = _start(app, client, stripe_api)
    page = client.get(f"/me/pay/{payment.id}?checkout=done")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "支付处理中" in html and 'http-equiv="refresh"' in html
    assert "/receipt" not in html

    session = checkout_session(payment.id, 12850, session_id=payment.stripe_checkout_session_id)
    assert deliver(client, stripe_event("checkout.session.completed", session)).status_code == 200
    html = client.get(f"/me/pay/{payment.id}?checkout=done").get_data(as_text=True)
    assert "支付成功" in html and "+128" in html
    assert "支付处理中" not in html and 'http-equiv="refresh"' not in html
    assert f"/me/pay/{payment.id}/receipt" in html
    history = client.get("/me/history").get_data(as_text=True)
    assert 'data-kind="payment"' in history and "+128" in history


def test_a_webhook_before_the_redirect_shows_the_payment_paid_at_once(
        app, client, member, stripe_keys, stripe_api):
    payment = _start(app, client, stripe_api, amount="20")
    intent = payment_intent(payment.id, 2000)
    deliver(client, stripe_event("payment_intent.succeeded", intent))
    html = client.get(f"/me/pay/{payment.id}?checkout=done").get_data(as_text=True)
    assert "支付成功" in html and "+20" in html and "支付处理中" not in html


def test_a_cancelled_checkout_can_be_resumed(app, client, member, stripe_keys, stripe_api):
    payment = _start(app, client, stripe_api)
    html = client.get(f"/me/pay/{payment.id}?checkout=cancelled").get_data(as_text=True)
    assert "您已取消支付" in html and "继续支付" in html


def test_the_receipt_is_printable_once_paid(app, client, member, stripe_keys, stripe_api):
    payment = _start(app, client, stripe_api)
    early = client.get(f"/me/pay/{payment.id}/receipt")
    assert early.status_code == 302  # nothing to print before the money arrived
    deliver(client, stripe_event("checkout.session.completed",
                                 checkout_session(payment.id, 12850)))
    receipt = client.get(f"/me/pay/{payment.id}/receipt")
    html = receipt.get_data(as_text=True)
    assert receipt.status_code == 200
    assert "缴费收据" in html and "¥128.50" in html and payment.id in html
    assert "138****8000" in html and "data-print" in html
    assert "/me/pay/static/payments.css" in html
    assert client.get("/me/pay/static/payments.css").status_code == 200


def test_the_list_shows_the_members_payments_with_their_status(app, client, member,
                                                                stripe_keys, stripe_api):
    payment = _start(app, client, stripe_api, amount="66")
    html = client.get("/me/pay/?lang=en").get_data(as_text=True)
    assert re.search(rf'/me/pay/{payment.id}" data-status="pending"', html)
    assert "Telecom bill · ¥66.00 · Processing" in html


def test_another_members_payment_is_not_found(app, client, member, stripe_keys, stripe_api):
    payment = _start(app, client, stripe_api)
    other = app.test_client()
    enroll(app, phone="13900139000", name="李雷")
    log_in(other, phone="13900139000")
    assert other.get(f"/me/pay/{payment.id}").status_code == 404
    assert other.get(f"/me/pay/{payment.id}/receipt").status_code == 404
    assert other.get("/me/pay/").get_data(as_text=True).count("data-status=") == 0


@pytest.mark.parametrize("body, status", [
    ("[]", 400), ('"x"', 400), ("null", 400),
    ('{"id": "evt_1", "object": "event", "type": "checkout.session.completed", '
     '"data": {"object": "x"}}', 200),
    ('{"id": "evt_2", "object": "event", "type": "checkout.session.completed", '
     '"data": {"object": {"metadata": {"payment_id": ["a"]}, "payment_intent": 5}}}', 200),
])
def test_signed_but_malformed_events_never_answer_500(app, client, stripe_keys, body, status):
    response = deliver(client, body)
    assert response.status_code == status, response.get_data(as_text=True)
    assert payments(app) == []
