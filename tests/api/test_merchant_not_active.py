"""Only an approved merchant sells (contract §10): 403 merchant_not_active on every POS route,
from the next request after the change, and `flask merchants suspend/reinstate`."""

import json

import pytest
from sqlalchemy import func, select

from tests.api.pos_helpers import PURCHASES, QUOTE, assert_error, buy, member, shop
from valliance.audit import AuditEvent
from valliance.merchants.models import Merchant, Purchase
from valliance.merchants.services.terminals import revoke_terminal

TERMINAL = "/api/v1/pos/terminal"


def set_status(session, merchant_id: str, status: str) -> None:
    session.get(Merchant, merchant_id).status = status
    session.commit()


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def purchases(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(Purchase))


def every_pos_route(client, s, card_number: str, purchase_id: str) -> dict:
    """One request to each POS route, with a valid body: route → response."""
    key = {"Idempotency-Key": "after-the-change"}
    return {
        "terminal": client.get(TERMINAL, headers=s.headers),
        "quote": client.post(QUOTE, json={"card": card_number, "amount": 1000},
                             headers=s.headers),
        "purchase": client.post(PURCHASES, json={"card": card_number, "amount": 1000},
                                headers={**s.headers, **key}),
        "detail": client.get(f"{PURCHASES}/{purchase_id}", headers=s.headers),
        "refund": client.post(f"{PURCHASES}/{purchase_id}/refunds", json={"amount": 100},
                              headers={**s.headers, **key}),
    }


@pytest.mark.parametrize("status", ["pending", "rejected", "suspended"])
def test_every_pos_route_is_403_merchant_not_active_when_the_merchant_is_not_approved(
        client, session, status):
    s = shop(session, offer={"percent_off": 10})
    _, card = member(session)
    sold = buy(client, s, card.number, 5000)
    assert sold.status_code == 201
    set_status(session, s.merchant.id, status)
    for route, response in every_pos_route(client, s, card.number,
                                           sold.get_json()["id"]).items():
        body = assert_error(response, 403, "merchant_not_active")
        assert body["details"] == {"status": [status]}, route
        assert " / " in body["message"], route  # bilingual, as every message
    assert purchases(session) == 1
    assert sold.get_json()["refunded_amount"] == 0
    session.rollback()
    assert session.get(Purchase, sold.get_json()["id"]).refunded_amount == 0


def test_the_credential_is_checked_before_the_merchant_status(client, session):
    s = shop(session)
    set_status(session, s.merchant.id, "suspended")
    assert_error(client.get(TERMINAL), 401, "unauthorized")
    assert_error(client.get(TERMINAL, headers={"Authorization": "Bearer vt_wrong"}), 401,
                 "unauthorized")
    revoke_terminal(session, s.terminal.id, actor="test")
    session.commit()
    assert_error(client.post(QUOTE, json={"card": "1"}, headers=s.headers), 401,
                 "unauthorized")


@pytest.mark.parametrize("body,headers", [
    (b"not json", {}),
    (b'{"card": "1", "amount": "ten"}', {}),
    (b'{"card": "1", "amount": 100}', {"Idempotency-Key": ""}),
])
def test_the_merchant_status_is_checked_before_the_body(client, session, body, headers):
    s = shop(session)
    set_status(session, s.merchant.id, "suspended")
    for path in (QUOTE, PURCHASES, f"{PURCHASES}/pur_x/refunds"):
        response = client.post(path, data=body, content_type="application/json",
                               headers={**s.headers, **headers})
        assert_error(response, 403, "merchant_not_active")


def test_terminal_answers_its_name_and_its_merchants_name_and_status(client, session):
    s = shop(session, name="老王火锅")
    body = client.get(TERMINAL, headers=s.headers).get_json()
    assert body == {"terminal_id": s.terminal.id, "terminal_name": s.terminal.name,
                    "merchant": {"id": s.merchant.id, "name": "老王火锅",
                                 "status": "approved"}}


def test_terminal_route_is_in_the_openapi_document_with_its_schema(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/pos/terminal"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[-1]
    assert {"terminal_id", "terminal_name", "merchant"} <= set(
        document["components"]["schemas"][name]["properties"])


def test_suspend_stops_the_tills_at_the_next_request_and_reinstate_restores_them(
        app, client, session):
    s = shop(session)
    _, card = member(session)
    assert buy(client, s, card.number, 1000).status_code == 201
    suspended = run(app, "merchants", "suspend", s.merchant.id, "--reason", "食品安全检查",
                    "--json")
    assert suspended.exit_code == 0, suspended.output
    assert json.loads(suspended.stdout) == {"merchant_id": s.merchant.id,
                                            "status": "suspended"}
    assert_error(buy(client, s, card.number, 1000), 403, "merchant_not_active")
    reinstated = run(app, "merchants", "reinstate", s.merchant.id, "--json")
    assert reinstated.exit_code == 0, reinstated.output
    assert json.loads(reinstated.stdout) == {"merchant_id": s.merchant.id,
                                             "status": "approved"}
    assert buy(client, s, card.number, 1000).status_code == 201
    assert purchases(session) == 2
    actions = session.scalars(select(AuditEvent.action).where(
        AuditEvent.subject == s.merchant.id).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["merchant.suspend", "merchant.reinstate"]


def test_suspend_without_json_says_what_happened_in_both_languages(app, session):
    s = shop(session)
    result = run(app, "merchants", "suspend", s.merchant.id, "--reason", "投诉核查")
    assert result.exit_code == 0, result.output
    assert "已暂停" in result.output and "suspended" in result.output


@pytest.mark.parametrize("status,args,words", [
    ("pending", ["suspend", "--reason", "x"], ["待审核", "cannot be suspended"]),
    ("approved", ["reinstate"], ["已加盟", "cannot be reinstated"]),
    ("approved", ["suspend", "--reason", " "], ["请填写原因"]),
])
def test_refused_transitions_say_why_and_exit_non_zero(app, session, status, args, words):
    s = shop(session, approved=status == "approved")
    action, *rest = args
    result = run(app, "merchants", action, s.merchant.id, *rest)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output
    as_json = run(app, "merchants", action, s.merchant.id, *rest, "--json")
    assert as_json.exit_code != 0
    assert set(json.loads(as_json.stdout)) == {"error", "message"}
    session.rollback()
    assert session.get(Merchant, s.merchant.id).status == status


def test_an_unknown_merchant_is_refused_by_name(app, session):
    result = run(app, "merchants", "reinstate", "mch_nobody")
    assert result.exit_code != 0
    assert "mch_nobody" in result.output and "Traceback" not in result.output
