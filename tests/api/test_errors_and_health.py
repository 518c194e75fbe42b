import pytest

from tests.api.world import build as build_world
from valliance import create_app
from valliance.config import TestConfig

CONTRACT_KEYS = {"error", "message", "details"}


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "db": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable():
    class Unreachable(TestConfig):
        DATABASE_URL = "postgresql://nobody@127.0.0.1:1/none"
        SECRET_KEY = "x"  # noqa: S105

    response = create_app(Unreachable).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "db": "unreachable"}


def test_unknown_api_route_answers_the_contract_error_in_chinese_characters(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.content_type == "application/json"
    assert response.get_json() == {"error": "not_found", "message": "未找到 / Not found",
                                   "details": {}}
    assert "未找到".encode() in response.data  # characters, not \u escapes


def test_wrong_method_on_the_api_is_405_with_allow(client):
    response = client.delete("/healthz")
    assert response.status_code == 405
    assert response.get_json()["error"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize(("path", "credential"), [
    ("/api/v1/member/session", None), ("/api/v1/pos/purchases", "terminal"),
    ("/api/v1/pos/quote", "terminal"), ("/api/v1/directory/referrals", "operator"),
    ("/api/v1/pos/purchases/pur_x/refunds", "terminal")])
def test_a_body_over_the_limit_is_413_payload_too_large_on_every_api_route(app, client, path,
                                                                          credential):
    world = build_world(app)
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post(path, data=b"{" + b" " * limit + b"}",
                           content_type="application/json",
                           headers={**(world.bearer(credential) if credential else {}),
                                    "Idempotency-Key": "k"})
    assert response.status_code == 413
    assert response.get_json() == {"error": "payload_too_large",
                                   "message": "请求体过大 / Request body too large",
                                   "details": {"max_bytes": limit}}


def test_a_page_posted_a_body_over_the_limit_gets_a_friendly_413_page(app, client):
    response = client.post("/me/login", data={"phone": "1" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert response.content_type.startswith("text/html")
    assert "请求体过大" in page and "Request body too large" in page


@pytest.fixture
def fragile_app():
    class Config(TestConfig):
        SECRET_KEY = "x"  # noqa: S105

    app = create_app(Config)

    @app.get("/api/v1/_explode")
    def explode():
        raise RuntimeError("secret internals: password=hunter2")

    @app.get("/explode")
    def explode_page():
        raise RuntimeError("secret internals")

    return app


def test_unexpected_error_is_logged_with_a_request_id_and_never_shown(fragile_app, caplog):
    response = fragile_app.test_client().get("/api/v1/_explode")
    assert response.status_code == 500
    body = response.get_json()
    assert body["error"] == "internal_error"
    assert body["details"]["request_id"] == response.headers["X-Request-ID"]
    assert b"hunter2" not in response.data and b"Traceback" not in response.data
    assert any(body["details"]["request_id"] in record.getMessage() for record in caplog.records)


def test_pages_get_a_friendly_bilingual_error_page(fragile_app):
    response = fragile_app.test_client().get("/explode")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "系统错误" in page and "Internal error" in page and "Traceback" not in page


def test_missing_page_is_bilingual_html(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")
    page = response.get_data(as_text=True)
    assert "未找到" in page and "Not found" in page


def test_every_answer_carries_security_headers(client):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_security_headers_once_each_and_hsts_over_https(client):
    response = client.get("/healthz", base_url="https://localhost")
    for name in ("X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
                 "Content-Security-Policy", "Permissions-Policy"):
        assert len(response.headers.getlist(name)) == 1, name
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def test_the_api_never_reads_or_sets_a_session_cookie(app, client):
    with client.session_transaction() as session:  # a signed-in browser's cookie
        session["_user_id"] = "member:whoever"
    for response in (client.get("/api/v1/directory/offers?q=火锅"),
                     client.post("/api/v1/pos/purchases", json={"card": "1", "amount": 1}),
                     client.get("/api/v1/member/me")):
        assert response.status_code in (401, 403), response.get_json()
        assert "Set-Cookie" not in response.headers
        assert "Cookie" not in response.headers.get("Vary", "")
    page = client.get("/")  # pages still open the session (Flask-Login reads it)
    assert page.status_code == 200 and "Cookie" in page.headers["Vary"]


def test_the_pos_api_skips_the_rate_limiter_and_the_member_login_keeps_its_limit(client):
    pos = client.post("/api/v1/pos/quote", json={"card": "1", "amount": 1})
    assert pos.status_code == 401 and "X-RateLimit-Limit" not in pos.headers
    for _ in range(10):
        login = client.post("/api/v1/member/session",
                            json={"phone": "13800000000", "password": "wrong-password"})
        assert login.status_code == 401 and login.headers["X-RateLimit-Limit"] == "10"
    assert client.post("/api/v1/member/session",
                       json={"phone": "13800000000", "password": "x"}).status_code == 429


def test_home_page_is_chinese_by_default_and_english_on_request(client):
    assert "V卡联盟" in client.get("/").get_data(as_text=True)
    english = client.get("/?lang=en")
    assert "The V-card alliance" in english.get_data(as_text=True)
    assert "lang=en" in english.headers["Set-Cookie"]
    assert "The V-card alliance" in client.get("/").get_data(as_text=True)  # remembered


def test_openapi_document_and_docs_work_offline(client):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200 and spec.get_json()["info"]["title"] == "Valliance API"
    docs = client.get("/api/v1/docs").get_data(as_text=True)
    assert "http://" not in docs and "https://" not in docs
    assert client.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_a_purchase_body_over_the_lanes_16_kib_and_under_the_limit_is_still_sold(app, client):
    world = build_world(app)
    body = b'{"card": "%s", "amount": 100,%s"reference": "big"}' % (
        world.card.encode(), b" " * (20 * 1024))
    response = client.post("/api/v1/pos/purchases", data=body, content_type="application/json",
                           headers={**world.bearer("terminal"), "Idempotency-Key": "big-1"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["reference"] == "big"
