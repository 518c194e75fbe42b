"""A stand-in for the SMS gateway that keeps what it was asked to send (tests read codes there)."""

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class SmsRecorder:
    """A sender (valliance.messaging.Sender) that records each message instead of sending it."""

    def __init__(self):
        self.sent: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def send(self, recipient: str, body: str) -> None:
        with self._lock:
            self.sent.append((recipient, body))

    def to(self, phone: str) -> list[str]:
        """Every body sent to this phone, oldest first."""
        return [body for recipient, body in self.sent if recipient == phone]

    def code_for(self, phone: str) -> str:
        """The code in the newest message to this phone that has one."""
        for body in reversed(self.to(phone)):
            match = re.search(r"验证码是 (\d{6})", body)
            if match:
                return match.group(1)
        raise AssertionError(f"no code was sent to {phone}: {self.to(phone)}")


def record_sms(app, monkeypatch) -> SmsRecorder:
    """Make the app send its SMS to a recorder for this test."""
    recorder = SmsRecorder()
    monkeypatch.setitem(app.extensions, "sms_sender", recorder)
    return recorder


class GatewayFake:
    """A generic SMS gateway over HTTP (SMS_PROVIDER=http) on 127.0.0.1, in a thread: keeps
    each POST it gets (the JSON body and the Authorization header) and answers 200, or 503 to
    the first `refuse_first` of them (the gateway down for a moment)."""

    def __init__(self, refuse_first: int = 0):
        self.received: list[dict] = []
        self.refuse_first = refuse_first
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 — http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with fake._lock:
                    fake.received.append({**body, "authorization": self.headers.get(
                        "Authorization")})
                    status = 503 if len(fake.received) <= fake.refuse_first else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):  # not on the test's stderr
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"

    def __enter__(self) -> "GatewayFake":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float) -> list[dict]:
        """The messages received once there are `count` of them (or what came by the end)."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return list(self.received)
