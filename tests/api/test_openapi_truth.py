"""The OpenAPI document tells the truth: real answers of every operation, successes and errors,
are documented (status) and match the documented schema (body); credentials, the
Idempotency-Key header, fen and the error body are what the API really does."""

import re

import pytest
import schemathesis
from sqlalchemy import select

from tests.api import world as w
from tests.api.pos_helpers import new_key, pay_code
from valliance.errors import API_ERROR_CODES
from valliance.extensions import db
from valliance.members.models import Card, Member
from valliance.members.services import inbox
from valliance.merchants.models import Merchant
from valliance.service_desk.services import tickets

CJK = re.compile(r"[\u4e00-\u9fff]")
POS, MEMBER, DIRECTORY = "/api/v1/pos", "/api/v1/member", "/api/v1/directory"


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def exercise(app, client) -> list[tuple[str, str, object]]:
    """Real requests to every operation, successes and errors: (method, template, response)."""
    world = w.build(app)
    terminal, operator, member = (world.bearer(k) for k in ("terminal", "operator", "member"))
    with app.app_context():
        code = pay_code(db.session.scalar(select(Card).where(Card.number == world.card)))
    seen: list = []

    def call(method, template, path=None, **kwargs):
        response = client.open(path or template, method=method, **kwargs)
        seen.append((method.lower(), template, response))
        return response

    def sale(body, key=None, headers=terminal):
        return call("POST", f"{POS}/purchases", json=body,
                    headers={**headers, "Idempotency-Key": key or new_key()})

    # --- POS -----------------------------------------------------------------------------
    quote = f"{POS}/quote"
    call("POST", quote, json={"card": world.card, "amount": 12850}, headers=terminal)
    call("POST", quote, json={"card": world.card, "amount": 12850}, headers=operator)  # 403
    call("POST", quote, json={"card": world.card, "amount": 12850})  # 401
    call("POST", quote, data=b"nope", content_type="application/json", headers=terminal)  # 400
    call("POST", quote, json={"card": world.card, "amount": "1"}, headers=terminal)  # 422
    call("POST", quote, json={"card": "1234567812345670", "amount": 100}, headers=terminal)  # 404
    call("POST", quote, json={"card": world.card, "amount": 100, "coupon": "123456789015"},
         headers=terminal)  # 422 coupon_invalid
    first = sale({"card": world.card, "amount": 12850, "reference": "r-1"}, key="same").get_json()
    sale({"card": world.card, "amount": 12850, "reference": "r-1"}, key="same")  # replay
    sale({"card": world.card, "amount": 99}, key="same")  # 409
    call("POST", f"{POS}/purchases", json={"card": world.card, "amount": 1}, headers=terminal)
    sale({"card": code, "amount": 10000, "redeem_points": 100})  # a redemption, 201
    sale({"card": world.card, "amount": 10000, "redeem_points": 100})  # 422 not authorized
    sale({"card": "1234567812345670", "amount": 100})  # 404
    sale({"card": world.card, "amount": 100}, headers={})  # 401
    sale({"card": code, "amount": 10000, "redeem_points": 100})  # 422 pay_code_used
    terminal_path = f"{POS}/terminal"
    call("GET", terminal_path, headers=terminal)
    call("GET", terminal_path)  # 401
    detail = f"{POS}/purchases/{{purchase_id}}"
    refunds = f"{POS}/purchases/{{purchase_id}}/refunds"
    refund_path = f"{POS}/purchases/{first['id']}/refunds"
    call("POST", refunds, refund_path, json={"amount": 5000},
         headers={**terminal, "Idempotency-Key": new_key()})
    call("POST", refunds, refund_path, json={"amount": 99999},
         headers={**terminal, "Idempotency-Key": new_key()})  # 422 refund_exceeds_purchase
    call("POST", refunds, refund_path, json={}, headers=terminal)  # 422 no key
    call("POST", refunds, f"{POS}/purchases/pur_nothing/refunds", json={},
         headers={**terminal, "Idempotency-Key": new_key()})  # 404
    call("GET", detail, f"{POS}/purchases/{first['id']}", headers=terminal)
    call("GET", detail, f"{POS}/purchases/pur_nothing", headers=terminal)
    call("GET", detail, f"{POS}/purchases/{first['id']}", headers=member)  # 403
    # --- member --------------------------------------------------------------------------
    session = f"{MEMBER}/session"
    token = call("POST", session, json={"phone": w.MEMBER_PHONE,
                                        "password": w.PASSWORD}).get_json()["token"]
    call("POST", session, json={"phone": w.MEMBER_PHONE, "password": "wrong-one"})  # 401
    call("POST", session, json={"phone": w.MEMBER_PHONE})  # 422
    call("POST", session, data=b"[]", content_type="application/json")  # 400
    call("DELETE", session, headers={"Authorization": f"Bearer {token}"})  # 204
    call("DELETE", session, headers={"Authorization": f"Bearer {token}"})  # 401
    for path in ("/me", "/pay-code", "/card.png", "/card.svg"):
        call("GET", MEMBER + path, headers=member)
        call("GET", MEMBER + path, headers=terminal)  # 403
    call("GET", f"{MEMBER}/me")  # 401
    call("GET", f"{MEMBER}/ledger", f"{MEMBER}/ledger?limit=2", headers=member)
    call("GET", f"{MEMBER}/ledger", f"{MEMBER}/ledger?limit=0", headers=member)  # 422
    marketing = f"{MEMBER}/marketing"
    call("GET", marketing, headers=member)
    call("GET", marketing)  # 401
    call("PUT", marketing, json={"opted_in": True}, headers=member)
    call("PUT", marketing, json={"opted_in": "yes"}, headers=member)  # 422
    birthday = f"{MEMBER}/profile/birthday"
    call("GET", birthday, headers=member)
    call("GET", birthday)  # 401
    call("PUT", birthday, json={"month": 2, "day": 29}, headers=member)
    call("PUT", birthday, json={"month": 2, "day": 30}, headers=member)  # 422
    call("PUT", birthday, data=b"[]", content_type="application/json", headers=member)  # 400
    with app.app_context():
        owner = db.session.scalar(select(Member.id).where(Member.phone == w.MEMBER_PHONE))
        message = inbox.post(db.session, owner, "标题", "正文", source="test")
        db.session.commit()
    listing = f"{MEMBER}/inbox"
    call("GET", listing, f"{listing}?limit=1", headers=member)
    call("GET", listing, f"{listing}?before=x", headers=member)  # 422
    call("GET", listing)  # 401
    read = f"{MEMBER}/inbox/{{message_id}}/read"
    call("POST", read, f"{MEMBER}/inbox/{message}/read", headers=member)
    call("POST", read, f"{MEMBER}/inbox/{message + 1}/read", headers=member)  # 404
    call("POST", f"{MEMBER}/inbox/read-all", headers=member)
    call("POST", f"{MEMBER}/inbox/read-all")  # 401
    call("GET", f"{MEMBER}/coupons", headers=member)
    call("GET", f"{MEMBER}/coupons")  # 401
    call("GET", f"{MEMBER}/referral", headers=member)
    call("GET", f"{MEMBER}/referral")  # 401
    desk = f"{MEMBER}/tickets"
    fault = {"kind": "fault", "summary": "断网", "contact_phone": w.MEMBER_PHONE}
    opened = call("POST", desk, json=fault, headers=member).get_json()
    call("POST", desk, json={**fault, "kind": "x"}, headers=member)  # 422
    call("POST", desk, data=b"x", content_type="application/json", headers=member)  # 400
    call("GET", desk, headers=member)
    call("GET", desk)  # 401
    one = f"{desk}/{{ticket_id}}"
    call("GET", one, f"{desk}/{opened['id']}", headers=member)
    call("GET", one, f"{desk}/tkt_nothing", headers=member)  # 404
    rating, reopen = f"{one}/rating", f"{one}/reopen"
    call("POST", rating, f"{desk}/{opened['id']}/rating", json={"score": 5},
         headers=member)  # 422: not resolved
    call("POST", reopen, f"{desk}/{opened['id']}/reopen", json={}, headers=member)  # 422
    with app.app_context():
        tickets.change_status(db.session, opened["id"], "resolved", by=None, note="已修复")
        db.session.commit()
    call("POST", reopen, f"{desk}/{opened['id']}/reopen", json={"note": "没好"}, headers=member)
    with app.app_context():
        tickets.change_status(db.session, opened["id"], "resolved", by=None, note="已修复")
        db.session.commit()
    call("POST", rating, f"{desk}/{opened['id']}/rating", json={"score": 5, "comment": "好"},
         headers=member)
    call("POST", rating, f"{desk}/tkt_nothing/rating", json={"score": 5}, headers=member)  # 404
    # --- directory -----------------------------------------------------------------------
    offers = f"{DIRECTORY}/offers"
    call("GET", offers, f"{offers}?q=火锅&caller={w.MEMBER_PHONE}", headers=operator)
    call("GET", offers, f"{offers}?q=laowang", headers=operator)
    call("GET", offers, f"{offers}?limit=0", headers=operator)  # 422
    call("GET", offers, headers=member)  # 403
    callers = f"{DIRECTORY}/callers/{{phone}}"
    call("GET", callers, f"{DIRECTORY}/callers/{w.MEMBER_PHONE}", headers=operator)
    call("GET", callers, f"{DIRECTORY}/callers/13900000000", headers=operator)
    call("GET", callers, f"{DIRECTORY}/callers/12", headers=operator)  # 422
    referrals = f"{DIRECTORY}/referrals"
    made = call("POST", referrals, json={"caller": w.MEMBER_PHONE, "merchant_id": world.merchant_id,
                                         "offer_id": world.offer_id}, headers=operator).get_json()
    call("POST", referrals, json={"caller": w.MEMBER_PHONE, "merchant_id": "mer_x"},
         headers=operator)  # 422
    call("POST", referrals, data=b"x", content_type="application/json", headers=operator)  # 400
    referral = f"{DIRECTORY}/referrals/{{referral_id}}"
    call("GET", referral, f"{referrals}/{made['id']}", headers=operator)
    call("GET", referral, f"{referrals}/ref_nothing", headers=operator)  # 404
    # --- a card locked after wrong pay codes (429), a merchant that may not sell (403) -------
    for _ in range(6):
        call("POST", quote, json={"card": world.card + "000000", "amount": 10000,
                                  "redeem_points": 1}, headers=terminal)
    with app.app_context():
        db.session.get(Merchant, world.merchant_id).status = "suspended"
        db.session.commit()
    call("POST", quote, json={"card": world.card, "amount": 100}, headers=terminal)
    call("GET", terminal_path, headers=terminal)
    # --- bodies over the limit, on an operation of each credential --------------------------
    big = b"{" + b" " * app.config["MAX_CONTENT_LENGTH"] + b"}"
    call("POST", quote, data=big, content_type="application/json", headers=terminal)
    call("POST", session, data=big, content_type="application/json")
    return seen


def test_every_answer_of_every_operation_is_documented_and_matches_its_schema(app, client,
                                                                               document):
    schema = schemathesis.openapi.from_dict(document)
    seen = exercise(app, client)
    outcomes: dict[tuple[str, str], set[str]] = {}
    for method, template, response in seen:
        operation = schema[template][method.upper()]
        documented = operation.responses.find_by_status_code(response.status_code)
        assert documented is not None, (
            f"{method.upper()} {template} answered {response.status_code}, undocumented: "
            f"{response.get_data(as_text=True)[:300]}")
        operation.validate_response(response)  # raises when the body is not the schema's
        kind = "success" if response.status_code < 400 else "error"
        outcomes.setdefault((method, template), set()).add(kind)
    operations = {(method, path) for path, item in document["paths"].items()
                  for method in item if method != "parameters"}
    assert operations == set(outcomes), "operations not exercised: " + str(
        operations ^ set(outcomes))
    assert all(kinds == {"success", "error"} for kinds in outcomes.values()), outcomes


def test_every_error_answer_is_the_contract_body_in_chinese_and_english(app, client, document):
    codes = set(document["components"]["schemas"]["ErrorOut"]["properties"]["error"]["enum"])
    for method, template, response in exercise(app, client):
        if response.status_code < 400:
            continue
        body = response.get_json()
        assert set(body) == {"error", "message", "details"}, (method, template, body)
        assert body["error"] in codes
        # validation_error's details are messages; other codes' details are facts
        # ({"status": ["suspended"]}, {"retry_after": 900})
        messages = body["details"] if body["error"] == "validation_error" else {}
        texts = [body["message"]] + [m for msgs in messages.values()
                                     if isinstance(msgs, list) for m in msgs]
        for text in texts:
            assert CJK.search(text) and " / " in text, (method, template, text)


def test_the_error_enum_lists_every_contract_code_from_one_place(document):
    enum = document["components"]["schemas"]["ErrorOut"]["properties"]["error"]["enum"]
    assert enum == sorted(API_ERROR_CODES)
    contract = {"invalid_json", "unauthorized", "forbidden", "not_found", "card_not_found",
                "method_not_allowed", "idempotency_key_reused", "idempotency_in_progress",
                "validation_error", "card_inactive", "membership_frozen", "insufficient_points",
                "redemption_not_authorized", "redemption_exceeds_amount",
                "refund_exceeds_purchase", "rate_limited", "internal_error",
                "payload_too_large"}
    assert contract <= set(enum)
    assert "page_expired" not in enum and "bad_request" not in enum  # pages only


def test_each_operation_names_its_credential_and_the_pos_its_idempotency_header(document):
    schemes = document["components"]["securitySchemes"]
    assert {"terminalKey", "operatorKey", "memberToken"} <= set(schemes)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            expected = ([] if (method, path) == ("post", f"{MEMBER}/session") else
                        [{"terminalKey": []}] if path.startswith(POS) else
                        [{"operatorKey": []}] if path.startswith(DIRECTORY) else
                        [{"memberToken": []}])
            assert operation["security"] == expected, (method, path)
    for path in (f"{POS}/purchases", f"{POS}/purchases/{{purchase_id}}/refunds"):
        headers = [p for p in document["paths"][path]["post"]["parameters"]
                   if p["in"] == "header"]
        assert [(p["name"], p["required"]) for p in headers] == [("Idempotency-Key", True)]


def test_amounts_are_documented_in_fen(document):
    schemas = document["components"]["schemas"]
    for name, field in (("QuoteIn", "amount"), ("PurchaseOut", "payable"),
                        ("PurchaseOut", "discount"), ("RefundIn", "amount"),
                        ("RefundOut", "cash_refund")):
        assert "fen (分)" in schemas[name]["properties"][field]["description"], (name, field)
