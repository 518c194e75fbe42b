"""Sessions (contract §10): Secure cookies over HTTPS, and signing out ends the session on the
server for members, merchant users and staff — a saved cookie replayed later is signed out."""

from tests.api.test_merchant_portal import (
    OWNER,
    store,  # noqa: F401 — a fixture
)
from tests.api.test_merchant_portal import PASSWORD as SHOP_PASSWORD
from tests.api.test_merchant_portal import sign_in as merchant_sign_in
from tests.api.test_portal import PASSWORD, csrf_of, enroll, log_in
from tests.api.test_staff_pages import make_staff, staff_log_in
from valliance import create_app
from valliance.config import TestConfig


def _set_cookies(response) -> dict[str, str]:
    """cookie name → its whole Set-Cookie header."""
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def _is_secure(header: str) -> bool:
    return "; Secure" in header


def _other_app(app, **settings):
    class Config(TestConfig):
        DATABASE_URL = app.config["DATABASE_URL"]
        SECRET_KEY = "test-secret-key"  # noqa: S105 — tests only

    for name, value in settings.items():
        setattr(Config, name, value)
    return create_app(Config)


# --- Secure cookies -----------------------------------------------------------------------


def test_session_and_language_cookies_are_secure_over_https(client):
    cookies = _set_cookies(client.get("/me/login?lang=en", base_url="https://localhost"))
    assert _is_secure(cookies["session"]) and _is_secure(cookies["lang"])
    assert "HttpOnly" in cookies["session"] and "SameSite=Lax" in cookies["session"]


def test_cookies_over_plain_http_are_not_secure_unless_configured(app, client):
    cookies = _set_cookies(client.get("/me/login?lang=en"))
    assert not _is_secure(cookies["session"]) and not _is_secure(cookies["lang"])
    forced = _other_app(app, SESSION_COOKIE_SECURE=True).test_client()
    cookies = _set_cookies(forced.get("/me/login?lang=en"))
    assert _is_secure(cookies["session"]) and _is_secure(cookies["lang"])


def test_session_cookie_is_secure_when_a_trusted_proxy_says_https(app):
    behind_proxy = _other_app(app, TRUSTED_PROXY_HOPS=1).test_client()
    response = behind_proxy.get("/staff/login", headers={"X-Forwarded-Proto": "https"})
    assert _is_secure(_set_cookies(response)["session"])
    # Without a trusted proxy, anyone could send that header: it is ignored.
    direct = _other_app(app).test_client()
    response = direct.get("/staff/login", headers={"X-Forwarded-Proto": "https"})
    assert not _is_secure(_set_cookies(response)["session"])


def test_session_cookie_secure_setting_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    assert TestConfig.from_environment()["SESSION_COOKIE_SECURE"] is True
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "0")
    assert TestConfig.from_environment()["SESSION_COOKIE_SECURE"] is False


# --- signing out ends the session ----------------------------------------------------------


def _replay(app, cookie: str):
    """A new browser that presents a saved session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def _sign_out(client, page: str, url: str):
    html = client.get(page).get_data(as_text=True)
    assert client.post(url, data={"csrf_token": csrf_of(html)}).status_code == 302


def test_a_members_saved_cookie_stops_working_after_sign_out(app, client):
    enroll(app)
    log_in(client)
    saved = client.get_cookie("session").value
    assert _replay(app, saved).get("/me/profile").status_code == 200
    _sign_out(client, "/me/profile", "/me/logout")
    assert _replay(app, saved).get("/me/profile").status_code == 302
    log_in(client)  # signing in again works
    assert client.get("/me/profile").status_code == 200


def test_a_merchant_users_saved_cookie_stops_working_after_sign_out(app, client, store):  # noqa: F811
    merchant_sign_in(client)
    saved = client.get_cookie("session").value
    assert _replay(app, saved).get("/merchant/").status_code == 200
    _sign_out(client, "/merchant/", "/merchant/logout")
    assert _replay(app, saved).get("/merchant/").status_code == 302
    assert merchant_sign_in(client, OWNER, SHOP_PASSWORD).status_code == 302
    assert client.get("/merchant/").status_code == 200


def test_a_staff_saved_cookie_stops_working_after_sign_out(app, client):
    make_staff(app)
    assert staff_log_in(client).status_code == 302
    saved = client.get_cookie("session").value
    assert _replay(app, saved).get("/staff/merchants").status_code == 200
    _sign_out(client, "/staff/", "/staff/logout")
    assert _replay(app, saved).get("/staff/merchants").status_code == 302
    assert staff_log_in(client).status_code == 302
    assert client.get("/staff/merchants").status_code == 200


def test_a_password_change_ends_the_other_sessions_but_keeps_this_one(app):
    enroll(app)
    here, there = app.test_client(), app.test_client()
    log_in(here)
    log_in(there)
    html = here.get("/me/profile").get_data(as_text=True)
    response = here.post("/me/profile", data={
        "current_password": PASSWORD, "password": "another-pass9", "confirm": "another-pass9",
        "csrf_token": csrf_of(html)})
    assert response.status_code == 302
    assert here.get("/me/profile").status_code == 200
    assert there.get("/me/profile").status_code == 302


def test_signing_out_ends_every_session_of_that_user_only(app):
    enroll(app)
    enroll(app, phone="13900139000", name="李四")
    phone, laptop, neighbour = app.test_client(), app.test_client(), app.test_client()
    log_in(phone)
    log_in(laptop)
    log_in(neighbour, phone="13900139000")
    _sign_out(phone, "/me/profile", "/me/logout")
    assert laptop.get("/me/profile").status_code == 302
    assert neighbour.get("/me/profile").status_code == 200


def test_a_cookie_from_before_session_generations_no_longer_signs_in(app, client):
    # Before the deploy the cookie's version was a digest of the password hash alone, and
    # signing out left such a cookie working on the server: a copy saved then must not
    # sign in now, even though the member has not signed out since.
    import hashlib

    from valliance.extensions import db
    from valliance.members.models import Member

    enroll(app)
    log_in(client)
    assert client.get("/me/profile").status_code == 200
    with app.app_context():
        member = db.session.query(Member).one()
        old_version = hashlib.sha256(member.password_hash.encode()).hexdigest()[:16]
        old_cookie = app.session_interface.get_signing_serializer(app).dumps(
            {"_user_id": f"member:{member.id}:{old_version}", "_fresh": True})
    assert _replay(app, old_cookie).get("/me/profile").status_code == 302
    assert client.get("/me/profile").status_code == 200  # a session made now still works
