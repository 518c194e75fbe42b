"""Member payments against localstripe and through signed webhook events.

localstripe (a Stripe-compatible server, started by tests.payments_server on 127.0.0.1) takes
the payments and refunds and delivers its webhooks to our endpoint on a live server, where
the Stripe library verifies them. Checkout Sessions, which localstripe lacks, complete with
events this module signs itself with the webhook secret, exactly as Stripe signs them.
"""

import json
import threading
import time

import pytest
import stripe
from sqlalchemy import func, select

from tests.payments_server import (
    SECRET_KEY,
    checkout_session,
    deliver,
    payment_intent,
    refunded_charge,
    sign,
    stripe_event,
)
from valliance.extensions import db
from valliance.members import services as member_services
from valliance.members.models import Member
from valliance.payments import services
from valliance.payments.models import Payment, StripeEvent
from valliance.points import accounts, ledger
from valliance.points.verify import verify_ledger


def enroll(app, phone="13800138000", name="王芳") -> dict:
    with app.app_context():
        member = member_services.enroll_member(db.session, phone=phone, name=name,
                                               password="secret123")
        db.session.commit()
        return {"id": member.id, "account": member.points_account_id}


def start(app, member: dict, amount: int = 12850, kind: str = "bill") -> str:
    with app.app_context():
        payment = services.start_payment(db.session, db.session.get(Member, member["id"]),
                                         kind, amount)
        db.session.commit()
        return payment.id


def payment_row(app, payment_id: str) -> Payment:
    with app.app_context():
        payment = db.session.get(Payment, payment_id)
        db.session.expunge(payment)
        db.session.remove()
        return payment


def balance(app, member: dict) -> accounts.Balance:
    with app.app_context():
        try:
            return accounts.get_balance(db.session, member["account"])
        finally:
            db.session.remove()


def stored_events(app) -> list[StripeEvent]:
    with app.app_context():
        rows = db.session.scalars(select(StripeEvent).order_by(StripeEvent.received_at)).all()
        db.session.expunge_all()
        db.session.remove()
        return list(rows)


def history_kinds(app, member: dict) -> list[tuple[str, int]]:
    with app.app_context():
        page = accounts.get_history(db.session, member["account"])
        db.session.remove()
        return [(entry.kind, entry.points) for entry in reversed(page.entries)]


def ledger_ok(app) -> bool:
    with app.app_context():
        report = verify_ledger(db.session)
        db.session.remove()
        return report.ok


def fake_stripe(url: str) -> stripe.StripeClient:
    """The test's own client: it plays the member paying on Stripe's side."""
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": url})


def pay_with(localstripe, payment_id: str, amount: int, card: str = "pm_card_visa"):
    """Create and confirm a PaymentIntent as Checkout does for this payment."""
    return fake_stripe(localstripe.url).v1.payment_intents.create({
        "amount": amount, "currency": "cny", "payment_method": card, "confirm": True,
        "payment_method_types": ["card"], "metadata": {"payment_id": payment_id},
    })


# --- through localstripe: payments, declines, refunds, deliveries --------------------------


def test_a_card_payment_in_localstripe_credits_the_points_once(app, localstripe):
    member = enroll(app)
    payment_id = start(app, member, 12850)
    intent = pay_with(localstripe, payment_id, 12850)
    assert intent.status == "succeeded"
    localstripe.wait_for_deliveries()

    payment = payment_row(app, payment_id)
    assert payment.status == "succeeded"
    assert payment.stripe_payment_intent_id == intent.id
    assert payment.points_credited == 128  # floor(12850 fen × 1 point per yuan / 100)
    assert payment.paid_at is not None
    assert balance(app, member).balance == 128
    assert history_kinds(app, member) == [("payment", 128)]
    [event] = stored_events(app)
    assert (event.type, event.result, event.payment_id) == (
        "payment_intent.succeeded", "applied", payment_id)
    assert event.applied_at is not None
    assert json.loads(event.payload)["data"]["object"]["id"] == intent.id
    assert ledger_ok(app)


def test_the_points_rate_is_configurable(app, localstripe, monkeypatch):
    monkeypatch.setitem(app.config, "BILL_POINTS_PER_YUAN", 3)
    member = enroll(app)
    payment_id = start(app, member, 999)
    pay_with(localstripe, payment_id, 999)
    localstripe.wait_for_deliveries()
    assert payment_row(app, payment_id).points_credited == 29  # floor(999 × 3 / 100)


def test_a_declined_card_fails_the_payment_and_credits_nothing(app, localstripe):
    member = enroll(app)
    payment_id = start(app, member, 5000)
    with pytest.raises(stripe.CardError):
        pay_with(localstripe, payment_id, 5000, card="pm_card_chargeCustomerFail")
    localstripe.wait_for_deliveries()

    payment = payment_row(app, payment_id)
    assert (payment.status, payment.note, payment.points_credited) == (
        "failed", "card_declined", 0)
    assert balance(app, member).balance == 0
    assert [e.type for e in stored_events(app)] == ["payment_intent.payment_failed"]


def test_a_payment_after_a_declined_card_still_succeeds(app, localstripe):
    member = enroll(app)
    payment_id = start(app, member, 5000)
    with pytest.raises(stripe.CardError):
        pay_with(localstripe, payment_id, 5000, card="pm_card_chargeCustomerFail")
    localstripe.wait_for_deliveries()
    pay_with(localstripe, payment_id, 5000)  # the member tries another card
    localstripe.wait_for_deliveries()
    payment = payment_row(app, payment_id)
    assert (payment.status, payment.note, payment.points_credited) == ("succeeded", None, 50)


def test_refunds_in_localstripe_reverse_the_points_in_proportion(app, localstripe):
    member = enroll(app)
    payment_id = start(app, member, 12850)
    intent = pay_with(localstripe, payment_id, 12850)
    localstripe.wait_for_deliveries()
    stripe_api = fake_stripe(localstripe.url)

    stripe_api.v1.refunds.create({"payment_intent": intent.id, "amount": 5000})
    localstripe.wait_for_deliveries()
    payment = payment_row(app, payment_id)
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", 5000)
    assert payment.points_reversed == 49  # floor(128 × 5000 / 12850)
    assert balance(app, member).balance == 128 - 49

    # The rest (named: localstripe refunds the whole charge again when no amount is given).
    stripe_api.v1.refunds.create({"payment_intent": intent.id, "amount": 7850})
    localstripe.wait_for_deliveries()
    payment = payment_row(app, payment_id)
    assert (payment.status, payment.refunded_amount, payment.points_reversed) == (
        "refunded", 12850, 128)
    assert balance(app, member).balance == 0
    assert history_kinds(app, member) == [("payment", 128), ("reverse", -49), ("reverse", -79)]
    assert [e.type for e in stored_events(app)] == [
        "payment_intent.succeeded", "charge.refunded", "charge.refunded"]
    assert ledger_ok(app)


def test_a_refund_never_makes_the_balance_negative(app, localstripe):
    member = enroll(app)
    payment_id = start(app, member, 20000)
    intent = pay_with(localstripe, payment_id, 20000)
    localstripe.wait_for_deliveries()
    with app.app_context():  # the member spends most of the 200 points
        ledger.adjust(db.session, member_account=member["account"], points=-150,
                      reason="correction", actor="test")
        db.session.commit()

    fake_stripe(localstripe.url).v1.refunds.create({"payment_intent": intent.id})
    localstripe.wait_for_deliveries()
    after = balance(app, member)
    assert (after.balance, after.owed) == (0, 150)
    assert payment_row(app, payment_id).points_reversed == 200
    assert ledger_ok(app)


def test_deliveries_signed_with_another_secret_are_refused_and_change_nothing(
        app, localstripe, payments_live_server):
    localstripe.register_webhook(f"{payments_live_server}/webhooks/stripe",
                                 secret="whsec_somebody_else")
    member = enroll(app)
    payment_id = start(app, member, 5000)
    pay_with(localstripe, payment_id, 5000)
    localstripe.wait_for_deliveries()
    assert payment_row(app, payment_id).status == "created"
    assert stored_events(app) == []
    assert balance(app, member).balance == 0


def test_a_replayed_localstripe_event_is_stored_once_and_applied_once(app, localstripe, client):
    member = enroll(app)
    payment_id = start(app, member, 12850)
    pay_with(localstripe, payment_id, 12850)
    localstripe.wait_for_deliveries()
    [event] = stored_events(app)

    for _ in range(2):  # Stripe retries, or an attacker replays a captured body
        response = deliver(client, event.payload)
        assert response.status_code == 200
        assert response.get_json()["result"] == "duplicate"
    [again] = stored_events(app)
    assert (again.deliveries, again.result) == (3, "applied")
    assert balance(app, member).balance == 128


# --- Checkout: completion through signed events -------------------------------------------


def test_a_completed_checkout_session_credits_once_with_its_payment_intent_event(
        app, client, stripe_keys):
    member = enroll(app)
    payment_id = start(app, member, 30000)
    session = checkout_session(payment_id, 30000)
    response = deliver(client, stripe_event("checkout.session.completed", session))
    assert response.status_code == 200
    assert response.get_json()["result"] == "applied"
    # The same payment's PaymentIntent event means the same thing: nothing more happens.
    intent = payment_intent(payment_id, 30000, intent_id=session["payment_intent"])
    response = deliver(client, stripe_event("payment_intent.succeeded", intent))
    assert response.get_json()["result"] == "already_applied"

    payment = payment_row(app, payment_id)
    assert payment.status == "succeeded"
    assert payment.stripe_checkout_session_id == session["id"]
    assert payment.stripe_payment_intent_id == session["payment_intent"]
    assert balance(app, member).balance == 300
    assert [(e.type, e.result) for e in stored_events(app)] == [
        ("checkout.session.completed", "applied"), ("payment_intent.succeeded", "already_applied")]


def test_a_delayed_payment_waits_for_async_payment_succeeded(app, client, stripe_keys):
    member = enroll(app)
    payment_id = start(app, member, 10000)
    session = checkout_session(payment_id, 10000, payment_status="unpaid")
    assert deliver(client, stripe_event("checkout.session.completed", session)
                   ).get_json()["result"] == "awaiting_payment"
    assert payment_row(app, payment_id).points_credited == 0
    session["payment_status"] = "paid"
    assert deliver(client, stripe_event("checkout.session.async_payment_succeeded", session)
                   ).get_json()["result"] == "applied"
    assert balance(app, member).balance == 100


def test_an_async_failure_or_an_expired_session_fails_the_payment(app, client, stripe_keys):
    member = enroll(app)
    failed, expired = start(app, member, 10000), start(app, member, 20000)
    deliver(client, stripe_event("checkout.session.async_payment_failed",
                                 checkout_session(failed, 10000, payment_status="unpaid")))
    deliver(client, stripe_event("checkout.session.expired",
                                 checkout_session(expired, 20000, payment_status="unpaid")))
    assert (payment_row(app, failed).status, payment_row(app, failed).note) == (
        "failed", "async_payment_failed")
    assert (payment_row(app, expired).status, payment_row(app, expired).note) == (
        "failed", "expired")
    assert balance(app, member).balance == 0


def test_an_event_whose_amount_differs_from_the_payment_changes_nothing(app, client,
                                                                        stripe_keys):
    member = enroll(app)
    payment_id = start(app, member, 10000)
    response = deliver(client, stripe_event("checkout.session.completed",
                                            checkout_session(payment_id, 100)))
    assert (response.status_code, response.get_json()["result"]) == (200, "mismatch")
    assert payment_row(app, payment_id).status == "created"
    assert balance(app, member).balance == 0


def test_no_points_while_the_membership_is_frozen_but_the_payment_succeeds(app, client,
                                                                           stripe_keys):
    member = enroll(app)
    with app.app_context():
        member_services.set_membership(db.session, db.session.get(Member, member["id"]),
                                       "frozen")
        db.session.commit()
    payment_id = start(app, member, 10000)
    deliver(client, stripe_event("checkout.session.completed",
                                 checkout_session(payment_id, 10000)))
    payment = payment_row(app, payment_id)
    assert (payment.status, payment.points_credited, payment.note) == (
        "succeeded", 0, "membership_frozen")
    assert balance(app, member).balance == 0


def test_events_for_unknown_payments_are_stored_and_answered_but_change_nothing(
        app, client, stripe_keys):
    member = enroll(app)
    payment_id = start(app, member, 10000)
    bodies = [
        stripe_event("checkout.session.completed", checkout_session("pay_nobody", 10000)),
        stripe_event("payment_intent.succeeded", payment_intent(None, 10000)),
        stripe_event("charge.refunded", refunded_charge("pi_unknown", 10000, 10000)),
    ]
    for body in bodies:
        response = deliver(client, body)
        assert (response.status_code, response.get_json()["result"]) == (200, "unknown_payment")
    assert [e.result for e in stored_events(app)] == ["unknown_payment"] * 3
    assert all(e.applied_at is None for e in stored_events(app))
    assert payment_row(app, payment_id).status == "created"


def test_event_types_valliance_ignores_are_stored_and_answered_200(app, client, stripe_keys):
    response = deliver(client, stripe_event("customer.created", {"id": "cus_1"}))
    assert (response.status_code, response.get_json()["result"]) == (200, "ignored")
    assert [(e.type, e.result) for e in stored_events(app)] == [("customer.created", "ignored")]


# --- signatures ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["missing", "wrong secret", "tampered body", "too old",
                                  "garbage header", "no v1 signature"])
def test_a_missing_or_bad_signature_is_refused_with_400_and_nothing_is_stored(app, client,
                                                                               stripe_keys, case):
    member = enroll(app)
    payment_id = start(app, member, 10000)
    body = stripe_event("checkout.session.completed", checkout_session(payment_id, 10000))
    headers = {"Content-Type": "application/json"}
    if case == "wrong secret":
        headers["Stripe-Signature"] = sign(body, "whsec_wrong")
    elif case == "tampered body":
        headers["Stripe-Signature"] = sign(body)
        body = body.replace('"amount_total": 10000', '"amount_total": 10001')
    elif case == "too old":
        headers["Stripe-Signature"] = sign(body, timestamp=int(time.time()) - 3600)
    elif case == "garbage header":
        headers["Stripe-Signature"] = "nonsense"
    elif case == "no v1 signature":
        headers["Stripe-Signature"] = sign(body).replace("v1=", "v0=")
    response = client.post("/webhooks/stripe", data=body.encode(), headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"
    assert set(response.get_json()) == {"error", "message", "details"}
    assert stored_events(app) == []
    assert payment_row(app, payment_id).status == "created"


def test_without_a_webhook_secret_every_delivery_is_refused(app, client, stripe_keys,
                                                           monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", "")
    body = stripe_event("customer.created", {"id": "cus_1"})
    assert deliver(client, body).status_code == 400
    assert stored_events(app) == []


def test_a_signed_body_that_is_not_json_is_refused(app, client, stripe_keys):
    body = "not json"
    response = client.post("/webhooks/stripe", data=body,
                           headers={"Stripe-Signature": sign(body)})
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"


def test_the_webhook_needs_no_csrf_token_and_is_not_rate_limited(app, client, stripe_keys):
    for _ in range(60):
        response = deliver(client, stripe_event("customer.created", {"id": "cus_1"}))
        assert response.status_code == 200


# --- out of order ---------------------------------------------------------------------------


def test_a_refund_before_anything_named_its_payment_waits_then_applies_with_the_success(
        app, client, stripe_keys):
    member = enroll(app)
    payment_id = start(app, member, 10000)
    session = checkout_session(payment_id, 10000)
    # The charge names only its PaymentIntent, which no event has tied to a payment yet.
    refund = stripe_event("charge.refunded",
                          refunded_charge(session["payment_intent"], 10000, 4000))
    assert deliver(client, refund).get_json()["result"] == "unknown_payment"
    assert balance(app, member).balance == 0

    assert deliver(client, stripe_event("checkout.session.completed", session)
                   ).get_json()["result"] == "applied"
    payment = payment_row(app, payment_id)
    assert (payment.status, payment.points_credited, payment.points_reversed) == (
        "partially_refunded", 100, 40)
    assert [e.result for e in stored_events(app)] == ["applied", "applied"]
    intent = payment_intent(payment_id, 10000, intent_id=session["payment_intent"])
    assert deliver(client, stripe_event("payment_intent.succeeded", intent)
                   ).get_json()["result"] == "already_applied"
    assert balance(app, member).balance == 60
    assert history_kinds(app, member) == [("payment", 100), ("reverse", -40)]
    assert ledger_ok(app)


def test_a_refund_before_the_success_event_fulfils_then_reverses_and_the_success_is_harmless(
        app, client, stripe_keys):
    member = enroll(app)
    payment_id = start(app, member, 10000)
    session = checkout_session(payment_id, 10000)
    intent = payment_intent(payment_id, 10000, intent_id=session["payment_intent"])
    # A first card was declined: that event tied the PaymentIntent to the payment.
    failed = stripe_event("payment_intent.payment_failed",
                          {**intent, "last_payment_error": {"code": "card_declined"}})
    assert deliver(client, failed).get_json()["result"] == "applied"
    # Stripe refunds only money it took: the refund proves the (late) success.
    refund = stripe_event("charge.refunded",
                          refunded_charge(session["payment_intent"], 10000, 10000))
    assert deliver(client, refund).get_json()["result"] == "applied"
    payment = payment_row(app, payment_id)
    assert (payment.status, payment.points_credited, payment.points_reversed) == (
        "refunded", 100, 100)
    for late in (stripe_event("checkout.session.completed", session),
                 stripe_event("payment_intent.succeeded", intent)):
        assert deliver(client, late).get_json()["result"] == "already_applied"
    assert payment_row(app, payment_id).status == "refunded"
    assert balance(app, member).balance == 0
    assert history_kinds(app, member) == [("payment", 100), ("reverse", -100)]


def test_a_failure_after_the_success_is_stale(app, client, stripe_keys):
    member = enroll(app)
    payment_id = start(app, member, 10000)
    intent = payment_intent(payment_id, 10000)
    deliver(client, stripe_event("payment_intent.succeeded", intent))
    late = stripe_event("payment_intent.payment_failed",
                        {**intent, "last_payment_error": {"code": "card_declined"}})
    assert deliver(client, late).get_json()["result"] == "stale"
    assert payment_row(app, payment_id).status == "succeeded"
    assert balance(app, member).balance == 100


def test_an_older_refund_arriving_after_a_newer_one_is_stale(app, client, stripe_keys):
    member = enroll(app)
    payment_id = start(app, member, 10000)
    intent = payment_intent(payment_id, 10000)
    deliver(client, stripe_event("payment_intent.succeeded", intent))
    newer = stripe_event("charge.refunded", refunded_charge(intent["id"], 10000, 7000))
    older = stripe_event("charge.refunded", refunded_charge(intent["id"], 10000, 2000))
    assert deliver(client, newer).get_json()["result"] == "applied"
    assert deliver(client, older).get_json()["result"] == "stale"
    payment = payment_row(app, payment_id)
    assert (payment.refunded_amount, payment.points_reversed) == (7000, 70)
    assert balance(app, member).balance == 30


# --- races ------------------------------------------------------------------------------------


def _deliver_together(app, bodies: list[str]) -> list[int]:
    start_line = threading.Barrier(len(bodies))
    statuses: list[int] = [0] * len(bodies)

    def post(i):
        client = app.test_client()
        start_line.wait()
        statuses[i] = deliver(client, bodies[i]).status_code

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_the_same_event_delivered_twice_at_once_is_applied_once(app, stripe_keys):
    member = enroll(app)
    payment_id = start(app, member, 10000)
    body = stripe_event("checkout.session.completed", checkout_session(payment_id, 10000))
    assert _deliver_together(app, [body] * 4) == [200] * 4
    [event] = stored_events(app)
    assert (event.result, event.deliveries) == ("applied", 4)
    assert balance(app, member).balance == 100
    with app.app_context():
        transfers = db.session.scalar(select(func.count()).select_from(
            ledger.transfers).where(ledger.transfers.c.kind == "payment"))
        db.session.remove()
    assert transfers == 1


def test_two_events_meaning_success_at_once_credit_once(app, stripe_keys):
    member = enroll(app)
    payment_id = start(app, member, 10000)
    session = checkout_session(payment_id, 10000)
    intent = payment_intent(payment_id, 10000, intent_id=session["payment_intent"])
    bodies = [stripe_event("checkout.session.completed", session),
              stripe_event("payment_intent.succeeded", intent),
              stripe_event("checkout.session.async_payment_succeeded", session),
              stripe_event("payment_intent.succeeded", intent)]  # four distinct event ids
    assert _deliver_together(app, bodies) == [200] * 4
    assert sorted(e.result for e in stored_events(app)) == [
        "already_applied"] * 3 + ["applied"]
    assert balance(app, member).balance == 100
    assert ledger_ok(app)
