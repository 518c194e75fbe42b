"""Member API (contract §7): shapes, errors, tokens, isolation between members, QR images."""

import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import PIL.Image
import PIL.ImageDraw
import pytest
import zxingcpp
from sqlalchemy import select

from valliance.api_support import bearer_token, iso_shanghai
from valliance.db import utcnow
from valliance.members import codes as cards
from valliance.members import services
from valliance.members.models import MemberToken
from valliance.points import accounts, ledger
from valliance.secret_box import unseal

PASSWORD = "secret123"  # noqa: S105 - test data
CONTRACT_KEYS = {"error", "message", "details"}
OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")
MEMBER_PATHS = ["/me", "/ledger", "/pay-code", "/card.png", "/card.svg"]


def url(path: str) -> str:
    return "/api/v1/member" + path


def enroll(session, phone="13800138000", name="王小明", points=0, password=PASSWORD):
    member = services.enroll_member(session, phone=phone, name=name, password=password,
                                    opening_points=points)
    session.commit()
    return member


def login(client, phone="13800138000", password=PASSWORD, **kwargs):
    return client.post(url("/session"), json={"phone": phone, "password": password}, **kwargs)


def token_for(client, phone="13800138000") -> str:
    response = login(client, phone)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == CONTRACT_KEYS and body["error"] == code
    return body


@pytest.fixture
def member(session):
    return enroll(session, points=500)


@pytest.fixture
def token(client, member):
    return token_for(client)


# --- POST /session ---------------------------------------------------------------------------


def test_session_answers_201_with_a_token_that_expires_in_shanghai_time(client, member):
    response = login(client)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"token", "expires_at"}
    assert len(body["token"]) >= 32 and OFFSET.match(body["expires_at"])
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    assert response.headers["Cache-Control"] == "no-store"


def test_session_token_is_stored_only_as_a_hash(client, member, session):
    token = token_for(client)
    hashes = session.scalars(select(MemberToken.token_hash)).all()
    assert len(hashes) == 1 and token not in hashes[0]


def test_session_accepts_the_phone_in_any_usual_format(client, member):
    assert login(client, phone="+86 138-0013-8000").status_code == 201


@pytest.mark.parametrize("phone, password", [
    ("13800138000", "wrong-pass1"), ("13900139000", PASSWORD), ("123", PASSWORD),
])
def test_session_refuses_a_wrong_phone_or_password_with_401(client, member, phone, password):
    body = assert_error(login(client, phone, password), 401, "unauthorized")
    assert "/" in body["message"]  # 中文 / English


def test_session_refuses_an_imported_member_who_has_no_password_yet(client, session):
    enroll(session, password=None)
    assert_error(login(client, password=""), 401, "unauthorized")


@pytest.mark.parametrize("body", [
    b"", b"   ", b"not json", b"[1, 2]", b'"13800138000"', b"null", b"42", b'{"phone": NaN}',
    b"\xff\xfe{}",
], ids=["empty", "blank", "text", "array", "string", "null", "number", "nan", "not-utf8"])
def test_session_body_that_is_not_a_json_object_is_invalid_json(client, body):
    response = client.post(url("/session"), data=body, content_type="application/json")
    assert_error(response, 400, "invalid_json")


def test_session_missing_fields_are_listed_per_field(client):
    body = assert_error(client.post(url("/session"), json={}), 422, "validation_error")
    assert set(body["details"]) == {"phone", "password"}
    assert all(isinstance(msgs, list) and msgs for msgs in body["details"].values())


@pytest.mark.parametrize("field, value", [
    ("phone", True), ("phone", 13800138000), ("phone", None), ("password", False),
    ("password", ["x"]), ("phone", "1" * 33), ("password", "a1" * 200),
])
def test_session_field_of_the_wrong_type_is_a_validation_error(client, member, field, value):
    payload = {"phone": "13800138000", "password": PASSWORD, field: value}
    body = assert_error(client.post(url("/session"), json=payload), 422, "validation_error")
    assert list(body["details"]) == [field]


def test_session_refuses_unknown_fields(client, member):
    payload = {"phone": "13800138000", "password": PASSWORD, "member_id": "mem-x"}
    body = assert_error(client.post(url("/session"), json=payload), 422, "validation_error")
    assert list(body["details"]) == ["member_id"]


def test_errors_are_chinese_characters_not_escapes(client):
    response = client.post(url("/session"), data=b"nope", content_type="application/json")
    assert "请求体".encode() in response.data


def test_logins_from_one_address_are_rate_limited(client, member):
    answers = [login(client, password="wrong-pass1").status_code for _ in range(10)]
    assert answers == [401] * 10
    body = assert_error(login(client), 429, "rate_limited")
    assert body["details"] == {}


def test_failed_logins_for_one_phone_from_many_addresses_never_lock_out_its_owner(client,
                                                                                  member):
    for i in range(30):
        response = login(client, password="wrong-pass1",
                         environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})
        assert response.status_code == 401
    assert login(client, environ_base={"REMOTE_ADDR": "10.0.1.1"}).status_code == 201


def test_successful_logins_do_not_lock_out_the_phone(client, member):
    for i in range(12):
        assert login(client, environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}).status_code == 201


# --- credentials -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", MEMBER_PATHS)
@pytest.mark.parametrize("header", [
    None, "Bearer nope", "Bearer ", "Basic c2VjcmV0", "bearer", "Token abc",
])
def test_member_routes_refuse_a_missing_or_unknown_token(client, member, path, header):
    headers = {"Authorization": header} if header is not None else {}
    assert_error(client.get(url(path), headers=headers), 401, "unauthorized")


@pytest.mark.parametrize("path", MEMBER_PATHS)
def test_revoked_token_is_refused(client, session, member, token, path):
    services.revoke_tokens(session, member)
    session.commit()
    assert_error(client.get(url(path), headers=auth(token)), 401, "unauthorized")


def test_expired_token_is_refused(client, session, member, token):
    row = session.scalars(select(MemberToken)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert_error(client.get(url("/me"), headers=auth(token)), 401, "unauthorized")


def test_changing_the_password_revokes_every_token(client, session, member):
    first, second = token_for(client), token_for(client)
    services.change_password(session, member, PASSWORD, "another456")
    session.commit()
    for old in (first, second):
        assert_error(client.get(url("/me"), headers=auth(old)), 401, "unauthorized")
    assert_error(login(client), 401, "unauthorized")
    fresh = token_for_password(client, "another456")
    assert client.get(url("/me"), headers=auth(fresh)).status_code == 200


def token_for_password(client, password):
    response = login(client, password=password)
    assert response.status_code == 201
    return response.get_json()["token"]


def test_token_check_comes_before_the_query_check(client, member):
    assert_error(client.get(url("/ledger?limit=0")), 401, "unauthorized")


# --- GET /me -----------------------------------------------------------------------------------


def test_me_shows_the_member_card_tier_and_points(client, member, token):
    response = client.get(url("/me"), headers=auth(token))
    assert response.status_code == 200
    assert response.get_json() == {
        "member": {"id": member.id, "name": "王小明", "phone_masked": "138****8000"},
        "card": {"number": member.card.number, "status": "active"},
        "tier": "standard",
        "points": {"balance": 500, "owed": 0, "frozen": False},
    }
    assert "王小明".encode() in response.data


def test_me_shows_frozen_points_when_the_membership_is_frozen(client, session, member, token):
    services.set_membership(session, member, "frozen")
    session.commit()
    points = client.get(url("/me"), headers=auth(token)).get_json()["points"]
    assert points == {"balance": 500, "owed": 0, "frozen": True}


def test_me_shows_points_owed_after_a_refund_the_balance_could_not_cover(
        client, session, member, token):
    shop = accounts.open_merchant_accounts(session, "mer-1")
    earned = ledger.accrue(session, member_account=member.points_account_id,
                           source_account=shop.issued, points=300, merchant_id="mer-1")
    ledger.redeem(session, member_account=member.points_account_id,
                  merchant_account=shop.redeemed, points=700, merchant_id="mer-1")
    ledger.reverse(session, earned.transfer_id, 300)
    session.commit()
    points = client.get(url("/me"), headers=auth(token)).get_json()["points"]
    assert points == {"balance": 0, "owed": 200, "frozen": False}


def test_after_a_reissue_the_app_shows_the_new_card_and_the_same_points(
        client, session, member, token):
    old = member.card
    new = services.reissue_card(session, old)
    session.commit()
    body = client.get(url("/me"), headers=auth(token)).get_json()
    assert body["card"] == {"number": new.number, "status": "active"}
    assert body["points"]["balance"] == 500


# --- GET /ledger -------------------------------------------------------------------------------


def add_history(session, member, count: int) -> None:
    for i in range(count):
        ledger.adjust(session, member_account=member.points_account_id, points=i + 1,
                      reason="goodwill", actor="test")
    session.commit()


def test_ledger_lists_entries_newest_first_with_signed_points(client, session, member, token):
    shop = accounts.open_merchant_accounts(session, "mer-1")
    ledger.accrue(session, member_account=member.points_account_id, source_account=shop.issued,
                  points=120, merchant_id="mer-1")
    ledger.redeem(session, member_account=member.points_account_id,
                  merchant_account=shop.redeemed, points=70, merchant_id="mer-1")
    session.commit()
    response = client.get(url("/ledger"), headers=auth(token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["next"] is None
    entries = body["entries"]
    assert [(e["kind"], e["points"], e["balance_after"]) for e in entries] == [
        ("redeem", -70, 550), ("accrue", 120, 620), ("adjust", 500, 500)]
    for entry in entries:
        assert set(entry) == {"id", "kind", "points", "balance_after", "merchant", "created_at"}
        assert isinstance(entry["id"], str) and OFFSET.match(entry["created_at"])
    assert entries[0]["merchant"] == {"id": "mer-1", "name": None}
    assert entries[2]["merchant"] is None  # the opening balance came from the alliance


def test_ledger_pages_with_an_opaque_cursor_until_next_is_null(client, session, member, token):
    add_history(session, member, 6)  # 7 entries with the opening balance
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = "?limit=3" + (f"&before={cursor}" if cursor else "")
        body = client.get(url("/ledger" + query), headers=auth(token)).get_json()
        seen += [e["id"] for e in body["entries"]]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            break
        assert isinstance(cursor, str)
    assert pages == 3 and len(seen) == 7 and len(set(seen)) == 7
    assert seen == sorted(seen, key=int, reverse=True)


def test_ledger_default_page_is_50_entries(client, session, member, token):
    add_history(session, member, 55)
    body = client.get(url("/ledger"), headers=auth(token)).get_json()
    assert len(body["entries"]) == 50 and body["next"] is not None


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5", "true", ""])
def test_ledger_limit_must_be_1_to_100(client, member, token, limit):
    response = client.get(url(f"/ledger?limit={limit}"), headers=auth(token))
    body = assert_error(response, 422, "validation_error")
    assert list(body["details"]) == ["limit"]


@pytest.mark.parametrize("limit", ["1", "100"])
def test_ledger_limit_bounds_are_accepted(client, member, token, limit):
    assert client.get(url(f"/ledger?limit={limit}"), headers=auth(token)).status_code == 200


@pytest.mark.parametrize("cursor", [
    "abc", "-1", "0", "1e3", "１２", "99999999999999999999", "9223372036854775808", " 5",
])
def test_ledger_bad_cursor_is_a_validation_error(client, member, token, cursor):
    response = client.get(url("/ledger"), query_string={"before": cursor}, headers=auth(token))
    body = assert_error(response, 422, "validation_error")
    assert list(body["details"]) == ["before"]


def test_ledger_largest_cursor_is_accepted(client, member, token):
    response = client.get(url("/ledger?before=9223372036854775807"), headers=auth(token))
    assert response.status_code == 200 and len(response.get_json()["entries"]) == 1


def test_ledger_filters_by_kind(client, session, member, token):
    shop = accounts.open_merchant_accounts(session, "mer-1")
    ledger.accrue(session, member_account=member.points_account_id, source_account=shop.issued,
                  points=10, merchant_id="mer-1")
    session.commit()
    body = client.get(url("/ledger?kind=accrue"), headers=auth(token)).get_json()
    assert [e["kind"] for e in body["entries"]] == ["accrue"]
    both = client.get(url("/ledger?kind=accrue,adjust"), headers=auth(token)).get_json()
    assert [e["kind"] for e in both["entries"]] == ["accrue", "adjust"]


def test_ledger_unknown_kind_is_a_validation_error(client, member, token):
    response = client.get(url("/ledger?kind=bonus"), headers=auth(token))
    assert list(assert_error(response, 422, "validation_error")["details"]) == ["kind"]


# --- GET /pay-code -----------------------------------------------------------------------------


def test_pay_code_is_the_card_number_and_a_current_time_code(client, member, token):
    response = client.get(url("/pay-code"), headers=auth(token))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) == {"code", "expires_in"}
    code = body["code"]
    assert len(code) == 22 and code.isdigit() and code[:16] == member.card.number
    assert isinstance(body["expires_in"], int) and 1 <= body["expires_in"] <= 30
    assert cards.pay_code_valid(code[16:], unseal(member.card.pay_secret))


@pytest.mark.parametrize("status", ["lost", "frozen"])
def test_pay_code_is_refused_when_the_card_is_not_active(client, session, member, token, status):
    services.set_card_status(session, member.card, status)
    session.commit()
    body = assert_error(client.get(url("/pay-code"), headers=auth(token)), 422, "card_inactive")
    assert body["details"] == {"status": [status]}


def test_pay_code_is_refused_when_the_membership_is_frozen(client, session, member, token):
    services.set_membership(session, member, "frozen")
    session.commit()
    assert_error(client.get(url("/pay-code"), headers=auth(token)), 422, "membership_frozen")


# --- QR images ---------------------------------------------------------------------------------


def decode(image: PIL.Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def rasterize_svg_path(svg: bytes, scale: int = 10) -> PIL.Image.Image:
    """Draw the SVG's path of unit squares (qrcode's SvgPathImage) so a real decoder can read it."""
    root = ET.fromstring(svg)
    _, _, width, height = (float(v) for v in root.attrib["viewBox"].split())
    paths = [el for el in root.iter() if el.tag.endswith("path")]
    assert len(paths) == 1
    image = PIL.Image.new("L", (int(width * scale), int(height * scale)), 255)
    draw = PIL.ImageDraw.Draw(image)
    squares = re.findall(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H([\d.]+)z", paths[0].attrib["d"])
    assert squares
    for x0, y0, x1, y1, _ in squares:
        draw.rectangle([float(x0) * scale, float(y0) * scale,
                        float(x1) * scale - 1, float(y1) * scale - 1], fill=0)
    return image


def test_card_png_is_a_qr_of_the_static_code_that_find_card_accepts(
        client, session, member, token):
    response = client.get(url("/card.png"), headers=auth(token))
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Cache-Control"].startswith("private")
    texts = decode(PIL.Image.open(io.BytesIO(response.data)))
    assert texts == [member.card.number]
    card, pay_part = services.find_card(session, texts[0])
    assert card.member_id == member.id and pay_part is None


def test_card_svg_is_well_formed_and_a_qr_of_the_static_code(client, session, member, token):
    response = client.get(url("/card.svg"), headers=auth(token))
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.headers["Cache-Control"].startswith("private")
    texts = decode(rasterize_svg_path(response.data))
    assert texts == [member.card.number]
    card, _ = services.find_card(session, texts[0])
    assert card.member_id == member.id


def test_card_image_follows_a_reissue(client, session, member, token):
    new = services.reissue_card(session, member.card)
    session.commit()
    response = client.get(url("/card.png"), headers=auth(token))
    assert decode(PIL.Image.open(io.BytesIO(response.data))) == [new.number]


# --- isolation ----------------------------------------------------------------------------------


def test_a_members_token_only_ever_shows_that_members_data(client, session):
    alice = enroll(session, phone="13800138000", name="Alice", points=100)
    bob = enroll(session, phone="13900139000", name="Bob", points=900)
    add_history(session, bob, 3)
    alice_token, bob_token = token_for(client, "13800138000"), token_for(client, "13900139000")
    sneaky = {"member": bob.id, "member_id": bob.id, "phone": bob.phone}
    for token, who in ((alice_token, alice), (bob_token, bob)):
        me = client.get(url("/me"), headers=auth(token), query_string=sneaky).get_json()
        assert me["member"]["id"] == who.id and me["card"]["number"] == who.card.number
        history = client.get(url("/ledger"), headers=auth(token),
                             query_string={"limit": 100}).get_json()["entries"]
        own = {str(e.id) for e in accounts.get_history(session, who.points_account_id,
                                                       limit=100).entries}
        assert {e["id"] for e in history} == own
        code = client.get(url("/pay-code"), headers=auth(token),
                          query_string=sneaky).get_json()["code"]
        assert code[:16] == who.card.number
        png = client.get(url("/card.png"), headers=auth(token), query_string=sneaky).data
        assert decode(PIL.Image.open(io.BytesIO(png))) == [who.card.number]
    assert client.get(url("/me"), headers=auth(alice_token)).get_json()["points"]["balance"] == 100


# --- OpenAPI and helpers ------------------------------------------------------------------------


def test_member_routes_are_documented_in_openapi(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ["/session", *MEMBER_PATHS]:
        assert url(path) in spec["paths"], path
    assert "201" in spec["paths"][url("/session")]["post"]["responses"]
    assert spec["components"]["securitySchemes"]["memberToken"]["scheme"] == "bearer"


@pytest.mark.parametrize("header, expected", [
    ("Bearer abc", "abc"), ("bearer abc", "abc"), ("  Bearer   abc  ", "abc"),
    ("Bearer", None), ("Bearer a b", None), ("Basic abc", None), ("", None),
])
def test_bearer_token_reads_only_the_bearer_scheme(app, header, expected):
    with app.test_request_context(headers={"Authorization": header}):
        assert bearer_token() == expected


@pytest.mark.parametrize("moment, expected", [
    (datetime(2026, 11, 23, 11, 5, tzinfo=UTC), "2026-11-23T19:05:00+08:00"),
    (datetime(2026, 12, 31, 16, 0, 0, 999999, tzinfo=UTC), "2027-01-01T00:00:00+08:00"),
    (datetime(2026, 11, 23, 11, 5), "2026-11-23T19:05:00+08:00"),  # naive means UTC
    (None, None),
])
def test_iso_shanghai_answers_with_the_plus_eight_offset(moment, expected):
    assert iso_shanghai(moment) == expected


def test_signing_out_revokes_only_this_token(client, session):
    from valliance.members import services as member_services

    member_services.enroll_member(session, phone="13500135000", name="退出", password="secret123")
    session.commit()
    tokens = [client.post("/api/v1/member/session",
                          json={"phone": "13500135000", "password": "secret123"}
                          ).get_json()["token"] for _ in range(2)]
    first, second = ({"Authorization": f"Bearer {token}"} for token in tokens)
    assert client.delete("/api/v1/member/session", headers=first).status_code == 204
    assert client.get("/api/v1/member/me", headers=first).status_code == 401
    assert client.get("/api/v1/member/me", headers=second).status_code == 200
