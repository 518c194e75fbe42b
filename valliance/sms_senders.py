"""Who hands an SMS to a phone network (valliance.messaging's senders): the console for
development, a generic HTTPS gateway, Aliyun SMS (valliance.sms_aliyun); chosen by
`SMS_PROVIDER` (configured_sender). In production the console sender refuses to send, and
the app refuses to start with it (valliance.startup)."""

import json
import logging
import urllib.request
from typing import Protocol

from flask import current_app

log = logging.getLogger("valliance.sms")


class Sender(Protocol):
    def send(self, recipient: str, body: str) -> None: ...


class SendRefused(Exception):
    """The sender will not send here (the console sender in production): the message waits."""


class ConsoleSender:
    """Print messages where the operator of a development server sees them (no gateway)."""

    #: set in production: a console is no way to reach a phone
    refuse = False

    def send(self, recipient: str, body: str) -> None:
        if self.refuse:
            raise SendRefused("SMS_PROVIDER is console in production: set a real provider")
        log.warning("SMS to %s: %s", recipient, body)


class HttpSmsGateway:
    """An SMS gateway over HTTP(S): POST {"to", "text"} as JSON, with a bearer token if set.

    Any 2xx answer means the gateway took the message; anything else raises (without the
    message's text, so an error logged by the outbox never carries a code).
    """

    #: a network round trip: where whether a message went must not show in the answer's time,
    #: it is sent after the answer (deliver_after_response)
    round_trip = True

    def __init__(self, url: str, token: str = "", timeout: float = 5.0):
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, recipient: str, body: str) -> None:
        request = urllib.request.Request(  # noqa: S310 — the operator's configured https URL
            self.url, method="POST", data=json.dumps({"to": recipient, "text": body}).encode(),
            headers={"Content-Type": "application/json",
                     **({"Authorization": f"Bearer {self.token}"} if self.token else {})})
        with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
            if not 200 <= answer.status < 300:
                raise RuntimeError(f"SMS gateway answered HTTP {answer.status}")


def provider_name(config) -> str:
    """SMS_PROVIDER, or http when only SMS_GATEWAY_URL is set, else console."""
    name = (config.get("SMS_PROVIDER") or "").strip().lower()
    if not name:
        name = "http" if config.get("SMS_GATEWAY_URL") else "console"
    return name


def configured_sender(config) -> Sender:
    """The sender SMS_PROVIDER names (module docstring); an unknown name is an error."""
    name = provider_name(config)
    if name == "aliyun":
        from valliance.sms_aliyun import AliyunSmsSender

        return AliyunSmsSender.from_config(config)
    if name == "http":
        return HttpSmsGateway(config.get("SMS_GATEWAY_URL", ""),
                              config.get("SMS_GATEWAY_TOKEN", ""))
    if name != "console":
        raise ValueError(f"unknown SMS_PROVIDER {name!r} (console, aliyun or http)")
    sender = ConsoleSender()
    sender.refuse = bool(config.get("PRODUCTION"))
    return sender


def _app_sender() -> Sender:
    sender = current_app.extensions.get("sms_sender")
    if sender is None:
        sender = current_app.extensions["sms_sender"] = configured_sender(current_app.config)
    return sender
