"""Secrets at rest and account enumeration: SMS codes, the pending sign-up, sign-up and claim."""

import json
import logging
import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import func, select

from tests.api.test_portal import PASSWORD, csrf_of, enroll, post_form
from tests.sms import record_sms
from valliance import passwords, secret_box
from valliance.db import utcnow
from valliance.extensions import db
from valliance.members.models import Member, PendingSignup
from valliance.members.services import otp
from valliance.messaging import (
    SENT_SECRET,
    ConsoleSender,
    HttpSmsGateway,
    OutboxMessage,
    configured_sender,
    deliver_pending,
)

NEW, REGISTERED, IMPORTED = "13800138000", "13900139000", "13700137000"


@pytest.fixture
def sms(app, monkeypatch):
    return record_sms(app, monkeypatch)


class _Gateway(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802 — http.server's name
        length = int(self.headers["Content-Length"])
        type(self).received.append((self.headers.get("Authorization"),
                                    json.loads(self.rfile.read(length))))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def gateway(app, monkeypatch):
    """A real HTTP SMS gateway on 127.0.0.1, configured as the app's sender."""
    handler = type("Gateway", (_Gateway,), {"received": [], "status": 200})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(app.extensions, "sms_sender", HttpSmsGateway(
        f"http://127.0.0.1:{server.server_port}/sms", token="gw-token"))  # noqa: S106
    yield handler
    server.shutdown()


def _code_in(text: str) -> str:
    return re.search(r"验证码是 (\d{6})", text).group(1)


def _sign_up(client, phone=NEW):
    return post_form(client, "/me/signup", {"phone": phone, "name": "李四", "password": PASSWORD})


# --- codes at rest and in the logs ---------------------------------------------------------


def test_a_queued_code_is_sealed_in_the_outbox_and_blanked_once_sent(app, session):
    otp.send_code(session, NEW, "signup")
    session.commit()
    stored = session.scalar(select(OutboxMessage))
    plain = secret_box.unseal(stored.body)
    # the code itself is not in the stored body (any six digits could be: the ciphertext is
    # random base64, which holds six digits in a row in about one message of a thousand)
    assert stored.secret and "验证码" not in stored.body and _code_in(plain) not in stored.body
    sent = []
    recorder = type("Recorder", (), {"send": lambda self, to, body: sent.append((to, body))})()
    assert deliver_pending(session, recorder) == 1
    assert sent == [(NEW, plain)] and _code_in(plain)
    session.expire_all()
    after = session.scalar(select(OutboxMessage))
    assert after.body == SENT_SECRET and after.sent_at is not None and after.recipient == NEW


def _sent_after(response):
    """The response, closed: a gateway is called once the answer has gone out."""
    response.close()
    return response


def test_with_a_gateway_configured_no_code_reaches_the_log(app, client, gateway, caplog):
    caplog.set_level(logging.DEBUG)
    assert _sent_after(_sign_up(client)).status_code == 302
    [(authorization, message)] = gateway.received
    assert authorization == "Bearer gw-token" and message["to"] == NEW
    code = _code_in(message["text"])
    assert code not in caplog.text and "验证码" not in caplog.text
    with app.app_context():
        assert code not in db.session.scalar(select(OutboxMessage.body))


def test_a_failing_gateway_logs_the_failure_but_not_the_code(app, client, gateway, caplog):
    gateway.status = 500
    caplog.set_level(logging.DEBUG)
    assert _sent_after(_sign_up(client)).status_code == 302  # the member asks again
    [(_, message)] = gateway.received
    assert "could not be sent" in caplog.text
    assert _code_in(message["text"]) not in caplog.text and "验证码" not in caplog.text


def test_without_a_gateway_the_console_shows_the_code_for_development(app, client, monkeypatch,
                                                                      caplog):
    monkeypatch.setitem(app.extensions, "sms_sender", ConsoleSender())
    caplog.set_level(logging.WARNING, logger="valliance.sms")
    _sign_up(client)
    assert re.search(r"SMS to 13800138000: .*验证码是 \d{6}", caplog.text)


def test_the_gateway_is_the_sender_when_sms_gateway_url_is_set():
    sender = configured_sender({"SMS_GATEWAY_URL": "https://sms.example/send",
                                "SMS_GATEWAY_TOKEN": "t"})
    assert isinstance(sender, HttpSmsGateway) and sender.url == "https://sms.example/send"
    assert isinstance(configured_sender({"SMS_GATEWAY_URL": ""}), ConsoleSender)


# --- the pending sign-up stays on the server ---------------------------------------------------


def test_the_cookie_after_sign_up_step_one_holds_no_password_hash(app, client, sms):
    _sign_up(client)
    cookie = client.get_cookie("session").value
    with client.session_transaction() as session:
        assert set(session["signup"]) == {"id"}
        assert PASSWORD not in json.dumps(dict(session))
    with app.app_context():
        pending = db.session.scalar(select(PendingSignup))
        password_hash = secret_box.unseal(pending.password_hash)
    assert passwords.password_matches(password_hash, PASSWORD)
    assert "scrypt" not in pending.password_hash and password_hash not in cookie
    salt = password_hash.split("$")[1]
    assert salt not in cookie and "scrypt" not in cookie


def test_the_pending_sign_up_is_deleted_once_used(app, client, sms):
    _sign_up(client)
    post_form(client, "/me/signup/verify", {"code": sms.code_for(NEW)})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PendingSignup)) == 0
        assert db.session.scalar(select(Member.phone)) == NEW


def test_an_expired_pending_sign_up_sends_the_visitor_back_to_step_one(app, client, sms):
    _sign_up(client)
    with app.app_context():
        db.session.scalar(select(PendingSignup)).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = client.get("/me/signup/verify")
    assert response.headers["Location"].endswith("/me/signup")
    assert "验证码已过期" in client.get("/me/signup").get_data(as_text=True)


# --- the same answer whether or not a phone is known ------------------------------------------


def _page_for(client, url: str, phone: str) -> str:
    html = client.get(url).get_data(as_text=True)
    html = html.replace(f"{phone[:3]}****{phone[-4:]}", "PHONE")
    return re.sub(r'name="csrf_token"[^>]*>', "", html)


def test_sign_up_answers_alike_for_new_registered_and_imported_phones(app, client, sms,
                                                                      monkeypatch):
    enroll(app, phone=REGISTERED)
    enroll(app, phone=IMPORTED, password=None)
    hashed = []
    monkeypatch.setattr(passwords, "generate_password_hash",
                        lambda pw: hashed.append(pw) or f"hash-{len(hashed)}")
    pages = []
    for phone in (NEW, REGISTERED, IMPORTED):
        response = _sign_up(client, phone)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/me/signup/verify")
        pages.append(_page_for(client, "/me/signup/verify", "".join(phone)))
    assert pages[0] == pages[1] == pages[2]
    assert "如果该号码可以注册，验证码已发送至 PHONE" in pages[0]
    assert hashed == [PASSWORD] * 3  # the same hashing work on every path
    assert sms.code_for(NEW)
    [registered] = sms.to(REGISTERED)
    [imported] = sms.to(IMPORTED)
    assert "已是会员" in registered and "10000" in registered and "验证码" not in registered
    assert "营业厅开通" in imported and "验证码" not in imported


def test_a_code_typed_for_a_registered_phone_is_just_wrong(app, client, sms):
    enroll(app, phone=REGISTERED)
    _sign_up(client, REGISTERED)
    html = post_form(client, "/me/signup/verify", {"code": "123456"}).get_data(as_text=True)
    assert "验证码错误或已过期" in html


def test_sign_up_is_limited_alike_for_new_and_registered_phones(app, client, sms):
    enroll(app, phone=REGISTERED)
    for phone in (NEW, REGISTERED):
        for _ in range(otp.MAX_CODES_PER_WINDOW):
            assert _sign_up(client, phone).status_code == 302
        assert _sign_up(client, phone).status_code == 200  # the limit's message, for both


def test_claim_answers_alike_for_unknown_activated_and_imported_phones(app, client, sms):
    enroll(app, phone=REGISTERED)
    enroll(app, phone=IMPORTED, password=None)
    pages = []
    for phone in (NEW, REGISTERED, IMPORTED):
        response = post_form(client, "/me/claim", {"phone": phone})
        assert response.headers["Location"].endswith("/me/claim/verify")
        pages.append(_page_for(client, "/me/claim/verify", phone))
    assert pages[0] == pages[1] == pages[2]
    assert "如果该号码有待激活的V卡，验证码已发送至 PHONE" in pages[0]
    assert sms.to(NEW) == []  # a stranger's phone is never texted
    [activated] = sms.to(REGISTERED)
    assert "已激活" in activated and "验证码" not in activated
    assert sms.code_for(IMPORTED)


def test_a_claim_code_for_an_unknown_phone_is_just_wrong(app, client, sms):
    post_form(client, "/me/claim", {"phone": NEW})
    html = post_form(client, "/me/claim/verify", {
        "code": "123456", "password": "newpass99", "confirm": "newpass99"}).get_data(True)
    assert "验证码错误或已过期" in html
    with client.session_transaction() as session:
        assert session["claim"] == {"phone": NEW}
    assert csrf_of(html)


def test_with_a_gateway_claim_answers_before_any_sms_is_sent(app, client, gateway):
    # A phone no member has gets no SMS; were the gateway called during the request, the
    # answer would come back sooner for it than for a member's phone.
    enroll(app, phone=IMPORTED, password=None)
    for phone in (NEW, IMPORTED):
        response = post_form(client, "/me/claim", {"phone": phone})
        assert response.headers["Location"].endswith("/me/claim/verify")
        assert gateway.received == []  # nothing sent while the answer was being made
        response.close()
    [(_, message)] = gateway.received
    assert message["to"] == IMPORTED and _code_in(message["text"])
