"""Talking to Stripe: one client per call, built from this app's configuration.

Nothing is set on the `stripe` module (api_key, api_base): those globals would leak between
apps, tests and threads. STRIPE_API_BASE points the library at another server (localstripe).
"""

from dataclasses import dataclass
from datetime import datetime

import stripe
from flask import current_app

#: card everywhere; Alipay and WeChat Pay where Stripe offers them to the account
PAYMENT_METHOD_TYPES = ("card", "alipay", "wechat_pay")
#: where Checkout lives: the payment pages' CSP lets their forms lead there
CHECKOUT_ORIGIN = "https://checkout.stripe.com"
TIMEOUT_SECONDS = 8  #: with one retry, a worker waits at most ~16 s for Stripe


class PaymentsNotConfigured(RuntimeError):
    """STRIPE_SECRET_KEY is not set: nothing can be charged."""


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


def configured() -> bool:
    """Tell whether this app can charge (a secret key is configured)."""
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def client() -> stripe.StripeClient:
    """A Stripe client for this app's key and API base."""
    key = current_app.config.get("STRIPE_SECRET_KEY")
    if not key:
        raise PaymentsNotConfigured("STRIPE_SECRET_KEY is not set")
    base = current_app.config.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        key,
        base_addresses={"api": base.rstrip("/")} if base else None,
        http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
        max_network_retries=1,  # a retried POST carries the same idempotency key
    )


def checkout_params(*, payment_id: str, member_id: str, amount: int, currency: str,
                    description: str, success_url: str, cancel_url: str,
                    locale: str, expires_at: datetime | None = None) -> dict:
    """The Checkout Session for one member payment: one line, CNY, card + Alipay + WeChat Pay;
    expires_at: when Stripe closes it (a payment with points: before their hold ends)."""
    params = _one_line_checkout({"payment_id": payment_id, "member_id": member_id}, payment_id,
                                amount=amount, currency=currency, description=description,
                                success_url=success_url, cancel_url=cancel_url, locale=locale)
    if expires_at is not None:
        params["expires_at"] = int(expires_at.timestamp())
    return params


def statement_checkout_params(*, settlement_id: str, merchant_id: str, amount: int,
                              description: str, success_url: str, cancel_url: str,
                              locale: str) -> dict:
    """The Checkout Session for a merchant paying what its monthly statement says it owes."""
    return _one_line_checkout({"settlement_id": settlement_id, "merchant_id": merchant_id},
                              settlement_id, amount=amount, currency="cny",
                              description=description, success_url=success_url,
                              cancel_url=cancel_url, locale=locale)


def _one_line_checkout(metadata: dict, reference: str, *, amount: int, currency: str,
                       description: str, success_url: str, cancel_url: str,
                       locale: str) -> dict:
    first_key = next(iter(metadata))
    return {
        "mode": "payment",
        "line_items": [{
            "quantity": 1,
            "price_data": {"currency": currency, "unit_amount": amount,
                           "product_data": {"name": description}},
        }],
        "payment_method_types": list(PAYMENT_METHOD_TYPES),
        "payment_method_options": {"wechat_pay": {"client": "web"}},
        "client_reference_id": reference,
        "metadata": metadata,
        # The PaymentIntent (and so its events) names what is paid too.
        "payment_intent_data": {"metadata": {first_key: metadata[first_key]}},
        "success_url": success_url,
        "cancel_url": cancel_url,
        "locale": "en" if locale == "en" else "zh",
    }


def create_checkout_session(params: dict) -> CheckoutSession:
    """Open a Checkout Session; the same payment always asks with the same idempotency key."""
    reference = params["client_reference_id"]
    created = client().v1.checkout.sessions.create(
        params, options={"idempotency_key": f"valliance-checkout-{reference}"})
    return CheckoutSession(id=created.id, url=created.url)


def construct_event(payload: bytes, signature: str | None) -> stripe.Event:
    """Verify Stripe's signature on a webhook body and build the event.

    Raises stripe.SignatureVerificationError for a missing or bad signature (or when no
    STRIPE_WEBHOOK_SECRET is configured), ValueError for a body that is not an event.
    """
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET") or None
    return stripe.Webhook.construct_event(payload, signature, secret)
