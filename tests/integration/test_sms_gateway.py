"""The SMS gateway: Aliyun's SendSms against a local fake of its API, delivery state on the
outbox row, and production's console sender keeping its messages (the refusal to start:
tests/integration/test_production_refusals.py)."""

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select

from valliance.members.services import otp
from valliance.messaging import (
    MAX_ATTEMPTS,
    SENT_SECRET,
    ConsoleSender,
    OutboxMessage,
    configured_sender,
    deliver_pending,
    queue_sms,
)
from valliance.sms_aliyun import AliyunSmsSender

KEY_ID, SECRET = "LTAI-test-key", "test-secret/+="  # noqa: S105 — the fake's own credentials
PHONE = "13800138000"
UNRESERVED = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def _rfc3986(text: str) -> str:
    """Aliyun's percentEncode, written independently of the adapter's (byte by byte)."""
    return "".join(chr(b) if b in UNRESERVED else f"%{b:02X}" for b in text.encode("utf-8"))


def _expected_signature(params: dict) -> str:
    canonical = "&".join(_rfc3986(k) + "=" + _rfc3986(params[k])
                         for k in sorted(params) if k != "Signature")
    string_to_sign = "GET&" + _rfc3986("/") + "&" + _rfc3986(canonical)
    mac = hmac.new((SECRET + "&").encode(), string_to_sign.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


class _FakeAliyun(BaseHTTPRequestHandler):
    """Answers like Dysmsapi: checks the signature, then OK or the error code it is told."""

    calls: list = []
    code = "OK"
    delay = 0.0

    def do_GET(self):  # noqa: N802 — http.server's name
        params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        type(self).calls.append(params)
        time.sleep(type(self).delay)
        if params.get("Signature") != _expected_signature(params):
            status, answer = 400, {"Code": "SignatureDoesNotMatch", "Message": "bad signature"}
        elif type(self).code == "OK":
            status, answer = 200, {"Code": "OK", "Message": "OK", "BizId": "9001^0",
                                   "RequestId": "F655A8D5"}
        else:
            status, answer = 200, {"Code": type(self).code, "Message": "refused"}
        data = json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except BrokenPipeError:  # the client timed out and left
            pass

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def aliyun():
    handler = type("FakeAliyun", (_FakeAliyun,), {"calls": [], "code": "OK", "delay": 0.0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    handler.endpoint = f"http://127.0.0.1:{server.server_port}/"
    yield handler
    server.shutdown()
    server.server_close()


def _sender(aliyun, secret=SECRET, timeout=2.0) -> AliyunSmsSender:
    return AliyunSmsSender(access_key_id=KEY_ID, access_key_secret=secret, sign_name="V卡联盟",
                           template_code="SMS_123456", endpoint=aliyun.endpoint, timeout=timeout)


def _row(session) -> OutboxMessage:
    session.expire_all()
    return session.scalar(select(OutboxMessage))


def test_a_code_goes_out_through_aliyun_signed_and_is_blanked(app, session, aliyun):
    otp.send_code(session, PHONE, "signup")
    session.commit()
    assert deliver_pending(session, _sender(aliyun)) == 1
    [call] = aliyun.calls
    assert call["Action"] == "SendSms" and call["Version"] == "2017-05-25"
    assert call["AccessKeyId"] == KEY_ID and call["PhoneNumbers"] == PHONE
    assert call["SignName"] == "V卡联盟" and call["TemplateCode"] == "SMS_123456"
    assert call["SignatureMethod"] == "HMAC-SHA1" and call["SignatureVersion"] == "1.0"
    assert "验证码是" in json.loads(call["TemplateParam"])["content"]
    row = _row(session)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert row.sent_at is not None and row.body == SENT_SECRET


def test_a_wrong_secret_fails_the_signature_and_the_message_is_kept(app, session, aliyun):
    queue_sms(session, PHONE, "您的积分即将到期")
    session.commit()
    assert deliver_pending(session, _sender(aliyun, secret="not-the-secret")) == 0  # noqa: S106
    row = _row(session)
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "SignatureDoesNotMatch")
    assert row.sent_at is None and row.body == "您的积分即将到期"


def test_an_error_code_is_recorded_and_the_message_retried_until_it_goes(app, session, aliyun):
    queue_sms(session, PHONE, "欢迎加入")
    session.commit()
    aliyun.code = "isv.BUSINESS_LIMIT_CONTROL"
    deliver_pending(session, _sender(aliyun))
    row = _row(session)
    assert (row.status, row.attempts, row.last_error) == (
        "failed", 1, "isv.BUSINESS_LIMIT_CONTROL")
    aliyun.code = "OK"
    assert deliver_pending(session, _sender(aliyun)) == 1
    row = _row(session)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


def test_a_timeout_is_recorded_and_attempts_stop_at_the_limit(app, session, aliyun):
    queue_sms(session, PHONE, "欢迎加入")
    session.commit()
    aliyun.delay = 0.5
    for _ in range(MAX_ATTEMPTS + 1):
        deliver_pending(session, _sender(aliyun, timeout=0.1))
    row = _row(session)
    assert (row.status, row.attempts, row.last_error) == ("failed", MAX_ATTEMPTS, "timeout")
    assert len(aliyun.calls) == MAX_ATTEMPTS and row.body == "欢迎加入"


def test_sms_provider_chooses_the_sender():
    config = {"SMS_PROVIDER": "aliyun", "SMS_ALIYUN_ACCESS_KEY_ID": KEY_ID,
              "SMS_ALIYUN_ACCESS_KEY_SECRET": SECRET, "SMS_ALIYUN_SIGN_NAME": "V卡联盟",
              "SMS_ALIYUN_TEMPLATE_CODE": "SMS_1", "SMS_ALIYUN_ENDPOINT": "https://x.example/"}
    sender = configured_sender(config)
    assert isinstance(sender, AliyunSmsSender) and sender.endpoint == "https://x.example/"
    assert isinstance(configured_sender({"SMS_PROVIDER": "console"}), ConsoleSender)
    with pytest.raises(ValueError, match="SMS_ALIYUN_ACCESS_KEY_ID"):
        configured_sender({"SMS_PROVIDER": "aliyun"})
    with pytest.raises(ValueError, match="unknown SMS_PROVIDER"):
        configured_sender({"SMS_PROVIDER": "pigeon"})


def test_production_refuses_the_console_sender_and_keeps_the_message(app, session, caplog):
    sender = configured_sender({"SMS_PROVIDER": "console", "PRODUCTION": True})
    otp.send_code(session, PHONE, "signup")
    session.commit()
    caplog.set_level(logging.WARNING, logger="valliance.sms")
    assert deliver_pending(session, sender) == 0
    assert "SMS_PROVIDER is console in production" in caplog.text
    assert "验证码" not in caplog.text
    row = _row(session)
    assert (row.status, row.attempts, row.sent_at) == ("pending", 0, None)
    assert row.body != SENT_SECRET  # still sealed, sent once a real provider is configured
    assert "SMS_PROVIDER is console" in row.last_error
