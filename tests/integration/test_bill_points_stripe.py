"""积分抵话费 through localstripe and signed webhook events: the points are held when the payment
starts, captured when Stripe's success arrives, released when it fails or expires (or by the
release job on a frozen clock), once whatever is delivered twice; refunds give them back."""

from datetime import timedelta

import pytest
import stripe
from sqlalchemy import func, select

from tests.integration.test_payments_stripe import (
    balance,
    fake_stripe,
    history_kinds,
    ledger_ok,
    pay_with,
    payment_row,
    stored_events,
)
from tests.payments_server import checkout_session, deliver, stripe_event
from valliance import points
from valliance.db import utcnow
from valliance.errors import InsufficientPoints, ValidationError
from valliance.extensions import db
from valliance.members import services as member_services
from valliance.members.models import Member
from valliance.payments import jobs as payment_jobs
from valliance.payments import services
from valliance.points.models import Transfer


def enroll(app, points_balance=5000, phone="13800138000") -> dict:
    with app.app_context():
        member = member_services.enroll_member(db.session, phone=phone, name="王芳",
                                               password="secret123",
                                               opening_points=points_balance)
        db.session.commit()
        return {"id": member.id, "account": member.points_account_id}


def start(app, member: dict, amount: int, points_used: int, kind: str = "bill") -> str:
    with app.app_context():
        payment = services.start_payment(db.session, db.session.get(Member, member["id"]),
                                         kind, amount, points_used)
        db.session.commit()
        return payment.id


def hold_status(app, payment_id: str) -> str | None:
    with app.app_context():
        found = points.find_hold(db.session, f"payment:{payment_id}")
        db.session.remove()
        return found.status if found else None


def redemptions(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Transfer)
                                  .where(Transfer.code == "REDEEM"))
        db.session.remove()
        return count


def spent_on_bills(app) -> int:
    with app.app_context():
        figures = points.bill_points_figures(db.session)
        db.session.remove()
        return figures.spent


# --- hold, then capture on the webhook ---------------------------------------------------


def test_points_are_held_then_captured_when_localstripe_takes_the_card_part(app, localstripe):
    member = enroll(app, 5000)
    payment_id = start(app, member, 12850, 3000)  # ¥30.00 of points, ¥98.50 by card
    payment = payment_row(app, payment_id)
    assert (payment.points_redeemed, payment.points_value, payment.card_amount) == (
        3000, 3000, 9850)
    held = balance(app, member)
    assert (held.balance, held.available) == (5000, 2000)
    assert hold_status(app, payment_id) == "pending"
    assert ledger_ok(app)

    pay_with(localstripe, payment_id, 9850)
    localstripe.wait_for_deliveries()

    payment = payment_row(app, payment_id)
    assert payment.status == "succeeded"
    assert payment.points_credited == 98  # earned on the card's ¥98.50 only
    assert hold_status(app, payment_id) == "captured"
    after = balance(app, member)
    assert (after.balance, after.available) == (5000 - 3000 + 98, 5000 - 3000 + 98)
    assert history_kinds(app, member) == [("adjust", 5000), ("redeem", -3000), ("payment", 98)]
    assert spent_on_bills(app) == 3000
    assert ledger_ok(app)


def test_a_charge_of_the_whole_amount_does_not_match_a_payment_with_points(app, client,
                                                                           stripe_keys):
    member = enroll(app, 5000)
    payment_id = start(app, member, 12850, 3000)
    session = checkout_session(payment_id, 12850)  # the bill's amount, not the card's part
    deliver(client, stripe_event("checkout.session.completed", session))
    assert payment_row(app, payment_id).status == "created"
    assert hold_status(app, payment_id) == "pending"
    assert [e.result for e in stored_events(app)] == ["mismatch"]


def test_a_duplicate_success_delivery_captures_once(app, client, stripe_keys):
    member = enroll(app, 5000)
    payment_id = start(app, member, 12850, 3000)
    body = stripe_event("checkout.session.completed", checkout_session(payment_id, 9850))
    assert deliver(client, body).status_code == 200
    assert deliver(client, body).status_code == 200
    intent = payment_row(app, payment_id).stripe_payment_intent_id
    deliver(client, stripe_event("payment_intent.succeeded", {  # the same success, again
        "id": intent, "object": "payment_intent", "amount": 9850, "amount_received": 9850,
        "currency": "cny", "metadata": {"payment_id": payment_id}, "status": "succeeded"}))
    assert redemptions(app) == 1
    assert balance(app, member).balance == 5000 - 3000 + 98
    assert [(e.result, e.deliveries) for e in stored_events(app)] == [
        ("applied", 2), ("already_applied", 1)]
    assert ledger_ok(app)


# --- released when the payment fails or expires ------------------------------------------


def test_a_declined_card_in_localstripe_releases_the_points(app, localstripe):
    member = enroll(app, 5000)
    payment_id = start(app, member, 5000, 2500)
    with pytest.raises(stripe.CardError):
        pay_with(localstripe, payment_id, 2500, card="pm_card_chargeCustomerFail")
    localstripe.wait_for_deliveries()

    payment = payment_row(app, payment_id)
    assert (payment.status, payment.note) == ("failed", "card_declined")
    assert hold_status(app, payment_id) == "released"
    after = balance(app, member)
    assert (after.balance, after.available) == (5000, 5000)
    assert redemptions(app) == 0
    assert ledger_ok(app)


def test_another_card_after_a_decline_holds_and_captures_the_points_again(app, localstripe):
    member = enroll(app, 5000)
    payment_id = start(app, member, 5000, 2500)
    with pytest.raises(stripe.CardError):
        pay_with(localstripe, payment_id, 2500, card="pm_card_chargeCustomerFail")
    localstripe.wait_for_deliveries()
    pay_with(localstripe, payment_id, 2500)  # the member tries another card
    localstripe.wait_for_deliveries()

    payment = payment_row(app, payment_id)
    assert (payment.status, payment.note, payment.points_credited) == ("succeeded", None, 25)
    assert hold_status(app, payment_id) == "captured"
    assert balance(app, member).balance == 5000 - 2500 + 25
    assert ledger_ok(app)


def test_a_success_after_the_released_points_were_spent_says_so(app, client, stripe_keys):
    member = enroll(app, 3000)
    payment_id = start(app, member, 5000, 2500)
    deliver(client, stripe_event("checkout.session.expired",
                                 checkout_session(payment_id, 2500, payment_status="unpaid")))
    with app.app_context():  # the member spends the points given back
        points.adjust(db.session, member_account=member["account"], points=-2900,
                      reason="correction", actor="test")
        db.session.commit()
    deliver(client, stripe_event("checkout.session.completed",
                                 checkout_session(payment_id, 2500)))
    payment = payment_row(app, payment_id)
    assert (payment.status, payment.note) == ("succeeded", "points_unavailable")
    assert hold_status(app, payment_id) == "released"
    assert ledger_ok(app)


def test_an_expired_checkout_releases_the_points(app, client, stripe_keys):
    member = enroll(app, 5000)
    payment_id = start(app, member, 12850, 3000)
    body = stripe_event("checkout.session.expired",
                        checkout_session(payment_id, 9850, payment_status="unpaid"))
    assert deliver(client, body).status_code == 200
    assert deliver(client, body).status_code == 200  # redelivered: once
    payment = payment_row(app, payment_id)
    assert (payment.status, payment.note) == ("failed", "expired")
    assert hold_status(app, payment_id) == "released"
    after = balance(app, member)
    assert (after.balance, after.available) == (5000, 5000)
    assert ledger_ok(app)


def test_an_async_payment_failure_releases_the_points(app, client, stripe_keys):
    member = enroll(app, 5000)
    payment_id = start(app, member, 12850, 3000)
    deliver(client, stripe_event("checkout.session.async_payment_failed",
                                 checkout_session(payment_id, 9850, payment_status="unpaid")))
    assert hold_status(app, payment_id) == "released"
    assert balance(app, member).available == 5000


# --- the release job, on a frozen clock ---------------------------------------------------


def test_the_release_job_gives_back_holds_past_their_expiry_only(app, stripe_keys):
    member = enroll(app, 5000)
    payment_id = start(app, member, 12850, 3000)
    other = start(app, member, 5000, 1000)
    created = payment_row(app, payment_id).created_at
    with app.app_context():
        early = payment_jobs.release_expired_holds(db.session,
                                                   now=created + timedelta(minutes=89))
        db.session.commit()
    assert early == {"released": 0, "points": 0}
    assert balance(app, member).available == 1000

    with app.app_context():
        late = payment_jobs.release_expired_holds(db.session,
                                                  now=created + timedelta(minutes=91))
        again = payment_jobs.release_expired_holds(db.session,
                                                   now=created + timedelta(minutes=91))
        db.session.commit()
    assert late == {"released": 2, "points": 4000}
    assert again == {"released": 0, "points": 0}
    assert balance(app, member).available == 5000
    for each in (payment_id, other):
        assert (payment_row(app, each).status, payment_row(app, each).note) == (
            "failed", "expired")
        assert hold_status(app, each) == "released"
    assert ledger_ok(app)


def test_the_release_job_leaves_a_paid_payments_points_spent(app, client, stripe_keys):
    member = enroll(app, 5000)
    payment_id = start(app, member, 12850, 3000)
    deliver(client, stripe_event("checkout.session.completed",
                                 checkout_session(payment_id, 9850)))
    with app.app_context():
        result = payment_jobs.release_expired_holds(db.session,
                                                    now=utcnow() + timedelta(days=1))
        db.session.commit()
    assert result == {"released": 0, "points": 0}
    assert hold_status(app, payment_id) == "captured"
    assert balance(app, member).balance == 5000 - 3000 + 98


def test_the_release_job_is_registered_to_run_every_ten_minutes(app):
    from valliance.jobs.registry import EVERY, JOBS

    assert "payments.release_holds" in JOBS and EVERY["payments.release_holds"] == 10


# --- the cap, the config guard, what may use points ---------------------------------------


def test_the_cap_is_the_configured_share_of_the_bill_exactly(app, stripe_keys, monkeypatch):
    monkeypatch.setitem(app.config, "BILL_POINTS_MAX_SHARE_PERCENT", 50)
    monkeypatch.setitem(app.config, "POINT_VALUE_FEN", 1)
    member = enroll(app, 100_000)
    payment_id = start(app, member, 12851, 6425)  # floor(12851 × 50 / 100) = 6425
    assert payment_row(app, payment_id).card_amount == 6426
    with pytest.raises(ValidationError) as refused:
        start(app, member, 12851, 6426)
    assert "points" in refused.value.details
    assert balance(app, member).available == 100_000 - 6425
    assert ledger_ok(app)


def test_the_cap_counts_whole_points_at_their_value(app, stripe_keys, monkeypatch):
    monkeypatch.setitem(app.config, "POINT_VALUE_FEN", 3)
    member = enroll(app, 100_000)
    with app.app_context():
        assert services.points_cap(1001) == 166  # ¥5.00 of 3-fen points: 166 (¥4.98)
    payment = payment_row(app, start(app, member, 1001, 166))
    assert (payment.points_value, payment.card_amount) == (498, 503)
    with pytest.raises(ValidationError):
        start(app, member, 1001, 167)


def test_the_config_guard_never_lets_points_pay_a_whole_bill(app, stripe_keys, monkeypatch):
    member = enroll(app, 100_000)
    monkeypatch.setitem(app.config, "BILL_POINTS_MAX_SHARE_PERCENT", 100)
    with app.app_context():
        assert services.points_cap(100) == 99  # the card pays at least ¥0.01
    payment = payment_row(app, start(app, member, 100, 99))
    assert payment.card_amount == 1
    with pytest.raises(ValidationError):
        start(app, member, 100, 100)
    monkeypatch.setitem(app.config, "BILL_POINTS_MAX_SHARE_PERCENT", 150)  # not a share
    with app.app_context():
        assert services.points_cap(10000) == 0
    with pytest.raises(ValidationError):
        start(app, member, 10000, 1)


def test_points_pay_bills_only_and_never_more_than_the_member_has(app, stripe_keys):
    member = enroll(app, 1000)
    with pytest.raises(ValidationError):
        start(app, member, None, 100, kind="vip_fee")
    with pytest.raises(InsufficientPoints):
        start(app, member, 10000, 1001)
    with app.app_context():
        assert services.most_points(db.session, db.session.get(Member, member["id"]),
                                    10000) == 1000
        assert services.most_points(db.session, db.session.get(Member, member["id"]),
                                    1001) == 500
    assert balance(app, member).available == 1000
    assert ledger_ok(app)


# --- refunds give the points back ----------------------------------------------------------


def test_refunds_in_localstripe_give_back_the_bill_points_in_proportion(app, localstripe):
    member = enroll(app, 5000)
    payment_id = start(app, member, 12000, 4000)  # card ¥80.00
    intent = pay_with(localstripe, payment_id, 8000)
    localstripe.wait_for_deliveries()
    stripe_api = fake_stripe(localstripe.url)
    stripe_api.v1.refunds.create({"payment_intent": intent.id, "amount": 3000})
    localstripe.wait_for_deliveries()
    payment = payment_row(app, payment_id)
    assert (payment.status, payment.points_returned, payment.points_reversed) == (
        "partially_refunded", 1500, 30)  # floor(4000 × 3000 / 8000), floor(80 × 3000 / 8000)
    stripe_api.v1.refunds.create({"payment_intent": intent.id, "amount": 5000})
    localstripe.wait_for_deliveries()
    payment = payment_row(app, payment_id)
    assert (payment.status, payment.points_returned, payment.points_reversed) == (
        "refunded", 4000, 80)
    assert balance(app, member).balance == 5000
    assert spent_on_bills(app) == 0
    assert ledger_ok(app)


# --- settlement: the alliance's own cost, never a merchant's -----------------------------


def test_bill_points_leave_merchant_statements_alone_and_settlement_reconciles(
        app, client, stripe_keys, clear_of_month_end):
    from tests.api.pos_helpers import member as pos_member
    from tests.api.pos_helpers import shop
    from valliance.merchants.services import purchases
    from valliance.settlement import services as settlement

    with app.app_context():
        hotpot = shop(db.session, "老王火锅")
        buyer, card = pos_member(db.session)
        purchases.record_purchase(db.session, hotpot.merchant, None, card.number, 10_000, 0,
                                  None)
        db.session.commit()
        who = {"id": buyer.id, "account": buyer.points_account_id}
        merchant_id = hotpot.merchant.id
    with app.app_context():
        points.adjust(db.session, member_account=who["account"], points=4000,
                      reason="goodwill", actor="test")
        db.session.commit()
    payment_id = start(app, who, 12850, 3000)
    deliver(client, stripe_event("checkout.session.completed",
                                 checkout_session(payment_id, 9850)))
    held = start(app, who, 5000, 500)  # still held when the month closes: nothing posted

    with app.app_context():
        period = settlement.period_of(utcnow())
        closed = settlement.close_period(
            db.session, period, now=settlement.period_bounds(period)[1] + timedelta(minutes=1))
        db.session.commit()
        [statement] = settlement.period_statements(db.session, period)
        assert statement.merchant_id == merchant_id
        assert (statement.points_issued, statement.points_redeemed) == (100, 0)
        # alliance: 4,000 goodwill + 98 for the card part − 3,000 spent on the bill
        assert closed.points_issued_by_alliance == 4000 + 98 - 3000
        assert settlement.reconcile(db.session).ok
        db.session.remove()
    assert hold_status(app, held) == "pending"
    assert ledger_ok(app)


def test_the_release_job_runs_through_the_rq_worker(app, stripe_keys, monkeypatch):
    from tests.api.test_jobs import REDIS_URL, run_worker
    from valliance import jobs
    from valliance.jobs import EXTENSION

    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    import uuid

    from valliance.jobs.redis_backend import RedisBackend

    backend = RedisBackend(REDIS_URL, f"valliance-test-{uuid.uuid4().hex[:10]}")
    monkeypatch.setitem(app.extensions, EXTENSION, backend)
    member = enroll(app, 5000)
    with app.app_context():  # started two hours ago: its 90 minutes of hold are over
        payment = services.start_payment(db.session, db.session.get(Member, member["id"]),
                                         "bill", 12850, 3000,
                                         now=utcnow() - timedelta(hours=2))
        db.session.commit()
        payment_id = payment.id
        job_id = jobs.enqueue("payments.release_holds", key="release-holds")
    run_worker(app)
    assert backend.queue.fetch_job(job_id).return_value() == {"released": 1, "points": 3000}
    assert hold_status(app, payment_id) == "released"
    assert balance(app, member).available == 5000
    for key in redis.Redis.from_url(REDIS_URL).scan_iter(f"*{backend.queue.name}*"):
        redis.Redis.from_url(REDIS_URL).delete(key)
