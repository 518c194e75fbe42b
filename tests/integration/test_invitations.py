"""Old brings new (invitations): rewards on the newcomer's first qualifying purchase, once;
clawback on a full refund within 30 days; the abuse rules; the ledger still verifies."""

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.api.coupon_helpers import template
from tests.api.pos_helpers import member, shop
from valliance import points
from valliance.coupons.models import Coupon
from valliance.db import SHANGHAI
from valliance.invitations.codes import ALPHABET, LENGTH, looks_valid
from valliance.invitations.models import Invitation, InvitationCode, InvitationFlag
from valliance.invitations.services import codes, enlisting, flags
from valliance.invitations.services.reads import member_counts, ranked_referrers, totals
from valliance.merchants.services.purchases import record_purchase
from valliance.merchants.services.refunds import refund_purchase
from valliance.payments.models import Payment, StripeEvent

T0 = datetime(2026, 6, 10, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture
def store(session):
    return shop(session)


def invited(session, referrer=None):
    """(referrer, newcomer) with the newcomer signed up with the referrer's code."""
    referrer = referrer or member(session)[0]
    newcomer, _ = member(session)
    enlisting.record_invitation(session, member=newcomer,
                                code=codes.code_of(session, referrer.id), at=T0)
    session.commit()
    return referrer, newcomer


def buy(session, store, someone, amount, at=T0):
    purchase = record_purchase(session, store.merchant, None, someone.card.number, amount, 0,
                               None, at=at)
    session.commit()
    return purchase


def balance(session, someone) -> int:
    return points.get_balance(session, someone.points_account_id).balance


def invitation_of(session, newcomer) -> Invitation:
    session.expire_all()
    return session.scalar(select(Invitation).where(Invitation.newcomer_id == newcomer.id))


def flag_reasons(session) -> list[str]:
    return sorted(session.scalars(select(InvitationFlag.reason)))


def assert_ledger_verifies(session):
    report = points.verify_ledger(session)
    assert report.ok, report.render()


def test_codes_are_unique_unambiguous_and_made_once(session):
    people = [member(session)[0] for _ in range(30)]
    made = [codes.code_of(session, p.id) for p in people]
    session.commit()
    assert len(set(made)) == 30
    assert all(len(c) == LENGTH and set(c) <= set(ALPHABET) for c in made)
    assert not set("0O1I") & set("".join(made))
    assert codes.code_of(session, people[0].id) == made[0]
    assert session.scalar(select(func.count()).select_from(InvitationCode)) == 30
    assert looks_valid(made[0]) and not looks_valid("ABCDEF0I")


def test_a_first_purchase_of_the_minimum_rewards_both_once(app, session, store):
    referrer, newcomer = invited(session)
    buy(session, store, newcomer, 4999)  # below REFERRAL_MIN_SPEND_FEN: nothing
    assert invitation_of(session, newcomer).status == "pending"
    before = balance(session, referrer)
    buy(session, store, newcomer, 5000, at=T0 + timedelta(hours=1))
    done = invitation_of(session, newcomer)
    assert done.status == "rewarded"
    assert (done.referrer_points, done.newcomer_points) == (500, 500)
    assert balance(session, referrer) == before + 500
    buy(session, store, newcomer, 9000, at=T0 + timedelta(hours=2))  # a second: nothing more
    assert balance(session, referrer) == before + 500
    assert member_counts(session, referrer.id) == (1, 1)
    kinds = session.scalars(select(points.Transfer.kind).where(
        points.Transfer.reason == f"invitation:{done.id}"))
    assert sorted(kinds) == ["reward", "reward"]
    assert_ledger_verifies(session)


def test_the_minimum_counts_what_the_newcomer_paid(app, session, store, monkeypatch):
    monkeypatch.setitem(app.config, "REFERRAL_MIN_SPEND_FEN", 10000)
    _, newcomer = invited(session)
    buy(session, store, newcomer, 9999)
    assert invitation_of(session, newcomer).status == "pending"
    buy(session, store, newcomer, 10000)
    assert invitation_of(session, newcomer).status == "rewarded"


def test_a_member_without_an_invitation_is_not_rewarded(session, store):
    someone, _ = member(session)
    buy(session, store, someone, 50000)
    assert session.scalar(select(func.count()).select_from(Invitation)) == 0


@pytest.mark.parametrize(("days", "clawed"), [(29, True), (30, True), (31, False)])
def test_a_full_refund_within_30_days_claws_both_rewards_back(session, store, days, clawed):
    referrer, newcomer = invited(session)
    purchase = buy(session, store, newcomer, 8000)
    rewarded_referrer = balance(session, referrer)
    refund_purchase(session, store.merchant, purchase.id, None,
                    at=T0 + timedelta(days=days))
    session.commit()
    done = invitation_of(session, newcomer)
    assert done.status == ("clawed_back" if clawed else "rewarded")
    assert balance(session, referrer) == rewarded_referrer - (500 if clawed else 0)
    assert balance(session, newcomer) == (0 if clawed else 500)
    assert flag_reasons(session) == (["clawback"] if clawed else [])
    assert member_counts(session, referrer.id) == (1, 0 if clawed else 1)
    assert_ledger_verifies(session)


def test_a_partial_refund_keeps_the_rewards(session, store):
    referrer, newcomer = invited(session)
    purchase = buy(session, store, newcomer, 8000)
    refund_purchase(session, store.merchant, purchase.id, 7999, at=T0 + timedelta(days=1))
    session.commit()
    assert invitation_of(session, newcomer).status == "rewarded"
    assert balance(session, newcomer) == 500 + 1  # the reward and 1 of 80 purchase points


def test_points_already_spent_are_owed_after_a_clawback(session, store):
    referrer, newcomer = invited(session)
    purchase = buy(session, store, newcomer, 8000)  # earns purchase points and the reward
    spendable = balance(session, referrer)
    points.adjust(session, member_account=referrer.points_account_id, points=-spendable,
                  reason="correction", actor="test")
    session.commit()
    refund_purchase(session, store.merchant, purchase.id, None, at=T0 + timedelta(days=3))
    session.commit()
    owed = session.scalar(select(points.accounts_table.c.owed).where(
        points.accounts_table.c.id == referrer.points_account_id))
    assert owed == 500
    assert_ledger_verifies(session)


def test_a_coupon_reward_is_issued_and_voided_on_clawback(app, session, store, monkeypatch):
    made = template(session, value=1000, min_spend=0)
    monkeypatch.setitem(app.config, "REFERRAL_COUPON_TEMPLATE_ID", made.id)
    monkeypatch.setitem(app.config, "REFERRAL_REWARD_POINTS", 0)
    referrer, newcomer = invited(session)
    purchase = buy(session, store, newcomer, 6000)
    done = invitation_of(session, newcomer)
    assert done.referrer_coupon and done.newcomer_coupon and done.referrer_transfer_id is None
    refund_purchase(session, store.merchant, purchase.id, None, at=T0 + timedelta(days=2))
    session.commit()
    assert set(session.scalars(select(Coupon.status))) == {"void"}
    assert invitation_of(session, newcomer).status == "clawed_back"


def test_a_phone_is_rewarded_once_ever(session, store):
    referrer, newcomer = invited(session)
    buy(session, store, newcomer, 6000)
    assert invitation_of(session, newcomer).status == "rewarded"
    # the same phone comes back as a new member (its account closed and re-registered)
    phone = newcomer.phone
    newcomer.phone = "19999999999"
    session.commit()
    again, _ = member(session, phone=phone)
    enlisting.record_invitation(session, member=again, code=codes.code_of(session, referrer.id))
    session.commit()
    before = balance(session, referrer)
    buy(session, store, again, 6000, at=T0 + timedelta(days=1))
    assert invitation_of(session, again).status == "refused"
    assert balance(session, referrer) == before and balance(session, again) == 60
    assert flag_reasons(session) == ["phone_rewarded_before"]


def test_the_yearly_cap_stops_the_referrer_not_the_newcomer(app, session, store, monkeypatch):
    monkeypatch.setitem(app.config, "REFERRAL_YEARLY_CAP", 2)
    referrer, _ = member(session)
    newcomers = [invited(session, referrer)[1] for _ in range(3)]
    start = balance(session, referrer)
    for i, newcomer in enumerate(newcomers):
        buy(session, store, newcomer, 6000, at=T0 + timedelta(hours=i))
    assert balance(session, referrer) == start + 1000
    assert [invitation_of(session, n).newcomer_points for n in newcomers] == [500] * 3
    assert invitation_of(session, newcomers[2]).referrer_points == 0
    assert flag_reasons(session) == ["yearly_cap"]
    # a new calendar year (Asia/Shanghai) starts a new count
    late, = [invited(session, referrer)[1]]
    buy(session, store, late, 6000, at=datetime(2027, 1, 1, 0, 5, tzinfo=SHANGHAI))
    assert invitation_of(session, late).referrer_points == 500


def _paid_with(session, someone, fingerprint):
    payment = Payment(id=f"pay_{someone.id[-8:]}", member_id=someone.id, kind="bill",
                      amount=5000, status="succeeded")
    session.add(payment)
    session.flush()
    event = {"id": f"evt_{someone.id[-8:]}", "type": "payment_intent.succeeded", "data": {
        "object": {"charges": {"data": [{"payment_method_details": {
            "card": {"fingerprint": fingerprint, "last4": "4242"}}}]}}}}
    session.add(StripeEvent(id=event["id"], type=event["type"], payment_id=payment.id,
                            result="applied", payload=json.dumps(event)))
    session.commit()


def test_the_same_payment_card_is_a_self_referral(session, store):
    referrer, newcomer = invited(session)
    _paid_with(session, referrer, "fp_same")
    _paid_with(session, newcomer, "fp_same")
    buy(session, store, newcomer, 6000)
    assert invitation_of(session, newcomer).status == "refused"
    assert flag_reasons(session) == ["self_referral"]
    assert member_counts(session, referrer.id) == (1, 0)


def test_another_payment_card_is_no_self_referral(session, store):
    referrer, newcomer = invited(session)
    _paid_with(session, referrer, "fp_one")
    _paid_with(session, newcomer, "fp_two")
    buy(session, store, newcomer, 6000)
    assert invitation_of(session, newcomer).status == "rewarded"


def test_a_member_cannot_be_their_own_referrer(session):
    someone, _ = member(session)
    assert enlisting.record_invitation(
        session, member=someone, code=codes.code_of(session, someone.id)) is None


def test_the_staff_figures_and_a_reviewed_flag(session, store):
    referrer, newcomer = invited(session)
    invited(session, referrer)
    purchase = buy(session, store, newcomer, 6000)
    refund_purchase(session, store.merchant, purchase.id, None, at=T0 + timedelta(days=1))
    session.commit()
    rows, total = ranked_referrers(session, page=1, per_page=20)
    assert total == 1 and rows[0].invited == 2 and rows[0].converted == 1
    assert (rows[0].points_paid, rows[0].points_clawed_back) == (1000, 1000)
    assert totals(session).points_paid == 1000
    case = session.scalar(select(InvitationFlag))
    flags.mark_reviewed(session, case.id, actor="staff:x")
    session.commit()
    assert case.reviewed_by == "staff:x"
