"""Contract §10: no input makes a 500 — NUL bytes, lone surrogates, over-long integers and
numbers in paths, query strings, form fields and JSON bodies get a 4xx, write nothing, and a
database error is logged without the values of its statement."""

import json
import logging

import pytest
from sqlalchemy import func, select, text

from tests.api import world as w
from tests.api.pos_helpers import ERROR_KEYS, new_key
from tests.api.test_portal import post_form
from tests.api.test_staff_pages import staff_log_in
from valliance import create_app
from valliance.config import TestConfig
from valliance.extensions import db
from valliance.merchants.models import Purchase
from valliance.money import yuan_to_fen


@pytest.fixture
def world(app):
    return w.build(app)


def raw_json(text_: str) -> dict:
    """A request body sent byte for byte (json= would refuse a lone surrogate)."""
    return {"data": text_.encode(), "content_type": "application/json"}


def assert_contract_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == ERROR_KEYS and body["error"] == code, body
    return body


# (method, path, credential, extra request kwargs, status, error code)
API_CASES = [
    ("GET", "/api/v1/pos/purchases/pur_%00x", "terminal", {}, 404, "not_found"),
    ("POST", "/api/v1/pos/purchases/pur_%00x/refunds", "terminal", {"json": {}}, 404,
     "not_found"),
    ("GET", "/api/v1/directory/referrals/%00x", "operator", {}, 404, "not_found"),
    ("GET", "/api/v1/directory/callers/%00138", "operator", {}, 404, "not_found"),
    ("GET", "/api/v1/directory/offers?district=%00abc", "operator", {}, 422,
     "validation_error"),
    ("GET", "/api/v1/directory/offers?q=%00", "operator", {}, 422, "validation_error"),
    ("GET", "/api/v1/directory/offers?caller=138%00", "operator", {}, 422, "validation_error"),
    ("GET", "/api/v1/directory/offers?offset=99999999999999999999", "operator", {}, 422,
     "validation_error"),
    ("GET", "/api/v1/directory/offers?limit=99999999999999999999", "operator", {}, 422,
     "validation_error"),
    ("GET", "/api/v1/member/ledger?before=99999999999999999999", "member", {}, 422,
     "validation_error"),
    ("GET", "/api/v1/member/ledger?before=%00", "member", {}, 422, "validation_error"),
    ("POST", "/api/v1/pos/quote", "terminal", raw_json('{"card": "\\ud800", "amount": 100}'),
     422, "validation_error"),
    ("POST", "/api/v1/pos/quote", "terminal", raw_json('{"card": "1\\u0000", "amount": 100}'),
     422, "validation_error"),
    ("POST", "/api/v1/pos/quote", "terminal", raw_json('{"card": "1", "amount": 1e999999}'),
     422, "validation_error"),
    ("POST", "/api/v1/pos/quote", "terminal", raw_json('{"card": "1", "amount": ' + "9" * 40
                                                       + "}"), 422, "validation_error"),
    ("POST", "/api/v1/directory/referrals", "operator",
     {"json": {"caller": "13800138000", "merchant_id": "mer_\x00x"}}, 422, "validation_error"),
    ("POST", "/api/v1/directory/referrals", "operator",
     raw_json('{"caller": "\\ud800", "merchant_id": "x"}'), 422, "validation_error"),
    ("POST", "/api/v1/member/session", None, {"json": {"phone": "138\x00", "password": "x"}},
     422, "validation_error"),
    ("POST", "/api/v1/member/session", None,
     raw_json('{"phone": "13800138000", "password": "\\udfff"}'), 422, "validation_error"),
]


@pytest.mark.parametrize(("method", "path", "credential", "kwargs", "status", "code"), API_CASES)
def test_hostile_api_input_is_a_contract_error_never_a_500(client, world, method, path,
                                                            credential, kwargs, status, code):
    headers = {"Idempotency-Key": new_key(), **(world.bearer(credential) if credential else {})}
    response = client.open(path, method=method, headers=headers, **kwargs)
    assert_contract_error(response, status, code)


def test_nul_and_surrogates_in_a_purchase_write_nothing(app, client, world):
    bodies = [{"card": world.card, "amount": 100, "reference": "receipt\x00-1"},
              '{"card": "' + world.card + '", "amount": 100, "reference": "a\\ud800b"}',
              '{"card": "' + world.card + '", "amount": 100, "\\u0000": 1}']
    for body in bodies:
        kwargs = raw_json(body) if isinstance(body, str) else {"json": body}
        response = client.post("/api/v1/pos/purchases", **kwargs,
                               headers={**world.bearer("terminal"), "Idempotency-Key": new_key()})
        details = assert_contract_error(response, 422, "validation_error")["details"]
        assert len(details) == 1, details
    nul_key = client.post("/api/v1/pos/purchases", json={"card": world.card, "amount": 100},
                          headers={**world.bearer("terminal"), "Idempotency-Key": "k\x00"})
    assert "Idempotency-Key" in assert_contract_error(nul_key, 422,
                                                      "validation_error")["details"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Purchase)) == 0


PAGES = ["/offers/%00", "/offers/?page=99999999999999999999", "/offers/?district=%00abc"]


@pytest.mark.parametrize("path", PAGES)
def test_hostile_query_or_path_gets_a_friendly_page_never_a_500(client, world, path):
    response = client.get(path)
    assert response.status_code in (200, 400, 404), response.status_code
    assert response.content_type.startswith("text/html")


def test_over_long_cursors_and_pages_on_signed_in_pages_are_ignored(client, world):
    assert post_form(client, "/me/login", {"phone": w.MEMBER_PHONE,
                                           "password": w.PASSWORD}).status_code == 302
    assert client.get("/me/history?before=99999999999999999999").status_code == 200
    client.post("/me/logout")
    client.delete_cookie("session")
    assert post_form(client, "/merchant/login", {"phone": w.OWNER_PHONE,
                                                 "password": w.PASSWORD}).status_code == 302
    assert client.get("/merchant/activity?before=99999999999999999999").status_code == 200
    client.delete_cookie("session")
    assert staff_log_in(client, w.STAFF_USERNAME, w.PASSWORD).status_code == 302
    assert client.get("/staff/merchants?page=99999999999999999999").status_code == 200


def test_a_nul_in_a_form_field_gets_a_bilingual_400_page_and_no_sign_in(client, world):
    response = post_form(client, "/me/login", {"phone": w.MEMBER_PHONE + "\x00",
                                               "password": w.PASSWORD})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "请返回修改后重试" in page and "go back, correct it and try again" in page
    assert client.get("/me/").status_code == 302  # still signed out


@pytest.mark.parametrize("typed", ["1e999999", "1E+999999999", "NaN", "-Infinity", "\x00"])
def test_an_amount_in_yuan_that_no_number_holds_is_not_an_amount(typed):
    with pytest.raises(ValueError):
        yuan_to_fen(typed)


def test_a_database_error_is_logged_without_the_values_of_its_statement(app, world, caplog):
    class Config(TestConfig):
        DATABASE_URL = app.config["SQLALCHEMY_DATABASE_URI"]
        SECRET_KEY = "x"  # noqa: S105

    fragile = create_app(Config)

    @fragile.get("/api/v1/_violate")
    def violate():  # a CHECK violation: PostgreSQL quotes the whole failing row in DETAIL
        db.session.execute(text("UPDATE members SET password_hash = :hash, tier = :tier"),
                           {"hash": "pbkdf2:sha256:SECRET-HASH", "tier": "bogus-tier"})
        return {}

    with caplog.at_level(logging.INFO):
        response = fragile.test_client().get("/api/v1/_violate")
    with fragile.app_context():
        db.engine.dispose()  # its connections would outlive this test's database file
    assert_contract_error(response, 500, "internal_error")
    logged = "\n".join(record.getMessage() + str(record.exc_info or "") +
                       (record.exc_text or "") for record in caplog.records)
    for secret in ("SECRET-HASH", "bogus-tier", w.MEMBER_PHONE):
        assert secret not in logged
    assert "unhandled database error" in logged and "UPDATE members" in logged
    for record in caplog.records:
        if record.exc_info:  # what a handler would format with the message
            formatted = logging.Formatter().formatException(record.exc_info)
            assert "SECRET-HASH" not in formatted


def test_database_errors_never_carry_their_parameters_in_their_text(app, world):
    with app.app_context():
        assert db.engine.hide_parameters
        with pytest.raises(Exception) as caught:
            db.session.execute(text("UPDATE members SET tier = :tier"), {"tier": "SECRET-T"})
        db.session.rollback()
        assert "SECRET-T" not in str(caught.value).split("DETAIL")[0]


def test_json_keys_that_are_unusable_are_echoed_escaped(client, world):
    response = client.post("/api/v1/pos/quote", headers=world.bearer("terminal"),
                           **raw_json('{"card": "1", "amount": 1, "\\ud800x": 1}'))
    details = assert_contract_error(response, 422, "validation_error")["details"]
    assert list(details) == ["\\ud800x"]
    json.dumps(details).encode()  # encodable: the answer itself cannot fail


def test_a_nul_in_any_query_parameter_of_any_operation_is_a_documented_422(app, client, world):
    document = client.get("/api/v1/openapi.json").get_json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert "422" in operation["responses"], (method, path)
    response = client.get("/api/v1/member/me?anything=%00", headers=world.bearer("member"))
    details = assert_contract_error(response, 422, "validation_error")["details"]
    assert list(details) == ["anything"]


def test_a_nul_in_the_merchant_and_staff_filters_gets_the_400_page(client, world):
    assert post_form(client, "/merchant/login", {"phone": w.OWNER_PHONE,
                                                 "password": w.PASSWORD}).status_code == 302
    for path in ("/merchant/purchases?terminal=%00", "/merchant/purchases?card=1%00",
                 "/merchant/purchases.csv?terminal=%00", "/merchant/purchases/pur_%00x"):
        assert client.get(path).status_code in (400, 404), path
    client.delete_cookie("session")
    assert staff_log_in(client, w.STAFF_USERNAME, w.PASSWORD).status_code == 302
    for path in ("/staff/merchants?q=%00abc", "/staff/merchants/mer_%00x",
                 "/staff/referrals/?from=%00"):
        response = client.get(path)
        assert response.status_code in (400, 404), path
        assert response.content_type.startswith("text/html")


@pytest.mark.parametrize("chained", ["cause", "pending_rollback"])
def test_a_database_error_behind_another_error_is_logged_without_values(app, world, caplog,
                                                                        chained):
    # A database error caught and followed by another error (raised from it, or the session's
    # PendingRollbackError, whose text repeats the first one): the log still carries no values
    from sqlalchemy import select as select_
    from sqlalchemy.exc import IntegrityError

    from valliance.members.models import Member

    class Config(TestConfig):
        DATABASE_URL = app.config["SQLALCHEMY_DATABASE_URI"]
        SECRET_KEY = "x"  # noqa: S105

    fragile = create_app(Config)

    @fragile.get("/api/v1/_violate")
    def violate():  # a CHECK violation: PostgreSQL quotes the whole failing row in DETAIL
        member = db.session.scalars(select_(Member)).first()
        member.password_hash, member.tier = "pbkdf2:sha256:SECRET-HASH", "bogus-tier"
        try:
            db.session.flush()
        except IntegrityError as exc:
            if chained == "cause":
                raise RuntimeError("could not save the member") from exc
        db.session.scalars(select_(Member)).first()  # PendingRollbackError
        return {}

    with caplog.at_level(logging.INFO):
        response = fragile.test_client().get("/api/v1/_violate")
    with fragile.app_context():
        db.engine.dispose()
    assert_contract_error(response, 500, "internal_error")
    logged = "\n".join(record.getMessage() + (record.exc_text or "") + (
        logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
        for record in caplog.records)
    assert "unhandled database error" in logged and "violate" in logged  # where it happened
    for secret in ("SECRET-HASH", "bogus-tier", w.MEMBER_PHONE):
        assert secret not in logged, logged
