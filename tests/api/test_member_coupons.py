"""GET /api/v1/member/coupons (contract §11): the member's coupons, active first."""

from tests.api.coupon_helpers import coupon, template
from tests.api.pos_helpers import member, shop
from valliance.coupons import issuing
from valliance.members import services as members

URL = "/api/v1/member/coupons"


def _token(session, someone) -> dict:
    token, _ = members.create_token(session, someone)
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_member_coupons_lists_active_first_with_their_merchant_or_null(client, session):
    owner, _ = member(session)
    other, _ = member(session)
    store = shop(session, "小李面馆")
    everywhere = template(session, value=2000, min_spend=10000, per_member=5)
    own = template(session, value=500, min_spend=3000, merchant=store.merchant,
                   title="满30减5", valid_days=7)
    old = coupon(session, everywhere, owner, days_ago=40)  # past its 30 days: expired
    voided = coupon(session, everywhere, owner)
    issuing.void_coupon(session, voided.code, actor="test")
    session.commit()
    later = coupon(session, everywhere, owner)
    sooner = coupon(session, own, owner)
    coupon(session, everywhere, other)
    answer = client.get(URL, headers=_token(session, owner))
    assert answer.status_code == 200
    listed = answer.get_json()["coupons"]
    assert [c["code"] for c in listed] == [sooner.code, later.code, voided.code, old.code]
    assert [c["status"] for c in listed] == ["active", "active", "void", "expired"]
    first = listed[0]
    assert set(first) == {"code", "title", "value", "min_spend", "merchant", "valid_until",
                          "status"}
    assert first["merchant"] == {"id": store.merchant.id, "name": "小李面馆"}
    assert (first["title"], first["value"], first["min_spend"]) == ("满30减5", 500, 3000)
    assert first["valid_until"] == sooner.valid_until.isoformat()
    assert listed[1]["merchant"] is None


def test_member_coupons_needs_a_member_token(client):
    answer = client.get(URL)
    assert answer.status_code == 401 and answer.get_json()["error"] == "unauthorized"
