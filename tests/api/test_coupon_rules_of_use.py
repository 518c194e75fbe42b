"""Coupons: a coupon that would take nothing off is not used; valid_days are the days after
the day of issue; issues by a person are audited (docs/coupons.md)."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from tests.api.coupon_helpers import coupon, template
from tests.api.pos_helpers import PURCHASES, QUOTE, member, new_key, shop
from valliance.audit import AuditEvent
from valliance.coupons import issuing
from valliance.coupons.models import Coupon
from valliance.merchants.models import Purchase


def _post(client, url, shop_, body):
    return client.post(url, json=body, headers={**shop_.headers, "Idempotency-Key": new_key()})


def test_a_coupon_with_nothing_left_to_take_off_stays_active(client, session):
    # ¥0.01 at half price: the discount rounds half up to the whole fen, nothing is left
    store = shop(session, offer={"percent_off": 50})
    someone, card = member(session)
    made = coupon(session, template(session, value=500, min_spend=0), someone)
    body = {"card": card.number, "amount": 1, "coupon": made.code}
    quoted = _post(client, QUOTE, store, body).get_json()
    assert (quoted["discount"], quoted["payable"]) == (1, 0)
    assert (quoted["coupon"], quoted["coupon_value"]) == (None, 0)
    sold = _post(client, PURCHASES, store, body)
    assert sold.status_code == 201, sold.get_json()
    assert (sold.get_json()["coupon"], sold.get_json()["coupon_value"]) == (None, 0)
    session.expire_all()
    assert session.scalar(select(Coupon.status).where(Coupon.id == made.id)) == "active"
    row = session.get(Purchase, sold.get_json()["id"])
    assert (row.coupon_code, row.coupon_value) == (None, 0)
    # and it still takes its value off the next sale that leaves something to pay
    again = _post(client, PURCHASES, store, {**body, "amount": 2000}).get_json()
    assert (again["coupon"], again["coupon_value"]) == (made.code, 500)


def test_valid_days_are_the_days_after_the_day_of_issue():
    # 23:30 on 7 December in Shanghai is 15:30 UTC
    issued = datetime(2026, 12, 7, 15, 30, tzinfo=UTC)
    assert issuing.valid_until(issued, 1) == date(2026, 12, 8)
    assert issuing.valid_until(issued, 30) == date(2027, 1, 6)
    # 00:30 on 8 December in Shanghai is still 7 December in UTC
    assert issuing.valid_until(datetime(2026, 12, 7, 16, 30, tzinfo=UTC), 1) == date(2026, 12, 9)


def test_a_one_day_coupon_is_refused_two_days_after(client, session):
    store = shop(session)
    someone, card = member(session)
    one_day = template(session, value=500, min_spend=0, valid_days=1, per_member=2)
    yesterdays = coupon(session, one_day, someone, days_ago=2)
    todays = coupon(session, one_day, someone)
    refused = _post(client, QUOTE, store, {"card": card.number, "amount": 1000,
                                           "coupon": yesterdays.code})
    assert (refused.status_code, refused.get_json()["error"]) == (422, "coupon_invalid")
    fine = _post(client, QUOTE, store, {"card": card.number, "amount": 1000,
                                        "coupon": todays.code})
    assert fine.get_json()["coupon_value"] == 500


def test_a_person_issuing_is_audited_a_programme_is_not(session):
    someone, _ = member(session)
    made = template(session, per_member=5)
    by_staff = issuing.issue_coupon(session, made.id, someone, source="staff:stf_1")
    issuing.issue_coupon(session, made.id, someone, source="campaign:cmp_1",
                         now=datetime.now(UTC) - timedelta(minutes=1))
    session.commit()
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "coupon.issue")).all()
    assert [(e.actor, e.subject) for e in events] == [("staff:stf_1", by_staff.id)]
