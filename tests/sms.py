"""A stand-in for the SMS gateway that keeps what it was asked to send (tests read codes there)."""

import re
import threading


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
