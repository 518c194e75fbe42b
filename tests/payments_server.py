"""A fake Stripe (localstripe) and a live server of our app, both on 127.0.0.1, for payments.

localstripe's aiohttp app runs in a background thread of the test process, on a free port
of the loopback interface only. Two things are adjusted, both in localstripe's own objects:

- it pickles its whole store to /tmp after every write (shared by every test run on the
  machine); here the store stays in memory;
- version 1.15.10 does not send `charge.refunded` when a refund is created; Stripe does, so
  the refund sends it here, through localstripe's own webhook signing and delivery.

Webhook deliveries are counted, so a test can wait until localstripe has delivered every
event it scheduled (and our endpoint has answered) instead of sleeping.

Import the fixtures into a test module: `from tests.payments_server import ...  # noqa: F401`.
"""

import asyncio
import hashlib
import hmac
import json
import secrets
import socket
import threading
import time
import warnings
from datetime import timedelta

import pytest
import requests
from werkzeug.serving import make_server

WEBHOOK_SECRET = "whsec_valliance_test_secret"  # noqa: S105 — tests only
SECRET_KEY = "sk_test_valliance"  # noqa: S105 — tests only


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe would send: t=<unix time>,v1=HMAC-SHA256(t.body)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def stripe_event(event_type: str, obj: dict, event_id: str | None = None) -> str:
    """A webhook body as Stripe sends it (JSON text)."""
    return json.dumps({
        "id": event_id or f"evt_{secrets.token_hex(12)}", "object": "event",
        "api_version": "2026-01-28", "created": int(time.time()), "livemode": False,
        "pending_webhooks": 1, "type": event_type, "data": {"object": obj},
    })


def deliver(client, payload: str, secret: str = WEBHOOK_SECRET, **headers):
    """POST a webhook body to our endpoint, signed with secret, as Stripe would."""
    return client.post("/webhooks/stripe", data=payload.encode(),
                       headers={"Content-Type": "application/json; charset=utf-8",
                                "Stripe-Signature": sign(payload, secret), **headers})


def checkout_session(payment_id: str, amount: int, *, payment_status: str = "paid",
                     session_id: str | None = None, intent_id: str | None = None) -> dict:
    """A Checkout Session object as Stripe puts it in checkout.session.* events."""
    return {
        "id": session_id or f"cs_test_{secrets.token_hex(12)}", "object": "checkout.session",
        "mode": "payment", "amount_total": amount, "currency": "cny",
        "client_reference_id": payment_id, "metadata": {"payment_id": payment_id},
        "payment_intent": intent_id or f"pi_{secrets.token_hex(12)}",
        "payment_status": payment_status,
        "status": "complete" if payment_status == "paid" else "open",
    }


def payment_intent(payment_id: str | None, amount: int, *, intent_id: str | None = None,
                   error_code: str | None = None) -> dict:
    """A PaymentIntent object as Stripe puts it in payment_intent.* events."""
    return {
        "id": intent_id or f"pi_{secrets.token_hex(12)}", "object": "payment_intent",
        "amount": amount, "amount_received": 0 if error_code else amount, "currency": "cny",
        "metadata": {"payment_id": payment_id} if payment_id else {},
        "status": "requires_payment_method" if error_code else "succeeded",
        "last_payment_error": {"code": error_code} if error_code else None,
    }


def refunded_charge(intent_id: str, amount: int, refunded: int) -> dict:
    """A Charge object as Stripe puts it in charge.refunded (amount_refunded: cumulative)."""
    return {
        "id": f"ch_{secrets.token_hex(12)}", "object": "charge", "amount": amount,
        "amount_refunded": refunded, "currency": "cny", "paid": True, "status": "succeeded",
        "refunded": refunded == amount, "payment_intent": intent_id, "metadata": {},
    }


class LocalStripe:
    """localstripe listening on 127.0.0.1:<free port> in a thread of its own."""

    def __init__(self):
        from aiohttp import web

        with warnings.catch_warnings():  # its routes are plain functions, which aiohttp frowns on
            warnings.simplefilter("ignore", DeprecationWarning)
            from localstripe import resources, webhooks
            from localstripe.server import app

        self._resources, self._webhooks = resources, webhooks
        self._pending = 0
        self._idle = threading.Condition()
        resources.store.dump_to_disk = lambda: None
        resources.schedule_webhook = self._schedule
        original_create = resources.Refund._api_create.__func__

        def create_refund_and_tell(cls, **data):
            refund = original_create(cls, **data)
            charge = resources.Charge._api_retrieve(refund.charge)
            self._schedule(resources.Event("charge.refunded", charge))
            return refund

        resources.Refund._api_create = classmethod(create_refund_and_tell)

        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(app, access_log=None)
        started = threading.Event()

        def serve():
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self._runner.setup())
            site = web.SockSite(self._runner, self._sock)
            self._loop.run_until_complete(site.start())
            started.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name="localstripe", daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("localstripe did not start")

    # --- webhook deliveries, counted -------------------------------------------------------

    def _schedule(self, event) -> None:
        with self._idle:
            self._pending += 1
        task = asyncio.ensure_future(self._webhooks._send_webhook(event))
        task.add_done_callback(self._delivered)

    def _delivered(self, _task) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def wait_for_deliveries(self, timeout: float = 15) -> None:
        """Return once every scheduled webhook has been delivered (localstripe waits 1 s)."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._pending == 0, timeout):
                raise AssertionError(f"{self._pending} webhook deliveries still pending")

    # --- the /_config API ------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every object and webhook endpoint (DELETE /_config/data)."""
        self.wait_for_deliveries()
        requests.delete(f"{self.url}/_config/data", timeout=10).raise_for_status()
        self._in_loop(self._webhooks._webhooks.clear)

    def _in_loop(self, fn):
        async def call():
            return fn()

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result(10)

    def register_webhook(self, url: str, secret: str = WEBHOOK_SECRET,
                         name: str = "valliance") -> None:
        """Deliver every event to url, signed with secret (POST /_config/webhooks/<id>)."""
        response = requests.post(f"{self.url}/_config/webhooks/{name}",
                                 data={"url": url, "secret": secret}, timeout=10)
        response.raise_for_status()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture(scope="session")
def localstripe_server():
    server = LocalStripe()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def payments_live_server(app):
    """Our app served on 127.0.0.1 (localstripe delivers webhooks to it)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def stripe_keys(app, monkeypatch):
    """Configure the app's Stripe keys for one test (the app is shared by the session)."""
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")  # nothing there
    return app.config


@pytest.fixture
def localstripe(localstripe_server, payments_live_server, stripe_keys, monkeypatch):
    """A clean localstripe the app talks to, delivering its webhooks to our endpoint."""
    localstripe_server.reset()
    monkeypatch.setitem(stripe_keys, "STRIPE_API_BASE", localstripe_server.url)
    localstripe_server.register_webhook(f"{payments_live_server}/webhooks/stripe")
    yield localstripe_server
    # Nothing scheduled by this test may reach the next test's database.
    localstripe_server.wait_for_deliveries()
    localstripe_server.reset()


@pytest.fixture
def clear_of_month_end():
    """Wait out the last two minutes of a Shanghai month, so that a test's activity and the
    period it closes fall in the same month (the window is minutes a month; waiting is exact)."""
    from valliance.db import utcnow
    from valliance.settlement import services

    now = utcnow()
    month_end = services.period_bounds(services.period_of(now))[1]
    if month_end - now < timedelta(minutes=2):
        time.sleep((month_end - now).total_seconds() + 1)
