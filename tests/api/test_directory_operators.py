"""Directory API, operator side (contract §6): caller lookup, referrals and their conversion,
scopes, privacy and rate limits; `flask operators create/revoke`."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests.api.pos_helpers import PURCHASES, member, new_key, shop
from tests.api.test_portal import post_form
from tests.api.test_staff_pages import make_staff, staff_log_in
from valliance.db import today_shanghai
from valliance.directory import services
from valliance.directory.models import CallerLookup, Referral
from valliance.directory.services import referral_report
from valliance.extensions import db
from valliance.members import services as members
from valliance.merchants.models import Offer, Purchase

CALLERS = "/api/v1/directory/callers/"
REFERRALS = "/api/v1/directory/referrals"


@pytest.fixture
def operator(app):
    with app.app_context():
        row, key = services.create_operator(db.session, "一号台")
        db.session.commit()
        return {"id": row.id, "headers": {"Authorization": f"Bearer {key}"}, "key": key}


@pytest.fixture
def store(app):
    with app.app_context():
        made = shop(db.session, offer={"percent_off": 12, "points_per_yuan": 2})
        offer_id = db.session.scalar(select(Offer.id).where(
            Offer.merchant_id == made.merchant.id))
        return {"merchant_id": made.merchant.id, "offer_id": offer_id, "headers": made.headers}


def gold_caller(app, phone="13800138000"):
    with app.app_context():
        found, card = member(db.session, tier="gold", phone=phone)
        return {"member_id": found.id, "card": card.number, "phone": phone}


# --- caller lookup ----------------------------------------------------------------------


def test_caller_lookup_says_only_vcard_tier_and_card_status(app, client, operator):
    caller = gold_caller(app)
    response = client.get(CALLERS + caller["phone"], headers=operator["headers"])
    assert response.status_code == 200
    assert response.get_json() == {"has_vcard": True, "tier": "gold", "card_status": "active"}
    text = response.get_data(as_text=True)
    assert "王小明" not in text and caller["card"] not in text and "balance" not in text
    assert response.headers["Cache-Control"] == "no-store"


def test_a_phone_without_a_vcard_and_a_lost_card(app, client, operator):
    response = client.get(CALLERS + "13911112222", headers=operator["headers"])
    assert response.get_json() == {"has_vcard": False, "tier": None, "card_status": None}
    caller = gold_caller(app, "13900000001")
    with app.app_context():
        found = members.find_member_by_phone(db.session, caller["phone"])
        members.set_card_status(db.session, found.card, "lost")
        db.session.commit()
    lost = client.get(CALLERS + "+86 139-0000-0001", headers=operator["headers"])
    assert lost.get_json() == {"has_vcard": True, "tier": "gold", "card_status": "lost"}


def test_a_malformed_phone_is_a_validation_error(client, operator):
    response = client.get(CALLERS + "12345", headers=operator["headers"])
    assert response.status_code == 422
    assert response.get_json()["error"] == "validation_error"
    assert "phone" in response.get_json()["details"]


def test_every_lookup_is_logged_with_a_keyed_hash_not_the_number(app, client, operator):
    caller = gold_caller(app)
    client.get(CALLERS + caller["phone"], headers=operator["headers"])
    client.get(CALLERS + "13911112222", headers=operator["headers"])
    with app.app_context():
        logged = db.session.scalars(select(CallerLookup).order_by(CallerLookup.id)).all()
        assert [(row.operator_id, row.found) for row in logged] == [
            (operator["id"], True), (operator["id"], False)]
        assert all(caller["phone"] not in row.phone_digest for row in logged)
        assert logged[0].phone_digest == services.phone_digest(caller["phone"])


def test_caller_lookups_are_rate_limited_per_key(client, operator):
    answers = [client.get(CALLERS + "13911112222", headers=operator["headers"]).status_code
               for _ in range(121)]
    assert answers[:120] == [200] * 120 and answers[120] == 429


# --- scopes -----------------------------------------------------------------------------


@pytest.mark.parametrize("method, path", [
    ("get", CALLERS + "13800138000"), ("post", REFERRALS),
    ("get", REFERRALS + "/rfl_x"), ("get", "/api/v1/directory/offers?q=火锅"),
])
def test_no_key_is_401_a_terminal_or_member_credential_is_403(app, client, store, path,
                                                              method):
    assert getattr(client, method)(path, json={}).status_code == 401
    bad = getattr(client, method)(path, json={}, headers={"Authorization": "Bearer vo_nope"})
    assert bad.status_code == 401 and bad.get_json()["error"] == "unauthorized"
    terminal = getattr(client, method)(path, json={}, headers=store["headers"])
    assert terminal.status_code == 403 and terminal.get_json()["error"] == "forbidden"
    with app.app_context():
        found, _ = member(db.session)
        token, _ = members.create_token(db.session, found)
        db.session.commit()
    as_member = getattr(client, method)(path, json={},
                                        headers={"Authorization": f"Bearer {token}"})
    assert as_member.status_code == 403


def test_an_operator_key_is_403_on_the_pos_api(client, operator):
    response = client.post("/api/v1/pos/quote", json={"card": "1", "amount": 1},
                           headers=operator["headers"])
    assert response.status_code == 403


def test_a_revoked_operator_key_is_401(app, client, operator):
    with app.app_context():
        services.revoke_operator(db.session, operator["id"])
        db.session.commit()
    assert client.get(CALLERS + "13911112222", headers=operator["headers"]).status_code == 401


# --- referrals --------------------------------------------------------------------------


def refer(client, operator, store, phone, **overrides):
    body = {"caller": phone, "merchant_id": store["merchant_id"],
            "offer_id": store["offer_id"], **overrides}
    return client.post(REFERRALS, json=body, headers=operator["headers"])


def buy(client, store, card, amount=10_000):
    response = client.post(PURCHASES, json={"card": card, "amount": amount},
                           headers={**store["headers"], "Idempotency-Key": new_key()})
    assert response.status_code == 201
    return response.get_json()


def test_a_purchase_within_seven_days_converts_the_referral(app, client, operator, store):
    caller = gold_caller(app)
    created = refer(client, operator, store, caller["phone"])
    assert created.status_code == 201
    body = created.get_json()
    assert set(body) == {"id", "created_at"} and body["created_at"].endswith("+08:00")
    url = f"{REFERRALS}/{body['id']}"
    before = client.get(url, headers=operator["headers"]).get_json()
    assert before == {"id": body["id"], "caller_has_vcard": True,
                      "merchant_id": store["merchant_id"], "offer_id": store["offer_id"],
                      "created_at": body["created_at"], "converted": False,
                      "converted_at": None}
    sale = buy(client, store, caller["card"])
    after = client.get(url, headers=operator["headers"]).get_json()
    assert after["converted"] is True and after["converted_at"] == sale["created_at"]


def test_a_purchase_after_seven_days_or_elsewhere_or_before_does_not_convert(
        app, client, operator, store):
    caller = gold_caller(app)
    early = buy(client, store, caller["card"])  # bought before the call: not the call's doing
    referral_id = refer(client, operator, store, caller["phone"]).get_json()["id"]
    with app.app_context():
        other = shop(db.session, name="别家火锅", offer={"percent_off": 5})
    buy(client, {"headers": other.headers}, caller["card"])
    late = buy(client, store, caller["card"])
    with app.app_context():
        created = db.session.get(Referral, referral_id).created_at
        db.session.execute(update(Purchase).where(Purchase.id == late["id"]).values(
            created_at=created + timedelta(days=7, seconds=1)))
        db.session.execute(update(Purchase).where(Purchase.id == early["id"]).values(
            created_at=created - timedelta(seconds=1)))
        db.session.commit()
    answer = client.get(f"{REFERRALS}/{referral_id}", headers=operator["headers"]).get_json()
    assert answer["converted"] is False
    with app.app_context():
        db.session.execute(update(Purchase).where(Purchase.id == late["id"]).values(
            created_at=created + timedelta(days=7)))
        db.session.commit()
    answer = client.get(f"{REFERRALS}/{referral_id}", headers=operator["headers"]).get_json()
    assert answer["converted"] is True


def test_a_caller_without_a_vcard_can_be_referred_but_never_converts(client, operator, store):
    created = refer(client, operator, store, "13911112222")
    assert created.status_code == 201
    answer = client.get(f"{REFERRALS}/{created.get_json()['id']}",
                        headers=operator["headers"]).get_json()
    assert answer["caller_has_vcard"] is False and answer["converted"] is False


@pytest.mark.parametrize("overrides, field", [
    ({"merchant_id": "mer_unknown"}, "merchant_id"),
    ({"offer_id": "off_unknown"}, "offer_id"),
    ({"caller": "12345"}, "phone"),
    ({"caller": 13800138000}, "caller"),
    ({"merchant_id": None}, "merchant_id"),
])
def test_bad_referrals_are_refused_and_nothing_is_stored(app, client, operator, store,
                                                         overrides, field):
    response = refer(client, operator, store, "13800138000", **overrides)
    assert response.status_code == 422
    assert field in response.get_json()["details"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Referral)) == 0


def test_a_referral_body_that_is_not_json_is_400(client, operator):
    response = client.post(REFERRALS, data="caller=1", headers={
        **operator["headers"], "Content-Type": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_json"


def test_another_operators_referral_is_not_found(app, client, operator, store):
    referral_id = refer(client, operator, store, "13911112222").get_json()["id"]
    with app.app_context():
        _, other_key = services.create_operator(db.session, "二号台")
        db.session.commit()
    response = client.get(f"{REFERRALS}/{referral_id}",
                          headers={"Authorization": f"Bearer {other_key}"})
    assert response.status_code == 404


def test_the_referral_report_counts_conversions_by_operator_merchant_category_and_week(
        app, client, operator, store):
    converted, idle = gold_caller(app), gold_caller(app, "13800138001")
    refer(client, operator, store, converted["phone"])
    refer(client, operator, store, idle["phone"])
    refer(client, operator, store, "13911112222")
    buy(client, store, converted["card"])
    with app.app_context():
        report = referral_report(db.session, today_shanghai() - timedelta(days=6),
                                 today_shanghai())
    assert (report.total.referrals, report.total.conversions) == (3, 1)
    assert report.total.rate_percent == 33
    assert [(line.label, line.referrals, line.conversions)
            for line in report.groups["operator"]] == [("一号台", 3, 1)]
    assert [(line.label, line.conversions) for line in report.groups["category"]] == [
        ("餐饮", 1)]
    assert len(report.groups["week"]) in (1, 2)  # a Monday may fall inside the window


# --- CLI --------------------------------------------------------------------------------


def test_operators_create_and_revoke_print_json(app, client):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["operators", "create", "--name", "夜班", "--json"])
    assert created.exit_code == 0, created.output
    body = json.loads(created.output)
    assert set(body) == {"operator_id", "api_key"}
    headers = {"Authorization": f"Bearer {body['api_key']}"}
    assert client.get(CALLERS + "13911112222", headers=headers).status_code == 200
    revoked = runner.invoke(args=["operators", "revoke", body["operator_id"], "--json"])
    assert json.loads(revoked.output) == {"operator_id": body["operator_id"], "revoked": True}
    assert client.get(CALLERS + "13911112222", headers=headers).status_code == 401
    missing = runner.invoke(args=["operators", "revoke", "opr_nope", "--json"])
    assert missing.exit_code != 0


# --- the staff report page --------------------------------------------------------------


def test_staff_see_the_referral_report_others_do_not(app, client, operator, store):
    caller = gold_caller(app)
    refer(client, operator, store, caller["phone"])
    buy(client, store, caller["card"])
    anonymous = client.get("/staff/referrals/")
    assert anonymous.status_code == 302 and "/staff/login" in anonymous.location
    make_staff(app)
    staff_log_in(client)
    html = client.get("/staff/referrals/").get_data(as_text=True)
    assert "一号台" in html and "老王火锅" in html and "100%" in html
    empty = client.get("/staff/referrals/?from=2020-01-01&to=2020-01-31").get_data(as_text=True)
    assert "这段时间没有推荐记录" in empty
    member_client = app.test_client()
    with app.app_context():
        member(db.session, phone="13900000002")
    post_form(member_client, "/me/login", {"phone": "13900000002", "password": "secret123"})
    assert member_client.get("/staff/referrals/").status_code == 403


def test_logging_a_referral_is_logged_as_a_lookup_too(app, client, operator, store):
    refer(client, operator, store, gold_caller(app)["phone"])
    with app.app_context():
        assert db.session.scalars(select(CallerLookup.found)).all() == [True]


def test_the_report_keeps_two_merchants_of_one_name_apart(app, client, operator, store):
    with app.app_context():
        branch_id = shop(db.session, name="老王火锅", offer={"percent_off": 5}).merchant.id
    refer(client, operator, store, "13911112222")
    refer(client, operator, {"merchant_id": branch_id, "offer_id": None},
          "13911112222")
    with app.app_context():
        report = referral_report(db.session, today_shanghai(), today_shanghai())
    assert [line.referrals for line in report.groups["merchant"]] == [1, 1]


def test_conversion_window_is_exact_to_the_microsecond_in_the_report(app, client, operator,
                                                                      store):
    caller = gold_caller(app)
    referral_id = refer(client, operator, store, caller["phone"]).get_json()["id"]
    sale = buy(client, store, caller["card"])
    with app.app_context():
        created = db.session.get(Referral, referral_id).created_at
        db.session.execute(update(Purchase).where(Purchase.id == sale["id"]).values(
            created_at=created + timedelta(days=7, microseconds=1)))
        db.session.commit()
        late = referral_report(db.session, today_shanghai(), today_shanghai())
        db.session.execute(update(Purchase).where(Purchase.id == sale["id"]).values(
            created_at=created + timedelta(days=7)))
        db.session.commit()
        on_time = referral_report(db.session, today_shanghai(), today_shanghai())
    assert (late.total.conversions, on_time.total.conversions) == (0, 1)
