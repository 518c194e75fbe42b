"""积分抵话费 on the member's pages: /me/pay/ with points, the payment's page and receipt, and the
points history's held points (Stripe's Checkout caught by `responses`, as in
test_payment_pages; completion as signed events)."""

from datetime import timedelta
from urllib.parse import parse_qs

import pytest

from tests.api.test_payment_pages import answer_sessions, pay, payments
from tests.api.test_portal import enroll, log_in
from tests.payments_server import checkout_session, deliver, stripe_event
from valliance.extensions import db
from valliance.points import accounts


@pytest.fixture
def member(app, client):
    who = enroll(app, opening_points=5000)
    log_in(client)
    return who


@pytest.fixture
def stripe_api():
    import responses

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def available(app, member) -> int:
    with app.app_context():
        found = accounts.get_balance(db.session, member["account"]).available
        db.session.remove()
        return found


def test_the_form_offers_points_with_the_rules_the_page_computes_from(app, client, member,
                                                                      stripe_keys):
    html = client.get("/me/pay/").get_data(as_text=True)
    assert "积分抵话费" in html
    assert 'data-available="5000"' in html and 'data-share="50"' in html
    assert 'data-point-value-fen="1"' in html
    assert "可用积分 5,000，每积分抵 ¥0.01，每张话费最多抵扣 50%。" in html
    assert "bill_points.js" in html


def test_a_member_without_points_sees_no_points_offer(app, client, stripe_keys):
    enroll(app, phone="13900139000")
    log_in(client, phone="13900139000")
    assert "data-bill-points" not in client.get("/me/pay/").get_data(as_text=True)


def test_paying_with_points_charges_stripe_only_the_card_part(app, client, member,
                                                              stripe_keys, stripe_api):
    answer_sessions(stripe_api)
    response = pay(client, amount="128.50", points="3,000")
    assert response.status_code == 303
    [payment] = payments(app)
    assert (payment.amount, payment.points_redeemed, payment.points_value) == (12850, 3000, 3000)
    body = {key: values[0] for key, values in parse_qs(stripe_api.calls[0].request.body).items()}
    assert body["line_items[0][price_data][unit_amount]"] == "9850"
    # Stripe's Checkout closes half an hour before the hold ends (fixed by the payment).
    expected = payment.created_at + timedelta(minutes=60)
    assert int(body["expires_at"]) == int(expected.timestamp())
    assert available(app, member) == 2000


def test_use_the_most_takes_the_cap_or_the_balance(app, client, member, stripe_keys,
                                                   stripe_api):
    answer_sessions(stripe_api)
    assert pay(client, amount="20", use_max_points="y", points="9").status_code == 303
    assert payments(app)[0].points_redeemed == 1000  # half of ¥20.00
    answer_sessions(stripe_api, session_id="cs_test_2")
    assert pay(client, amount="500", use_max_points="y").status_code == 303
    assert payments(app)[1].points_redeemed == 4000  # what is left available
    assert available(app, member) == 0


@pytest.mark.parametrize(("points", "message"), [
    ("6426", "本次最多可用 6,425 积分"), ("abc", "请输入整数积分"), ("-5", "请输入整数积分"),
    ("1" * 12, "请输入整数积分"),
])
def test_points_over_the_cap_or_not_a_number_show_on_the_form(app, client, member,
                                                              stripe_keys, stripe_api,
                                                              points, message):
    response = pay(client, amount="128.51", points=points)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert payments(app) == []
    assert len(stripe_api.calls) == 0
    assert available(app, member) == 5000


def test_more_points_than_the_member_has_are_refused_on_the_form(app, client, stripe_keys,
                                                                 stripe_api):
    who = enroll(app, phone="13900139000", opening_points=100)
    log_in(client, phone="13900139000")
    response = pay(client, amount="128.50", points="101")
    assert response.status_code == 200
    assert "积分不足" in response.get_data(as_text=True)
    assert payments(app) == []
    assert available(app, who) == 100


def test_the_payment_page_history_and_receipt_show_the_points_and_the_card_part(
        app, client, member, stripe_keys, stripe_api):
    answer_sessions(stripe_api)
    pay(client, amount="128.50", points="3000")
    [payment] = payments(app)
    html = client.get(f"/me/pay/{payment.id}").get_data(as_text=True)
    assert "积分抵扣 3,000 积分 (¥30.00)" in html
    assert "¥98.50" in html and "积分已冻结，支付成功后扣除" in html
    history = client.get("/me/history").get_data(as_text=True)
    assert "冻结中的积分" in history and "-3,000" in history

    deliver(client, stripe_event("checkout.session.completed",
                                 checkout_session(payment.id, 9850)))
    html = client.get(f"/me/pay/{payment.id}").get_data(as_text=True)
    assert "积分已扣除" in html
    listing = client.get("/me/pay/").get_data(as_text=True)
    assert "积分抵扣 3,000 积分 (¥30.00)" in listing
    receipt = client.get(f"/me/pay/{payment.id}/receipt").get_data(as_text=True)
    assert "积分抵扣 3,000 积分 (¥30.00)" in receipt and "¥98.50" in receipt
    history = client.get("/me/history").get_data(as_text=True)
    assert "冻结中的积分" not in history
    assert "积分抵话费" in history and "-3,000" in history


def test_the_english_pages_say_it_in_english(app, client, member, stripe_keys, stripe_api):
    answer_sessions(stripe_api)
    pay(client, amount="128.50", points="3000")
    [payment] = payments(app)
    html = client.get(f"/me/pay/{payment.id}?lang=en").get_data(as_text=True)
    assert "3,000 points (¥30.00)" in html
    assert "积分" not in html.split("<main", 1)[-1].split("</main>")[0]
